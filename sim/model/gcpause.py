"""Python's cyclic garbage collector, paused for the length of one replication.

A replication allocates hundreds of thousands of objects (people, their processes and events, blocks of
random draws) and leaves no reference cycles behind but the environment's own few objects: the world cuts
its cycles when the run is over (:meth:`sim.model.world.World.close`), and what is left is freed by
reference counting. The collector's passes over them find nothing, and they grow with the people:
a young-generation pass walks every container allocated since the last one (a list of 87,000 victims
is one container, and visiting it reads 87,000 pointers), and now and then a full pass walks every
object of the process (about 84,000 after the imports, 40 ms). With ten times the people a replication
triggered a full pass about once in three runs. Pausing the collector for the whole replication (the
draws of the people, the world, the run, the tables and the metrics) leaves it nothing to do.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the ``with`` block, and restore its state (enabled or
    not) afterwards, whatever happens inside. Nested blocks are fine: only the outermost re-enables it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
