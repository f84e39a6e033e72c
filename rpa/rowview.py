"""A batch row joined with what the run log says about it: what report.html and `rpa status` show.

    build_views(batch, last, forms=…)   every row of the batch, in sheet order
    views_from_log(last)                 the logged rows only (the batch file is gone or changed)
    forms_from(records)                  each row's latest form read-back in run.jsonl

No full ID number leaves this module: the member is named by the masked ID, and every text from
the log or the batch goes through `scrub()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rpa.nextsteps import PENDING, row_step
from rpa.runlog import FINAL_NOT_OK, FINAL_OK, STATUS_LABELS, RunRecord, Status, mask_id, scrub
from rpa.vocabulary import Destination, Vocabulary, fold

PENDING_LABEL = "未办理"  # the label of a row with nothing logged yet (status PENDING)

# What a row's reason is when its last record carries no error message.
DEFAULT_REASONS = {
    PENDING: "尚未办理（运行在此行之前停止）。",
    Status.started.value: "运行停止时正在办理此行，未完成。",
    Status.filled.value: "表单已填写，尚未提交。",
    Status.submitting.value: "正在提交时运行停止，不确定门户是否收到。",
    Status.in_doubt.value: "已点击提交，但未收到门户答复。",
    Status.failed.value: "办理失败。",
    Status.invalid.value: "本行数据有误。",
    Status.duplicate.value: "门户提示：已有业务正在办理，不能重复发起。",
}
# The batch values shown when a row has no form read-back, under the batch's own headers.
BATCH_FIELDS = ("转出团支部", "手机号", "常用联系人联系方式", "转入组织是否属于北京/广东/福建", "转入省份", "备注")


@dataclass
class RowView:
    """A row as the report and the status command show it (no full ID)."""

    row: int
    name: str
    member: str  # masked ID
    destination: str  # 毕业去向 as in the batch
    reason_code: str  # 转出原因: the portal option the 毕业去向 maps to ("" when not submitted)
    study_type: str  # 升学类型, 升学 only
    stays: bool  # the 毕业去向 keeps the member at school: no 转出原因, no form
    target: str
    unit_name: str
    unit_address: str
    remark: str
    status: str  # Status value, or PENDING
    status_label: str
    tone: str  # ok / bad / pending
    error_kind: str  # the last record's error kind ("" when none)
    reason: str  # what happened, for a row that is not final-ok ("" otherwise)
    step: str  # what it means / what to do
    created_at: str = ""
    form: list[tuple[str, str]] = field(default_factory=list)  # (label, value) pairs
    form_source: str = ""  # "form": read back from the portal; "batch": the batch's values
    errors: list[str] = field(default_factory=list)  # validation errors of an invalid row
    screenshot: str | None = None
    trace: str | None = None

    @property
    def done(self) -> bool:
        return self.tone == "ok"


def forms_from(records: Iterable[RunRecord]) -> dict[int, dict[str, str]]:
    """The latest form read-back of every row that has one (records in log order)."""
    forms: dict[int, dict[str, str]] = {}
    for rec in records:
        if rec.form:
            forms[rec.row] = rec.form
    return forms


def build_views(
    batch: Any,
    last: Mapping[int, RunRecord],
    *,
    forms: Mapping[int, Mapping[str, str]] | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[RowView]:
    """Join the batch's rows with their last logged state.

    `forms` is each row's latest read-back (`forms_from(records)`); without it, the last record's
    own `form` is used, which is enough where the final record carries it."""
    if vocabulary is None:
        from rpa.vocabulary import load_vocabulary

        vocabulary = load_vocabulary()
    views = []
    for checked in batch.rows:
        record = last.get(checked.row)
        form = (forms or {}).get(checked.row) or (record.form if record else None)
        view = _from_record(checked.row, record, form, member="")
        _fill_from_batch(view, checked, vocabulary)
        if checked.errors and view.status == Status.invalid.value:
            view.errors = [_clean(e.message) for e in checked.errors]
        views.append(view)
    return views


def views_from_log(last: Mapping[int, RunRecord]) -> list[RowView]:
    """The logged rows alone, in row order (no names: the batch is not at hand)."""
    return [_from_record(row, rec, rec.form, member=rec.member or "") for row, rec in sorted(last.items())]


def _from_record(row: int, record: RunRecord | None, form: Mapping[str, str] | None, *, member: str) -> RowView:
    if record is None:
        status, label, tone, kind, message = PENDING, PENDING_LABEL, "pending", "", ""
    else:
        status, label = record.status.value, STATUS_LABELS[record.status]
        tone = "ok" if record.status in FINAL_OK else "bad" if record.status in FINAL_NOT_OK else "pending"
        kind = record.error.kind if record.error else ""
        message = record.error.message if record.error else ""
    reason = "" if tone == "ok" else _clean(message) or DEFAULT_REASONS.get(status, "")
    return RowView(
        row=row, name="", member=_clean(member), destination="", reason_code="", study_type="", stays=False,
        target="", unit_name="", unit_address="", remark="", status=status, status_label=label,
        tone=tone, error_kind=kind, reason=reason, step=_clean(row_step(status, kind, message)),
        created_at=_clean(record.created_at) if record else "",
        form=[(_clean(k), _clean(v)) for k, v in (form or {}).items()],
        form_source="form" if form else "",
        screenshot=record.screenshot if record else None,
        trace=record.trace if record else None,
    )


def _fill_from_batch(view: RowView, checked: Any, vocabulary: Vocabulary) -> None:
    """Name, 毕业去向 → 转出原因, target and unit from the batch row (typed, or raw if invalid)."""
    data, raw = checked.data, dict(getattr(checked, "raw", {}) or {})
    if data is not None:
        view.name, id_number = data.name, data.id_number
        destination = _destination(getattr(data.destination, "value", data.destination))
        if data.target_full_name:
            target = f"{data.province or ''} {data.target_full_name}".strip()
        else:
            target = " / ".join(data.target_path or [])
        study, unit_name, unit_address, remark = data.study_type, data.unit_name, data.unit_address, data.remark
    else:
        view.name, id_number = _text(raw.get("姓名")), _text(raw.get("身份证号"))
        destination = _destination(_text(raw.get("毕业去向")))
        target, study, remark = _text(raw.get("转入组织")), _text(raw.get("升学类型")), _text(raw.get("备注"))
        unit_name, unit_address = _text(raw.get("转入单位名称")), _text(raw.get("转入单位地址"))
    view.name = _clean(view.name)
    view.member = mask_id(id_number) if id_number else view.member
    if isinstance(destination, Destination):
        view.destination = destination.value
        rule = vocabulary.rule(destination)
        view.reason_code, view.stays = rule.reason or "", not rule.submitted
        if destination is Destination.STUDY:
            view.study_type = study or vocabulary.default_study_type
    else:
        view.destination = _clean(destination)
    view.target, view.remark = _clean(target), _clean(remark)
    view.unit_name, view.unit_address = _clean(unit_name), _clean(unit_address)
    if not view.form:
        view.form = [(h, _clean(_text(raw.get(h)))) for h in BATCH_FIELDS if _text(raw.get(h))]
        view.form_source = "batch"


def _destination(value: str) -> Destination | str:
    try:
        return Destination(fold(value))
    except ValueError:
        return value


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _clean(value: Any) -> str:
    return scrub(_text(value)) or ""
