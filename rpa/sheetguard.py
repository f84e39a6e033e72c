"""What a sheet would cost calamine, read from its XML before calamine opens it.

calamine holds a sheet as a dense grid from its first to its last used cell, 32 bytes a cell:
two cells at A1 and P1048576 make a 2 KB file that takes 730 MB (measured). So the extent of
every sheet is bounded here, from the cell references in the XML, and the few things calamine
reads silently wrong are found here too:

    scan = scan_xlsx_sheet(xml)     # SheetScan(rows, cols, no_value, negative_string_index)
    scan = scan_ods_content(xml)    # rows, cols of the largest table (repeats counted)

`rows`/`cols` are upper bounds of the used area (1-based last row / column), never smaller than
what calamine will allocate. `no_value` maps a row number to the 0-based columns of formulas
saved without a value (calamine reads them as empty: the rules say so instead).

The fast path relies on what Excel, WPS, LibreOffice, openpyxl and XlsxWriter all write: every
`<c>` starts with its `r="A1"` reference. A sheet that doesn't (no or late `r`, namespace
prefixes) takes the exact path, a walk over every row and cell tag: ~10x slower, still bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_COLS_2_3 = re.compile(rb'<c r="([A-Z]{2,3})\d')  # columns AA and beyond
_ROWS_5 = re.compile(rb'<c r="[A-Z]{1,3}(\d{5,})')  # rows 10000 and beyond
_NEGATIVE_V = re.compile(rb"<v>\s*-")
_CELL_START = re.compile(rb"<c[\s>/]")
_FORMULA_START = re.compile(rb"<f[\s>/]")
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')
_HAS_VALUE = re.compile(rb"<v(?:\s[^>]*)?>[^<]")
_TAG = re.compile(rb"<(/?)(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_REF = re.compile(rb'\br="([A-Z]{1,3})?(\d+)?"')
_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="(\d+)"')


@dataclass
class SheetScan:
    rows: int = 0
    cols: int = 0
    no_value: dict[int, set[int]] = field(default_factory=dict)
    negative_string_index: bool = False


def column_number(letters: bytes | str) -> int:
    """`A` → 1, `Z` → 26, `AA` → 27, `XFD` → 16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def scan_xlsx_sheet(xml: bytes) -> SheetScan:
    """Bound the used area of one worksheet part and find what calamine would misread."""
    cells = len(_CELL_START.findall(xml)) if b":c" in xml else xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
    fast = b":c " not in xml and b":c>" not in xml and xml.count(b'<c r="') == cells
    scan = _fast_extent(xml) if fast else _exact_extent(xml)
    if _NEGATIVE_V.search(xml):
        scan.negative_string_index = _negative_string_index(xml)
    if b"<f" in xml:
        scan.no_value = _formulas_without_value(xml)
    return scan


def _formulas_without_value(xml: bytes) -> dict[int, set[int]]:
    """Row → 0-based columns of `<c r=..>` cells holding a formula but no saved `<v>` value."""
    found: dict[int, set[int]] = {}
    end = 0
    for m in _FORMULA_START.finditer(xml):
        if m.start() < end:  # a second <f…> inside the cell just looked at
            continue
        start = xml.rfind(b"<c ", 0, m.start())
        end = xml.find(b"</c>", m.start())
        cell = _CELL_REF.match(xml, start) if start >= 0 and end >= 0 else None
        if cell is None:
            continue
        after_formula = xml[m.start():end]
        after_formula = after_formula.split(b"</f>", 1)[-1] if b"</f>" in after_formula else after_formula
        if not _HAS_VALUE.search(after_formula):
            found.setdefault(int(cell.group(2)), set()).add(column_number(cell.group(1)) - 1)
    return found


def _fast_extent(xml: bytes) -> SheetScan:
    letters = set(_COLS_2_3.findall(xml))
    cols = max((column_number(c) for c in letters), default=26)
    big_rows = _ROWS_5.findall(xml)
    rows = max((int(r) for r in big_rows), default=9_999)
    # Every cell carries its reference here, so calamine's grid ends at these: below the
    # regexes' thresholds (column Z, row 9,999) the threshold itself is the bound.
    return SheetScan(rows=rows, cols=cols)


def _exact_extent(xml: bytes) -> SheetScan:
    """Walk every <row> and <c> tag as calamine does: a missing reference means 'the next one'."""
    row = col = max_row = max_col = 0
    for m in _TAG.finditer(xml):
        closing, name, attrs, empty = m.groups()
        if closing:
            continue
        ref = _REF.search(attrs)
        if name == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and ref.group(1):
            col = column_number(ref.group(1))
            if ref.group(2):
                row = int(ref.group(2))
        else:
            col += 1
        if not empty:
            max_row, max_col = max(max_row, row), max(max_col, col)
    return SheetScan(rows=max_row, cols=max_col)


def _negative_string_index(xml: bytes) -> bool:
    """Is some shared-string cell's index negative? (calamine then reads some other string.)"""
    for m in _NEGATIVE_V.finditer(xml):
        start = xml.rfind(b"<c", 0, m.start())
        tag_end = xml.find(b">", start)
        if start >= 0 and re.search(rb'\bt="s"', xml[start:tag_end]):
            return True
    return False


def scan_ods_content(xml: bytes) -> SheetScan:
    """Bound the used area of the largest table in an .ods content.xml (repeats counted)."""
    max_row = max_col = 0
    row = col = 0
    row_repeat = 1
    row_used = 0  # last used column of the current row
    for m in _ODS_TAG.finditer(xml):
        closing, name, attrs, empty = m.groups()
        if name == b"table":
            row = col = 0
            continue
        if name == b"table-row":
            if closing:
                if row_used:
                    max_row = max(max_row, row + row_repeat)
                    max_col = max(max_col, row_used)
                row += row_repeat
            else:
                rep = _ODS_REPEAT.search(attrs)
                row_repeat = int(rep.group(1)) if rep else 1
                col = row_used = 0
                if empty:
                    row += row_repeat
            continue
        if closing:
            continue
        rep = _ODS_REPEAT.search(attrs)
        span = int(rep.group(1)) if rep else 1
        col += span
        if not empty or b"office:value" in attrs:
            row_used = col
    return SheetScan(rows=max_row, cols=max_col)
