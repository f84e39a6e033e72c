"""The queue between the preflight and the workers.

The preflight puts each row in as soon as it has passed, and closes the feed after the last
one; a worker whose row hung puts it back for another try. Workers wait on an empty feed until
it is closed, so they can start while the preflight is still checking.
"""

from __future__ import annotations

import asyncio

from rpa.runner.job import Item


class RowFeed:
    def __init__(self) -> None:
        self._rows: asyncio.Queue[Item] = asyncio.Queue()
        self._closed = False
        self._changed = asyncio.Event()  # set on every put and on close

    def put(self, item: Item) -> None:
        self._rows.put_nowait(item)
        self._changed.set()

    def close(self) -> None:
        self._closed = True
        self._changed.set()

    def more(self) -> bool:
        """Whether a row may still come."""
        return not (self._closed and self._rows.empty())

    async def get(self, stop: asyncio.Event) -> Item | None:
        """The next row, waiting while one may still come; None when none will, or on `stop`."""
        while not stop.is_set():
            if not self._rows.empty():
                return self._rows.get_nowait()
            if not self.more():
                return None
            self._changed.clear()
            waiters = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        return None
