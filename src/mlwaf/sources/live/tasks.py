"""Tasks of a live scan on bounded thread pools, where one authentication failure stops them all:
the scan cannot go on without a usable identity, so tasks not yet started are skipped and the
failure is raised once every started task has finished. Results keep submission order, never
completion order, so two scans of the same estate read the same inventory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from mlwaf.sources.live import auth

T = TypeVar("T")
R = TypeVar("R")


class Aborted(Exception):
    """A task not started because another one met an authentication failure."""


class Tasks:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._abort = threading.Event()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    def pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="mlwaf-live")

    def submit(self, pool: ThreadPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
        """fn(item) on the pool, unless an AuthError already stopped the scan."""

        def run() -> R:
            if self._abort.is_set():
                raise Aborted
            try:
                return fn(item)
            except auth.AuthError:
                self._abort.set()
                raise

        return pool.submit(run)

    @staticmethod
    def gather(futures: Sequence[Future[R]]) -> list[R]:
        """The results in the futures' order; after all are done, the first AuthError is raised."""
        results: list[R] = []
        first_auth: auth.AuthError | None = None
        for fut in futures:
            try:
                results.append(fut.result())
            except auth.AuthError as err:
                first_auth = first_auth or err
            except Aborted:
                pass
        if first_auth is not None:
            raise first_auth
        return results

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items on a bounded pool of its own; results in the items' order."""
        if not items:
            return []
        workers = min(self.max_workers, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlwaf-live") as pool:
            return self.gather([self.submit(pool, fn, item) for item in items])
