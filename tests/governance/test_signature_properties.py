"""Properties of signed records and signed notes: any change to what was signed is caught."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wardcloud.audit.authenticate import Authenticator, sign_entry
from wardcloud.audit.checkpoint import Checkpoint
from wardcloud.audit.keys import SigningKey, generate
from wardcloud.audit.record import Entry, seal

KEY_DIR = Path(__import__("tempfile").mkdtemp())
KEY = generate(KEY_DIR / "k")
OTHER = generate(KEY_DIR / "o")

values = st.one_of(st.integers(-10**12, 10**12), st.text(max_size=20), st.booleans(), st.none())
summaries = st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=4)


def sealed(entry: Entry, key: SigningKey) -> object:
    return seal(sign_entry(entry, key), 1, "2026-12-02T00:00:00.000000Z", "0" * 64)


@settings(max_examples=30, deadline=None)
@given(summaries, summaries, st.lists(st.sampled_from(["131016", "131130"]), max_size=2))
def test_a_signed_record_verifies_and_any_other_content_does_not(summary, other, wards):
    entry = Entry(actor="x", command="apply", argv=("wardctl", "apply"), inputs={}, outcome="success",
                  exit_code=0, summary=summary, wards=tuple(wards))
    record = sealed(entry, KEY)
    assert Authenticator(None, set()).check(record, "log") is None
    if other != summary:
        forged = replace(record, summary=other)
        assert Authenticator(None, set()).check(forged, "log") is not None
    assert Authenticator(None, set()).check(replace(record, actor=OTHER.fingerprint), "log") is not None


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 10**9), st.integers(1, 10**9), st.binary(min_size=32, max_size=32))
def test_a_checkpoint_signature_covers_size_and_head(size, other_size, head):
    from wardcloud.audit.signers import parse

    signers = parse([f'p wardcloud-roles="platform" {KEY.public.openssh()}'], "signers")
    note = Checkpoint("wardcloud.audit/log", size, head.hex(), "2026-12-02T00:00:00Z").cosign(KEY, "p")
    parsed = Checkpoint.parse(note.note(), "note")
    assert parsed == note and parsed.signed_by(signers.signers[0])
    if other_size != size:
        moved = Checkpoint(note.origin, other_size, note.head, note.time, note.signatures)
        assert not moved.signed_by(signers.signers[0])
