"""One socket's running invocations: admission by id and count, the inline start, cancelling,
and letting go of them when the socket closes (docs/actions.md, "The consumer").

An invocation runs in the task that read its frame, at once; if it waits, ``on_wait`` is called
so the socket starts a new task that reads on. So an action that never waits costs no task
and a slow one never holds up the frames after it.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from . import protocol
from .exceptions import FrameError
from .protocol import Status

_detached: set[asyncio.Task[Any]] = set()
"""Invocations of closed sockets still blocked in user code; kept until they end."""


@types.coroutine
def _rest(work: Coroutine[Any, Any, None], waiting_on: Any) -> Generator[Any, Any, None]:
    """The rest of ``work``, whose first step yielded ``waiting_on``: what ``await work`` does
    (``yield from``), taken up after that step. Finding out whether a step waits this way costs
    nothing, where a callback scheduled per invocation (cancelled if it never ran) costs a
    tenth of a small action's time."""
    while True:
        try:
            sent = yield waiting_on
        except GeneratorExit:
            work.close()
            raise
        except BaseException as exc:  # the task threw it in (CancelledError): so does await
            try:
                waiting_on = work.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting_on = work.send(sent)
            except StopIteration:
                return


class Running:
    """The running invocations of one socket, by id."""

    def __init__(self, on_wait: Callable[[asyncio.Task[Any]], None]) -> None:
        self.tasks: dict[str, asyncio.Task[Any]] = {}
        self._on_wait = on_wait

    def __len__(self) -> int:
        return len(self.tasks)

    def admit(self, frame_id: str, limit: int) -> None:
        """``FrameError`` 409 when ``frame_id`` is running (that one goes on), 429 over ``limit``."""
        if frame_id in self.tasks:
            raise FrameError(Status.CONFLICT, protocol.message("conflict"))
        if len(self.tasks) >= limit:
            raise FrameError(Status.TOO_MANY, protocol.message("too_many"), frame_id)

    async def run(self, frame_id: str, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in this task at once, registered under ``frame_id``; if it waits,
        ``on_wait`` is called with this task before the loop gets a turn."""
        this_task = asyncio.current_task()
        assert this_task is not None
        self.tasks[frame_id] = this_task
        try:
            try:
                waiting_on = work.send(None)  # its first step, as `await work` would take it
            except StopIteration:
                return  # it never waited: this task reads on
            self._on_wait(this_task)
            await _rest(work, waiting_on)
        finally:
            del self.tasks[frame_id]

    def cancel(self, frame_id: str) -> None:
        """Cancel one invocation (it ends with 499); an id that isn't running is ignored."""
        task = self.tasks.get(frame_id)
        if task is not None:
            task.cancel()

    def detach(self) -> None:
        """Cancel every invocation without waiting for it: closing never waits on user code.
        One blocked in a thread ends (and closes its generator) when that step returns."""
        for task in self.tasks.values():
            task.cancel()
            if not task.done():
                _detached.add(task)
                task.add_done_callback(_detached.discard)
