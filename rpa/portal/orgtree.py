"""The portal's national org tree through its API (`getorgtree`), for checking target paths.

    tree = OrgTree(session)
    await tree.check_path(["团湖北省委", "三峡大学团委"])   # OrgNotFound(parent, missing, available)

Each level (the children of one org) is fetched once per run, even when several tasks ask for
it at once (`OrgCache`). `rpa validate --online` checks paths with it (`rpa.portal.online`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rpa.errors import OrgNotFound
from rpa.portal.widgets import TOP_LEVEL

if TYPE_CHECKING:
    from rpa.catalog import Catalog
    from rpa.portal.session import PortalSession


@dataclass(frozen=True)
class OrgNode:
    """One org of the tree as the portal gives it.

    `is_leaf`: of a branch kind (`[api.orgtree] leaf_types`). The tree has no isLeaf: another
    node is a leaf too when its level comes back empty, which only asking tells.
    """

    league_id: str
    name: str
    full_name: str
    type_id: str
    is_leaf: bool

    @classmethod
    def from_api(cls, item: dict[str, Any], catalog: Catalog) -> OrgNode:
        """A node of a `getorgtree` level, read with the catalog's keys (`[api.orgtree]`)."""
        keys = catalog.data["api.orgtree"]
        name = str(item.get(keys["name"]) or "")
        type_id = str(item.get(keys["type"]) or "")
        return cls(
            league_id=str(item.get(keys["id"]) or ""),
            name=name,
            full_name=str(item.get(keys["full_name"]) or name),
            type_id=type_id,
            is_leaf=type_id in catalog.texts("api.orgtree.leaf_types"),
        )


def level_of(results: Any, catalog: Catalog) -> list[OrgNode]:
    """The nodes of one `getorgtree` answer's results (`results.leagueList`)."""
    items = (results or {}).get(catalog.key("orgtree", "list")) if isinstance(results, dict) else None
    return [OrgNode.from_api(item, catalog) for item in items or [] if isinstance(item, dict)]


class OrgCache:
    """Levels of the tree by parent id ("" = the top); each fetched once, whatever the task."""

    def __init__(self) -> None:
        self._levels: dict[str, list[OrgNode]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0  # how many levels were fetched from the portal

    async def get(self, pid: str, fetch) -> list[OrgNode]:
        if pid in self._levels:
            return self._levels[pid]
        async with self._locks.setdefault(pid, asyncio.Lock()):  # one fetch even when two ask at once
            if pid not in self._levels:
                self._levels[pid] = await fetch(pid)
                self.fetches += 1
            return self._levels[pid]


class OrgTree:
    """The tree seen through one session's API, with a (possibly shared) `OrgCache`."""

    def __init__(self, session: PortalSession, cache: OrgCache | None = None, retrying=None) -> None:
        """`retrying` (e.g. a tenacity `AsyncRetrying`) wraps each level's fetch: a busy portal
        then costs one retried call, not a retry of the whole path."""
        self.session = session
        self.cache = cache if cache is not None else OrgCache()
        self.retrying = retrying

    async def children(self, pid: str = "") -> list[OrgNode]:
        """The orgs one level below `pid` ("" = the top of the national tree)."""
        catalog = self.session.catalog
        path = catalog.call("org_level")
        parent = catalog.key("orgtree", "parent")

        async def fetch(p: str) -> list[OrgNode]:
            return level_of(await self.session.api(path, **{parent: p}), catalog)

        async def fetch_retried(p: str) -> list[OrgNode]:
            return await self.retrying(fetch, p)

        return await self.cache.get(pid, fetch_retried if self.retrying else fetch)

    async def resolve(self, names: list[str]) -> list[OrgNode]:
        """The nodes of a path given by exact names from the top; `OrgNotFound` at the first gap."""
        nodes: list[OrgNode] = []
        parent, pid = TOP_LEVEL, ""
        for name in names:
            level = await self.children(pid) if not (nodes and nodes[-1].is_leaf) else []
            found = next((n for n in level if n.name == name), None)
            if found is None:
                raise OrgNotFound(parent, name, [n.name for n in level])
            nodes.append(found)
            parent, pid = found.name, found.league_id
        return nodes

    async def check_path(self, names: list[str]) -> None:
        """Raise `OrgNotFound(parent, missing, available)` unless the whole path exists."""
        await self.resolve(names)

