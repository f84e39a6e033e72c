"""The exception tree of zhtj-rpa.

    RpaError                      base; `message` is Chinese and says how to fix
    ├── ConfigError               bad settings, job file or selector catalog (exit 2)
    │   ├── CredentialsMissing    no account or password and no saved session: rpa init / rpa login
    │   └── CatalogDrift          the portal differs from the catalog where a run needs it
    │                             (`rpa check`'s quick mode, before any row)
    ├── BatchFileError            the workbook can't be read at all (exit 2)
    ├── BusinessError             the row is wrong for the portal: never retried
    │   ├── OrgNotFound           a level of the target path is missing under its parent
    │   ├── MemberNotFound        the member is not in the chosen branch
    │   ├── DuplicateApplication  "已有业务正在办理，不能重复发起"
    │   ├── FieldMismatch         the form read back differs from the row
    │   └── PortalRejected        the portal refused the application (retCode 1001, not transient)
    ├── TransientError            worth another try of the same step
    │   ├── PortalBusy            HTTP 5xx, retCode 1001 "系统繁忙"
    │   ├── PortalTimeout         navigation / locator / answer timeout
    │   └── AnswerLost            submit clicked, no answer seen (the row is in doubt)
    ├── SessionExpired            1009 (JSON or plain text) or a redirect to sign-in: log in again
    │   └── CaptchaRequired       can't log in unattended: run `rpa login`
    ├── UnexpectedPage            the portal shows a page the tool didn't expect (a WAF or
    │   │                         verification page, a changed portal): stop before any row
    │   │                         (exit 2), a screenshot saved
    │   └── PasswordChangeRequired  first sign-in: the portal demands a new password first
    ├── PortalUnreachable         the portal can't be reached at all (exit 2)
    └── OutputLocked              an output file is open in Excel: saved beside it instead
"""

from __future__ import annotations

from pathlib import Path


class RpaError(Exception):
    """Base of every error the tool raises on purpose."""

    kind = "error"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def as_record(self) -> dict[str, str]:
        """The `{kind, message}` form written to run.jsonl."""
        return {"kind": self.kind, "message": self.message}


class ConfigError(RpaError):
    kind = "config"


class CredentialsMissing(ConfigError):
    kind = "credentials_missing"


class CatalogDrift(ConfigError):
    """The portal differs from the catalog in an entry the run needs (found by the quick check
    before any row); the message names each entry, its candidate and the line to edit."""

    kind = "catalog_drift"


class BatchFileError(RpaError):
    kind = "batch_file"


class BusinessError(RpaError):
    """The row can't go through as it is; a person must fix it. Never retried."""

    kind = "business"


class OrgNotFound(BusinessError):
    kind = "org_not_found"

    def __init__(self, parent: str, missing: str, available: list[str]) -> None:
        shown = "、".join(available[:30]) + ("……" if len(available) > 30 else "")
        super().__init__(
            f"在“{parent}”下找不到“{missing}”。该级下现有：{shown or '（无下级组织）'}。"
            "请按隶属关系核对转入组织路径（如三峡大学团委在团湖北省委下）。",
            parent=parent,
            missing=missing,
            available=available,
        )


class MemberNotFound(BusinessError):
    kind = "member_not_found"


class DuplicateApplication(BusinessError):
    kind = "duplicate"


class FieldMismatch(BusinessError):
    kind = "field_mismatch"


class PortalRejected(BusinessError):
    kind = "rejected"


class TransientError(RpaError):
    """A step failed for a reason that may pass: retry the step."""

    kind = "transient"


class PortalBusy(TransientError):
    kind = "busy"


class PortalTimeout(TransientError):
    kind = "timeout"


class AnswerLost(TransientError):
    kind = "answer_lost"


class SessionExpired(RpaError):
    kind = "session_expired"


class CaptchaRequired(SessionExpired):
    kind = "captcha_required"


class UnexpectedPage(RpaError):
    """The portal showed something else than the page the tool was going to. Context: `seen`
    (what was recognised, or None), `expected`, `url`, `screenshot` (a path, or None)."""

    kind = "unexpected_page"


class PasswordChangeRequired(UnexpectedPage):
    kind = "password_change_required"


class PortalUnreachable(RpaError):
    kind = "unreachable"


class OutputLocked(RpaError):
    """An output file could not be replaced (open in Excel or WPS, which lock it on Windows);
    its new content was saved beside it (`beside`)."""

    kind = "output_locked"

    def __init__(self, path: Path, beside: Path) -> None:
        super().__init__(
            f"{path.name} 正被其他程序（如 Excel、WPS）打开，无法覆盖；这次的内容已另存为 {beside.name}。"
            f"请关闭 {path.name}，之后的运行会把它更新。",
            path=path, beside=beside,
        )
        self.path, self.beside = path, beside
