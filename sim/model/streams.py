"""Named random streams: one numpy Generator per decision, per replication.

Each source of randomness (arrival times, nationalities, each stage's durations, deploy delays...) gets
its own Generator, derived from ``(seed, replication, stream name)`` through numpy's ``SeedSequence``.
Streams are addressed by name, never by position, so adding a stream never shifts the others: two
scenarios that differ only in, say, the database see identical arrivals, nationalities and flags
(common random numbers). Nothing here touches global random state.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> tuple[int, int]:
    """A stable 128-bit key for a stream name (the same on every machine and Python version)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:16], "little")


class Streams:
    """The random streams of one replication.

    Args:
        seed: the experiment's base seed.
        replication: the replication index; replication ``r`` of every scenario shares its streams.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The Generator for ``name``; the same object on repeated calls within a replication."""
        rng = self._cache.get(name)
        if rng is None:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, *stream_key(name)))
            rng = self._cache[name] = np.random.Generator(np.random.PCG64(sequence))
        return rng

    __getitem__ = generator
