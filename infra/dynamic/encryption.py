"""Cinder volume-type encryption (LUKS spec) as a Pulumi dynamic resource: pulumi-openstack has no such resource.

The provider runs in the deployer's process (`pulumi up`), so it connects with the deployer's
OpenStack credentials from the environment (`OS_CLOUD` / `OS_CLIENT_CONFIG_FILE`, or `OS_AUTH_URL` …),
exactly like pulumi-openstack itself; nothing secret is captured in the state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

# The declared spec's keys, as the resource's inputs (also Cinder's field names).
SPEC_KEYS = ("provider", "cipher", "key_size", "control_location")
CONTROL_LOCATIONS = ("front-end", "back-end")


@dataclass(frozen=True)
class EncryptionSpec:
    """A volume type's encryption: Cinder's `provider`, `cipher`, `key_size` (bits) and `control_location`."""

    provider: str = "luks"
    cipher: str = "aes-xts-plain64"
    key_size: int = 256
    control_location: str = "front-end"

    def to_json(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in SPEC_KEYS}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> EncryptionSpec:
        """The spec from a props/outs mapping or a Cinder encryption record (key size as an int)."""
        size = values.get("key_size")
        return cls(
            provider=str(values.get("provider") or ""),
            cipher=str(values.get("cipher") or ""),
            key_size=int(size) if size not in (None, "") else 0,
            control_location=str(values.get("control_location") or ""),
        )


def _default_connect(cloud: str | None) -> Any:
    import openstack

    return openstack.connect(cloud=cloud) if cloud else openstack.connect()


class VolumeTypeEncryptionProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of one volume type's encryption spec through openstacksdk's block-storage proxy.

    The resource id is the volume type's id: a type has at most one encryption spec.
    """

    def __init__(self, cloud: str | None = None, connect: Callable[[str | None], Any] | None = None) -> None:
        self.cloud = cloud
        self._connect = connect or _default_connect

    def _storage(self) -> Any:
        return self._connect(self.cloud).block_storage

    @staticmethod
    def _current(storage: Any, type_id: str) -> Any | None:
        """The type's encryption record, None when it has none (Cinder answers `{}`, or 404)."""
        try:
            found = storage.get_type_encryption(type_id)
        except Exception as exc:  # openstacksdk's NotFoundException, without importing the SDK here
            if getattr(exc, "status_code", None) == 404:
                return None
            raise
        return found if found is not None and getattr(found, "encryption_id", None) else None

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        failures = []
        if not news.get("volume_type_id"):
            failures.append(pulumi.dynamic.CheckFailure("volume_type_id", "the volume type is required"))
        if news.get("control_location") not in CONTROL_LOCATIONS:
            failures.append(
                pulumi.dynamic.CheckFailure("control_location", f"must be one of {', '.join(CONTROL_LOCATIONS)}")
            )
        size = news.get("key_size")
        if not isinstance(size, int | float) or int(size) <= 0:
            failures.append(pulumi.dynamic.CheckFailure("key_size", "must be a positive number of bits"))
        return pulumi.dynamic.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        spec = EncryptionSpec.from_mapping(props)
        type_id = str(props["volume_type_id"])
        created = self._storage().create_type_encryption(type_id, **spec.to_json())
        return pulumi.dynamic.CreateResult(type_id, self._outs(type_id, created))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        found = self._current(self._storage(), id_)
        if found is None:
            return pulumi.dynamic.ReadResult(None, {})  # gone: pulumi plans a create
        return pulumi.dynamic.ReadResult(id_, self._outs(id_, found))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [key for key in ("volume_type_id", *SPEC_KEYS) if _norm(olds.get(key)) != _norm(news.get(key))]
        return pulumi.dynamic.DiffResult(
            changes=bool(changed),
            replaces=[key for key in changed if key == "volume_type_id"],
            delete_before_replace=True,  # one spec per type: the old one must go first
        )

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        storage = self._storage()
        current = self._current(storage, id_)
        spec = EncryptionSpec.from_mapping(news).to_json()
        if current is None:  # deleted behind pulumi's back: put it back
            created = storage.create_type_encryption(id_, **spec)
            return pulumi.dynamic.UpdateResult(self._outs(id_, created))
        # Cinder refuses to change the spec of a type that volumes use (400): the error surfaces as is.
        updated = storage.update_type_encryption(encryption=current, volume_type=id_, **spec)
        return pulumi.dynamic.UpdateResult(self._outs(id_, updated))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        storage = self._storage()
        current = self._current(storage, id_)
        if current is not None:
            storage.delete_type_encryption(encryption=current, volume_type=id_, ignore_missing=True)

    @staticmethod
    def _outs(type_id: str, record: Any) -> dict[str, Any]:
        spec = EncryptionSpec.from_mapping({key: getattr(record, key, None) for key in SPEC_KEYS})
        return {"volume_type_id": type_id, **spec.to_json(), "encryption_id": getattr(record, "encryption_id", None)}


def _norm(value: Any) -> Any:
    """Numbers compare as ints (the engine hands key sizes back as floats)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


TYPE = "pulumi-python:dynamic/blockstorage:VolumeTypeEncryption"


class VolumeTypeEncryption(pulumi.dynamic.Resource, module="blockstorage", name="VolumeTypeEncryption"):
    """The encryption spec of one Cinder volume type (type token `TYPE`)."""

    volume_type_id: pulumi.Output[str]
    provider: pulumi.Output[str]
    cipher: pulumi.Output[str]
    key_size: pulumi.Output[int]
    control_location: pulumi.Output[str]
    encryption_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        volume_type_id: pulumi.Input[str],
        spec: EncryptionSpec,
        opts: pulumi.ResourceOptions | None = None,
        *,
        cloud: str | None = None,
    ) -> None:
        super().__init__(
            VolumeTypeEncryptionProvider(cloud),
            name,
            {"volume_type_id": volume_type_id, **spec.to_json(), "encryption_id": None},
            opts,
        )
