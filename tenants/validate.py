"""Turn tenant files into Tenant models: schema first, then the checks a schema cannot express."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import Any

from wardcloud.core.networks import overlapping
from wardcloud.core.verdicts import Verdicts, source_digest
from wardcloud.tenants.load import Document, YamlError, decode, dotted, parse, read_bytes
from wardcloud.tenants.model import (
    SEGMENT_NAMES,
    AuditPolicy,
    BackupPolicy,
    Membership,
    Quotas,
    SecurityGroup,
    SecurityRule,
    Segment,
    Tenant,
    Waiver,
)
from wardcloud.tenants.problems import Code, Problem, TenantError
from wardcloud.tenants.reference import AddressPlan, address_plan, check_digit, has_valid_check_digit
from wardcloud.tenants.schedule import DEFAULT_TIMEZONE, Schedule, ScheduleError
from wardcloud.tenants.schema import schema_problems

TENANT_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ValidationResult:
    """Tenants that could be modelled, and every problem found in any file."""

    tenants: tuple[Tenant, ...]
    problems: tuple[Problem, ...]
    files: int

    @property
    def valid(self) -> bool:
        return not self.problems


def discover(paths: Sequence[Path], *, directory: bool = False) -> tuple[list[Path], list[Problem]]:
    """Tenant files under the given files and directories, sorted; problems for paths that hold none.

    With `directory=True` (the consortium: `--tenants`) each path must be a directory. In a directory,
    every `*.yaml` entry that is not itself a directory is a tenant file: one that is not a regular file is
    reported when read, never skipped unseen; one that is a symlink leading outside the directory is refused.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in TENANT_SUFFIXES and not p.is_dir())
            for entry in [p for p in found if p.is_symlink()]:
                target = entry.resolve()
                if not target.is_relative_to(path.resolve()):
                    found.remove(entry)
                    problems.append(Problem(str(entry), 1, 1, Code.OUTSIDE,
                                            f"is a symbolic link leading outside {path} (to {target}); "
                                            "tenant files are read from the tenants directory only"))
            if not found and not problems:
                problems.append(Problem(str(path), 1, 1, Code.NO_TENANTS,
                                        "no tenant files (*.yaml) in this directory"))
            files.extend(found)
        elif directory and path.exists():
            problems.append(Problem(str(path), 1, 1, Code.NOT_A_DIRECTORY,
                                    "is not a directory: --tenants names the directory of ward tenant files"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, Code.NOT_FOUND, "no such file or directory"))
    return files, problems


def validate_paths(paths: Sequence[Path], plan: AddressPlan | None = None) -> ValidationResult:
    """Load and check every tenant file under `paths`; never raises for bad input."""
    files, problems = discover(paths)
    return _validate(_read(files, problems), problems, plan or address_plan(), len(files))


def _read(files: Sequence[Path], problems: list[Problem]) -> list[tuple[Path, bytes]]:
    """Each readable file's bytes, read once: what is checked is exactly what is modelled."""
    contents = []
    for file in files:
        try:
            contents.append((file, read_bytes(file, str(file))))
        except YamlError as exc:
            problems.append(exc.problem)
    return contents


def _validate(contents: Sequence[tuple[Path, bytes]], problems: list[Problem], plan: AddressPlan,
              files: int) -> ValidationResult:
    tenants: list[Tenant] = []
    for file, raw in contents:
        try:
            document = parse(decode(raw, str(file)), str(file))
        except YamlError as exc:
            problems.append(exc.problem)
            continue
        found = schema_problems(document)
        if not found:
            found = file_problems(document, file)
            # A tenant whose networks parse still takes part in the cross-ward checks, so that
            # one fix-and-rerun shows every problem rather than revealing overlaps one at a time.
            if not any(p.code == Code.CIDR_NOT_NETWORK for p in found):
                tenants.append(build_tenant(document))
        problems.extend(found)
    problems.extend(cross_ward_problems(tenants, plan))
    return ValidationResult(tuple(tenants), tuple(sorted(problems)), files)


def load_tenants(paths: Sequence[Path] | Path, verdicts: Verdicts | None = None) -> tuple[Tenant, ...]:
    """Every tenant under `paths` (one Path: the tenants directory, which must be one), or TenantError
    with all problems found.

    With `verdicts`, a set of files whose exact bytes passed every check before is parsed and modelled
    without running the checks again: same bytes, same checking code, same outcome.
    """
    files, problems = discover([paths] if isinstance(paths, Path) else paths, directory=isinstance(paths, Path))
    contents = _read(files, problems)
    key = verdicts.key("tenants", _checker(), [(f.name, raw) for f, raw in contents]) if verdicts else ""
    if verdicts is not None and not problems and verdicts.passed(key):
        return tuple(
            build_tenant(parse(decode(raw, str(file)), str(file), passed_before=True)) for file, raw in contents
        )
    result = _validate(contents, problems, address_plan(), len(files))
    if result.problems:
        raise TenantError(list(result.problems))
    if verdicts is not None:
        verdicts.remember_pass(key)
    return result.tenants


