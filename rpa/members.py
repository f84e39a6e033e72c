"""A run folder follows its batch by member, not by row number: a corrected batch goes on in the
same folder.

Every record of run.jsonl carries the member's `key` (a keyed hash of the ID number, with a
salt kept in the folder's run.json: it names the member within the folder and nowhere else)
and the `digest` of the row as it was sent. When the batch changes between two runs:

    view = follow(records, batch, salt, same_batch=False)
    view.last[row]       # the member's latest record, under the row number it has *now*
    view.edited_done     # rows done before whose values were changed since (never sent again)
    view.removed         # members the folder knew that the batch no longer has
    view.shared          # how many of the batch's members the folder knew (0: another batch)

Rows already submitted stay submitted; edited or new rows run; removed rows are reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from rpa.runlog import FINAL_OK, RunRecord, Status


def new_salt() -> str:
    return secrets.token_hex(16)


def member_key(salt: str, id_number: str) -> str:
    """The member's name within one folder: HMAC-SHA256 of the ID number, 16 hex characters."""
    text = str(id_number or "").strip().upper()
    return hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def row_digest(data: Any) -> str:
    """What the row asks of the portal, hashed: a change to any value the form gets changes it."""
    values = data.model_dump(mode="json", exclude={"row"})
    text = "\x1f".join(f"{k}={values[k]}" for k in sorted(values))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def batch_keys(batch: Any, salt: str) -> dict[int, tuple[str | None, str | None]]:
    """row → (member key, row digest) for every row of the batch (None where unknown)."""
    out: dict[int, tuple[str | None, str | None]] = {}
    for checked in batch.rows:
        data = checked.data
        id_number = data.id_number if data is not None else (checked.raw or {}).get("身份证号")
        key = member_key(salt, str(id_number)) if id_number not in (None, "") else None
        out[checked.row] = (key, row_digest(data) if data is not None else None)
    return out


@dataclass
class Removed:
    row: int  # its row number when the folder last saw it
    member: str | None  # masked ID number
    status: Status


@dataclass
class FolderView:
    """The folder's records seen through the current batch (see `follow`)."""

    last: dict[int, RunRecord] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    first_submitting: dict[int, dt.datetime] = field(default_factory=dict)
    forms: dict[int, dict[str, str]] = field(default_factory=dict)  # the latest read-back of each row
    edited_done: list[int] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    shared: int = 0


def follow(records: list[RunRecord], batch: Any, salt: str | None, *, same_batch: bool) -> FolderView:
    """Place every record on the current batch's row of its member.

    Records without a key (written before keys existed) can be placed by row number only when
    the batch is the very one they were written for (`same_batch`)."""
    keys = batch_keys(batch, salt) if salt else {}
    row_of_key = {key: row for row, (key, _) in keys.items() if key}
    view = FolderView()
    latest_by_key: dict[str, RunRecord] = {}
    sent_digest: dict[int, str | None] = {}
    for rec in records:
        if rec.key is not None:
            latest_by_key[rec.key] = rec
            row = row_of_key.get(rec.key)
        else:
            row = rec.row if same_batch else None
        if row is None:
            continue
        view.last[row] = rec.model_copy(update={"row": row})
        view.attempts[row] = max(view.attempts.get(row, 0), rec.attempt)
        if rec.form:
            view.forms[row] = rec.form
        if rec.status == Status.submitting:
            view.first_submitting.setdefault(row, dt.datetime.fromisoformat(rec.ts))
            sent_digest[row] = rec.digest
        elif rec.status in FINAL_OK and rec.digest is not None:
            sent_digest.setdefault(row, rec.digest)
    view.shared = sum(1 for key in row_of_key if key in latest_by_key) or (len(view.last) if same_batch else 0)
    for key, rec in latest_by_key.items():
        if key not in row_of_key:
            view.removed.append(Removed(row=rec.row, member=rec.member, status=rec.status))
    for row, rec in view.last.items():
        digest = keys.get(row, (None, None))[1]
        was = sent_digest.get(row)
        if rec.status in FINAL_OK and was is not None and digest is not None and was != digest:
            view.edited_done.append(row)
    view.removed.sort(key=lambda r: r.row)
    view.edited_done.sort()
    return view
