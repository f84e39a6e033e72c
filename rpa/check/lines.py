"""Where a catalog entry is written: the file (the shipped catalog or the overlay) and the line.

    places = CatalogPlaces(catalog)
    place = places.of("transfer.labels.reason")       # Place(file, line, text) or None
    place.edit("转出原因", "转出类型")                  # 'reason = "转出类型"'
    place.shown                                       # 'selectors/portal.toml 第 87 行'

tomllib keeps no line numbers, so the file's text is read: a `[section]` header, then
`key = …` lines under it (a quoted key too). An entry an overlay sets is reported where the
overlay sets it; any other where the shipped catalog does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpa.resources import CHECKOUT_ROOT

if TYPE_CHECKING:
    from rpa.catalog import Catalog

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_-]+))\s*=')


@dataclass(frozen=True)
class Place:
    """One `key = value` line of a catalog file."""

    file: Path
    line: int  # 1-based
    text: str  # the line as written (no newline)

    @property
    def shown(self) -> str:
        """`selectors/portal.toml 第 87 行` (the path relative to the folder the tool runs in, or the checkout)."""
        return f"{display_path(self.file)} 第 {self.line} 行"

    def edit(self, old: str, new: str) -> str:
        """The line with the value `old` replaced by `new` (both plain texts)."""
        quoted_old, quoted_new = toml_string(old), toml_string(new)
        key = _KEY.match(self.text)
        head, value = (self.text[: key.end()], self.text[key.end():]) if key else ("", self.text)
        if quoted_old in value:
            return (head + value.replace(quoted_old, quoted_new, 1)).strip()
        return f"{head.strip()} {quoted_new}" if head else quoted_new


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; non-ASCII kept as is)."""
    return json.dumps(text, ensure_ascii=False)


def display_path(path: Path) -> str:
    path = Path(path)
    for base in (Path.cwd(), CHECKOUT_ROOT):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name  # (no home folder: it may name a person)


def key_lines(path: Path) -> dict[str, Place]:
    """Every `key = …` of a TOML file by its dotted name (`section.sub.key`)."""
    places: dict[str, Place] = {}
    section = ""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return places
    for number, text in enumerate(lines, 1):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(text)
        if header and not stripped.startswith("[["):
            section = ".".join(part.strip().strip('"') for part in header.group(1).split("."))
            continue
        key = _KEY.match(text)
        if key:
            name = key.group(1) if key.group(1) is not None else key.group(2)
            if key.group(1) is not None:
                name = json.loads(f'"{name}"')
            places.setdefault(f"{section}.{name}" if section else name, Place(Path(path), number, text))
    return places


class CatalogPlaces:
    """The lines of a loaded catalog's files: the overlay's first, then the shipped file's."""

    def __init__(self, catalog: Catalog) -> None:
        self.base = key_lines(catalog.path)
        self.overlay = key_lines(catalog.overlay) if catalog.overlay else {}

    def of(self, dotted: str) -> Place | None:
        return self.overlay.get(dotted) or self.base.get(dotted)
