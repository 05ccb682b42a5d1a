"""``Running.run``: an invocation runs in the task that read its frame, and the socket reads on
in a new task only once it waits (docs/actions.md, "The consumer")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hyperchannels.running import Running


def _running() -> tuple[Running, list[asyncio.Task[Any]]]:
    waited: list[asyncio.Task[Any]] = []
    return Running(waited.append), waited


async def test_work_that_never_waits_keeps_its_task_and_leaves_no_trace() -> None:
    running, waited = _running()
    log = []

    async def work() -> None:
        log.append(asyncio.current_task())

    await running.run("1", work())
    assert log == [asyncio.current_task()]
    assert waited == [] and len(running) == 0


async def test_work_that_waits_hands_reading_over_before_the_loop_turns() -> None:
    running, waited = _running()
    order: list[str] = []
    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def work() -> None:
        order.append("step 1")
        order.append(await future)  # the value the future gets reaches the work

    async def reader() -> None:
        await running.run("1", work())

    task = asyncio.create_task(reader())
    asyncio.get_running_loop().call_soon(lambda: order.append(f"loop turn, handed over: {waited == [task]}"))
    await asyncio.sleep(0)
    assert running.tasks == {"1": task}
    future.set_result("resumed")
    await task
    assert order == ["step 1", "loop turn, handed over: True", "resumed"]
    assert waited == [task] and len(running) == 0


async def test_errors_and_return_after_a_wait_reach_the_caller() -> None:
    running, _ = _running()

    async def failing() -> None:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await running.run("1", failing())
    assert len(running) == 0


async def test_cancelling_a_waiting_invocation_throws_into_it_and_its_finally_runs() -> None:
    running, _ = _running()
    seen: list[str] = []
    started = asyncio.Event()

    async def work() -> None:
        try:
            started.set()
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled inside")
            await asyncio.sleep(0)  # it may still wait while it ends
            seen.append("cleaned up")
            raise

    task = asyncio.create_task(running.run("7", work()))
    await started.wait()
    running.cancel("7")
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled inside", "cleaned up"]
    assert len(running) == 0


async def test_a_task_closed_while_its_invocation_waits_closes_the_invocation() -> None:
    running, _ = _running()
    closed: list[bool] = []

    async def work() -> None:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            closed.append(True)

    outer = running.run("1", work())
    outer.send(None)  # the invocation waits on its future
    outer.close()  # what the garbage collector does to a task's coroutine left pending
    assert closed == [True]
