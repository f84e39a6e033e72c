"""A bounded look inside a zip-based workbook (.xlsx, .xlsb, .ods) before any parser opens it.

The 100 MB cap on the file bounds nothing that matters: deflate packs ~1,000 bytes into one, so
a 1 MB file can hold a 1 GB cell. Before calamine sees the file, every member is inflated here,
counting what comes out, and the file is refused when a part, all parts together, or the
packing ratio is out of any real batch's range.

    parts = inspect_zip(path, wanted=lambda name: name.startswith("xl/worksheets/"))
    # -> {name: inflated bytes} of the wanted members; raises BatchFileError on a bomb

Sizes declared in the zip are not trusted: each member's deflate stream is inflated here from
its data offset (the same bytes calamine's zip reader starts from) up to the limit, so a header
that claims 1 KB for a 1 GB stream is caught by what the stream really holds, and refused as
tampered with when the two disagree. Only stored and deflated members exist in files that Excel,
WPS and LibreOffice write; any other method is refused.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from rpa.errors import BatchFileError

MiB = 1024 * 1024
# The biggest part a batch can need: a 20,000-row sheet (the batch reader's MAX_DATA_ROWS) of
# 30 text columns written as inline strings is ~24 MB of XML (the 10,000-row, 18-column bench
# sheet is 7.3 MB). 40 MiB leaves room for that, and keeps one giant cell, which calamine and
# Python each hold once, well under 200 MB of memory.
MAX_PART_BYTES = 40 * MiB
# All parts together: a big sheet, its shared strings and styles, with room to spare.
MAX_TOTAL_BYTES = 96 * MiB
# Packing ratio (inflated / packed) allowed for a part above RATIO_FLOOR_BYTES, and for the whole
# file. Measured: the 10,000-row bench sheet packs 12.6:1, 50,000 copies of one row 118:1;
# deflate's ceiling is ~1,032:1, and a part of one repeated byte (the usual bomb) sits near it.
MAX_RATIO = 250
# Small parts may pack far better (a few KB of repeated empty styled cells): the ratio says
# nothing there, and the absolute caps already bound them.
RATIO_FLOOR_BYTES = 1 * MiB
# Excel writes ~10 members plus ~2 per sheet; thousands mean a generated or damaged file.
MAX_MEMBERS = 5_000

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_MAGIC = b"PK\x03\x04"
_CHUNK = 1 * MiB


def _bomb(path: Path, what: str) -> BatchFileError:
    return BatchFileError(
        f"名单文件 {path.name!r} {what}，不像一份正常的名单（可能已损坏，或是被故意构造的“压缩炸弹”），"
        "为安全起见拒绝读取：如果这确实是名单，请在 Excel 中打开，“另存为”一个新的 .xlsx 文件后再试。"
    )


def corrupt(path: Path, what: str, *, xls: bool = False) -> BatchFileError:
    """The message for a file that is broken (or a container that is no workbook)."""
    kind = "Excel 97-2003（.xls）工作簿" if xls else ".xlsx 工作簿"
    return BatchFileError(
        f"名单文件 {path.name!r} 已损坏或不是有效的 {kind}（{what}）："
        "请用 Excel 打开后重新“另存为 → Excel 工作簿（*.xlsx）”再试。"
    )


def inspect_zip(path: Path, *, wanted: Callable[[str], bool] = lambda name: False) -> dict[str, bytes]:
    """Check every member of the zip at `path`; return the inflated bytes of the `wanted` ones.

    Raises BatchFileError (Chinese message) for a bomb, a lying header or a broken zip.
    """
    try:
        with open(path, "rb") as f, zipfile.ZipFile(f) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                raise _bomb(path, f"包含 {len(infos)} 个部件（正常的工作簿只有几十个）")
            _check_declared(path, infos)
            parts: dict[str, bytes] = {}
            total = 0
            for info in infos:
                if info.is_dir():
                    continue
                data = _inflate(path, f, info)
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise _bomb(path, f"解压后超过 {MAX_TOTAL_BYTES // MiB} MB")
                if wanted(info.filename):
                    parts[info.filename] = data
            return parts
    except zipfile.BadZipFile as exc:
        raise corrupt(path, f"zip 结构错误：{exc}") from None
    except (OSError, EOFError, struct.error, zlib.error) as exc:
        raise corrupt(path, type(exc).__name__) from None


def _check_declared(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse from the central directory alone what declares itself a bomb (fast, no inflating)."""
    total = packed = 0
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise _bomb(path, f"中的部件 {info.filename!r} 解压后有 {info.file_size // MiB} MB（上限 {MAX_PART_BYTES // MiB} MB）")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _bomb(path, f"中的部件 {info.filename!r} 压缩比超过 {MAX_RATIO}:1")
        total += info.file_size
        packed += info.compress_size
    if total > MAX_TOTAL_BYTES:
        raise _bomb(path, f"解压后共有 {total // MiB} MB（上限 {MAX_TOTAL_BYTES // MiB} MB）")
    if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(packed, 1):
        raise _bomb(path, f"整体压缩比超过 {MAX_RATIO}:1")


def _inflate(path: Path, f, info: zipfile.ZipInfo) -> bytes:
    """The member's real content, read from its data offset, at most MAX_PART_BYTES (+1 to tell)."""
    if info.flag_bits & 0x1:
        raise corrupt(path, f"部件 {info.filename!r} 被加密")
    f.seek(info.header_offset)
    head = f.read(_LOCAL_HEADER.size)
    if len(head) < _LOCAL_HEADER.size:
        raise corrupt(path, "文件不完整")
    magic, _ver, _flags, method, _t, _d, _crc, _csize, _usize, name_len, extra_len = _LOCAL_HEADER.unpack(head)
    if magic != _LOCAL_MAGIC:
        raise corrupt(path, f"部件 {info.filename!r} 的位置不对")
    f.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    if info.compress_type == zipfile.ZIP_STORED:
        data = f.read(min(info.compress_size, MAX_PART_BYTES + 1))
    elif info.compress_type == zipfile.ZIP_DEFLATED and method == zipfile.ZIP_DEFLATED:
        data = _inflate_stream(f, info.compress_size)
    else:
        raise corrupt(path, f"部件 {info.filename!r} 使用了不支持的压缩方式 {info.compress_type}")
    if len(data) > MAX_PART_BYTES:
        raise _bomb(path, f"中的部件 {info.filename!r} 解压后超过 {MAX_PART_BYTES // MiB} MB")
    if len(data) != info.file_size:
        raise corrupt(path, f"部件 {info.filename!r} 声明的大小与实际内容不符")
    if len(data) > RATIO_FLOOR_BYTES and len(data) > MAX_RATIO * max(info.compress_size, 1):
        raise _bomb(path, f"中的部件 {info.filename!r} 压缩比超过 {MAX_RATIO}:1")
    return data


def _inflate_stream(f, packed: int) -> bytes:
    """Inflate up to `packed` bytes of raw deflate data; stop once past MAX_PART_BYTES."""
    inflater = zlib.decompressobj(-15)
    out: list[bytes] = []
    size = 0
    left = packed
    while left > 0 and not inflater.eof:
        chunk = f.read(min(_CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        while chunk:
            piece = inflater.decompress(chunk, MAX_PART_BYTES + 1 - size)
            out.append(piece)
            size += len(piece)
            if size > MAX_PART_BYTES:
                return b"".join(out)
            chunk = inflater.unconsumed_tail
            if inflater.eof:
                break
    try:
        out.append(inflater.flush())
    except zlib.error:
        pass
    return b"".join(out)
