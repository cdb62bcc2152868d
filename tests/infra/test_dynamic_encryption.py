"""The Cinder volume-type encryption dynamic provider: CRUD against a recording block-storage double, and
its place in the platform stack under Pulumi mocks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from wardcloud.infra.dynamic.encryption import TYPE, EncryptionSpec, VolumeTypeEncryptionProvider
from wardcloud.infra.platform import PLATFORM_STACK, VOLUME_ENCRYPTION
from wardcloud.infra.render import mock_id, render_stack
from wardcloud.tenants.model import Tenant

SPEC = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256, "control_location": "front-end"}


class FakeBlockStorage:
    """Cinder's type encryption, one record per volume type, with openstacksdk's proxy method names."""

    def __init__(self) -> None:
        self.records: dict[str, SimpleNamespace] = {}
        self.calls: list[str] = []

    def create_type_encryption(self, volume_type: str, **attrs: Any) -> SimpleNamespace:
        self.calls.append("create")
        assert volume_type not in self.records, "Cinder: the type already has an encryption spec"
        self.records[volume_type] = SimpleNamespace(encryption_id=f"enc-{volume_type}", **attrs)
        return self.records[volume_type]

    def get_type_encryption(self, volume_type: str) -> SimpleNamespace | None:
        return self.records.get(volume_type)

    def update_type_encryption(self, encryption: Any = None, volume_type: Any = None, **attrs: Any) -> Any:
        self.calls.append("update")
        assert encryption is self.records[volume_type]
        vars(self.records[volume_type]).update(attrs)
        return self.records[volume_type]

    def delete_type_encryption(
        self, encryption: Any = None, volume_type: Any = None, ignore_missing: bool = True
    ) -> None:
        self.calls.append("delete")
        self.records.pop(volume_type, None)


def provider() -> tuple[VolumeTypeEncryptionProvider, FakeBlockStorage]:
    storage = FakeBlockStorage()
    connections: list[str | None] = []

    def connect(cloud: str | None) -> Any:
        connections.append(cloud)
        return SimpleNamespace(block_storage=storage)

    return VolumeTypeEncryptionProvider("wardcloud-dev", connect=connect), storage


def test_create_puts_the_luks_spec_on_the_volume_type() -> None:
    crud, storage = provider()
    created = crud.create({"volume_type_id": "vt-1", **SPEC})
    assert created.id == "vt-1"
    assert created.outs == {"volume_type_id": "vt-1", **SPEC, "encryption_id": "enc-vt-1"}
    assert EncryptionSpec.from_mapping(vars(storage.records["vt-1"])) == EncryptionSpec(**SPEC)


def test_diff_sees_a_spec_change_as_an_update_and_a_new_type_as_a_replacement() -> None:
    crud, _ = provider()
    olds = {"volume_type_id": "vt-1", **SPEC, "key_size": 256.0}  # the engine hands numbers back as floats
    assert crud.diff("vt-1", olds, {"volume_type_id": "vt-1", **SPEC}).changes is False
    weaker = crud.diff("vt-1", olds, {"volume_type_id": "vt-1", **SPEC, "key_size": 128})
    assert weaker.changes is True and weaker.replaces == []
    moved = crud.diff("vt-1", olds, {"volume_type_id": "vt-2", **SPEC})
    assert moved.changes is True and moved.replaces == ["volume_type_id"] and moved.delete_before_replace


def test_update_changes_the_spec_in_place_and_delete_removes_it() -> None:
    crud, storage = provider()
    crud.create({"volume_type_id": "vt-1", **SPEC})
    updated = crud.update("vt-1", {}, {"volume_type_id": "vt-1", **SPEC, "cipher": "aes-cbc-essiv:sha256"})
    assert updated.outs["cipher"] == storage.records["vt-1"].cipher == "aes-cbc-essiv:sha256"
    crud.delete("vt-1", {})
    assert storage.records == {} and storage.calls == ["create", "update", "delete"]
    crud.delete("vt-1", {})  # already gone: nothing to do, no error
    assert storage.calls == ["create", "update", "delete"]


def test_read_reports_a_spec_deleted_behind_pulumis_back_as_gone() -> None:
    crud, storage = provider()
    crud.create({"volume_type_id": "vt-1", **SPEC})
    assert crud.read("vt-1", {}).outs["provider"] == "luks"
    storage.records.clear()
    assert crud.read("vt-1", {}).id is None


def test_check_refuses_a_spec_cinder_would_refuse() -> None:
    crud, _ = provider()
    result = crud.check({}, {"volume_type_id": "", **SPEC, "control_location": "middle", "key_size": 0})
    assert sorted(f.property for f in result.failures) == ["control_location", "key_size", "volume_type_id"]
    assert crud.check({}, {"volume_type_id": "vt-1", **SPEC}).failures == []


def test_platform_stack_encrypts_its_volume_type_with_luks(bundled_tenants: tuple[Tenant, ...]) -> None:
    graph = render_stack(PLATFORM_STACK, bundled_tenants).graph
    (encryption,) = graph.of_type(TYPE)
    assert encryption.inputs["volume_type_id"] == mock_id("platform-encrypted-volume-type")
    assert {k: encryption.inputs[k] for k in SPEC} == VOLUME_ENCRYPTION.to_json() == SPEC
    assert encryption.inputs["__provider"] == "[secret]"  # the pickled provider never shows in a plan
    (volume_type,) = graph.of_type("openstack:blockstorage/volumeTypeV3:VolumeTypeV3")
    # the spec is Cinder's encryption, not an extra-spec string; the one extra spec marks the consortium's type
    assert volume_type.inputs["extraSpecs"] == {"wardcloud:owner": "platform"}
