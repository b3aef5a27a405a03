"""Long batch jobs and Python's cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def old_objects_left_alone() -> Iterator[None]:
    """Inside, the garbage collector leaves alone the objects that existed on entry (`gc.freeze`) and walks
    the job's own only; on exit they are given back to it (`gc.unfreeze`) and collected as before.

    A job that keeps thousands of objects alive per batch (a lead import's rows, their dictionaries and
    tuples) moves them to the oldest generation, which sets off a full collection every few batches; each
    walks every object of the process (Django's, the phone metadata's: some 200,000), not only the job's,
    and took about a quarter of a lead import's time. Nothing is freed later than it would be but garbage
    cycles among the old objects, which wait for the exit. Process-wide: when objects are frozen already (a
    server that froze its start-up objects, or another job running in this process) it changes nothing.

    Inside, the youngest generation is also collected less often: once YOUNG_THRESHOLD more objects are alive
    than at the last collection, not 700. A batch's rows die with their batch, so the net count hardly grows
    and collections become rare; with 700, they ran every few hundred rows, found the batch's rows alive and
    moved them up to be walked again by the older generations' collections (some 2,000 collections per
    100,000 leads imported, 15% of the import's Python time). Garbage cycles made inside wait for that many
    objects at most.
    """
    if gc.get_freeze_count():
        yield
        return
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(YOUNG_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


YOUNG_THRESHOLD = 50_000
