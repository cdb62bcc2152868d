"""The encrypted volume type really encrypts: a Cinder encryption spec (LUKS), not a promise in an extra spec.

The declared side is the platform's `VolumeTypeEncryption` dynamic resource (infra/dynamic/encryption.py),
named `<volume type logical name>-encryption`; a live inventory that reads Cinder's volume types and their
encryption records the real spec under the same name and type, so the same rule judges plan and cloud.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from wardcloud.infra.graph import Resource
from wardcloud.policies.config import PolicyConfig
from wardcloud.policies.registry import MIC, Finding, rule
from wardcloud.policies.rules._common import known

VOLUME_TYPE = "openstack:blockstorage/volumeTypeV3:VolumeTypeV3"
VOLUME_TYPE_ENCRYPTION = "pulumi-python:dynamic/blockstorage:VolumeTypeEncryption"
# What counts as encrypting: LUKS with AES-XTS and a 256-bit (AES-128) or 512-bit (AES-256) XTS key, done
# by the compute host (front-end), so the storage back end only ever holds ciphertext.
PROVIDERS = ("luks", "nova.volume.encryptors.luks.LuksEncryptor")
CIPHERS = ("aes-xts-plain64",)
MIN_KEY_SIZE = 256
CONTROL_LOCATION = "front-end"


def _weaknesses(spec: Resource) -> list[str]:
    i = spec.inputs
    found = []
    if known(i.get("provider")) and i.get("provider") not in PROVIDERS:
        found.append(f"provider {i.get('provider')!r} is not LUKS")
    if known(i.get("cipher")) and i.get("cipher") not in CIPHERS:
        found.append(f"cipher {i.get('cipher')!r} is not {CIPHERS[0]}")
    size = i.get("key_size")
    if known(size) and (not isinstance(size, int | float) or size < MIN_KEY_SIZE):
        found.append(f"key size {size} is below {MIN_KEY_SIZE} bits")
    if known(i.get("control_location")) and i.get("control_location") != CONTROL_LOCATION:
        found.append(f"control location {i.get('control_location')!r} is not {CONTROL_LOCATION}")
    return found


@rule(
    "NET-020",
    title="the encrypted volume type has a LUKS encryption spec",
    severity="critical",
    source=f"{MIC} (encryption of the individual-number segment's stored data)",
    kind="graph",
    types=(VOLUME_TYPE, VOLUME_TYPE_ENCRYPTION),
    waivable=False,
    remediation="Give the type a Cinder encryption spec: provider luks, cipher aes-xts-plain64, key size 256 "
    "or more, control location front-end (the platform stack's VolumeTypeEncryption does).",
)
def encrypted_type_is_luks(resources: Sequence[Resource], config: PolicyConfig) -> Iterator[Finding]:
    specs = {r.name: r for r in resources if r.type == VOLUME_TYPE_ENCRYPTION}
    for volume_type in resources:
        if volume_type.type != VOLUME_TYPE or volume_type.inputs.get("name") not in config.encrypted_volume_types:
            continue
        spec = specs.get(f"{volume_type.name}-encryption")
        if spec is None:
            yield Finding(
                f"volume type {volume_type.inputs.get('name')} has no encryption spec: its volumes are stored in clear",
                volume_type.name,
                "segments",
            )
            continue
        for weakness in _weaknesses(spec):
            yield Finding(f"volume type {volume_type.inputs.get('name')}: {weakness}", spec.name, "segments")
