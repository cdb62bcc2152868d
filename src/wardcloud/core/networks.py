"""Address blocks that overlap: one sort-and-sweep, used for tenant files and rendered graphs alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Network, IPv6Network
from typing import TypeVar

Item = TypeVar("Item")


def overlapping(
    items: Iterable[Item], network: Callable[[Item], IPv4Network | IPv6Network]
) -> Iterator[tuple[Item, Item]]:
    """Each item whose block overlaps an earlier one, paired with the earlier item reaching furthest.

    Sort-and-sweep, n log n rather than n² pairs: after sorting by start (the wider block first on a tie),
    a block overlaps an earlier one exactly when it starts at or before the furthest end seen so far, and
    the block holding that end is one it overlaps. IPv4 and IPv6 blocks never overlap each other.
    Every item that overlaps something earlier is yielded once, so n overlapping blocks give n - 1 pairs.
    """
    blocks: list[tuple[int, int, int, Item]] = []
    for item in items:
        net = network(item)
        blocks.append((net.version, int(net.network_address), int(net.broadcast_address), item))
    blocks.sort(key=lambda b: (b[0], b[1], -b[2]))
    widest: tuple[int, int, int, Item] | None = None
    for block in blocks:
        version, start, end, item = block
        if widest is not None and widest[0] == version and start <= widest[2]:
            yield item, widest[3]
        if widest is None or widest[0] != version or end > widest[2]:
            widest = block
