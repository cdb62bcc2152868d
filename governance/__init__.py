"""Governance: saved plans, two-person signed approval, signed waivers, break-glass, and `apply` itself.

The top of the library: it reads tenants, renders with infra, judges with policies and records with audit;
`wardcloud.cli` only parses and formats. Signers live in `governance/signers` (OpenSSH allowed_signers
with `wardcloud-roles`), what a change needs in `governance/rules.yaml` (docs/governance.md).
"""

# A checkout's root also holds this folder; importing it as `governance` would make a second copy of every module.
if __name__ != "wardcloud.governance":
    raise ImportError(f"{__name__} is part of wardcloud: import wardcloud.governance")
