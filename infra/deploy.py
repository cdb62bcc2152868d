"""`apply` and `destroy` through Pulumi's Automation API (LocalWorkspace over the infra/ project).

Nothing here runs before `preflight` has found the `pulumi` CLI, OpenStack credentials and the
secrets passphrase; without them it raises InfraError and changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from wardcloud.core.errors import Problem, single
from wardcloud.infra.diff import diff_graphs
from wardcloud.infra.errors import Code, InfraError
from wardcloud.infra.gate import ApplyCheck, run_checks
from wardcloud.infra.graph import Graph
from wardcloud.infra.plan import Plan, StackPlan
from wardcloud.infra.platform import PLATFORM_STACK
from wardcloud.infra.program import ward_for_stack
from wardcloud.infra.render import render_stack
from wardcloud.infra.state import StackState, delete_state, load_state, parse_deployment, save_state
from wardcloud.tenants.model import Tenant

INFRA_DIR = Path(__file__).resolve().parent
PROJECT_NAME = "wardcloud"  # as infra/Pulumi.yaml names it
CLOUDS_YAML = (
    Path("clouds.yaml"),
    Path.home() / ".config" / "openstack" / "clouds.yaml",
    Path("/etc/openstack/clouds.yaml"),
)
Log = Callable[[str], None]


@dataclass(frozen=True)
class Environment:
    """Where Pulumi keeps state and how it finds the program: resolved once, before anything runs."""

    pulumi: str
    backend_url: str
    env: Mapping[str, str]
    work_dir: Path


def backend_url(state_dir: Path, environ: Mapping[str, str]) -> str:
    """`PULUMI_BACKEND_URL` when set (e.g. an S3-compatible bucket), else a file backend in the state dir."""
    return environ.get("PULUMI_BACKEND_URL") or (state_dir.resolve() / "pulumi").as_uri()


def openstack_credentials(environ: Mapping[str, str]) -> str | None:
    """Where credentials come from (a clouds.yaml cloud or OS_* variables), None when there are none."""
    if environ.get("OS_CLOUD"):
        files = [Path(environ["OS_CLIENT_CONFIG_FILE"])] if environ.get("OS_CLIENT_CONFIG_FILE") else []
        for file in [*files, *CLOUDS_YAML]:
            if file.is_file() and environ["OS_CLOUD"] in _clouds(file):
                return f"clouds.yaml cloud {environ['OS_CLOUD']!r} ({file})"
        return None
    if environ.get("OS_AUTH_URL") and (
        environ.get("OS_USERNAME") or environ.get("OS_APPLICATION_CREDENTIAL_ID")
    ):
        return "OS_* variables"
    return None


def _clouds(file: Path) -> dict[str, Any]:
    """The `clouds:` mapping of a clouds.yaml; empty when unreadable (the cloud is then not found)."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    clouds = raw.get("clouds") if isinstance(raw, dict) else None
    return clouds if isinstance(clouds, dict) else {}


