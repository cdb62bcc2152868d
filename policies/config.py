"""Policy configuration (`policies/config.yaml`): enforcement overrides and thresholds, schema-checked."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

from wardcloud.core.errors import Problem, WardcloudError
from wardcloud.core.quick_schema import SchemaCheck
from wardcloud.policies.errors import Code
from wardcloud.policies.registry import Enforcement, Registry, catalogue
from wardcloud.tenants.load import YamlError, dotted, load_document

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
CONFIG_SCHEMA = "config.schema.json"


class PolicyConfigError(WardcloudError):
    """A policy configuration file that is malformed or names an unknown rule."""




@dataclass(frozen=True)
class PolicyConfig:
    """Effective enforcement overrides and thresholds every rule reads."""

    enforcement: Mapping[str, Enforcement] = field(default_factory=dict)
    backup_min_retention_days: int = 30
    backup_rpo_grace_hours: int = 2  # BAK-101: how long a due run may take before its backup must exist
    backup_retention_grace_days: int = 8  # BAK-102: a full backup lives on while its incrementals do
    backup_offsite_max_lag_minutes: int = 60  # BAK-104
    backup_drill_max_age_days: int = 30  # BAK-105
    audit_min_retention_years: int = 5
    widest_any_protocol_prefix: int = 16
    world_open_ports: frozenset[int] = frozenset({80, 443})
    admin_ports: frozenset[int] = frozenset({22, 3389, 5432, 3306, 1433, 6443, 2379})
    mynumber_allowed_sources: tuple[IPv4Network | IPv6Network, ...] = (IPv4Network("10.0.0.0/24"),)
    lgwan_allowed_sources: tuple[IPv4Network | IPv6Network, ...] = (
        IPv4Network("10.0.0.0/24"),
        IPv4Network("10.0.16.0/20"),
    )
    egress_network_ids: frozenset[str] = frozenset({"platform-egress-network-id"})
    lgwan_network_ids: frozenset[str] = frozenset({"platform-lgwan-gateway-network-id"})
    shared_service_project_ids: frozenset[str] = frozenset(
        {"platform-bousai-project-id", "platform-procurement-project-id", "platform-renkei-project-id"}
    )
    encrypted_volume_types: frozenset[str] = frozenset(
        {"encrypted-luks", "platform-encrypted-volume-type-id"}
    )
    quota_ceilings: Mapping[str, int] = field(default_factory=dict)
    source: str = "<defaults>"
    # the platform audit project (log shipper): the only writer AUD-021 lets into an audit container
    audit_project_ids: frozenset[str] = frozenset({"platform-audit-project-id"})

    def enforcement_of(self, rule_id: str, default: Enforcement) -> Enforcement:
        """The configured enforcement of a rule, else its default."""
        return self.enforcement.get(rule_id, default)


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("wardcloud.policies").joinpath(CONFIG_SCHEMA).read_text(encoding="utf-8"))


@cache
def _check() -> SchemaCheck:
    return SchemaCheck(_schema(), formats=False)


def load_config(path: Path | None = None, registry: Registry | None = None) -> PolicyConfig:
    """The policy config at `path` (default: the bundled config.yaml); PolicyConfigError on any problem."""
    path = path or DEFAULT_CONFIG
    registry = registry or catalogue()
    display = str(path)
    if not path.is_file():
        raise PolicyConfigError([Problem(display, 0, 0, Code.CONFIG_NOT_FOUND, "policy config file not found")])
    try:
        document = load_document(path, display)
    except YamlError as exc:
        raise PolicyConfigError([exc.problem]) from None
    raw = document.value if document.value is not None else {}
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise PolicyConfigError([Problem(display, 1, 1, Code.CONFIG_SCHEMA, "policy config must be a mapping")])
    for error in _check().errors(raw):
        pointer = tuple(error.absolute_path)
        key = dotted(pointer) or "(top level)"
        line, column = document.mark(pointer)
        problems.append(Problem(display, line, column, Code.CONFIG_SCHEMA, f"{key}: {error.message}", dotted(pointer)))
    for rule_id in (raw.get("enforcement") or {}) if isinstance(raw.get("enforcement"), dict) else {}:
        if rule_id not in registry:
            pointer = ("enforcement", rule_id)
            line, column = document.key_marks.get(pointer) or document.mark(pointer)
            problems.append(
                Problem(
                    display,
                    line,
                    column,
                    Code.CONFIG_UNKNOWN_RULE,
                    f"enforcement.{rule_id}: unknown policy rule {rule_id} (see `wardctl policy list`)",
                    dotted(pointer),
                )
            )
    if problems:
        raise PolicyConfigError(problems)
    thresholds = raw.get("thresholds") or {}
    platform = raw.get("platform") or {}
    defaults = PolicyConfig()

    def networks(
        key: str, default: tuple[IPv4Network | IPv6Network, ...]
    ) -> tuple[IPv4Network | IPv6Network, ...]:
        if key not in platform:
            return default
        out = []
        for i, cidr in enumerate(platform[key]):
            try:
                out.append(ip_network(cidr, strict=True))
            except ValueError as exc:
                line, column = document.mark(("platform", key, i))
                raise PolicyConfigError(
                    [
                        Problem(
                            display,
                            line,
                            column,
                            Code.CONFIG_SCHEMA,
                            f"platform.{key}[{i}]: {exc}",
                            f"platform.{key}[{i}]",
                        )
                    ]
                ) from None
        return tuple(out)

    return PolicyConfig(
        enforcement=dict(raw.get("enforcement") or {}),
        backup_min_retention_days=thresholds.get(
            "backup_min_retention_days", defaults.backup_min_retention_days
        ),
        backup_rpo_grace_hours=thresholds.get("backup_rpo_grace_hours", defaults.backup_rpo_grace_hours),
        backup_retention_grace_days=thresholds.get(
            "backup_retention_grace_days", defaults.backup_retention_grace_days
        ),
        backup_offsite_max_lag_minutes=thresholds.get(
            "backup_offsite_max_lag_minutes", defaults.backup_offsite_max_lag_minutes
        ),
        backup_drill_max_age_days=thresholds.get("backup_drill_max_age_days", defaults.backup_drill_max_age_days),
        audit_min_retention_years=thresholds.get(
            "audit_min_retention_years", defaults.audit_min_retention_years
        ),
        widest_any_protocol_prefix=thresholds.get(
            "widest_any_protocol_prefix", defaults.widest_any_protocol_prefix
        ),
        world_open_ports=frozenset(thresholds.get("world_open_ports", defaults.world_open_ports)),
        admin_ports=frozenset(thresholds.get("admin_ports", defaults.admin_ports)),
        mynumber_allowed_sources=networks("mynumber_allowed_sources", defaults.mynumber_allowed_sources),
        lgwan_allowed_sources=networks("lgwan_allowed_sources", defaults.lgwan_allowed_sources),
        egress_network_ids=frozenset(platform.get("egress_network_ids", defaults.egress_network_ids)),
        lgwan_network_ids=frozenset(platform.get("lgwan_network_ids", defaults.lgwan_network_ids)),
        shared_service_project_ids=frozenset(
            platform.get("shared_service_project_ids", defaults.shared_service_project_ids)
        ),
        encrypted_volume_types=frozenset(
            platform.get("encrypted_volume_types", defaults.encrypted_volume_types)
        ),
        quota_ceilings=dict(raw.get("quota_ceilings") or {}),
        source=display,
    )
