"""The run log: `run.jsonl` (one record per state change) and its sidecar `run.json`.

`run.jsonl` is the truth about a run. It is append-only; every record is flushed and fsynced
before the tool goes on, so a crash loses at most the record being written. A crash in the
middle of a write leaves a torn last line: reading ignores it, and opening the log for appending
cuts it off first (it was never a complete record, so nothing is lost).

`run.json` says which batch (path and sha256), which mode and which settings the run used —
never the password — so that resuming with a changed batch is refused.

Personal data: a record names the member by the masked ID only; every message written here goes
through `scrub()`, which masks anything that looks like an ID number.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rpa.errors import ConfigError, RpaError
from rpa.files import open_private_append, write_private_text

LOG_NAME = "run.jsonl"
META_NAME = "run.json"

# An 18-character mainland ID number anywhere in a text (not inside a longer run of digits).
ID_IN_TEXT_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")


class Status(str, enum.Enum):
    """Every state a row can be in. The first seven are final (SPEC §5)."""

    submitted = "submitted"
    previewed = "previewed"
    retained = "retained"
    skipped = "skipped"
    invalid = "invalid"
    duplicate = "duplicate"
    failed = "failed"
    # In progress: a crash can leave a row in one of these.
    started = "started"
    filled = "filled"
    submitting = "submitting"  # written just before 提交 is clicked
    in_doubt = "in_doubt"  # clicked, no answer seen

    @property
    def label(self) -> str:
        """The Chinese word a secretary reads."""
        return STATUS_LABELS[self]


FINAL_OK = frozenset({Status.submitted, Status.previewed, Status.retained, Status.skipped})
FINAL_NOT_OK = frozenset({Status.invalid, Status.duplicate, Status.failed})
FINAL = FINAL_OK | FINAL_NOT_OK
# A row whose last state is one of these may have an application in the portal already:
# look in the portal's history before anything else is done with it.
MAYBE_SENT = frozenset({Status.submitting, Status.in_doubt})

STATUS_LABELS = {
    Status.submitted: "已提交",
    Status.previewed: "已预览",
    Status.retained: "保留在校（已入登记册）",
    Status.skipped: "未审批，已跳过",
    Status.invalid: "数据有误",
    Status.duplicate: "已有业务在办理",
    Status.failed: "失败",
    Status.started: "办理中（未完成）",
    Status.filled: "已填写（未完成）",
    Status.submitting: "提交中（待核实）",
    Status.in_doubt: "待核实",
}


def mask_id(id_number: str) -> str:
    """`371402199901011234` → `3714**********1234` (the form the portal itself shows)."""
    s = str(id_number or "")
    if len(s) <= 8:
        return "*" * len(s)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def scrub(text: str | None, secrets: tuple[str, ...] = ()) -> str | None:
    """Mask every ID number in `text` and blank out any of `secrets` (e.g. the password)."""
    if text is None:
        return None
    out = ID_IN_TEXT_RE.sub(lambda m: mask_id(m.group(0)), str(text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "******")
    return out


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


class ErrorInfo(BaseModel):
    """What went wrong: the error family (`kind`, from rpa.errors) and a Chinese message."""

    kind: str
    message: str

    @classmethod
    def of(cls, exc: BaseException, secrets: tuple[str, ...] = ()) -> "ErrorInfo":
        if isinstance(exc, RpaError):
            kind, message = exc.kind, exc.message
        else:
            kind, message = type(exc).__name__, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return cls(kind=kind, message=scrub(message, secrets) or "")


class RunRecord(BaseModel):
    """One line of run.jsonl: a row entered `status`."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)

    ts: str
    row: int
    status: Status
    attempt: int = 0
    error: ErrorInfo | None = None
    screenshot: str | None = None  # relative to DIR
    member: str | None = None  # masked ID number
    created_at: str | None = None  # 申请时间 as the portal answered
    trace: str | None = None  # relative to DIR, failures only
    # The transfer form as read back after filling: label as the portal shows it → value as
    # shown (the ID number masked, as the portal shows it). On previewed/filled/submitted.
    form: dict[str, str] | None = None
    # The member within this folder (rpa.members: a keyed hash of the ID number) and a digest of
    # the row's values: a corrected batch goes on in the same folder by member.
    key: str | None = None
    digest: str | None = None

    def to_line(self) -> str:
        data = self.model_dump(mode="json")
        for key in ("created_at", "trace", "form", "key", "digest"):  # optional extras stay out when empty
            if data[key] is None:
                del data[key]
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class RunLog:
    """Appends records to run.jsonl, one fsynced line each; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _cut_torn_tail(path)
        self._file = open_private_append(path)
        self._lock = threading.Lock()

    def append(self, record: RunRecord) -> RunRecord:
        line = record.to_line() + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        return record

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cut_torn_tail(path: Path) -> None:
    """If the last line has no newline (a crash mid-write), cut it off."""
    try:
        with open(path, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            # Find the last newline; everything after it is the torn record.
            pos = size
            chunk = 4096
            keep = 0
            while pos > 0:
                start = max(0, pos - chunk)
                f.seek(start)
                data = f.read(pos - start)
                idx = data.rfind(b"\n")
                if idx >= 0:
                    keep = start + idx + 1
                    break
                pos = start
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())
    except FileNotFoundError:
        return


@dataclass
class LogContents:
    """run.jsonl as read: its records, and where its history can't be read.

    A torn line (a crash mid-write) or a garbled one (a damaged disk, an edit by hand) may have
    been any state change — `submitting` among them. So the rows it may belong to are in doubt
    (`doubtful_rows`, the row number read from the damaged line where it still shows one), and
    when no row number can be read at all, every row is (`doubtful_all`)."""

    records: list[RunRecord] = field(default_factory=list)
    doubtful_rows: set[int] = field(default_factory=set)
    doubtful_all: bool = False

    def in_doubt(self, row: int) -> bool:
        return self.doubtful_all or row in self.doubtful_rows


_ROW_IN_LINE = re.compile(rb'"row"\s*:\s*(\d+)')


def read_log(path: Path) -> LogContents:
    """Every complete record of run.jsonl, in order, and the rows a damaged line may belong to."""
    log = LogContents()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return log
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            log.records.append(RunRecord.model_validate(json.loads(line.decode("utf-8"))))
        except (ValueError, ValidationError):
            found = _ROW_IN_LINE.search(line)
            if found:
                log.doubtful_rows.add(int(found.group(1)))
            else:
                log.doubtful_all = True
    return log


def read_records(path: Path) -> list[RunRecord]:
    """Every complete record of run.jsonl, in order. A torn or garbled line is skipped."""
    return read_log(path).records


def first_submitting(records: list[RunRecord]) -> dict[int, dt.datetime]:
    """When each row was first about to be submitted (its first `submitting` record)."""
    out: dict[int, dt.datetime] = {}
    for rec in records:
        if rec.status == Status.submitting and rec.row not in out:
            out[rec.row] = dt.datetime.fromisoformat(rec.ts)
    return out


def last_states(records: list[RunRecord]) -> dict[int, RunRecord]:
    """The latest record of every row."""
    last: dict[int, RunRecord] = {}
    for rec in records:
        last[rec.row] = rec
    return last


def last_attempts(records: list[RunRecord]) -> dict[int, int]:
    """The highest attempt number logged for every row (so a resumed row counts on)."""
    out: dict[int, int] = {}
    for rec in records:
        out[rec.row] = max(out.get(rec.row, 0), rec.attempt)
    return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


class RunMeta(BaseModel):
    """`run.json`: what a run directory belongs to."""

    batch_path: str
    batch_sha256: str
    mode: str
    started_at: str
    settings: dict[str, Any] = {}
    runs: list[dict[str, Any]] = []
    # The salt of the members' keys (rpa.members); None in folders made before keys existed.
    member_salt: str | None = None
    batches: list[dict[str, Any]] = []  # every version of the batch the folder has run

    @classmethod
    def load(cls, out: Path) -> "RunMeta | None":
        path = out / META_NAME
        if not path.exists():
            return None
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValueError, ValidationError):
            raise ConfigError(
                f"输出目录中的 {META_NAME} 已损坏，无法确定本次运行对应的名单。"
                "请换一个新的输出目录重新运行。"
            ) from None

    def save(self, out: Path) -> None:
        write_private_text(out / META_NAME, self.model_dump_json(indent=2))


def settings_summary(settings: Any) -> dict[str, Any]:
    """The settings worth remembering with a run — never the password, the account masked."""
    return {
        "portal_url": settings.portal_url,
        "username": mask_id(settings.username) if settings.username else "",
        "concurrency": settings.concurrency,
        "min_interval_s": settings.min_interval_s,
        "max_attempts": settings.max_attempts,
        "circuit_breaker": settings.circuit_breaker,
        "timeout_ms": settings.timeout_ms,
        "headless": settings.headless,
        "graduation_date": str(settings.graduation_date),
    }
