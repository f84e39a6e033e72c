"""Ctrl-C during a run: counted, and handed to the running engine, never a KeyboardInterrupt.

    with ctrl_c_counted(job, console):   # around the rows *and* the writing of the outputs
        ...

While the rows run, the engine sets `job.on_interrupt` (the first press: no new rows; the
second: stop now). Before and after that, a press is only counted and told: the outputs are
always written, however impatient the secretary is, so the folder can be continued from.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.runner.job import Job

WRITING = "[yellow]收到 Ctrl-C：正在写出结果文件，请稍候……[/yellow]"


@contextlib.contextmanager
def ctrl_c_counted(job: Job, console: Console) -> Iterator[None]:
    """While in the block, Ctrl-C presses are counted in `job.interrupts` and passed on."""
    if threading.current_thread() is not threading.main_thread():
        yield  # (signals reach the main thread only: a run in another thread has no Ctrl-C)
        return

    def pressed(_signum, _frame) -> None:
        job.interrupts += 1
        if job.on_interrupt is not None:
            job.on_interrupt()
        else:
            console.print(WRITING)

    previous = signal.signal(signal.SIGINT, pressed)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
