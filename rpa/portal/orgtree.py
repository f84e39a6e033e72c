"""The portal's national org tree through its API (`getorgtree`), for checking target paths.

    tree = OrgTree(session)
    tree.check_path(["团湖北省委", "三峡大学团委"])    # OrgNotFound(parent, missing, available)

Each level (the children of one org) is fetched once per run: the cache is an `OrgCache`,
thread-safe, that several `OrgTree`s of several worker threads (each with its own session)
may share. `check_paths_online()` is what `rpa validate --online` runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rpa.errors import OrgNotFound
from rpa.portal.widgets import TOP_LEVEL

if TYPE_CHECKING:
    from rpa.config import Settings
    from rpa.portal.session import PortalSession


@dataclass(frozen=True)
class OrgNode:
    """One org of the tree as the portal gives it."""

    league_id: str
    name: str
    full_name: str
    type_id: str
    is_leaf: bool

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> OrgNode:
        return cls(
            league_id=str(item.get("leagueId", "")),
            name=str(item.get("leagueName", "")),
            full_name=str(item.get("leagueFullName") or item.get("leagueName", "")),
            type_id=str(item.get("leagueTypeId", "")),
            is_leaf=bool(item.get("isLeaf", False)),
        )


class OrgCache:
    """Levels of the tree by parent id ("" = the top); each fetched once, whatever the thread."""

    def __init__(self) -> None:
        self._levels: dict[str, list[OrgNode]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0  # how many levels were fetched from the portal

    def get(self, pid: str, fetch) -> list[OrgNode]:
        with self._guard:
            if pid in self._levels:
                return self._levels[pid]
            lock = self._locks.setdefault(pid, threading.Lock())
        with lock:  # one fetch per level even when two threads ask at once
            with self._guard:
                if pid in self._levels:
                    return self._levels[pid]
            nodes = fetch(pid)
            with self._guard:
                self._levels[pid] = nodes
                self.fetches += 1
            return nodes


class OrgTree:
    """The tree seen through one session's API, with a (possibly shared) `OrgCache`."""

    def __init__(self, session: PortalSession, cache: OrgCache | None = None, retrying=None) -> None:
        """`retrying` (e.g. a tenacity `Retrying`) wraps each level's fetch: a busy portal then
        costs one retried call, not a retry of the whole path."""
        self.session = session
        self.cache = cache if cache is not None else OrgCache()
        self.retrying = retrying

    def children(self, pid: str = "") -> list[OrgNode]:
        """The orgs one level below `pid` ("" = the top of the national tree)."""
        path = self.session.catalog.text("api.orgtree")

        def fetch(p: str) -> list[OrgNode]:
            return [OrgNode.from_api(i) for i in self.session.api(path, pid=p) or []]

        return self.cache.get(pid, (lambda p: self.retrying(fetch, p)) if self.retrying else fetch)

    def resolve(self, names: list[str]) -> list[OrgNode]:
        """The nodes of a path given by exact names from the top; `OrgNotFound` at the first gap."""
        nodes: list[OrgNode] = []
        parent, pid = TOP_LEVEL, ""
        for name in names:
            level = self.children(pid) if not (nodes and nodes[-1].is_leaf) else []
            found = next((n for n in level if n.name == name), None)
            if found is None:
                raise OrgNotFound(parent, name, [n.name for n in level])
            nodes.append(found)
            parent, pid = found.name, found.league_id
        return nodes

    def check_path(self, names: list[str]) -> None:
        """Raise `OrgNotFound(parent, missing, available)` unless the whole path exists."""
        self.resolve(names)


def check_paths_online(settings: Settings, paths: list[list[str]]) -> dict[tuple[str, ...], str | None]:
    """Check target paths against the portal's own tree (`rpa validate --online`).

    Starts Playwright and a browser, signs in (saved session or account and password), and
    checks each distinct path; the answer maps each path to None (found) or the Chinese
    message saying which level is missing and what its parent holds. Sign-in problems raise
    (`CaptchaRequired`, `ConfigError`, `PortalUnreachable`).
    """
    from playwright.sync_api import sync_playwright

    from rpa.browser import launch
    from rpa.portal.session import PortalSession

    result: dict[tuple[str, ...], str | None] = {}
    wanted = list(dict.fromkeys(tuple(p) for p in paths if p))
    if not wanted:
        return result
    with sync_playwright() as playwright:
        browser = launch(playwright, settings)
        try:
            session = PortalSession(settings, browser)
            try:
                session.sign_in()
                tree = OrgTree(session)
                for path in wanted:
                    try:
                        tree.check_path(list(path))
                        result[path] = None
                    except OrgNotFound as exc:
                        result[path] = exc.message
            finally:
                session.close()
        finally:
            browser.close()
    return result
