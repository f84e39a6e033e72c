"""The output folder of a run: one run at a time, and only for the batch it belongs to.

    with FolderLock(out):             # ConfigError naming the process that holds it
        meta = open_folder(out, batch_path, digest, mode)

The lock is an OS file lock on `DIR/run.lock` (`fcntl.flock` on POSIX, `msvcrt.locking` on
Windows): the OS drops it when the process ends, however it ends, so a killed run never leaves
a folder locked. The lock file holds the pid of the process that holds it, for the message.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from rpa.errors import ConfigError
from rpa.members import new_salt
from rpa.files import FILE_MODE
from rpa.runlog import LOG_NAME, LogContents, RunMeta, now_iso, read_log
from rpa.runner.job import MODE_LABELS

LOCK_NAME = "run.lock"


class FolderLock:
    """An exclusive lock on an output folder for as long as the `with` block lasts."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            _lock(fd)
        except OSError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"（进程 {holder}）" if holder else ""
            raise ConfigError(
                f"该输出目录正在被另一个运行使用{who}：{str(self.path.parent)!r}。"
                "请等那次运行结束后再试；查看进度可以用 rpa status（不受影响）。"
            ) from None
        # The pid goes after the first byte: on Windows the locked byte itself can't be read.
        os.ftruncate(fd, 0)
        os.write(fd, f"\n{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock(self._fd)
            os.close(self._fd)
            self._fd = None


def _lock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError):
        os.lseek(fd, 1, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        return text if text.isdigit() else ""
    return ""


def open_folder(out: Path, batch_path: Path, digest: str, mode: str) -> tuple[RunMeta, LogContents]:
    """The folder's run.json (made for a new folder) and its log, after checking the mode, and
    that an older folder (no member keys) still has its very batch. Hold the folder's lock.

    A changed batch is fine in a folder with member keys: it goes on by member (rpa.members);
    whether it is the same batch corrected or another one is decided from its members."""
    meta = RunMeta.load(out)
    log = read_log(out / LOG_NAME)
    if meta is None and (log.records or log.doubtful_rows or log.doubtful_all):
        raise ConfigError(f"输出目录 {str(out)!r} 中有运行日志但缺少 run.json，无法确认名单。请换一个新的输出目录。")
    if meta is None:
        meta = RunMeta(batch_path=str(batch_path), batch_sha256=digest, mode=mode, started_at=now_iso(),
                       member_salt=new_salt())
    if meta.mode != mode:
        raise ConfigError(
            f"输出目录 {str(out)!r} 是一次{MODE_LABELS[meta.mode]}的结果，不能用来{MODE_LABELS[mode]}。"
            "请换一个新的输出目录。"
        )
    if meta.batch_sha256 != digest and meta.member_salt is None:
        raise ConfigError(
            f"名单文件 {batch_path.name!r} 与输出目录 {str(out)!r} 上次运行所用的名单不同"
            f"（上次：{Path(meta.batch_path).name!r}），而这个目录是旧版本工具建立的，无法按团员核对。"
            "请用原名单继续，或为这份名单换一个新的输出目录。"
        )
    return meta, log


def another_batch(out: Path, meta: RunMeta, batch_path: Path) -> ConfigError:
    """A batch that shares no member with the folder's runs: most likely the wrong folder."""
    return ConfigError(
        f"输出目录 {str(out)!r} 属于另一份名单（{Path(meta.batch_path).name!r}），"
        f"与 {batch_path.name!r} 没有一个相同的团员。请确认输出目录；这份名单请用一个新的输出目录。"
    )