@cache
def _checker() -> bytes:
    """Fingerprint of what decides a tenant file's validity: this package's code, schema and reference data."""
    package = Path(__file__).parent
    return source_digest(sorted([*package.glob("*.py"), *package.glob("schema/*"), *package.glob("reference/*")]))


def _parse_ports(spec: int | str | None) -> tuple[int | None, int | None]:
    if spec is None:
        return None, None
    if isinstance(spec, int):
        return spec, spec
    low, high = (int(p) for p in spec.split("-"))
    return low, high


def file_problems(document: Document, file: Path) -> list[Problem]:
    """Checks on one schema-valid file: check digit, file name, CIDRs, dates, rules."""
    value = document.value
    problems: list[Problem] = []
    code = value["ward"]["code"]
    if not has_valid_check_digit(code):
        problems.append(document.problem(("ward", "code"), Code.CHECK_DIGIT,
                                         f"code {code} has a wrong check digit: expected "
                                         f"{code[:5]}{check_digit(code[:5])}"))
    expected_name = f"{code}-{value['ward']['name_en'].lower()}.yaml"
    if file.name != expected_name:
        problems.append(Problem(document.file, 1, 1, Code.FILE_NAME,
                                f"file name must be {expected_name} (code and English name of the ward)"))
    for name, segment in value["segments"].items():
        cidr = segment["cidr"]
        try:
            network = ip_network(cidr, strict=True)
        except ValueError as exc:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f"; did you mean {ip_network(cidr, strict=False)}?"
            problems.append(document.problem(("segments", name, "cidr"), Code.CIDR_NOT_NETWORK,
                                             f"{cidr} is not a network address ({exc}){hint}"))
            continue
        if not isinstance(network, IPv4Network):  # pragma: no cover - the schema pattern is IPv4
            problems.append(document.problem(("segments", name, "cidr"), Code.CIDR_NOT_NETWORK,
                                             f"{cidr} is not IPv4"))
    joined, left = value["membership"]["joined"], value["membership"].get("left")
    if left is not None and date.fromisoformat(left) <= date.fromisoformat(joined):
        problems.append(document.problem(("membership", "left"), Code.LEFT_BEFORE_JOINED,
                                         f"left {left} must be after joined {joined}"))
    backup = value["backup"]
    try:
        Schedule(backup["schedule"], backup.get("timezone", DEFAULT_TIMEZONE))
    except ScheduleError as exc:
        where = "timezone" if "time zone" in str(exc) else "schedule"
        problems.append(document.problem(("backup", where), Code.BACKUP_SCHEDULE, str(exc)))
    group_names: dict[str, int] = {}
    for g, group in enumerate(value["security_groups"]):
        if group["name"] in group_names:
            problems.append(document.problem(("security_groups", g, "name"), Code.DUPLICATE_GROUP,
                                             f"security group '{group['name']}' is declared twice "
                                             f"(first as security_groups[{group_names[group['name']]}])"))
        group_names.setdefault(group["name"], g)
        for r, rule in enumerate(group["ingress"]):
            problems.extend(_rule_problems(document, ("security_groups", g, "ingress", r), rule))
    return problems


def _rule_problems(document: Document, at: tuple[Any, ...], rule: dict[str, Any]) -> list[Problem]:
    problems = []
    source = rule["source"]
    if source not in SEGMENT_NAMES:
        try:
            ip_network(source, strict=True)
        except ValueError:
            problems.append(document.problem((*at, "source"), Code.UNKNOWN_SOURCE,
                                             f"source '{source}' is neither a segment of this ward "
                                             f"({', '.join(SEGMENT_NAMES)}) nor a network CIDR"))
    ports = rule.get("ports")
    if ports is not None:
        low, high = _parse_ports(ports)
        if rule["protocol"] not in ("tcp", "udp"):
            problems.append(document.problem((*at, "ports"), Code.PORT_RANGE,
                                             f"ports apply to tcp and udp only, not {rule['protocol']}"))
        elif not (low is not None and high is not None and 1 <= low <= high <= 65535):
            problems.append(document.problem((*at, "ports"), Code.PORT_RANGE,
                                             f"port range {ports} must be LOW-HIGH with 1 <= LOW <= HIGH <= 65535"))
    return problems


