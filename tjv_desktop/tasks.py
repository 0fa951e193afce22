"""Stopping background tasks so that a stop always ends.

On Python 3.11 a cancellation can be lost: ``asyncio.wait_for`` returns the inner result and drops the
caller's cancellation when both happen in the same loop iteration (fixed in 3.12, where ``wait_for`` is
built on ``asyncio.timeout``). A task that loops forever and lost its one cancel never ends, and whoever
awaited it waits forever too. That is how a realtime link once failed to stop (its probe echo arrived as
it was being cancelled). The project's own code uses ``asyncio.timeout`` for that reason; the libraries
beneath it still use ``wait_for``. So a stop here cancels again until the task is done, within a bound,
and reports a task that would not end instead of hanging on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

RECANCEL_EVERY_S = 0.5
GIVE_UP_AFTER_S = 5.0


async def cancel_and_wait(tasks: Iterable[asyncio.Task | None], *, give_up_after: float = GIVE_UP_AFTER_S,
                          recancel_every: float = RECANCEL_EVERY_S) -> set[asyncio.Task]:
    """Cancels ``tasks`` (None entries are skipped) and waits until they are done, cancelling again every
    ``recancel_every`` seconds. Returns the tasks still running after ``give_up_after`` seconds, each
    logged as a warning. Exceptions the tasks ended with are logged, never raised."""
    given = [t for t in tasks if t is not None]
    pending = {t for t in given if not t.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    while pending:
        for task in pending:
            task.cancel()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        _done, pending = await asyncio.wait(pending, timeout=min(recancel_every, remaining))
    for task in pending:
        log.warning("task %s did not stop within %.1f s", task.get_name(), give_up_after)
    for task in given:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.warning("task %s had failed: %r", task.get_name(), task.exception())
    return pending
