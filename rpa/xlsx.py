"""Writing cells safely: every output workbook of the tool goes through these helpers.

A value read from a secretary's sheet is data, never code: a string that starts with `=`, `+`,
`-` or `@` is written as a text cell (and marked "quote prefix", so Excel keeps it text when the
cell is edited), never as a formula. Characters that XML can't hold are dropped instead of
making openpyxl raise halfway through a file.

    from rpa.xlsx import append_safe, safe_cell, safe_value, set_safe
    append_safe(ws, ["张三", "=HYPERLINK(...)"])      # works in write-only and normal sheets
    set_safe(ws["B2"], value)                          # an existing cell of a normal sheet
    ws.cell(row=2, column=3, value=safe_value(v))      # a value that can't become a formula
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

FORMULA_PREFIXES = ("=", "+", "-", "@")
TEXT_FORMAT = "@"
RED_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
GREEN_FILL = PatternFill(fill_type="solid", start_color="FFC6EFCE", end_color="FFC6EFCE")
GREY_FILL = PatternFill(fill_type="solid", start_color="FFEDEDED", end_color="FFEDEDED")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def is_formula_like(value: Any) -> bool:
    """Would a spreadsheet treat this string as a formula?"""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def clean_value(value: Any) -> Any:
    """`value` with characters illegal in XML removed (strings only; other types unchanged)."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def safe_value(value: Any) -> Any:
    """A value for `cell.value = …` / `ws.cell(…, value=…)` / `ws.append` that is never a formula.

    Formula-like strings come back as a one-run rich-text string: openpyxl writes it as an
    inline string and reads it back as the same plain `str`.
    """
    from openpyxl.cell.rich_text import CellRichText

    value = clean_value(value)
    if is_formula_like(value):
        return CellRichText([value])
    return value


def set_safe(cell, value: Any):
    """Put `value` into `cell`; a formula-like string stays text. Returns the cell."""
    value = clean_value(value)
    cell.value = value
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def safe_cell(ws, value: Any, *, fill: PatternFill | None = None, comment: str | None = None,
              number_format: str | None = None, font: Font | None = None) -> WriteOnlyCell:
    """A cell for `ws.append(...)` (write-only or normal sheet): text-safe value, optional style.

    Write-only sheets reuse one cell object for plain values after a styled one; every cell made
    here is styled or plain by design, so nothing leaks from one cell to the next.
    """
    cell = set_safe(WriteOnlyCell(ws), value)
    if fill is not None or font is not None or number_format is not None:
        _apply_style(ws, cell, fill, font, number_format)
    if comment:
        from openpyxl.comments import Comment

        c = Comment(comment, "zhtj-rpa")
        c.width, c.height = 320, 120
        cell.comment = c
        if not cell.has_style:  # see the docstring: a styled cell is never reused by openpyxl
            cell.alignment = Alignment(vertical="top")
    return cell


def _apply_style(ws, cell, fill, font, number_format) -> None:
    # Registering a style hashes every style object (slow for thousands of cells); the style
    # array of a combination is computed once per sheet and copied. Keys are object identities:
    # the fills and fonts are module constants, and the cache lives on the sheet itself.
    cache = ws.__dict__.setdefault("_rpa_style_cache", {})
    key = (id(fill), id(font), number_format, cell.quotePrefix)
    style = cache.get(key)
    if style is None:
        if fill is not None:
            cell.fill = fill
        if font is not None:
            cell.font = font
        if number_format is not None:
            cell.number_format = number_format
        cache[key] = (copy.copy(cell._style), fill, font)  # keep fill/font alive: ids stay unique
    else:
        cell._style = copy.copy(style[0])


def safe_row(ws, values: Iterable[Any]) -> list:
    """`values` ready for `ws.append`: plain values as they are, formula-like strings as text cells."""
    out = []
    for v in values:
        if type(v) is str:
            if v.startswith(FORMULA_PREFIXES):
                out.append(safe_cell(ws, v))
                continue
            if ILLEGAL_CHARACTERS_RE.search(v):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)
        out.append(v)
    return out


