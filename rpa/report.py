"""`report.html`: the page a secretary signs off — every row with the values the portal's form
held, its 转出原因 beside its 毕业去向, and its screenshot large enough to read.

    views = build_views(batch, last, forms=forms_from(records))    (rpa.rowview)
    write_report(out, views, mode="preview", batch_name="名单.xlsx", finished=True)

One self-contained file (styles and script inline, no external resource), so it opens from disk.
Jinja2 with autoescape on: every value from the batch or the portal is escaped, so a 姓名 such as
`<script>` shows as text. ID numbers appear masked only; the file is written 0600.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rpa.files import write_private_text
from rpa.nextsteps import PENDING, advice, needs_person, row_step
from rpa.rowview import RowView, build_views, forms_from
from rpa.runlog import Status

__all__ = ["MODE_LABELS", "RowView", "Tile", "build_views", "forms_from", "tiles", "write_report"]

TEMPLATES = Path(__file__).parent / "templates"
MODE_LABELS = {"preview": "试运行（未提交任何申请）", "submit": "正式提交"}

# Which tile a row counts under (its status → group); the tiles filter the table by group.
GROUPS = {
    Status.submitted.value: "submitted", Status.previewed.value: "previewed",
    Status.retained.value: "retained", Status.skipped.value: "skipped", Status.invalid.value: "invalid",
    Status.failed.value: "failed", Status.duplicate.value: "duplicate",
    Status.submitting.value: "in_doubt", Status.in_doubt.value: "in_doubt",
    Status.started.value: "unfinished", Status.filled.value: "unfinished", PENDING: "pending",
}
# The tile of the rows that went well: a preview never shows 已提交, a submit never 已预览.
DONE_TILE = {"preview": ("previewed", "已预览（未提交）"), "submit": ("submitted", "已提交")}
# Shown always, so a zero is seen as a zero.
STANDING_TILES = (("retained", "保留在校", "info"), ("skipped", "未审批", "info"), ("invalid", "数据有误", "bad"))
# Shown only when some row is in them.
OTHER_TILES = (("failed", "失败", "bad"), ("duplicate", "已有业务在办理", "bad"), ("in_doubt", "待核实", "bad"),
               ("unfinished", "未完成", "pending"), ("pending", "未办理", "pending"))


@dataclass(frozen=True)
class Tile:
    """One counter above the table; clicking it shows only its rows."""

    key: str  # "all", "need", or a group of GROUPS
    label: str
    count: int
    tone: str  # ok / bad / pending / info / need


def tiles(views: list[RowView], mode: str, *, finished: bool = True) -> list[Tile]:
    """The counters for this mode: 全部, the done tile of the mode, 需要处理, then the others."""
    groups = Counter(GROUPS[v.status] for v in views)
    done_key, done_label = DONE_TILE.get(mode, DONE_TILE["submit"])
    need = sum(1 for v in views if needs_person(v, finished=finished))
    out = [Tile("all", "全部", len(views), "info"), Tile(done_key, done_label, groups[done_key], "ok"),
           Tile("need", "需要处理", need, "need")]
    out += [Tile(key, label, groups[key], tone) for key, label, tone in STANDING_TILES]
    for key, label, tone in OTHER_TILES:
        if groups[key]:
            if not finished and key in ("unfinished", "pending"):
                label = "办理中" if key == "unfinished" else "尚未办理"
            out.append(Tile(key, label, groups[key], tone))
    return out


def write_report(
    out: Path,
    views: list[RowView],
    *,
    mode: str,
    batch_name: str,
    finished: bool = True,
    note: str = "",
    stop_kind: str = "",
) -> Path:
    """Render report.html into `out` (atomically, mode 0600).

    `finished=False` while the run is still going (or was killed): rows not reached yet are
    waiting, not a problem. `note` is why the run stopped early; `stop_kind` its error kind."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    if not finished:  # a row waiting for its turn says so, instead of "run rpa retry"
        views = [v if needs_person(v, finished=False) or v.done
                 else dataclasses.replace(v, reason="", step=row_step(v.status, v.error_kind, finished=False))
                 for v in views]
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("report.html.j2").render(
        views=views,
        groups=GROUPS,
        need={v.row for v in views if needs_person(v, finished=finished)},
        tiles=tiles(views, mode, finished=finished),
        advice=advice(views, mode=mode, out=out, batch_name=batch_name, finished=finished, stop_kind=stop_kind),
        mode=mode,
        mode_label=MODE_LABELS.get(mode, mode),
        batch_name=batch_name,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        finished=finished,
        note=note,
    )
    path = out / "report.html"
    write_private_text(path, html)
    return path
