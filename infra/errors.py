"""Bad input to the infra library: unknown stacks, malformed state files, refused operations."""

from __future__ import annotations

from enum import StrEnum

from wardcloud.core.errors import Problem, WardcloudError, single


class Code(StrEnum):
    """The infra library's error codes (docs/errors.md)."""

    NO_TENANT_FILE = "INFRA001"  # no tenant file defines the stack
    UNKNOWN_WARD = "INFRA002"  # `--ward` names a ward with no tenant file and no recorded state
    BAD_STACK_NAME = "INFRA010"  # invalid stack name (not `platform` / `ward-<code6>`)
    BAD_STATE_FILE = "INFRA011"  # malformed state file under `<state>/stacks/`
    NOT_A_STACK_EXPORT = "INFRA020"  # import: not JSON / not a version-3 `pulumi stack export`
    BAD_RESOURCE = "INFRA021"  # import: a resource without urn or type, or a malformed urn / resources list
    OTHER_STACK = "INFRA022"  # import: a resource of another stack
    NO_SUCH_FILE = "INFRA023"  # import: no such file
    OTHER_PROJECT = "INFRA024"  # import: a resource of another Pulumi project
    NO_PULUMI_CLI = "INFRA030"  # apply/destroy: the `pulumi` CLI is not on PATH
    NO_CREDENTIALS = "INFRA031"  # apply/destroy: no OpenStack credentials
    NO_PASSPHRASE = "INFRA032"  # apply/destroy: no `PULUMI_CONFIG_PASSPHRASE`
    STILL_A_MEMBER = "INFRA040"  # destroy: the ward is still a member


class InfraError(WardcloudError):
    """A problem the user can fix before plan, import, apply or destroy can go on."""


def infra_error(file: str, code: Code, message: str, **where: object) -> InfraError:
    """One-problem InfraError (the common case)."""
    return InfraError([single(file, code, message, **where)])  # type: ignore[arg-type]


__all__ = ["Code", "InfraError", "Problem", "infra_error"]
