"""Applied state under the state directory: one JSON file per stack, and `pulumi stack export` import.

Layout: `<state_dir>/stacks/<stack>.json` holding the applied graph (infra.graph's shape) plus the
real ids of its resources and the stack's outputs, so a plan renders with the ids a deployment holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wardcloud.core.errors import single
from wardcloud.core.files import Code as FileCode
from wardcloud.core.files import FileError, read_input, write_atomic
from wardcloud.core.jsontext import loads
from wardcloud.infra.errors import Code, InfraError, infra_error
from wardcloud.infra.graph import Graph, Resource
from wardcloud.infra.program import PROJECT
from wardcloud.infra.render import SECRET, Known

STATE_VERSION = 1
STACK_NAME = re.compile(r"^(platform|ward-[0-9]{6})$")
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SKIPPED_TYPES = ("pulumi:pulumi:Stack", "pulumi:pulumi:StackReference")


@dataclass(frozen=True)
class StackState:
    """What was last applied to one stack: its graph, resource ids by logical name, stack outputs."""

    graph: Graph
    ids: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stack(self) -> str:
        return self.graph.stack

    def known(self) -> Known:
        """Ids and outputs for a render that should match this state."""
        return Known(dict(self.ids), dict(self.outputs))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            **self.graph.to_json(),
            "ids": dict(self.ids),
            "outputs": dict(self.outputs),
        }


def stacks_dir(state_dir: Path) -> Path:
    return state_dir / "stacks"


def state_path(state_dir: Path, stack: str) -> Path:
    return stacks_dir(state_dir) / f"{stack}.json"


def check_stack_name(stack: str, where: str = "--stack") -> None:
    """`platform` or `ward-<code6>`; anything else is an InfraError."""
    if not STACK_NAME.match(stack):
        raise infra_error(
            where, Code.BAD_STACK_NAME, f"invalid stack name {stack!r}: expected 'platform' or 'ward-<code6>'"
        )


def load_state(state_dir: Path, stack: str) -> StackState | None:
    """The recorded state of `stack`, None when never applied; InfraError when the file is malformed."""
    path = state_path(state_dir, stack)
    if not path.exists():
        return None
    try:
        raw = loads(read_input(path).decode("utf-8"))  # core.files: a FIFO or device is refused
        if raw.get("version") != STATE_VERSION or raw.get("stack") != stack:
            raise ValueError(f"expected version {STATE_VERSION} state of stack {stack!r}")
        return StackState(Graph.from_json(raw), dict(raw.get("ids") or {}), dict(raw.get("outputs") or {}))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise infra_error(str(path), Code.BAD_STATE_FILE, f"malformed state file: {exc}") from None


def recorded_stacks(state_dir: Path) -> list[str]:
    """Stacks that have a state file."""
    folder = stacks_dir(state_dir)
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if STACK_NAME.match(p.stem))


def save_state(state_dir: Path, state: StackState) -> Path:
    """Write one stack's state atomically; returns the file written."""
    path = state_path(state_dir, state.stack)
    write_atomic(path, json.dumps(state.to_json(), ensure_ascii=False, indent=2) + "\n")
    return path


def delete_state(state_dir: Path, stack: str) -> None:
    """Forget a destroyed stack."""
    state_path(state_dir, stack).unlink(missing_ok=True)


