"""The store's single owner: one worker thread that opens the LocalStore and runs every call on it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from tjv_desktop.store import LocalStore, OpenReport

T = TypeVar("T")


class StoreWorker:
    """Serialises all store access on one thread, so the event loop never waits on SQLite."""

    def __init__(self, path: Path | None, key: bytes | None):
        self.path = path
        self._key = key
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tjv-store")
        self._store: LocalStore | None = None
        self._opening: Future[OpenReport] | None = None

    def begin_open(self) -> Future[OpenReport]:
        """Starts opening the store on its thread now, without an event loop (once; later calls return
        the same future). Checking a large file is mostly SQLite, which leaves the GIL, so the caller can
        go on loading modules meanwhile."""
        def _open() -> OpenReport:
            self._store = LocalStore.open(self.path, self._key)
            return self._store.open_report

        if self._opening is None:
            self._opening = self._executor.submit(_open)
        return self._opening

    async def open(self) -> OpenReport:
        return await asyncio.wrap_future(self.begin_open())

    @property
    def persistent(self) -> bool:
        return bool(self._store and self._store.persistent)

    @property
    def mode_description(self) -> str:
        return self._store.mode_description if self._store else "not open"

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs ``fn(store, *args, **kwargs)`` on the store's thread."""
        def run() -> T:
            assert self._store is not None, "store not open"
            return fn(self._store, *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(run))

    async def close(self) -> None:
        def _close() -> None:
            if self._store is not None:
                self._store.close()
                self._store = None

        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)
