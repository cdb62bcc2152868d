"""Diff a rendered graph against the applied one: what `plan` would create, update and delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wardcloud.infra.graph import Graph


@dataclass(frozen=True)
class Update:
    """A resource whose declared inputs changed, and which input keys."""

    urn: str
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "keys": list(self.keys)}


@dataclass(frozen=True)
class StackChanges:
    """The changes of one stack, each list in the order a reviewer reads them."""

    create: tuple[str, ...] = ()
    update: tuple[Update, ...] = ()
    delete: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)

    def to_json(self) -> dict[str, Any]:
        return {
            "create": list(self.create),
            "update": [u.to_json() for u in self.update],
            "delete": list(self.delete),
        }


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """Input keys whose values differ (absent and None count as the same: both mean 'not set')."""
    return tuple(sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))


def diff_graphs(old: Graph | None, new: Graph) -> StackChanges:
    """Creates in `new` order, updates in `new` order, deletes in `old` order (by URN)."""
    before = old.by_urn() if old else {}
    after = new.by_urn()
    create = tuple(r.urn for r in new if r.urn not in before)
    update = tuple(
        Update(r.urn, keys)
        for r in new
        if r.urn in before and (keys := changed_keys(dict(before[r.urn].inputs), dict(r.inputs)))
    )
    delete = tuple(r.urn for r in (old or ()) if r.urn not in after)
    return StackChanges(create, update, delete)
