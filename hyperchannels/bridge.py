"""The one bridge from the event loop to sync user code (actions, generators, templates).

Sync code runs in a shared pool of worker threads (``SYNC_THREADS``), not asgiref's single
thread-sensitive thread, so sync actions of different sockets run side by side; at most
``SYNC_THREADS_PER_SOCKET`` of them for one socket at once (``SocketThreads``), so one socket
can't hold every thread. Each call keeps Django's database-connection hygiene
(``close_old_connections`` before and after), which is why the consumer itself never hops to
a thread per frame. The threads are ``workers.WorkerThreads``: a call still blocked when the
server shuts down never holds up the process's exit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, TypeVar

from asgiref.sync import SyncToAsync
from django.db import close_old_connections

from .conf import get_setting
from .workers import WorkerThreads

T = TypeVar("T")

_pool: WorkerThreads | None = None
_pool_lock = threading.Lock()


def _as_executor(threads: WorkerThreads) -> Any:
    """asgiref annotates ``executor`` as a ``ThreadPoolExecutor`` but takes any ``Executor``
    (it only hands it to ``loop.run_in_executor``)."""
    return threads


def _shared_pool() -> WorkerThreads:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerThreads(int(get_setting("SYNC_THREADS")), "hyper-sync")
        return _pool


def _with_db_hygiene(func: Callable[..., T]) -> Callable[..., T]:
    def call(*args: Any, **kwargs: Any) -> T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return call


async def run_sync(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``func`` in a worker thread and await its result."""
    pool = _as_executor(_shared_pool())
    runner = SyncToAsync(_with_db_hygiene(func), thread_sensitive=False, executor=pool)
    result: T = await runner(*args, **kwargs)
    return result


_DONE = object()


class ThreadedGenerator:
    """An async iterator over a sync generator, every step on one thread of its own.

    One thread for the generator's whole life, so its database connection (and any open
    transaction) stays the same between yields. Closing it runs the generator's ``finally``
    on that same thread, after any step still running there.
    """

    def __init__(self, generator: Generator[Any, Any, Any], turns: asyncio.Semaphore | None = None) -> None:
        self._generator = generator
        self._turns = turns
        self._thread = WorkerThreads(1, "hyper-gen")
        self._started = False
        self._closed = False

    def __aiter__(self) -> ThreadedGenerator:
        return self

    def _step(self) -> Any:
        if not self._started:
            self._started = True
            close_old_connections()
        return next(self._generator, _DONE)

    def _close(self) -> None:
        try:
            self._generator.close()
        finally:
            close_old_connections()

    async def __anext__(self) -> Any:
        if self._closed:
            raise StopAsyncIteration
        step = SyncToAsync(self._step, thread_sensitive=False, executor=_as_executor(self._thread))
        if self._turns is None:
            item = await step()
        else:
            async with self._turns:
                item = await step()
        if item is _DONE:
            await self.aclose()
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await SyncToAsync(self._close, thread_sensitive=False, executor=_as_executor(self._thread))()
        finally:
            self._thread.shutdown(wait=False)


def iterate_in_thread(generator: Generator[Any, Any, Any]) -> AsyncIterator[Any]:
    """Stream a sync generator's items without running any of its code on the event loop."""
    return ThreadedGenerator(generator)


class SocketThreads:
    """One socket's share of the worker threads: at most ``limit`` busy at once.

    Its further sync calls (and generator steps) wait their turn on the event loop, holding
    no thread, so one socket (one user's tabs, one script) can't delay the others.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"SYNC_THREADS_PER_SOCKET must be at least 1, not {limit}")
        self._turns = asyncio.Semaphore(limit)

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``run_sync`` within this socket's share."""
        async with self._turns:
            return await run_sync(func, *args, **kwargs)

    def iterate(self, generator: Generator[Any, Any, Any]) -> AsyncIterator[Any]:
        """A sync generator stepped in a thread of its own, each step within this socket's share."""
        return ThreadedGenerator(generator, self._turns)
