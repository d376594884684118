"""Tasks in worker processes, never more handed out at once than there are workers (`as_finished`),
so nothing waits in the executor's own queue, where it can no longer be cancelled; and a pool that an
error or Ctrl-C stops cleanly (`stopped`): on an error the running tasks finish and no other starts,
on Ctrl-C the workers are killed at once.

Used by rating/fold_runner (forked myfm folds) and embedding/side_by_side (networks in spawned
processes); tests/test_predictors.py interrupts them.

>>> from concurrent.futures import ThreadPoolExecutor
>>> with ThreadPoolExecutor(2) as pool:
...     sorted((item, future.result()) for item, future in as_finished(pool, lambda x: 10 * x, [1, 2, 3], 2))
[(1, 10), (2, 20), (3, 30)]
"""
from __future__ import annotations

import contextlib
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any, Callable, Iterable, Iterator


def as_finished(pool: Executor, fn: Callable, items: Iterable, limit: int) -> Iterator[tuple[Any, Future]]:
    """(item, the future of fn(item)) as each finishes, at most `limit` submitted at a time."""
    waiting, running = deque(items), {}

    def hand_out():
        while waiting and len(running) < limit:
            item = waiting.popleft()
            running[pool.submit(fn, item)] = item
    hand_out()
    while running:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        pairs = [(running.pop(future), future) for future in finished]
        hand_out()  # before the caller handles the finished ones: no worker idles meanwhile
        yield from pairs


@contextlib.contextmanager
def stopped(pool: Executor) -> Iterator[Executor]:
    """`pool` for the block, shut down when it ends: once the running tasks end, or at once on Ctrl-C
    (also one while waiting), its processes killed. Waiting through a Ctrl-C hung: the interrupted
    wait left the workers waiting on their queue, and a second Ctrl-C could leave the executor's lock
    held at exit (1 of 8 tries). Only Ctrl-C kills: a worker killed while sending its result could
    leave the executor waiting for the rest of it."""
    try:
        yield pool
    except KeyboardInterrupt:
        _kill(pool)
        raise
    except BaseException:
        _shutdown(pool)
        raise
    _shutdown(pool)


def _shutdown(pool: Executor) -> None:
    try:
        pool.shutdown(wait=True)
    except KeyboardInterrupt:
        _kill(pool)
        raise


def _kill(pool: Executor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public handle on them
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
