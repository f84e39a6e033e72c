"""The check's report: DIR/check.json, DIR/check.html (one page a secretary can read), the
console summary in Chinese, and DIR/capture.zip with --capture (capture.py).

check.html is Jinja2 with autoescape: every text from the portal is escaped. The screenshots
sit beside it in DIR/check-shots/ (every non-label text masked). Neither file holds the account
or any member's data: the candidates are screened (candidates.Privacy).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.check.entries import DRIFT, SECTIONS, STATUS_LABELS, Status
from rpa.check.lines import display_path
from rpa.check.traffic import quote_troubles
from rpa.files import write_private_text

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.check import CheckOutcome
    from rpa.check.walk import Walk
    from rpa.config import Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MARKS = {True: "✓", False: "✗", None: "—"}
SEND = ("请把 check.json 和 capture.zip（用 rpa check --capture 生成）发给本工具的维护者。"
        "这两个文件不含姓名、身份证号、手机号等个人信息；截图中除标签、按钮外的文字都已遮盖。")


def _section_counts(outcome: CheckOutcome):
    """(id, title, entries, counts by status, ok) for each section with entries; ok is False on
    any drift, True when something was found, None when nothing could be seen."""
    for sid, title in SECTIONS:
        entries = [r for r in outcome.results if r.section == sid]
        if entries:
            counts = Counter(r.status for r in entries)
            ok = False if sum(counts[s] for s in DRIFT) else (True if counts[Status.FOUND] else None)
            yield sid, title, entries, counts, ok


def _sections(outcome: CheckOutcome, walk: Walk | None, out: Path) -> list[dict[str, Any]]:
    shots = {}
    for visit in walk.visits if walk is not None else []:
        if visit.shot:
            shots.setdefault(visit.section, os.path.relpath(visit.shot, out))
    sections = []
    for sid, title, entries, counts, ok in _section_counts(outcome):
        sections.append({
            "id": sid, "title": title, "ok": ok, "mark": MARKS[ok],
            "counts": {s.value: counts[s] for s in Status}, "shot": shots.get(sid),
            "entries": [r.as_dict() for r in entries],
        })
    return sections


def report_data(outcome: CheckOutcome, walk: Walk | None, settings: Settings, out: Path) -> dict[str, Any]:
    counts = Counter(r.status for r in outcome.results)
    catalog = walk.catalog if walk is not None else None
    drift = [r for r in outcome.results if r.drift]
    return {
        "portal": settings.portal_url,
        "catalog": display_path(catalog.path) if catalog else None,
        "overlay": display_path(catalog.overlay) if catalog and catalog.overlay else None,
        "checked_at": dt.datetime.now().isoformat(timespec="seconds"),
        "seconds": round(outcome.seconds, 1),
        "exit_code": outcome.exit_code,
        "stopped": outcome.stopped,
        "counts": {s.value: counts[s] for s in Status},
        "needed_drift": sum(1 for r in drift if r.needed),
        "sections": _sections(outcome, walk, out),
        "edits": [{"key": r.key, "where": r.place.shown if r.place else None, "line": r.place.line if r.place else None,
                   "line_text": r.place.text.strip() if r.place else None, "edit": r.edit, "needed": r.needed,
                   "message": r.message()} for r in drift],
        "blocked_calls": outcome.blocked,
        "troubles": outcome.troubles,
        "send": SEND,
    }


def write_report(outcome: CheckOutcome, walk: Walk, settings: Settings, out: Path, *, capture: bool) -> dict[str, Path]:
    """Write check.json, check.html (and capture.zip); their paths by name."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    data = report_data(outcome, walk, settings, out)
    files = {"json": out / "check.json", "html": out / "check.html"}
    write_private_text(files["json"], json.dumps(data, ensure_ascii=False, indent=2))
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    html = env.get_template("check.html.j2").render(data=data, labels={s.value: STATUS_LABELS[s] for s in Status})
    write_private_text(files["html"], html)
    if capture:
        from rpa.check.capture import write_capture

        files["capture"] = write_capture(out / "capture.zip", walk, data)
    return files


def print_summary(outcome: CheckOutcome, settings: Settings, console: Console) -> None:
    """Each section with ✓/✗ and its counts, then what to edit, then where the report is."""
    from rich.markup import escape

    counts = Counter(r.status for r in outcome.results)
    console.print(f"[bold]门户检查[/bold]：{escape(settings.portal_url)}（用时 {outcome.seconds:.1f} 秒）")
    marks = {False: "[red]✗[/red]", True: "[green]✓[/green]", None: "—"}
    for _sid, title, _entries, c, ok in _section_counts(outcome):
        mark = marks[ok]
        parts = [f"{STATUS_LABELS[s]} {c[s]}" for s in Status if c[s]]
        console.print(f"  {mark} {title}：{'，'.join(parts)}")
    if outcome.stopped:
        console.print(f"[red]检查没有走完：{escape(outcome.stopped)}[/red]")
    if outcome.troubles:
        console.print(f"[yellow]检查时门户接口出错 {len(outcome.troubles)} 次（{escape(quote_troubles(outcome.troubles))}）："
                      "标为“未找到”的条目可能只是因此没看到，请稍后重新检查。[/yellow]")
    drift = [r for r in outcome.results if r.drift]
    if drift:
        console.print(f"[bold red]与门户不一致的条目（{len(drift)} 项）：[/bold red]")
        for i, r in enumerate(drift, 1):
            flag = "（办理需要）" if r.needed else ""
            console.print(f"  {i}. {flag}{escape(r.message())}")
        if any(r.needed for r in drift):
            console.print("[yellow]在改好之前，rpa preview / rpa submit 会拒绝开始。[/yellow]")
    elif not outcome.stopped:
        console.print(f"[green]门户与选择器目录一致：找到 {counts[Status.FOUND]} 项，"
                      f"另有 {counts[Status.UNCHECKED]} 项只读检查看不到（见报告）。[/green]")
    for name, label in (("html", "检查报告"), ("json", "检查结果（JSON）"), ("capture", "给维护者的页面结构包")):
        if name in outcome.files:
            console.print(f"{label}：{escape(str(outcome.files[name]))}")
    if outcome.exit_code != 0:
        console.print(f"[yellow]{escape(SEND)}[/yellow]")
