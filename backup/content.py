"""Content checks for restore drills: the restored bytes against the hashes cinder-backup stored.

cinder-backup's chunked drivers (Swift among them) store, beside each backup's data, a `..._sha256file`
object: the SHA-256 of every block of the volume as it was backed up (`backup_swift_block_size` bytes
each). Comparing a restored volume's blocks with that list checks the whole chain (Swift objects,
decompression, restore) against what was backed up, however the source volume changed since.
Reading the restored volume needs the storage backend: with Ceph RBD, the `rbd` tool (ceph-common).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wardcloud.backup.cloud import WardCloud
from wardcloud.backup.errors import Code
from wardcloud.core.errors import Problem, WardcloudError


@dataclass(frozen=True)
class BlockHashes:
    """A backup's block size and the SHA-256 of each block, as cinder-backup recorded them."""

    block_size: int
    sha256s: tuple[str, ...]


def backup_hashes(ward: WardCloud, container: str, volume_id: str, backup_id: str) -> BlockHashes | None:
    """The `_sha256file` of a backup in the ward's Swift account, or None when the driver wrote none."""
    store = ward.proxy("object_store")
    listing = ward.cloud.call("object-store", f"list container {container}", store.objects, container,
                              prefix=f"volume_{volume_id}/")
    name = next((o.name for o in listing if o.name.endswith(f"_backup_{backup_id}_sha256file")), None)
    if name is None:
        return None
    body = ward.cloud.call("object-store", f"get {container}/{name}", store.download_object, name,
                           container=container)
    data = json.loads(body)
    return BlockHashes(int(data["chunk_size"]), tuple(data["sha256s"]))


@dataclass(frozen=True)
class RbdReader:
    """Reads a Cinder RBD volume's bytes with `rbd export` (ceph-common), as the volume driver names them."""

    conf: Path
    pool: str = "volumes"  # cinder.conf rbd_pool

    def blocks(self, volume_id: str, block_size: int) -> Iterator[bytes]:
        command = ["rbd", "-c", str(self.conf), "export", f"{self.pool}/volume-{volume_id}", "-"]
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise WardcloudError([Problem(str(self.conf), 0, 0, Code.DRILL_FAILED,
                                          f"cannot run rbd (ceph-common): {exc.strerror}")]) from exc
        assert process.stdout is not None
        while block := process.stdout.read(block_size):
            yield block
        _, error = process.communicate()
        if process.returncode:
            raise WardcloudError([Problem(str(self.conf), 0, 0, Code.DRILL_FAILED,
                                          f"rbd export of volume {volume_id} failed: "
                                          f"{error.decode(errors='replace').strip()[:200]}")])


def compare(expected: BlockHashes, blocks: Iterator[bytes]) -> tuple[int, int]:
    """(blocks that differ, blocks compared): every recorded block against the restored volume's."""
    differ = compared = 0
    for index, block in enumerate(blocks):
        if index >= len(expected.sha256s):
            break  # a restored volume may be larger than the backup: the tail was never backed up
        compared += 1
        differ += hashlib.sha256(block).hexdigest() != expected.sha256s[index]
    return differ + (len(expected.sha256s) - compared), len(expected.sha256s)
