"""Catalog entries and what the check found for each: found, different, missing, unchecked.

    checks = Checks(catalog)
    checks.found("menu.transfers", "center")
    checks.absent("transfer.labels.reason", "form", candidates)   # different / missing
    checks.unchecked("messages.submitted", "other", "只在提交后出现")
    results = checks.finish(needed)        # every entry of the catalog, in the report's order

An entry is "different" when the portal shows something close instead (a renamed label: the
best candidate at least `SAME_THING` alike; another page path; the other widget strategy), and
"missing" when nothing close is there. Both are drift. "unchecked": a read-only walk can't see
it (a message shown after 提交, the captcha when the portal asks none) or the walk didn't get
that far. Each result carries the catalog line it came from and the one-line edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from rpa.check.candidates import SAME_THING, Candidate
from rpa.check.lines import CatalogPlaces, Place, display_path
from rpa.catalog import LOCATOR_KINDS, SCHEMA

if TYPE_CHECKING:
    from rpa.catalog import Catalog


class Status(str, Enum):
    FOUND = "found"
    DIFFERENT = "different"
    MISSING = "missing"
    UNCHECKED = "unchecked"


STATUS_LABELS = {Status.FOUND: "找到", Status.DIFFERENT: "不同", Status.MISSING: "未找到", Status.UNCHECKED: "未核对"}
DRIFT = (Status.DIFFERENT, Status.MISSING)

# The report's sections: the pages of the walk, in its order (id, title).
SECTIONS = (
    ("signin", "登录页"),
    ("personal", "个人首页和顶栏"),
    ("center", "管理中心和左侧菜单"),
    ("transfers", "组织关系转接办理"),
    ("member", "办理转出：选择转出人"),
    ("form", "办理转出：转接申请表单"),
    ("org", "办理转出：申请转入组织"),
    ("approvals", "组织关系审批"),
    ("api", "门户接口"),
    ("other", "其他：通用部件、提示文字"),
)
SECTION_TITLES = dict(SECTIONS)
# Sections of the catalog not compared with the portal: the check's own settings, and the names
# messages give the pages.
NOT_ENTRIES = ("check", "landmarks.names")


def _default_section(section: str, key: str) -> str:
    """The report section of an entry the walk never reached."""
    if section == "menu":
        return {"business": "center", "transfers": "center", "approvals": "center",
                "transfer_out": "transfers"}.get(key, "personal")
    if section in ("pages", "landmarks"):
        return {"transfer_out": "member", "change_password": "other"}.get(key, key)
    if section == "signin":
        return "signin"
    if section == "member_picker" or (section == "strategies" and key == "member_picker"):
        return "member"
    if section == "org_picker" or section == "strategies":
        return "org"
    if section.startswith(("transfer.", "options.")) or section == "transfer":
        return "form"
    if section.startswith(("approvals", "transfers")):
        return section.split(".")[0]
    if section.startswith("api"):
        return "api"
    return "other"


def expected_text(value: Any) -> str:
    """What a catalog value says, as text: a locator's text (or its CSS), a text, a list."""
    if isinstance(value, dict):
        for kind in ("name", "has_text", "text", "field", "placeholder", "alt"):
            if kind in value:
                return str(value[kind])
        return str(value.get("css", ""))
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def has_text(value: Any) -> bool:
    """Whether a catalog value names a text on the page (a pure CSS locator doesn't)."""
    return not isinstance(value, dict) or any(k in value for k in LOCATOR_KINDS + ("name", "has_text") if k != "css")