def append_safe(ws, values: Iterable[Any]) -> None:
    """`ws.append(values)` where no string can become a formula."""
    ws.append(safe_row(ws, values))


# ---------------------------------------------------------------------------------------------
# Reading: a one-pass streaming reader for the batch sheet.
#
# openpyxl's read-only mode is correct but slow for this job: it scans a whole sheet for its
# dimension on open (files written by streaming writers have none), builds a dict per cell, and
# can't give a formula's cached value and the fact that it *is* a formula in one pass. This
# reader uses openpyxl for the workbook structure and styles (small parts) and expat for the
# sheet and the shared strings, and yields each row as a tuple, plus the positions of formulas
# that have no cached value.
# ---------------------------------------------------------------------------------------------

_CHUNK = 1 << 16


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1] if ":" in name else name


class XlsxBook:
    """An opened .xlsx: sheet list, styles and shared strings; rows are streamed on demand.

    Raises whatever zipfile/openpyxl raise on a broken package: callers turn that into their
    own error (the batch reader: BatchFileError).
    """

    def __init__(self, data: bytes) -> None:
        import io

        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        self.archive = reader.archive
        self.epoch = reader.wb.epoch
        self.date_styles = frozenset(reader.wb._date_formats)
        self.timedelta_styles = frozenset(reader.wb._timedelta_formats)
        # (name, state, part path) in workbook order; chartsheets have no rows and are skipped
        self.sheets: list[tuple[str, str, str]] = []
        names = set(self.archive.namelist())
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in names and "chartsheet" not in (rel.Type or ""):
                self.sheets.append((sheet.name, sheet.state or "visible", rel.target))
        ct = reader.package.find("application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")
        self.shared_strings = self._read_shared_strings(ct.PartName[1:]) if ct is not None else []

    def close(self) -> None:
        self.archive.close()

    def _read_shared_strings(self, part: str) -> list[str]:
        from xml.parsers import expat

        strings: list[str] = []
        buf: list[str] = []
        state = {"in_t": False, "skip": 0}

        def start(name, attrs):
            name = _local(name)
            if name == "t" and not state["skip"]:
                state["in_t"] = True
            elif name in ("rPh", "phoneticPr"):
                state["skip"] += 1
            elif name == "si":
                buf.clear()

        def end(name):
            name = _local(name)
            if name == "t":
                state["in_t"] = False
            elif name in ("rPh", "phoneticPr"):
                state["skip"] -= 1
            elif name == "si":
                strings.append("".join(buf))

        def chars(text):
            if state["in_t"]:
                buf.append(text)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
        with self.archive.open(part) as src:
            parser.ParseFile(src)
        return strings

    def merged_ranges(self, part: str) -> list[tuple[int, int, int, int]]:
        """(min_col, min_row, max_col, max_row) of each merged range of a sheet."""
        import re

        from openpyxl.utils.cell import range_boundaries

        with self.archive.open(part) as src:
            xml = src.read()
        out = []
        for m in re.finditer(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([^\"]+)\"", xml):
            try:
                out.append(range_boundaries(m.group(1).decode()))
            except ValueError:
                continue
        return out

    def iter_rows(self, part: str):
        """Yield `(row_number, values, formula_positions_without_value)` for each stored row.

        `values` is a tuple from column A to the row's last stored cell (None where empty);
        formula cells give their cached value; a formula without one gives None and its
        0-based position in the third item (a frozenset, usually empty).
        """
        from xml.parsers import expat

        from openpyxl.utils.cell import column_index_from_string
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        shared = self.shared_strings
        date_styles, td_styles, epoch = self.date_styles, self.timedelta_styles, self.epoch
        col_cache: dict[str, int] = {}
        out: list[tuple[int, tuple, frozenset]] = []
        buf: list[str] = []
        # Parser state, kept in closure variables (faster than a dict in these hot callbacks).
        row = col = style = skip = 0
        ctype = "n"
        has_f = collect = in_is = False
        raw: str | None = None
        cells: dict[int, Any] = {}
        missing: set[int] = set()

        def start(name, attrs):
            nonlocal row, col, style, skip, ctype, has_f, collect, in_is, raw, cells, missing
            if ":" in name:
                name = _local(name)
            if name == "c":
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    idx = col_cache.get(letters)
                    if idx is None:
                        idx = col_cache[letters] = column_index_from_string(letters)
                    col = idx
                else:
                    col += 1
                ctype = attrs.get("t", "n")
                s = attrs.get("s")
                style = int(s) if s else 0
                has_f = False
                raw = None
            elif name == "v":
                buf.clear()
                collect = True
            elif name == "t":
                if in_is and not skip:
                    collect = True
            elif name == "is":
                in_is = True
                buf.clear()
            elif name == "rPh":
                skip += 1
            elif name == "f":
                has_f = True
            elif name == "row":
                r = attrs.get("r")
                row = int(r) if r else row + 1
                cells = {}
                missing = set()
                col = 0

        def end(name):
            nonlocal skip, collect, in_is, raw
            if ":" in name:
                name = _local(name)
            if name == "c":
                finish_cell()
            elif name == "v":
                raw = "".join(buf)
                collect = False
            elif name == "t":
                collect = False
            elif name == "is":
                in_is = False
                raw = "".join(buf)
            elif name == "rPh":
                skip -= 1
            elif name == "row":
                if cells:
                    values = [None] * max(cells)
                    for c, v in cells.items():
                        values[c - 1] = v
                    out.append((row, tuple(values), frozenset(missing)))
                else:
                    out.append((row, (), frozenset()))

        def chars(text):
            if collect:
                buf.append(text)

        def finish_cell():
            t = ctype
            if raw is None or (raw == "" and t in ("n", "b", "d", "e")):
                if has_f:
                    missing.add(col - 1)
                return
            if t == "s":
                value = shared[int(raw)]
            elif t in ("inlineStr", "str", "e"):
                value = raw
            elif t == "b":
                value = raw.strip() in ("1", "true")
            elif t == "d":
                value = from_ISO8601(raw)
            else:
                try:
                    value = float(raw) if any(ch in raw for ch in ".eEnN") else int(raw)
                except ValueError:
                    value = raw
                if style in date_styles and type(value) is not str:
                    try:
                        value = from_excel(value, epoch, timedelta=style in td_styles)
                    except (OverflowError, ValueError):
                        value = "#VALUE!"
            cells[col] = value

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
        with self.archive.open(part) as src:
            while chunk := src.read(_CHUNK):
                parser.Parse(chunk, False)
                if out:
                    yield from out
                    out.clear()
            parser.Parse(b"", True)
        yield from out


# ---------------------------------------------------------------------------------------------
# Writing many rows fast.
#
# openpyxl's write-only mode spends most of its time serialising plain cells through et_xmlfile.
# `write_rows_fast` lets openpyxl write only what needs its machinery (styled cells, comments,
# dates, header), renders every plain str/int/float/bool cell itself as XML text, and merges the
# two into the sheet's <sheetData>. Plain strings are always inline *text*, so nothing written
# here can become a formula.
# ---------------------------------------------------------------------------------------------

_PLAIN_TYPES = (str, int, float, bool)


_XML_SPECIAL_RE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(text: str) -> str:
    if _XML_SPECIAL_RE.search(text) is None:  # the common case: nothing to escape
        return text
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain_cell(ref: str, value: Any, style: str = "") -> str | None:
    """The XML of a plain cell, or None when openpyxl must write it. `style`: ' s="N"' or ''."""
    t = type(value)
    if t is str:
        if not value:
            return f'<c r="{ref}"{style}/>' if style else ""
        return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if t is bool:
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if t is int:
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if t is float and value == value and value not in (float("inf"), float("-inf")):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return None


def _styled_cell(ref: str, cell) -> str | None:
    """A styled cell without a comment, rendered here with openpyxl's style index."""
    if cell._comment is not None or cell.hyperlink is not None:
        return None
    value = cell._value
    if value is None:
        return f'<c r="{ref}" s="{cell.style_id}"/>' if cell.has_style else ""
    if type(value) not in _PLAIN_TYPES or cell.data_type not in ("s", "n", "b"):
        return None
    return _plain_cell(ref, value, f' s="{cell.style_id}"' if cell.has_style else "")


class FastSheetWriter:
    """One sheet written fast: same result as appending rows to an openpyxl write-only sheet.

        sheet = FastSheetWriter("名单", widths={1: 20}, freeze_panes="A2")
        sheet.append(["张三", safe_cell(sheet.ws, "有误", fill=RED_FILL)])
        sheet.save(path)          # the caller makes `path` atomic (rpa.files.atomic_output)

    Cells that need openpyxl (made with `safe_cell(sheet.ws, …)`, dates, …) go through it;
    plain str/int/float/bool values are rendered here. `widths` maps 1-based columns to widths.
    """

    def __init__(self, title: str, *, widths: dict[int, float] | None = None,
                 freeze_panes: str | None = None) -> None:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        self._get_column_letter = get_column_letter
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(title)
        for col, width in (widths or {}).items():
            self.ws.column_dimensions[get_column_letter(col)].width = width
        if freeze_panes:
            self.ws.freeze_panes = freeze_panes
        self._letters: list[str] = []
        self._plain_rows: list[dict[int, str]] = []
        self._max_col = 0
        # (row, column, ref, text) of every comment. openpyxl writes only the first one (so it
        # creates the comment parts and relations); `save` writes them all, as openpyxl's VML
        # shape per comment is the slowest thing in a sheet with thousands of notes.
        self._comments: list[tuple[int, int, str, str]] = []
        # openpyxl's sheet holds only the rows that have special cells, packed: its row k is
        # our row _special_rows[k - 1]; refs are rewritten when the two are merged.
        self._special_rows: list[int] = []

    def append(self, values: Iterable[Any]) -> None:
        letters = self._letters
        row_idx = len(self._plain_rows) + 1
        special: list[Any] = []
        plain: dict[int, str] = {}
        for col, value in enumerate(values, start=1):
            if col > len(letters):
                letters.append(self._get_column_letter(col))
            if value is None:
                xml = None
            elif isinstance(value, Cell):
                xml = _styled_cell(f"{letters[col - 1]}{row_idx}", value)
            else:
                xml = _plain_cell(f"{letters[col - 1]}{row_idx}", value)
            if xml is None and getattr(value, "_comment", None) is not None:
                ref = f"{letters[col - 1]}{row_idx}"
                self._comments.append((row_idx, col, ref, value._comment.text))
                if len(self._comments) > 1:
                    value.comment = None
                    xml = _styled_cell(ref, value)
                    if xml == "":
                        xml = None
            if xml is None:
                special.append(value)
            elif type(value) is str and value.startswith(FORMULA_PREFIXES):
                quoted = safe_cell(self.ws, value)  # text with Excel's quote prefix
                special.append(None)
                plain[col] = _styled_cell(f"{letters[col - 1]}{row_idx}", quoted)
            else:
                special.append(None)
                if xml:
                    plain[col] = xml
            if value is not None and col > self._max_col:
                self._max_col = col
        if any(v is not None for v in special):
            self.ws.append(special)
            self._special_rows.append(row_idx)
        self._plain_rows.append(plain)

    def save(self, path) -> None:
        import io
        import zipfile

        buf = io.BytesIO()
        self.wb.save(buf)
        with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    with zout.open(info.filename, "w") as dst:
                        chunk: list[str] = []
                        size = 0
                        for piece in self._merged_sheet(data.decode("utf-8")):
                            chunk.append(piece)
                            size += len(piece)
                            if size > 1 << 18:  # fewer, larger writes: zlib and crc per call
                                dst.write("".join(chunk).encode("utf-8"))
                                chunk, size = [], 0
                        dst.write("".join(chunk).encode("utf-8"))
                    continue
                if self._comments and info.filename.startswith("xl/comments/"):
                    data = self._comments_xml().encode("utf-8")
                elif self._comments and info.filename.endswith(".vml"):
                    data = self._comments_vml(data.decode("utf-8")).encode("utf-8")
                zout.writestr(info, data)

    def _comments_xml(self) -> str:
        parts = [
            '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<authors><author>zhtj-rpa</author></authors><commentList>"
        ]
        for _row, _col, ref, text in self._comments:
            parts.append(f'<comment ref="{ref}" authorId="0" shapeId="0"><text>'
                         f'<t xml:space="preserve">{_xml_text(text)}</t></text></comment>')
        parts.append("</commentList></comments>")
        return "".join(parts)

    def _comments_vml(self, vml: str) -> str:
        import re

        m = re.search(r"<(\w+:)?shape [^>]*>.*</(\w+:)?shape>", vml, re.S)
        if m is None:
            raise ValueError("openpyxl wrote a comment drawing without a shape")
        shape = m.group(0)
        shapes = []
        for i, (row, col, _ref, _text) in enumerate(self._comments):
            one = re.sub(r'id="_x0000_s\d+"', f'id="_x0000_s{1026 + i}"', shape)
            one = re.sub(r"(<(?:\w+:)?Row>)\d+(</)", rf"\g<1>{row - 1}\2", one)
            one = re.sub(r"(<(?:\w+:)?Column>)\d+(</)", rf"\g<1>{col - 1}\2", one)
            shapes.append(one)
        return vml[: m.start()] + "".join(shapes) + vml[m.end():]

    def _merged_sheet(self, xml: str):
        """openpyxl's sheet XML with the plain cells merged in, as a stream of text pieces."""
        import re

        from openpyxl.utils.cell import column_index_from_string

        cell_re = re.compile(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
        row_re = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
        body_match = re.search(r"<sheetData>(.*)</sheetData>|<sheetData\s*/>", xml, re.S)
        if body_match is None:
            raise ValueError("openpyxl wrote a sheet without <sheetData>")
        special_cells: dict[int, dict[int, str]] = {}
        for m in row_re.finditer(body_match.group(1) or ""):
            packed = int(m.group(1))
            real = self._special_rows[packed - 1]
            cells = {}
            for c in cell_re.finditer(m.group(2) or ""):
                letters = c.group(1)
                cells[column_index_from_string(letters)] = c.group(0).replace(
                    f'<c r="{letters}{packed}"', f'<c r="{letters}{real}"', 1)
            if cells:
                special_cells[real] = cells
        last = f"{self._get_column_letter(max(self._max_col, 1))}{max(len(self._plain_rows), 1)}"
        head = xml[: body_match.start()]
        dimension = f'<dimension ref="A1:{last}"/>'
        head, n = re.subn(r'<dimension ref="[^"]*"\s*/>', dimension, head, count=1)
        if not n:  # write-only sheets have none; readers that trust it need the true extent
            head = re.sub(r"(<sheetViews|<sheetFormatPr|<cols|$)", dimension + r"\1", head, count=1)
        yield head + "<sheetData>"
        for row_idx, plain in enumerate(self._plain_rows, start=1):
            extra = special_cells.get(row_idx)
            if extra:
                plain = {**plain, **extra}
            if plain:
                yield f'<row r="{row_idx}">' + "".join(plain[c] for c in sorted(plain)) + "</row>"
        yield "</sheetData>" + xml[body_match.end():]
