"""Input digests: exact SHA-256 of every file, remembered for big files only while they are unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from tests.audit.logfile import EXAMPLES, WARDS, log_lines
from wardcloud.audit.digest import CACHED_FROM_BYTES, DigestCache
from wardcloud.core.files import file_sha256


def big_file(path: Path, fill: bytes = b"a") -> Path:
    path.write_bytes(fill * (CACHED_FROM_BYTES + 4096))
    return path


@pytest.mark.parametrize("size", [0, 1, 4096, CACHED_FROM_BYTES + 1])
def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "input.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_a_remembered_digest_is_used_while_the_file_is_unchanged(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests", settle_seconds=0)
    bill = big_file(tmp_path / "bill.csv")
    assert cache.file_sha256(bill) == file_sha256(bill)
    (entry,) = (tmp_path / "digests").iterdir()
    entry.write_text("0" * 64, encoding="ascii")  # what is remembered is what is returned
    assert cache.file_sha256(bill) == "0" * 64


def test_a_rewritten_file_is_hashed_again_even_at_the_same_size(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests", settle_seconds=0)
    bill = big_file(tmp_path / "bill.csv")
    first = cache.file_sha256(bill)
    stat = bill.stat()
    with bill.open("r+b") as handle:  # same size, same modification time: only the change time moves
        handle.write(b"b")
    os.utime(bill, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache.file_sha256(bill) == file_sha256(bill) != first


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests", settle_seconds=3600)
    bill = big_file(tmp_path / "bill.csv")
    assert cache.file_sha256(bill) == file_sha256(bill)
    assert not (tmp_path / "digests").exists()


def test_small_files_and_a_missing_cache_directory_are_always_hashed(tmp_path: Path) -> None:
    small = tmp_path / "rules.yaml"
    small.write_text("currency: JPY\n", encoding="utf-8")
    assert DigestCache(tmp_path / "digests", settle_seconds=0).file_sha256(small) == file_sha256(small)
    assert DigestCache(None).file_sha256(big_file(tmp_path / "bill.csv")) == file_sha256(tmp_path / "bill.csv")
    assert not (tmp_path / "digests").exists()


def test_allocations_record_the_bills_true_digest_before_and_after_it_changes(
    tmp_path: Path, state: Path, wardctl
) -> None:
    # the sample bill with a padding column (FOCUS allows x_ columns): big enough to be remembered
    rows = (EXAMPLES / "bill-2023-07.csv").read_text(encoding="utf-8").splitlines()
    padded = [rows[0] + ",x_Padding"] + [row + "," + "p" * 5000 for row in rows[1:]]
    bill = tmp_path / "bill.csv"
    bill.write_text("\n".join(padded) + "\n", encoding="utf-8")
    assert bill.stat().st_size > CACHED_FROM_BYTES
    time.sleep(1.1)  # older than the settle time, so the first run remembers its digest
    args = ["--tenants", str(WARDS), "cost", "allocate", "--bill", str(bill), "--rules", str(EXAMPLES / "rules.yaml"),
            "--usage", str(EXAMPLES / "usage-2023-07.csv"), "--period", "2023-07", "--format", "json"]
    runs = [wardctl(*args), wardctl(*args)]
    text = bill.read_text(encoding="utf-8")
    bill.write_text(text.replace("p" * 5000, "q" * 5000, 1), encoding="utf-8")  # same size, new bytes
    runs.append(wardctl(*args))

    assert [r.exit_code for r in runs] == [0, 0, 0]
    digests = [json.loads(line)["inputs"]["bill"]["sha256"] for line in log_lines(state)]
    original = hashlib.sha256("\n".join(padded).encode() + b"\n").hexdigest()
    assert digests == [original, original, file_sha256(bill)] and digests[2] != original