def _clean(value: Any) -> Any:
    """Deployment values as graph inputs: secrets masked, provider bookkeeping dropped."""
    if isinstance(value, Mapping):
        if SECRET_SIG in value:
            return SECRET
        return {k: _clean(v) for k, v in sorted(value.items()) if k != "__defaults"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _declared_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs without the ones the provider filled in (listed in `__defaults`), as the program declared."""
    defaults = set(inputs.get("__defaults") or ())
    return {k: v for k, v in _clean(inputs).items() if k not in defaults}


def parse_deployment(raw: Any, stack: str, source: str) -> StackState:
    """A `pulumi stack export` (version 3) document as the state of `stack`; InfraError when malformed."""
    problems = []
    if (
        not isinstance(raw, Mapping)
        or raw.get("version") != 3
        or not isinstance(raw.get("deployment"), Mapping)
    ):
        raise infra_error(
            source,
            Code.NOT_A_STACK_EXPORT,
            'not a `pulumi stack export` deployment: expected {"version": 3, "deployment": {...}}',
        )
    entries = raw["deployment"].get("resources") or []
    if not isinstance(entries, list):
        raise infra_error(
            source, Code.BAD_RESOURCE, "deployment.resources must be a list", path="deployment.resources"
        )
    resources: list[Resource] = []
    ids: dict[str, str] = {}
    outputs: dict[str, Any] = {}
    for index, entry in enumerate(entries):
        at = f"deployment.resources[{index}]"
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("urn"), str)
            or not isinstance(entry.get("type"), str)
        ):
            problems.append(single(source, Code.BAD_RESOURCE, "resource without urn or type", path=at))
            continue
        urn, type_ = entry["urn"], entry["type"]
        parts = urn.split("::")
        if not urn.startswith("urn:pulumi:") or len(parts) < 4:
            problems.append(single(source, Code.BAD_RESOURCE, f"malformed urn {urn!r}", path=f"{at}.urn"))
            continue
        if parts[0] != f"urn:pulumi:{stack}":
            problems.append(
                single(
                    source,
                    Code.OTHER_STACK,
                    f"resource belongs to stack {parts[0][11:]!r}, not {stack!r}",
                    path=f"{at}.urn",
                )
            )
            continue
        if parts[1] != PROJECT:
            problems.append(
                single(
                    source, Code.OTHER_PROJECT, f"resource of project {parts[1]!r}, not {PROJECT!r}", path=f"{at}.urn"
                )
            )
            continue
        if type_ == "pulumi:pulumi:Stack":
            outputs = _clean(entry.get("outputs") or {})
        name = parts[-1]
        # Default providers are bookkeeping; an explicit one (a ward's project-scoped provider) is declared.
        default_provider = type_.startswith("pulumi:providers:") and name.startswith("default")
        if type_ in SKIPPED_TYPES or default_provider or entry.get("external"):
            continue
        if entry.get("id"):
            ids[name] = str(entry["id"])
        resources.append(
            Resource(
                urn,
                type_,
                name,
                entry.get("parent"),
                tuple(sorted(set(entry.get("dependencies") or ()))),
                _declared_inputs(entry.get("inputs") or {}),
                _explicit_provider(entry.get("provider")),
            )
        )
    if problems:
        raise InfraError(problems)
    return StackState(Graph(stack, tuple(resources)), ids, outputs)


def _explicit_provider(reference: Any) -> str | None:
    """The URN of an explicit provider from a `<urn>::<id>` reference; None for a default provider."""
    if not reference:
        return None
    urn = str(reference).rsplit("::", 1)[0]
    return None if urn.rsplit("::", 1)[-1].startswith("default") else urn


def import_deployment(state_dir: Path, stack: str, file: Path) -> StackState:
    """Read a `pulumi stack export` file into the state directory as `stack`'s state."""
    check_stack_name(stack)
    try:
        raw = loads(read_input(file).decode("utf-8"))  # core.files: a FIFO or device is refused
    except FileError as exc:
        if exc.problems[0].code == FileCode.NOT_FOUND:
            raise infra_error(str(file), Code.NO_SUCH_FILE, "no such file") from None
        raise
    except UnicodeDecodeError as exc:
        raise infra_error(str(file), Code.NOT_A_STACK_EXPORT, f"not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise infra_error(
            str(file), Code.NOT_A_STACK_EXPORT, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    state = parse_deployment(raw, stack, str(file))
    save_state(state_dir, state)
    return state
