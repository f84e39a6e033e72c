"""`report.html`: one page a secretary can read — what happened to every row, with its screenshot.

Jinja2 with autoescape on: every value from the batch or the portal is escaped, so a 姓名 such as
`<script>` shows as text. ID numbers appear masked only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rpa.files import write_private_text
from rpa.results import explain
from rpa.runlog import FINAL_NOT_OK, FINAL_OK, STATUS_LABELS, RunRecord, Status, mask_id, scrub

TEMPLATES = Path(__file__).parent / "templates"
MODE_LABELS = {"preview": "试运行（未提交）", "submit": "正式提交"}


@dataclass
class RowView:
    """A row as the report, the status command and the console show it (no full ID)."""

    row: int
    name: str
    member: str
    branch: str
    destination: str
    target: str
    remark: str
    status: str  # Status value, or "pending" when nothing is logged yet
    status_label: str
    tone: str  # ok / bad / pending
    created_at: str
    message: str
    errors: list[str] = field(default_factory=list)
    screenshot: str | None = None
    trace: str | None = None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def build_views(batch: Any, last: Mapping[int, RunRecord]) -> list[RowView]:
    """Join the batch's rows with their last logged state."""
    views = []
    for checked in batch.rows:
        data, raw = checked.data, dict(getattr(checked, "raw", {}) or {})
        record = last.get(checked.row)
        if data is not None:
            name, member, branch = data.name, mask_id(data.id_number), data.branch
            destination = getattr(data.destination, "value", data.destination)
            if data.target_full_name:
                target = f"{data.province or ''} {data.target_full_name}".strip()
            elif data.target_path:
                target = " / ".join(data.target_path)
            else:
                target = "—"
            remark = data.remark or ""
        else:
            name = _text(raw.get("姓名"))
            member = mask_id(_text(raw.get("身份证号")))
            branch = _text(raw.get("转出团支部"))
            destination = _text(raw.get("毕业去向"))
            target = _text(raw.get("转入组织")) or "—"
            remark = _text(raw.get("备注"))
        if record is None:
            status, label, tone = "pending", "未办理", "pending"
        else:
            status, label = record.status.value, STATUS_LABELS[record.status]
            tone = "ok" if record.status in FINAL_OK else "bad" if record.status in FINAL_NOT_OK else "pending"
        errors = [scrub(e.message) for e in checked.errors]
        message = explain(record)
        if errors and record is not None and record.status is Status.invalid:
            message = "请按下列提示改正名单，然后用新的输出目录重新运行："  # the errors follow
        views.append(
            RowView(
                row=checked.row,
                name=name,
                member=member,
                branch=branch,
                destination=_text(destination),
                target=scrub(target) or "",
                remark=scrub(remark) or "",
                status=status,
                status_label=label,
                tone=tone,
                created_at=(record.created_at or "") if record else "",
                message=scrub(message) or "",
                errors=errors,
                screenshot=record.screenshot if record else None,
                trace=record.trace if record else None,
            )
        )
    return views


def write_report(
    out: Path,
    views: list[RowView],
    *,
    mode: str,
    batch_name: str,
    finished: bool = True,
    note: str = "",
) -> Path:
    """Render report.html into `out` (atomically, mode 0600)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    counts = Counter(v.status for v in views)
    summary = [
        {"status": s.value, "label": STATUS_LABELS[s], "count": counts[s.value],
         "tone": "ok" if s in FINAL_OK else "bad" if s in FINAL_NOT_OK else "pending"}
        for s in Status
        if counts[s.value]
    ]
    if counts["pending"]:
        summary.append({"status": "pending", "label": "未办理", "count": counts["pending"], "tone": "pending"})
    html = env.get_template("report.html.j2").render(
        views=views,
        summary=summary,
        total=len(views),
        ok=sum(1 for v in views if v.tone == "ok"),
        need_person=sum(1 for v in views if v.tone != "ok"),
        mode_label=MODE_LABELS.get(mode, mode),
        mode=mode,
        batch_name=batch_name,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        finished=finished,
        note=note,
    )
    path = out / "report.html"
    write_private_text(path, html)
    return path
