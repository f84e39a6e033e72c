"""DIR/capture.zip: what the maintainers need to bring the catalog to the real portal, and
nothing that identifies a person.

    README.txt             what is inside (Chinese)
    check.json             the check's results (candidates already screened)
    pages/NN-section.txt   each page's DOM outline: tags, classes, roles, ids, labels,
                           placeholders, button texts; every other text as ‹文字:N›, every
                           input value as ‹值:N›, a title or aria-label likewise
    api.json               every API call: path, form field names, the answer's code and shape
                           (keys and types, never a value); the calls blocked
    shots/NN-section.png   the screenshots, every non-label text and every input masked

Even a label-like text is replaced when it holds a value from the portal's answers (a name, an
ID number, an org…) or a run of digits (candidates.Privacy): the outline keeps the portal's
words, not its data.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.check.candidates import Privacy
from rpa.files import atomic_output

if TYPE_CHECKING:
    from rpa.check.walk import Walk

README = """zhtj-rpa 门户检查：给维护者的页面结构包
========================================
pages/   每个页面的结构：标签、元素类型、class、role、占位文字、按钮文字。
         其余文字一律换成“‹文字:长度›”，输入框的内容换成“‹值:长度›”。
api.json 页面调用的接口：路径、表单字段名、应答的结构（只有键名和类型，没有任何值）。
shots/   截图：除标签、按钮外的文字和所有输入框都已遮盖。
check.json 检查结果。
本文件不含姓名、身份证号、手机号等个人信息。
"""
# Attributes that may carry data (a tooltip with a cell's text, an aria-label with a name).
TEXT_ATTRS = ("title", "aria-label", "alt", "name")


def screen(text: str, privacy: Privacy, kind: str = "文字") -> str:
    """A kept text, or its kind and length when it may be a person's data."""
    return f"‹{kind}:{len(text)}›" if privacy.hides(text) else text


def outline_lines(items: list[dict[str, Any]], privacy: Privacy) -> list[str]:
    """The outline as text, one element a line, indented by depth; every text screened."""
    lines = []
    for item in items:
        head = item["tag"]
        if item.get("classes"):
            head += "." + ".".join(item["classes"])
        attrs = dict(item.get("attrs") or {})
        for name in TEXT_ATTRS:
            if name in attrs:
                attrs[name] = f"‹文字:{len(attrs[name])}›"
        if "placeholder" in attrs:
            attrs["placeholder"] = screen(attrs["placeholder"], privacy)
        if "id" in attrs:
            attrs["id"] = screen(attrs["id"], privacy, "id")
        if "href" in attrs:
            attrs["href"] = screen(attrs["href"], privacy, "链接")
        head += "".join(f'[{k}="{v}"]' for k, v in attrs.items())
        if not item.get("visible", True):
            head += " (hidden)"
        if "text" in item:
            head += f' "{screen(item["text"], privacy)}"'
        elif item.get("textLength"):
            head += f" ‹文字:{item['textLength']}›"
        if "valueLength" in item:
            head += f" ‹值:{item['valueLength']}›"
        lines.append("  " * int(item.get("depth", 0)) + head)
    return lines


def write_capture(path: Path, walk: Walk, report: dict[str, Any]) -> Path:
    """Write the capture zip (atomically, mode 0600); its path."""
    api = {"calls": [c.as_dict() for c in walk.traffic.calls],
           "blocked": [c.as_dict() for c in walk.traffic.blocked]}
    with atomic_output(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", README)
            zf.writestr("check.json", json.dumps(report, ensure_ascii=False, indent=2))
            zf.writestr("api.json", json.dumps(api, ensure_ascii=False, indent=2))
            for number, visit in enumerate(walk.visits, 1):
                name = f"{number:02d}-{visit.section}"
                if visit.outline is not None:
                    body = [f"# {visit.path}", *outline_lines(visit.outline, walk.privacy)]
                    zf.writestr(f"pages/{name}.txt", "\n".join(body) + "\n")
                if visit.shot:
                    zf.write(visit.shot, f"shots/{name}.png")
    return path
