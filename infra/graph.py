"""The resource graph: what `plan` renders, `state` records, policies read and `drift` compares.

One shape for every source (the mock-rendered Pulumi program, a `pulumi stack export`, a live
OpenStack inventory) so one set of policy functions reads them all.

Conventions every producer follows:
- `type` is the Pulumi type token (`openstack:networking/network:Network`).
- `inputs` uses Pulumi's wire (camelCase) property names, as CrossGuard's `args.props` does
  (`externalNetworkId`, `adminStateUp`, `tags`), with JSON-serialisable values only.
- The owning ward is recoverable from the resource itself: a `ward:<code6>` tag where the
  OpenStack resource takes tags, else `metadata["ward"]` (Swift containers), else the name prefix
  `<code6>-` (quotas, role assignments). `segment:<name>` tags likewise name the segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

WARD_TAG = re.compile(r"^ward:([0-9]{6})$")
SEGMENT_TAG = re.compile(r"^segment:(mynumber|lgwan|internet)$")
NAME_PREFIX = re.compile(r"^([0-9]{6})-")


@dataclass(frozen=True)
class Resource:
    """One resource of a stack: identity, place in the tree, and its declared inputs."""

    urn: str
    type: str
    name: str
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    # URN of the explicit provider the resource is created through (a ward's project-scoped one);
    # None for the default provider and for sources that do not know (a live inventory).
    provider: str | None = None

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.inputs.get("tags") or ())

    @property
    def ward(self) -> str | None:
        """The ward code this resource belongs to, from tags, metadata or name; None when unowned."""
        for tag in self.tags:
            if match := WARD_TAG.match(tag):
                return match.group(1)
        metadata = self.inputs.get("metadata") or {}
        if isinstance(metadata, Mapping) and re.fullmatch(r"[0-9]{6}", str(metadata.get("ward", ""))):
            return str(metadata["ward"])
        if match := NAME_PREFIX.match(str(self.inputs.get("name") or self.name)):
            return match.group(1)
        return None

    @property
    def segment(self) -> str | None:
        """The segment this resource serves, when it serves one."""
        for tag in self.tags:
            if match := SEGMENT_TAG.match(tag):
                return match.group(1)
        metadata = self.inputs.get("metadata") or {}
        if isinstance(metadata, Mapping) and metadata.get("segment") in ("mynumber", "lgwan", "internet"):
            return str(metadata["segment"])
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "dependencies": list(self.dependencies),
            "inputs": dict(self.inputs),
        } | ({"provider": self.provider} if self.provider else {})

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Resource:
        return cls(
            raw["urn"],
            raw["type"],
            raw["name"],
            raw.get("parent"),
            tuple(raw.get("dependencies") or ()),
            dict(raw.get("inputs") or {}),
            raw.get("provider") or None,
        )


@dataclass(frozen=True)
class Graph:
    """The resources of one stack, in registration order."""

    stack: str
    resources: tuple[Resource, ...]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def of_type(self, type_token: str) -> Iterable[Resource]:
        """Resources whose type is `type_token`."""
        return (r for r in self.resources if r.type == type_token)

    def by_urn(self) -> dict[str, Resource]:
        return {r.urn: r for r in self.resources}

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "resources": [r.to_json() for r in self.resources]}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Graph:
        return cls(raw["stack"], tuple(Resource.from_json(r) for r in raw["resources"]))