def preflight(state_dir: Path, environ: Mapping[str, str] | None = None) -> Environment:
    """Check pulumi CLI, OpenStack credentials and secrets passphrase; InfraError names what is missing."""
    environ = dict(os.environ if environ is None else environ)
    problems: list[Problem] = []
    pulumi = shutil.which("pulumi", path=environ.get("PATH"))
    if pulumi is None:
        problems.append(
            single(
                "pulumi",
                Code.NO_PULUMI_CLI,
                "the pulumi CLI is not on PATH: install it "
                "(https://www.pulumi.com/docs/install/ — `curl -fsSL https://get.pulumi.com | sh`) "
                "and put ~/.pulumi/bin on PATH",
            )
        )
    if openstack_credentials(environ) is None:
        problems.append(
            single(
                "openstack",
                Code.NO_CREDENTIALS,
                "no OpenStack credentials: set OS_CLOUD to a cloud in "
                "clouds.yaml (./, ~/.config/openstack/ or /etc/openstack/), or source an openrc "
                "(OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME)",
            )
        )
    if not (environ.get("PULUMI_CONFIG_PASSPHRASE") or environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        problems.append(
            single(
                "secrets",
                Code.NO_PASSPHRASE,
                "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) "
                "is not set: the stacks' secrets are encrypted with this passphrase",
            )
        )
    if problems:
        raise InfraError(problems)
    assert pulumi is not None
    backend = backend_url(state_dir, environ)
    # The program runs on this interpreter, the one wardcloud is installed in (no virtualenv in Pulumi.yaml).
    env = {"PULUMI_BACKEND_URL": backend, "PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_PYTHON_CMD": sys.executable}
    return Environment(pulumi, backend, env, state_dir.resolve() / "pulumi-project")


def _workspace_stack(stack: str, environment: Environment, tenants_dir: Path) -> Any:
    """Select (or create) `stack` of the infra/ project in a LocalWorkspace bound to our backend."""
    from pulumi import automation as auto

    if environment.backend_url.startswith("file://"):
        Path(environment.backend_url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    env = {**environment.env, "WARDCTL_TENANTS": str(tenants_dir.resolve())}
    command = auto.PulumiCommand(root=str(Path(environment.pulumi).parent.parent))
    # The project's files (Pulumi.yaml, per-stack config) live in the state dir; the program stays where it
    # is installed (`main`), which may be a read-only site-packages.
    environment.work_dir.mkdir(parents=True, exist_ok=True)
    settings = auto.ProjectSettings(
        name=PROJECT_NAME, runtime=auto.ProjectRuntimeInfo(name="python"), main=str(INFRA_DIR)
    )
    options = auto.LocalWorkspaceOptions(
        work_dir=str(environment.work_dir),
        project_settings=settings,
        env_vars=env,
        secrets_provider="passphrase",
        pulumi_command=command,
    )
    return auto.create_or_select_stack(stack_name=stack, work_dir=str(environment.work_dir), opts=options)


def _record_from_export(workspace_stack: Any, stack: str) -> StackState:
    """The applied state as the deployment holds it (real ids, provider defaults dropped)."""
    exported = workspace_stack.export_stack()
    return parse_deployment(
        {"version": exported.version, "deployment": exported.deployment},
        stack,
        f"pulumi stack export --stack {stack}",
    )


@dataclass(frozen=True)
class StackOutcome:
    """What happened to one stack in an apply or destroy."""

    stack: str
    ok: bool
    message: str = ""


def blocking_problems(tenants: Sequence[Tenant], plan: Plan, checks: Sequence[ApplyCheck]) -> list[Problem]:
    """Every problem the checks the caller passes in (policies) raise against this plan; apply stops on any."""
    return run_checks(tenants, plan, checks)


def run_apply(
    plan: Plan, environment: Environment, state_dir: Path, tenants_dir: Path, log: Log = print, jobs: int = 2
) -> list[StackOutcome]:
    """`pulumi up` the changed stacks, platform first, wards in parallel; record each success as state."""

    def up(stack: str) -> StackOutcome:
        try:
            workspace_stack = _workspace_stack(stack, environment, tenants_dir)
            workspace_stack.up(on_output=lambda line: log(f"[{stack}] {line.rstrip()}"), color="never")
            save_state(state_dir, _record_from_export(workspace_stack, stack))
        except InfraError as exc:
            return StackOutcome(stack, False, "; ".join(p.render() for p in exc.problems))
        except Exception as exc:  # the CLI's failure, reported per stack; other stacks go on
            return StackOutcome(
                stack, False, str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            )
        return StackOutcome(stack, True)

    changed = plan.changed_stacks()
    outcomes: list[StackOutcome] = []
    if PLATFORM_STACK in changed:
        outcomes.append(up(PLATFORM_STACK))
        if not outcomes[-1].ok:
            return outcomes  # wards read the platform's outputs: no point going on
    wards = [s for s in changed if s != PLATFORM_STACK]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes.extend(pool.map(up, wards))
    return outcomes


def destroy_plan(tenants: Sequence[Tenant], state_dir: Path, code: str, today: date) -> Plan:
    """Everything of a departed ward's stack goes, except the audit log; InfraError for an active ward."""
    stack = f"ward-{code}"
    ward = ward_for_stack(stack, tenants)
    left = ward.membership.left
    if left is None or left > today:
        when = "has no membership.left date" if left is None else f"leaves on {left.isoformat()}"
        raise InfraError(
            [
                single(
                    ward.source_file or stack,
                    Code.STILL_A_MEMBER,
                    f"ward {code} is active ({when}): only a ward that has left can be destroyed",
                    line=ward.location("membership.left")[0],
                    column=ward.location("membership.left")[1],
                    path="membership.left",
                )
            ]
        )
    recorded = load_state(state_dir, stack)
    previous = recorded.graph if recorded else render_stack(stack, tenants).graph
    return Plan(
        {stack: StackPlan(stack, Graph(stack, ()), previous, diff_graphs(previous, Graph(stack, ())))}
    )


def run_destroy(
    stack: str, environment: Environment, state_dir: Path, tenants_dir: Path, log: Log = print
) -> StackOutcome:
    """`pulumi destroy` one ward stack, forget its state (the audit log is retain_on_delete: kept)."""
    try:
        workspace_stack = _workspace_stack(stack, environment, tenants_dir)
        workspace_stack.destroy(on_output=lambda line: log(f"[{stack}] {line.rstrip()}"), color="never")
    except Exception as exc:
        return StackOutcome(
            stack, False, str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
        )
    delete_state(state_dir, stack)
    return StackOutcome(stack, True)
