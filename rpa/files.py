"""Output files: private to the user (0600 / 0700) and never half-written."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rpa.errors import OutputLocked

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only; tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with contextlib.suppress(OSError):
        os.chmod(path, DIR_MODE)
    return path


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` with mode 0600.

    On any error the temporary file is removed, so a reader never finds a half-written file.
    When `path` can't be replaced (a file open in Excel on Windows), the new content is kept
    beside it under a name with the time, and `OutputLocked` says so.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, FILE_MODE)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    try:
        os.replace(tmp_path, path)
    except (PermissionError, IsADirectoryError):
        beside = path.with_name(f"{path.stem}-{dt.datetime.now():%H%M%S}{path.suffix}")
        os.replace(tmp_path, beside)
        raise OutputLocked(path, beside) from None


def write_private_text(path: Path, text: str) -> None:
    """Write a text file atomically with mode 0600."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def open_private_append(path: Path):
    """Open `path` for appending, creating it with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    return os.fdopen(fd, "a", encoding="utf-8")
