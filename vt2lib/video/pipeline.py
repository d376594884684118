"""Notebook 02's videos as one bounded pipeline: fetch ahead in threads, decode in processes,
never more than `window` videos held at once.

ML20M's ~13.5k trailers are ~110 GB of video at 360p; the GPU box has 64 GiB of disk. So a
trailer is fetched (yt-dlp waits on the network, not the CPU: threads) only when one of the
`window` slots is free; a slot is held by a video being fetched, or on disk waiting to be
decoded and stored, and freed when the consumer is `done_with` the trailer (its features
stored, or nothing to store). With `keep_videos = false` a video whose features are stored is
deleted then; a video that fails to decode stays (a rerun decodes it again, without fetching).
With `keep_videos = true` every video stays and the window bounds only how far fetching runs
ahead.

    videos = VideoPipeline(jobs, decode_job, fetch, window=64, n_fetchers=4, n_workers=15, keep_videos=False)
    for row, frames, generated in videos.decoded(flush=writer.flush):   # in completion order
        ...                                 # store the features, then:
        videos.done_with(row["youtube_id"])

A failed fetch is a row with status `download_failed` and yt-dlp's reason (a rerun tries it
again); any other exception of `fetch` (YouTube refusing the session after every pause:
`YoutubeRefusal`) stops the pipeline, what was stored kept. A video already on disk (a killed
run's) is decoded without fetching; a trailer with stored features is not a job at all (the
caller's resume), so nothing is decoded twice.

>>> from vt2lib.video.stream import DecodeJob, decode_job
>>> jobs = [DecodeJob(y, k, None, 32, "stretch", "per_second", 25) for k, y in enumerate(["a" * 11, "b" * 11])]
>>> def unavailable(youtube_id):
...     raise TrailerDownloadError("ERROR: Video unavailable")
>>> videos = VideoPipeline(jobs, decode_job, unavailable, window=1, n_fetchers=1, n_workers=1, keep_videos=False)
>>> [(row["youtube_id"], row["status"]) for row, _, _ in videos.decoded()], videos.n_fetched, videos.most_held
([('aaaaaaaaaaa', 'download_failed'), ('bbbbbbbbbbb', 'download_failed')], 0, 1)
"""
from __future__ import annotations

import dataclasses
import multiprocessing
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from vt2lib.data.youtube import TrailerDownloadError
from vt2lib.video.keyframes import status_row

IN_FLIGHT_PER_WORKER = 2  # decoded trailers waiting for the consumer, per decoding worker: the queue's bound


class _Inline:
    """An executor that runs each call at once, in this thread (n_workers <= 1: no processes)."""

    def submit(self, fn, *args) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as e:  # noqa: BLE001 - handed to whoever reads the future, as an executor does
            future.set_exception(e)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


class VideoPipeline:
    """Run `decode` (a picklable function of one vt2lib.video.stream.DecodeJob) on every job,
    fetching the videos they lack with `fetch` (youtube_id -> Path, raising TrailerDownloadError;
    None: nothing is fetched), at most `window` videos held at once.

    `start_method` of the decoding processes: "fork" is cheapest, but a process forked while
    other threads run (fetching, JAX) can inherit a lock one of them holds: "forkserver" then."""

    def __init__(self, jobs: list, decode: Callable, fetch: Callable[[str], Path] | None, window: int,
                 n_fetchers: int, n_workers: int, keep_videos: bool, start_method: str = "fork"):
        self.jobs, self.decode, self.fetch, self.window, self.n_fetchers = list(jobs), decode, fetch, window, n_fetchers
        self.n_workers, self.keep_videos, self.start_method = n_workers, keep_videos, start_method
        self.held: dict[str, Path | None] = {}  # youtube_id -> its video (None: being fetched)
        self.n_fetched = self.n_fetch_failed = self.most_held = 0

    def _fetches(self, job) -> bool:
        return job.video is None and job.generated_seconds is None and self.fetch is not None

    def _needs_slot(self, job) -> bool:
        return job.video is not None or self._fetches(job)

    def done_with(self, youtube_id: str, stored: bool = True) -> None:
        """The trailer's video is no longer needed: free its slot; with keep_videos false, delete
        it if its features are stored."""
        video = self.held.pop(youtube_id, None)
        if video is not None and stored and not self.keep_videos:
            video.unlink(missing_ok=True)

    def _hold(self, youtube_id: str, video: Path | None) -> None:
        self.held[youtube_id] = video
        self.most_held = max(self.most_held, len(self.held))

    def decoded(self, flush: Callable[[], None] = lambda: None) -> Iterator[tuple[dict, np.ndarray | None,
                                                                                   np.ndarray | None]]:
        """(status row, keyframes or None, generated features or None) per job, in the order they
        finish. `flush` makes the consumer store what it holds (and call done_with): it is called
        when every slot is held by a trailer decoded but not yet stored, which would stall fetching."""
        todo, ready = deque(self.jobs), deque()
        fetching: dict[Future, object] = {}
        decoding: set[Future] = set()
        max_decoding = max(1, IN_FLIGHT_PER_WORKER * self.n_workers)
        fetchers = ThreadPoolExecutor(self.n_fetchers, thread_name_prefix="fetch") if self.fetch else None
        context = multiprocessing.get_context(self.start_method)
        decoders = ProcessPoolExecutor(self.n_workers, mp_context=context) if self.n_workers > 1 else _Inline()
        try:
            while todo or ready or fetching or decoding:
                while todo and (not self._needs_slot(todo[0]) or len(self.held) < self.window):
                    job = todo.popleft()
                    if self._fetches(job):
                        self._hold(job.youtube_id, None)
                        fetching[fetchers.submit(self.fetch, job.youtube_id)] = job
                    else:
                        if job.video is not None:
                            self._hold(job.youtube_id, job.video)
                        ready.append(job)
                while ready and len(decoding) < max_decoding:
                    decoding.add(decoders.submit(self.decode, ready.popleft()))
                if not (fetching or decoding):
                    if todo:  # every slot is held by a decoded trailer the consumer has not stored yet
                        flush()
                        if len(self.held) >= self.window:
                            raise RuntimeError(f"{len(self.held)} videos held after a flush; window {self.window}")
                    continue
                done, _ = wait([*fetching, *decoding], return_when=FIRST_COMPLETED)
                for future in done:
                    if future in fetching:
                        job = fetching.pop(future)
                        try:
                            video = future.result()
                        except TrailerDownloadError as e:
                            self.held.pop(job.youtube_id)
                            self.n_fetch_failed += 1
                            yield status_row(job.youtube_id, job.movie_id, status="download_failed",
                                             reason=str(e)), None, None
                            continue
                        self._hold(job.youtube_id, video)
                        self.n_fetched += 1
                        ready.append(dataclasses.replace(job, video=video))
                    else:
                        decoding.discard(future)
                        yield future.result()
        except BaseException:
            if fetchers is not None and hasattr(self.fetch, "stop"):
                self.fetch.stop()  # wakes the fetches waiting on YouTube (vt2lib.data.youtube_limits): no long shutdown
            raise
        finally:
            for pool in (fetchers, decoders):
                if pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
