"""Stops that always end: Python 3.11's ``asyncio.wait_for`` can drop a cancellation (the collaboration
test hang: a realtime link whose probe echo arrived as it was being stopped kept probing forever), so the
project uses ``asyncio.timeout`` and stops with ``cancel_and_wait``, which cancels again until done."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

import pytest

from tjv_desktop.tasks import cancel_and_wait

PACKAGE = Path(__file__).resolve().parents[2] / "tjv_desktop"


async def _loop_forever_after(wait) -> None:
    await wait
    while True:  # a supervisor-like loop that only a cancellation ends
        await asyncio.sleep(0.01)


async def _start_racing(make_wait) -> tuple[asyncio.Task, asyncio.Future]:
    """A task inside ``make_wait(inner)``, then ``inner`` completed and the task cancelled in the same loop
    iteration: the race the link's probe loop met."""
    inner = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(_loop_forever_after(make_wait(inner)))
    for _ in range(3):
        await asyncio.sleep(0)
    inner.set_result(None)
    task.cancel()
    return task, inner


async def _settle(task: asyncio.Task) -> None:
    for _ in range(20):
        await asyncio.sleep(0)
        if task.done():
            return


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps cancellations from Python 3.12 on")
async def test_on_311_wait_for_loses_a_cancellation_that_meets_its_result():
    task, _ = await _start_racing(lambda inner: asyncio.wait_for(inner, 10))
    await _settle(task)
    assert not task.done(), "the fault: the cancellation is dropped and the loop runs on"
    assert task.cancelling() == 1, "though the task was asked to stop"
    stuck = await cancel_and_wait([task])  # and cancel_and_wait still stops it
    assert stuck == set() and task.cancelled()


async def test_asyncio_timeout_keeps_the_same_cancellation():
    async def within_timeout(inner):
        async with asyncio.timeout(10):
            await inner

    task, _ = await _start_racing(within_timeout)
    await _settle(task)
    assert task.cancelled()


async def test_a_task_that_will_not_stop_is_reported_not_waited_for_forever(caplog):
    release = asyncio.Event()

    async def stubborn():
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # swallows every cancellation
                await asyncio.sleep(10)

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="tjv_desktop.tasks"):
        stuck = await cancel_and_wait([task, None], give_up_after=0.3, recancel_every=0.1)
    assert stuck == {task} and not task.done()
    assert "stubborn did not stop within 0.3 s" in caplog.text
    release.set()
    task.cancel()
    await asyncio.wait({task})
    assert task.done()


async def test_failures_of_stopped_tasks_are_logged_not_raised(caplog):
    async def fails():
        raise ValueError("broken pipe to nowhere")

    task = asyncio.create_task(fails(), name="failing")
    await asyncio.wait({task})
    with caplog.at_level(logging.WARNING, logger="tjv_desktop.tasks"):
        assert await cancel_and_wait([task]) == set()
    assert "failing had failed" in caplog.text and "broken pipe" in caplog.text


def test_the_project_never_uses_wait_for():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "wait_for" and \
                    isinstance(node.value, ast.Name) and node.value.id == "asyncio":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == [], "use asyncio.timeout (a 3.11 wait_for can drop a cancellation)"
