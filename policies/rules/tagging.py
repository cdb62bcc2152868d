"""Ownership tags and the naming convention: every resource names its ward."""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import CIS, REPORT, Finding, rule
from wardcloud.policies.rules._common import CONTAINER, SEGMENTED, TAGGABLE

# Ward resources are `<code6>-…`, platform ones `platform…` or `consortium-…` (docs/infra.md).
NAME = re.compile(r"^([0-9]{6}|platform|consortium)(-[a-z0-9][a-z0-9._-]*)?$")


@rule(
    "TAG-001",
    title="every ward resource is tagged with its ward",
    severity="medium",
    source=REPORT,
    kind="resource",
    types=(*TAGGABLE, CONTAINER),
    remediation="Tag the resource `ward:<code6>` (Swift containers: metadata ward=<code6>).",
)
def ward_tag(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    match = re.match(r"^([0-9]{6})-", resource.name)
    if not match:
        return
    code = match.group(1)
    if resource.type == CONTAINER:
        if (resource.inputs.get("metadata") or {}).get("ward") != code:
            yield Finding(
                f"container {resource.name} has no metadata ward={code}", resource.name, "ward.code"
            )
    elif f"ward:{code}" not in resource.tags:
        yield Finding(f"{resource.name} is not tagged ward:{code}", resource.name, "ward.code")


@rule(
    "TAG-002",
    title="resource names follow the naming convention",
    severity="low",
    source=CIS,
    kind="resource",
    enforcement="advisory",
    remediation="Name resources `<code6>-<segment>-<kind>` (ward) or `platform-<kind>` (platform).",
)
def naming(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if not NAME.match(resource.name):
        yield Finding(
            f"name {resource.name!r} does not follow `<code6>-…` or `platform-…`", resource.name, "ward.code"
        )


@rule(
    "TAG-003",
    title="segment resources name their segment",
    severity="low",
    source=REPORT,
    kind="resource",
    types=SEGMENTED,
    remediation="Tag the resource `segment:<mynumber|lgwan|internet>`.",
)
def segment_tag(resource: Resource, config: PolicyConfig) -> Iterator[Finding]:
    if re.match(r"^[0-9]{6}-", resource.name) and resource.segment is None:
        yield Finding(f"{resource.name} has no segment:<name> tag", resource.name, "segments")
