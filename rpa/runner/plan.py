"""What `rpa submit` is about to do, for the secretary's confirmation (before anything is written).

    plan = submit_plan(batch, batch_path, out)   # rows to submit, of which to 北京/广东/福建
    if plan.rows and not confirm(plan): ...       # the CLI asks; scripts pass --yes

Read-only: nothing in `out` is created or locked here, so a "no" leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpa.members import follow
from rpa.runlog import LOG_NAME, RunMeta, Status, file_sha256, read_records


@dataclass(frozen=True)
class SubmitPlan:
    """The rows a submit would send now (approved, valid, not done in `out` before)."""

    batch_name: str
    out: Path
    rows: int
    irrevocable: int  # to 北京/广东/福建: can never be revoked once sent
    done_before: int
    previewed_in: Path | None  # a preview of this very batch, if one is found beside `out`


def submit_plan(batch: Any, batch_path: Path, out: Path) -> SubmitPlan:
    from rpa.batch import RowStatus

    meta = RunMeta.load(out) if out.is_dir() else None
    records = read_records(out / LOG_NAME) if meta is not None else []
    same = meta is not None and meta.batch_sha256 == file_sha256(batch_path)
    last = follow(records, batch, meta.member_salt, same_batch=same).last if meta is not None else {}
    todo, done = [], 0
    for checked in batch.rows:
        prev = last.get(checked.row)
        if prev is not None and prev.status == Status.submitted:
            done += 1
        elif RowStatus(checked.status) is RowStatus.VALID:
            todo.append(checked.data)
    return SubmitPlan(
        batch_name=batch_path.name, out=out, rows=len(todo),
        irrevocable=sum(1 for row in todo if row.province_flag), done_before=done,
        previewed_in=_preview_of(batch_path, out),
    )


def _preview_of(batch_path: Path, out: Path) -> Path | None:
    """A preview run of the same batch (same sha256) in a folder beside `out`, if any.

    Secretaries keep a batch's runs side by side (试运行/正式); a preview elsewhere isn't found,
    and the warning then only says it wasn't found."""
    digest = file_sha256(batch_path)
    parent = out.resolve().parent
    for meta_file in sorted(parent.glob(f"*/{'run.json'}")):
        try:
            meta = RunMeta.load(meta_file.parent)
        except Exception:  # noqa: BLE001 - someone else's folder: not ours to judge
            continue
        if meta is not None and meta.mode == "preview" and meta.batch_sha256 == digest:
            return meta_file.parent
    return None