def build_tenant(document: Document) -> Tenant:
    """The Tenant model of a schema-valid, checked document."""
    v = document.value
    ward = v["ward"]
    segments = tuple(
        Segment(name, IPv4Network(seg["cidr"]), tuple(seg.get("dns_nameservers", ())),
                bool(seg.get("volume_encryption", False)))
        for name in SEGMENT_NAMES
        for seg in [v["segments"][name]]
    )
    groups = tuple(
        SecurityGroup(
            g["name"], g["segment"],
            tuple(SecurityRule(r["protocol"], r["source"], *_parse_ports(r.get("ports")), r.get("description", ""))
                  for r in g["ingress"]),
            g.get("description", ""),
        )
        for g in v["security_groups"]
    )
    membership = v["membership"]
    left = membership.get("left")
    return Tenant(
        code=ward["code"],
        name=ward["name"],
        name_en=ward["name_en"],
        population=ward["population"],
        population_as_of=date.fromisoformat(ward["population_as_of"]),
        drivers=tuple(sorted(ward.get("drivers", {}).items())),
        membership=Membership(date.fromisoformat(membership["joined"]), date.fromisoformat(left) if left else None),
        segments=segments,
        security_groups=groups,
        quotas=Quotas(**v["quotas"]),
        backup=BackupPolicy(v["backup"]["schedule"], v["backup"]["retention_days"],
                            tuple(v["backup"].get("offsite_copy", ())),
                            v["backup"].get("timezone", DEFAULT_TIMEZONE)),
        audit=AuditPolicy(v["audit"]["retention_years"], v["audit"].get("ship_to_central", True)),
        services=tuple(v["services"]),
        waivers=tuple(Waiver(w["policy"], w["justification"], w["approver"], date.fromisoformat(w["expires"]),
                             w.get("resource")) for w in v.get("waivers", ())),
        source_file=document.file,
        locations={dotted(p): m for p, m in document.marks.items()},
    )


@dataclass(frozen=True)
class _Block:
    network: IPv4Network
    label: str
    tenant: Tenant | None  # None: a platform reserved block
    segment: str = ""


def cross_ward_problems(tenants: Iterable[Tenant], plan: AddressPlan) -> list[Problem]:
    """Unique codes and names; no CIDR overlap anywhere; every CIDR inside the address plan."""
    tenants = list(tenants)
    problems: list[Problem] = []
    for attribute, code in (("code", Code.DUPLICATE_CODE), ("name", Code.DUPLICATE_NAME),
                            ("name_en", Code.DUPLICATE_NAME)):
        first: dict[str, Tenant] = {}
        for tenant in tenants:
            key = getattr(tenant, attribute)
            if key in first:
                other = first[key]
                path = f"ward.{attribute}"
                line, column = tenant.location(path)
                problems.append(Problem(tenant.source_file, line, column, code,
                                        f"{attribute} {key} is already used by {other.source_file}", path))
            first.setdefault(key, tenant)

    blocks = [_Block(r.cidr, f"platform reserved {r.cidr} ({r.purpose})", None) for r in plan.reserved]
    for tenant in tenants:
        for segment in tenant.segments:
            path = f"segments.{segment.name}.cidr"
            if not any(segment.cidr.subnet_of(s) for s in plan.ward_supernets):
                line, column = tenant.location(path)
                supernets = ", ".join(str(s) for s in plan.ward_supernets)
                problems.append(Problem(tenant.source_file, line, column, Code.CIDR_OUTSIDE_PLAN,
                                        f"{segment.cidr} is outside the address plan ({supernets})", path))
            blocks.append(_Block(segment.cidr, f"{segment.cidr} ({tenant.source_file} {segment.name})", tenant,
                                 segment.name))
    for later, earlier in overlapping(blocks, lambda b: b.network):
        problems.extend(_overlap_problems(later, earlier))
    return problems


def _overlap_problems(block: _Block, other: _Block) -> list[Problem]:
    if block.tenant is None and other.tenant is None:
        return []
    culprit, against = (block, other) if block.tenant is not None else (other, block)
    assert culprit.tenant is not None
    path = f"segments.{culprit.segment}.cidr"
    line, column = culprit.tenant.location(path)
    code = Code.CIDR_RESERVED if against.tenant is None else Code.CIDR_OVERLAP
    return [Problem(culprit.tenant.source_file, line, column, code,
                    f"{culprit.network} overlaps {against.label}", path)]
