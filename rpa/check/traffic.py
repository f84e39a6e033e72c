"""What the check's pages say to the portal: every API call recorded, every write blocked.

    traffic = Traffic(catalog)
    await traffic.attach(context)   # before the context opens a page
    ...
    await traffic.settle()          # every answer read
    traffic.calls                   # [Call(path, fields, code, shape)], in order
    traffic.results(name)           # the `results` of the answers to an [api.paths] call
    traffic.blocked                 # calls stopped before they left the browser

The guard lets through GETs (pages, scripts, images) and the POSTs of the read calls the
catalog names (`[check] read_calls` + `other_reads`); every other request is aborted in the
browser, so even a click gone wrong could not store anything. Answers are kept in memory to
compare keys; what is written anywhere is their *shape* (keys and types), never a value.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError

from rpa.check.candidates import Privacy
from rpa.portal.widgets import request_form, url_path

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Request, Response, Route

    from rpa.catalog import Catalog

READ_METHODS = ("GET", "HEAD", "OPTIONS")
# A page is taken as settled after this long without a request in flight (s).
QUIET_S = 0.25
# How long the answers' bodies may take to read once the walk is done with a page (s).
SETTLE_S = 5.0
# How many of the portal's errors a message quotes.
TROUBLES_QUOTED = 3


def quote_troubles(troubles: list[str]) -> str:
    """The first of the portal's errors during a walk, for a message (joined with "；")."""
    return "；".join(troubles[:TROUBLES_QUOTED])


@dataclass
class Call:
    """One call a page made under the API's prefix."""

    path: str  # under the prefix
    method: str
    fields: list[str]  # the form field names sent (never their values)
    code: Any = None  # the answer's code (retCode), when it had one
    shape: Any = None  # the answer's keys and types
    blocked: bool = False
    results: Any = field(default=None, repr=False)  # in memory only

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "method": self.method, "fields": self.fields, "code": self.code,
                "shape": self.shape, "blocked": self.blocked}


def shape(value: Any, depth: int = 0) -> Any:
    """The keys and types of a JSON value: objects by key, a list by its items' merged shape."""
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        return {str(k): shape(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        kinds = []
        for item in value[:20]:
            if isinstance(item, dict):
                for k, v in item.items():
                    merged.setdefault(str(k), shape(v, depth + 1))
            else:
                kinds.append(shape(item, depth + 1))
        if merged:
            return [merged]
        return [kinds[0]] if kinds else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


class Traffic:
    """Records the API calls of a context's pages and blocks any that could write."""

    def __init__(self, catalog: Catalog, privacy: Privacy) -> None:
        self.catalog = catalog
        self.privacy = privacy
        self.prefix = catalog.text("api.prefix")
        paths = catalog.data["api.paths"]
        check = catalog.data["check"]
        self.reads = {paths[key] for key in check["read_calls"]} | set(check["other_reads"])
        self.calls: list[Call] = []
        self.blocked: list[Call] = []
        self.requests: list[tuple[str, str]] = []  # (method, URL path) of every request seen
        self._pending: set[asyncio.Task] = set()
        self._in_flight = 0
        # What went wrong on the portal's side while the pages were read (Chinese, one a call):
        # a finding of "missing" may then be only an error of the moment.
        self.troubles: list[str] = []
        self.expired = False  # an answer said the session had expired
        self._last = time.monotonic()

    async def attach(self, context: BrowserContext) -> None:
        await context.route("**/*", self._guard)
        context.on("request", self._on_request)
        context.on("requestfinished", self._on_done)
        context.on("requestfailed", self._on_failed)
        context.on("response", self._on_response)

    def api_name(self, url: str) -> str | None:
        """The call's path under the prefix, or None for a URL outside the API."""
        path = url_path(url)
        return path[len(self.prefix):] if path.startswith(self.prefix) else None

    def allowed(self, method: str, url: str) -> bool:
        return method.upper() in READ_METHODS or self.api_name(url) in self.reads

    async def _guard(self, route: Route) -> None:
        request = route.request
        if self.allowed(request.method, request.url):
            await route.continue_()
            return
        name = self.api_name(request.url)
        self.blocked.append(Call(name if name is not None else url_path(request.url), request.method,
                                 sorted(request_form(request)), blocked=True))
        await route.abort("blockedbyclient")

    def _on_request(self, request: Request) -> None:
        self.requests.append((request.method, url_path(request.url)))
        self._in_flight += 1
        self._last = time.monotonic()

    def _on_done(self, _request: Request) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        self._last = time.monotonic()

    def _on_failed(self, request: Request) -> None:
        self._on_done(request)
        name = self.api_name(request.url)
        if name is not None and not any(c.path == name and c.blocked for c in self.blocked):
            self.troubles.append(f"{name}：没有应答")

    async def quiet(self, timeout_ms: float) -> None:
        """Wait until the pages have had no request in flight for QUIET_S (at most `timeout_ms`):
        a single-page app changes its page without a load event to wait for."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            if self._in_flight == 0 and time.monotonic() - self._last >= QUIET_S:
                break
            await asyncio.sleep(0.05)
        await self.settle()

    def _on_response(self, response: Response) -> None:
        name = self.api_name(response.url)
        if name is None:
            return
        call = Call(name, response.request.method, sorted(request_form(response.request)))
        self.calls.append(call)
        if response.status >= 400:
            # (no body read: the page gave up on it, and Chromium may never hand it over)
            call.code = f"HTTP {response.status}"
            self.troubles.append(f"{name}：HTTP {response.status}")
            return
        task = asyncio.get_running_loop().create_task(self._read(call, response))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _read(self, call: Call, response: Response) -> None:
        try:
            body = await response.text()
        except PlaywrightError:
            self.troubles.append(f"{call.path}：应答没有读完")
            return
        try:
            answer = json.loads(body)
        except ValueError:
            if self.catalog.text("messages.expired") in body:
                self.expired = True
            self.troubles.append(f"{call.path}：应答无法识别")
            return
        self.privacy.add_answer(answer)
        call.shape = shape(answer)
        if isinstance(answer, dict):
            keys = self.catalog.data["api.answer"]
            call.code = answer.get(keys["code"])
            call.results = answer.get(keys["payload"])
            if call.code == self.catalog.number("api.expired"):
                self.expired = True
            if call.code != self.catalog.number("api.ok"):
                self.troubles.append(f"{call.path}：{call.code} {str(answer.get(keys['message']) or '')[:40]}".strip())

    async def settle(self, timeout_s: float = SETTLE_S) -> None:
        """Wait until every answer seen so far has been read (an answer not read in `timeout_s`
        is given up, and counted as a trouble)."""
        if not self._pending:
            return
        _done, late = await asyncio.wait(list(self._pending), timeout=timeout_s)
        for task in late:
            task.cancel()
            self.troubles.append("接口应答没有读完")

    # --- reading what was recorded ---------------------------------------------------------------

    def of(self, name: str) -> list[Call]:
        """The calls of an [api.paths] key."""
        path = self.catalog.call(name)
        return [c for c in self.calls if c.path == path]

    def results(self, name: str) -> list[Any]:
        return [c.results for c in self.of(name) if c.results is not None]

    def paths(self) -> list[str]:
        return list(dict.fromkeys(c.path for c in self.calls))
