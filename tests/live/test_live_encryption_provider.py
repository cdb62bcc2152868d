"""The Cinder volume-type encryption dynamic provider against the dev cloud's real Cinder: create, read,
diff, update, delete, each checked by reading Cinder back through openstacksdk."""

from __future__ import annotations

import uuid

import pytest

from tests.live.devcloud import CLOUD, DevCloud
from wardcloud.infra.dynamic.encryption import VolumeTypeEncryptionProvider
from wardcloud.infra.platform import VOLUME_ENCRYPTION

pytestmark = pytest.mark.live


def test_provider_crud_against_cinder(dev_cloud: DevCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = dev_cloud.connection
    if not admin.has_service("block-storage") and not admin.has_service("volumev3"):
        pytest.skip("the dev cloud runs no Cinder")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(dev_cloud.clouds_yaml))
    storage = admin.block_storage
    vtype = storage.create_type(name=f"enc-probe-{uuid.uuid4().hex[:8]}", is_public=False)
    crud = VolumeTypeEncryptionProvider(cloud=CLOUD)  # connects as the deployer would: clouds.yaml
    props = {"volume_type_id": vtype.id, **VOLUME_ENCRYPTION.to_json()}
    try:
        assert crud.check({}, props).failures == []
        created = crud.create(props)
        assert created.id == vtype.id
        real = storage.get_type_encryption(vtype.id)
        assert (real.provider, real.cipher, int(real.key_size), real.control_location) == (
            "luks", "aes-xts-plain64", 256, "front-end"
        )
        assert crud.read(vtype.id, created.outs).outs["key_size"] == 256

        stronger = {**props, "key_size": 512}
        diff = crud.diff(vtype.id, created.outs, stronger)
        assert diff.changes and diff.replaces == []
        crud.update(vtype.id, created.outs, stronger)
        assert int(storage.get_type_encryption(vtype.id).key_size) == 512
        assert crud.diff(vtype.id, {**created.outs, "key_size": 512.0}, stronger).changes is False

        crud.delete(vtype.id, stronger)
        gone = storage.get_type_encryption(vtype.id)
        assert not getattr(gone, "encryption_id", None)
        assert crud.read(vtype.id, {}).id is None
    finally:
        current = storage.get_type_encryption(vtype.id)
        if getattr(current, "encryption_id", None):
            storage.delete_type_encryption(encryption=current, volume_type=vtype.id)
        storage.delete_type(vtype)