@dataclass
class Result:
    """What the check found for one catalog entry."""

    key: str  # dotted: "transfer.labels.reason"
    section: str  # a SECTIONS id
    status: Status
    expected: str  # what the catalog says
    seen: str | None = None  # what the portal shows instead, when known
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""
    needed: bool = False  # a preview/submit run needs it
    place: Place | None = None
    edit: str | None = None  # the line as it should read

    @property
    def drift(self) -> bool:
        return self.status in DRIFT

    def message(self) -> str:
        """One sentence for the console and a refused run: what, where, the edit."""
        what = f"{SECTION_TITLES[self.section]}：{self.key}（目录写的是“{self.expected}”）"
        if self.status is Status.MISSING:
            text = f"{what}在门户上没有找到"
        else:
            best = self.candidates[0] if self.candidates and self.candidates[0].text == self.seen else None
            text = f"{what}与门户不同，门户上是“{self.seen}”" + (f"（相似度 {best.percent}%）" if best else "")
        others = [c for c in self.candidates if c.text != self.seen]
        if others:
            text += "；相近的有：" + "、".join(f"“{c.text}”（{c.percent}%）" for c in others)
        if self.note:
            text += f"；{self.note}"
        if self.place is not None and self.edit:
            text += f"。请修改 {self.place.shown}：{self.place.text.strip()} → {self.edit}"
        elif self.place is not None:
            advice = "办理用得到它，请把检查报告发给维护者" if self.needed else "办理用不到它，可以先不改，请把检查报告告知维护者"
            text += f"。目录位置：{self.place.shown}（{advice}）"
        return text + "。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "section": self.section, "status": self.status.value,
            "status_label": STATUS_LABELS[self.status], "expected": self.expected, "seen": self.seen,
            "candidates": [c.as_dict() for c in self.candidates], "note": self.note, "needed": self.needed,
            "file": display_path(self.place.file) if self.place else None, "line": self.place.line if self.place else None,
            "where": self.place.shown if self.place else None,
            "line_text": self.place.text.strip() if self.place else None, "edit": self.edit,
        }


class Checks:
    """The results, entry by entry, as the walk finds them (the first word on an entry stands,
    except that a found entry is never turned back to unchecked)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.results: dict[str, Result] = {}
        self.places = CatalogPlaces(catalog)

    def value(self, dotted: str) -> Any:
        section, key = dotted.rsplit(".", 1)
        return self.catalog.data[section][key]

    def status(self, dotted: str) -> Status | None:
        result = self.results.get(dotted)
        return result.status if result else None

    def _set(self, result: Result) -> Result:
        old = self.results.get(result.key)
        if old is None or old.status is Status.UNCHECKED:
            self.results[result.key] = result
            return result
        return old

    def found(self, dotted: str, section: str, note: str = "") -> Result:
        return self._set(Result(dotted, section, Status.FOUND, expected_text(self.value(dotted)), note=note))

    def absent(self, dotted: str, section: str, candidates: list[Candidate] | None = None, note: str = "") -> Result:
        """Not on the page as the catalog says: different when a close candidate is there."""
        candidates = candidates or []
        best = candidates[0] if candidates and candidates[0].score >= SAME_THING else None
        status = Status.DIFFERENT if best else Status.MISSING
        return self._set(Result(dotted, section, status, expected_text(self.value(dotted)),
                                seen=best.text if best else None, candidates=candidates, note=note))

    def differs(self, dotted: str, section: str, seen: str, note: str = "") -> Result:
        """Found, but the portal shows `seen` where the catalog says otherwise (a path, a strategy)."""
        return self._set(Result(dotted, section, Status.DIFFERENT, expected_text(self.value(dotted)),
                                seen=seen, note=note))

    def unchecked(self, dotted: str, section: str, note: str) -> Result:
        return self._set(Result(dotted, section, Status.UNCHECKED, expected_text(self.value(dotted)), note=note))

    def check(self, dotted: str, section: str, ok: bool, candidates: list[Candidate] | None = None) -> bool:
        if ok:
            self.found(dotted, section)
        else:
            self.absent(dotted, section, candidates)
        return ok

    def renamed(self, dotted: str) -> str | None:
        """The text the portal shows for an entry that reads "different" (else None)."""
        result = self.results.get(dotted)
        return result.seen if result is not None and result.status is Status.DIFFERENT else None

    def finish(self, needed: set[str], only: set[str] | None = None) -> list[Result]:
        """Every entry of the catalog (or of `only`), in report order, with places and edits."""
        results = []
        for section, keys in self.catalog.data.items():
            if section in NOT_ENTRIES or section == "options":
                continue
            names = SCHEMA.get(section, keys)
            for key in names if section in SCHEMA else keys:
                dotted = f"{section}.{key}"
                if only is not None and dotted not in only:
                    continue
                result = self.results.get(dotted) or Result(
                    dotted, _default_section(section, key), Status.UNCHECKED,
                    expected_text(self.value(dotted)), note="本次检查没有走到这里")
                result.needed = dotted in needed
                result.place = self.places.of(dotted)
                if result.drift and result.seen is not None and result.place is not None:
                    result.edit = result.place.edit(result.expected, result.seen)
                results.append(result)
        order = {sid: i for i, (sid, _) in enumerate(SECTIONS)}
        return sorted(results, key=lambda r: order[r.section])  # (stable: catalog order within a section)

