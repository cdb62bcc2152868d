"""One overlap sweep serves tenants (TEN031/TEN032) and policies (ISO-003): it agrees with checking every pair."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from hypothesis import given
from hypothesis import strategies as st

from wardcloud.core.networks import overlapping

v4 = st.builds(lambda address, prefix: IPv4Network((address, prefix), strict=False),
               st.integers(0, 2**32 - 1), st.integers(8, 32))
v6 = st.builds(lambda address, prefix: IPv6Network((address, prefix), strict=False),
               st.integers(0, 2**128 - 1), st.integers(1, 128))


@given(st.lists(st.one_of(v4, v6), max_size=40))
def test_sweep_finds_exactly_the_blocks_that_overlap_some_other(networks):
    items = list(enumerate(networks))
    pairs = list(overlapping(items, lambda item: item[1]))
    for (_, block), (_, earlier) in pairs:
        assert block.version == earlier.version and block.overlaps(earlier)
    flagged = [index for (index, _), _ in pairs]
    assert len(flagged) == len(set(flagged))  # each block at most once
    # CIDR blocks nest or are disjoint: every block is flagged except one copy of each outermost block
    outermost = {a for a in networks
                 if not any(b != a and a.version == b.version and a.subnet_of(b) for b in networks)}  # type: ignore[arg-type]
    assert len(flagged) == len(networks) - len(outermost)
    assert {networks[i] for i in range(len(networks)) if i not in flagged} == outermost


def test_nested_and_touching_blocks():
    blocks = [ip_network(c) for c in ("10.0.0.0/16", "10.0.16.0/20", "10.1.0.0/16", "10.0.255.0/24", "::/0")]
    assert [(str(a), str(b)) for a, b in overlapping(blocks, lambda n: n)] == [
        ("10.0.16.0/20", "10.0.0.0/16"),
        ("10.0.255.0/24", "10.0.0.0/16"),
    ]
