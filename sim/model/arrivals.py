"""Who arrives, when: generated in full before the run, from their own random streams.

- Waves: ``count`` people at times uniform over ``[day, day + spread_days)`` (stream ``arrivals.waves``).
- Poisson stream: exponential gaps at ``rate_per_day`` until ``rate_until_day`` (``arrivals.stream``).
- Nationality: with counts, exactly ``count`` people of each nationality among the wave arrivals, in an
  order shuffled by stream ``nationality``; with shares (and for the Poisson stream), drawn by share.
- Holding site: the site of the person's wave (or stream), unless their nationality is held at a site of
  its own (``holding_site``); the first holding site when none is named. No random draw.
- ``vulnerable``: person i is vulnerable when the i-th uniform of stream ``vulnerability`` is below the
  probability of their nationality; likewise ``unfunded`` under an appeal with stream ``funding.unfunded``.

Because these streams are used for nothing else, two scenarios that differ in anything but arrivals
share the same people (common random numbers). People arriving at or after the horizon are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.streams import Streams
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class People:
    """Everyone who arrives in one replication, in order of arrival (index = victim id)."""

    arrived: np.ndarray       # days
    nationality: np.ndarray   # index into ``names``
    vulnerable: np.ndarray    # bool
    unfunded: np.ndarray      # bool: no ticket money (appeal with unfunded_share)
    names: tuple[str, ...]
    site: np.ndarray | None = None  # index into the scenario's sites: the holding site (None: the first site)

    def __len__(self) -> int:
        return len(self.arrived)


def _poisson_times(rng: np.random.Generator, rate: float, until: float) -> np.ndarray:
    if rate <= 0 or until <= 0:
        return np.empty(0)
    chunks, last = [], 0.0
    block = max(16, int(rate * until * 1.1) + 16)
    while True:
        times = last + np.cumsum(rng.exponential(1.0 / rate, block))
        chunks.append(times[times < until])
        if times[-1] >= until:
            break
        last = times[-1]
    return np.concatenate(chunks)


def generate_people(scenario: Scenario, streams: Streams) -> People:
    """Draw every arrival of one replication."""
    names = tuple(scenario.nationalities)
    nationalities = [scenario.nationalities[n] for n in names]
    horizon = scenario.horizon_days

    wave_rng = streams["arrivals.waves"]
    wave_times = [
        wave.day + (wave_rng.random(wave.count) * wave.spread_days if wave.spread_days > 0 else np.zeros(wave.count))
        for wave in scenario.arrivals.waves
    ]
    wave_times_all = np.concatenate(wave_times) if wave_times else np.empty(0)
    nationality_rng = streams["nationality"]
    counted = all(n.count is not None for n in nationalities)
    if counted:
        labels = np.repeat(np.arange(len(names)), [n.count or 0 for n in nationalities])
        wave_labels = nationality_rng.permutation(labels)
    else:
        shares = np.array([n.share or 0.0 for n in nationalities])
        wave_labels = nationality_rng.choice(len(names), size=len(wave_times_all), p=shares / shares.sum())

    until = min(scenario.arrivals.rate_until_day or horizon, horizon)
    stream_times = _poisson_times(streams["arrivals.stream"], scenario.arrivals.rate_per_day, until)
    if len(stream_times):
        shares = np.array([n.share or 0.0 for n in nationalities])
        stream_labels = streams["nationality.stream"].choice(len(names), size=len(stream_times),
                                                               p=shares / shares.sum())
    else:
        stream_labels = np.empty(0, dtype=np.int64)

    times = np.concatenate((wave_times_all, stream_times))
    labels = np.concatenate((wave_labels, stream_labels)).astype(np.int64)
    sites = _holding_sites(scenario, [len(t) for t in wave_times], len(stream_times), labels)
    order = np.argsort(times, kind="stable")
    times, labels, sites = times[order], labels[order], sites[order]
    inside = times < horizon
    times, labels, sites = times[inside], labels[inside], sites[inside]

    vulnerable_p = np.array([n.vulnerable for n in nationalities])
    vulnerable = streams["vulnerability"].random(len(times)) < vulnerable_p[labels]
    unfunded_p = np.array([n.funding.unfunded_share if n.funding.mode == "appeal" else 0.0 for n in nationalities])
    unfunded = streams["funding.unfunded"].random(len(times)) < unfunded_p[labels]
    return People(times, labels, vulnerable, unfunded, names, sites)


def _holding_sites(scenario: Scenario, wave_counts: list[int], stream_count: int, labels: np.ndarray) -> np.ndarray:
    """Each arrival's holding site (an index into ``scenario.sites``), in the order of ``labels``: the
    nationality's own site, else the wave's or the stream's, else the first holding site."""
    index = {name: position for position, name in enumerate(scenario.sites)}
    first = index[scenario.sites_of_kind("holding")[0]]
    of_arrival = [index[wave.site] if wave.site else first for wave in scenario.arrivals.waves]
    of_arrival.append(index[scenario.arrivals.site] if scenario.arrivals.site else first)
    sites = np.repeat(np.array(of_arrival, dtype=np.int16), [*wave_counts, stream_count])
    own = np.array([index[n.holding_site] if n.holding_site else -1 for n in scenario.nationalities.values()],
                   dtype=np.int16)
    if len(labels) and (own >= 0).any():
        assigned = own[labels]
        sites = np.where(assigned >= 0, assigned, sites).astype(np.int16)
    return sites
