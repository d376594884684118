"""Notebook 02 in one pass per trailer: decode -> keyframes -> frozen MobileNetV2 features.

Decoding workers (processes) feed the feature model through a bounded queue, so the cores
decode while the model (an accelerator, or the main process's threads) computes features.
What is stored per trailer:

- `features/per_trailer/<id>.npy`: its keyframes' features, float16 (always);
- `keyframes/<id>.npy`: its raw uint8 keyframes, only for the trailers a figure or a user
  needs (`keep_keyframes`): "sample" = the keyframe strip's candidates and the PCA groups'
  movies (Figs 9-11); "all" = every trailer (~150 KB per keyframe at 224x224: ~300 GB at ML20M).

    status, used = stream_trailers(jobs, features_dir, keyframes_dir, keep, cfg)   # resumable
    status, cache, used = extract_features(cfg, trailers, failures)  # the same through the store

The scale rehearsal (`synth_direct_features`) has videos for a few hundred trailers only; the
others get features generated directly for their length (`generated_features`, status column
`source` = "generated"), so 03 and 04 run at ML20M's ~2.0M keyframes.

>>> generated_features("dQw4w9WgXcQ", n_keyframes=150).shape   # the same for the same id
(150, 1280)

A trailer is done when its feature file (and its keyframes, if kept) exist; files appear
only by atomic rename, so a killed run resumes where it stopped and a key change (image
size, keyframe rule, backbone) starts from the videos again. With `keep_videos = false` a
trailer's video is deleted once its files are stored. Failed videos are retried by a rerun.
"""
from __future__ import annotations

import itertools
import zlib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.data.titles import select_titles
from vt2lib.io import write_npy_atomic
from vt2lib.progress import tqdm
from vt2lib.video.features import (FEATURE_DTYPE, FeatureCache, build_frame_encoder, consolidate_features,
                                   predict_full_batches)
from vt2lib.video.keyframes import (STATUS_COLUMNS, VideoError, extract_keyframes, find_video, keyframe_path,
                                    merge_download_failures)

GENERATED_FEATURE_DIM = 1280  # MobileNetV2's pooled features at width <= 1.0 (scale: generated directly)
STRIP_CANDIDATES = 8   # trailers whose keyframes are kept for 02's strip (it shows the first 4 usable ones)
CALIBRATION_SIZE = 256  # keyframes that set a random-init backbone's BatchNorm statistics
IN_FLIGHT_PER_WORKER = 2  # decoded trailers waiting for the feature model: the queue's bound


@dataclass(frozen=True)
class DecodeJob:
    youtube_id: str
    movie_id: int
    video: Path | None
    size: int
    resize_mode: str
    rule: str
    every_n: int
    generated_seconds: float | None = None  # scale: no video, features generated for a trailer this long

    @classmethod
    def of(cls, cfg: Profile, youtube_id: str, movie_id: int, trailer_dir: Path,
           generated_seconds: float | None = None) -> DecodeJob:
        video = find_video(trailer_dir, youtube_id)
        return cls(youtube_id, int(movie_id), video, cfg.image_size, cfg.resize_mode, cfg.keyframe_rule,
                   cfg.keyframe_every_n, generated_seconds if video is None else None)

    def decode(self, max_keyframes: int | None = None) -> tuple[dict, np.ndarray | None]:
        """(status row, keyframes or None): a bad video is a row with its status, never an exception."""
        row = {"youtube_id": self.youtube_id, "movieId": self.movie_id, "status": "ok", "reason": "",
               "fps": np.nan, "n_frames_decoded": 0, "n_keyframes": 0, "source": "video"}
        if self.generated_seconds is not None:
            row.update(n_keyframes=int(np.ceil(self.generated_seconds)), source="generated")
            return row, None
        try:
            if self.video is None:
                raise VideoError("missing_file", f"no video file for {self.youtube_id}")
            frames, info = extract_keyframes(self.video, self.size, self.resize_mode, self.rule, self.every_n,
                                             max_keyframes)
        except VideoError as e:
            row.update(status=e.status, reason=str(e))
            return row, None
        row.update(fps=info.fps, n_frames_decoded=info.n_frames_decoded, n_keyframes=len(frames))
        return row, frames


def _decode(job: DecodeJob) -> tuple[dict, np.ndarray | None, np.ndarray | None]:
    """(row, keyframes, features generated directly) of one job, in a decoding worker."""
    row, frames = job.decode()
    generated = generated_features(job.youtube_id, row["n_keyframes"]) if row["source"] == "generated" else None
    return row, frames, generated


def generated_features(youtube_id: str, n_keyframes: int, dim: int = GENERATED_FEATURE_DIM) -> np.ndarray:
    """Features of a trailer the scale rehearsal has no video for: one vector per trailer plus
    noise per keyframe, clipped to MobileNetV2's post-ReLU6 range; the same for the same id."""
    rng = np.random.default_rng(zlib.crc32(youtube_id.encode()))
    base = rng.gamma(0.6, 0.5, dim)
    return np.clip(base + rng.normal(0, 0.15, (n_keyframes, dim)), 0, 6).astype(FEATURE_DTYPE)


def decoded(jobs: list[DecodeJob], n_workers: int) -> Iterator[tuple[dict, np.ndarray | None, np.ndarray | None]]:
    """Each job's (row, keyframes), in job order; at most IN_FLIGHT_PER_WORKER per worker wait
    decoded in memory, so a slow consumer bounds the decoders instead of filling the RAM."""
    if n_workers <= 1:
        yield from map(_decode, jobs)
        return
    todo = iter(jobs)
    with ProcessPoolExecutor(n_workers) as pool:
        pending = deque(pool.submit(_decode, j) for j in itertools.islice(todo, IN_FLIGHT_PER_WORKER * n_workers))
        while pending:
            done = pending.popleft().result()
            for j in itertools.islice(todo, 1):  # refill before handing the result on: decoding never waits
                pending.append(pool.submit(_decode, j))
            yield done


def calibration_sample(jobs: list[DecodeJob], min_keyframes: int, n_workers: int = 1,
                       n: int = CALIBRATION_SIZE) -> np.ndarray:
    """Up to `n` keyframes spread evenly over the usable trailers (they decode to at least
    `min_keyframes`), in sorted-id order: n // usable trailers each, at least one.

    Only a random-init backbone needs it (offline demo and smoke). Counting the usable trailers
    takes a decoding pass of its own; then one frame each is decoded where one is taken."""
    ordered = sorted((j for j in jobs if j.generated_seconds is None), key=lambda j: j.youtube_id)
    counts = [row["n_keyframes"] if frames is not None else 0 for row, frames, _ in decoded(ordered, n_workers)]
    usable = [j for j, c in zip(ordered, counts) if c >= min_keyframes]
    per = max(1, n // max(1, len(usable)))
    frames = []
    for job in usable:
        if len(frames) >= n:
            break
        kf = job.decode(max_keyframes=1 if per == 1 else None)[1]
        frames.extend(kf[np.linspace(0, len(kf) - 1, min(per, len(kf))).astype(int)])
    return np.stack(frames[:n]) if frames else np.zeros((0, jobs[0].size, jobs[0].size, 3), np.uint8)


class FeatureWriter:
    """Collects decoded trailers and runs the feature model on full batches of ~4 x batch keyframes."""

    def __init__(self, make_encoder: Callable, batch_size: int, out_dir: Path, on_stored: Callable[[str], None]):
        self.make_encoder, self.batch_size, self.out_dir, self.on_stored = make_encoder, batch_size, out_dir, on_stored
        self.encoder, self.used, self.waiting = None, "cached", []

    def add(self, youtube_id: str, frames: np.ndarray) -> None:
        self.waiting.append((youtube_id, frames))
        if sum(len(f) for _, f in self.waiting) >= 4 * self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        if self.encoder is None:
            self.encoder, self.used = self.make_encoder()
        frames = [f for _, f in self.waiting]
        feats = predict_full_batches(self.encoder, np.concatenate(frames), self.batch_size)
        for (y, _), part in zip(self.waiting, np.split(feats, np.cumsum([len(f) for f in frames])[:-1])):
            write_npy_atomic(self.out_dir / f"{y}.npy", part.astype(FEATURE_DTYPE))
            self.on_stored(y)
        self.waiting = []


def _remove_stale_parts(*folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.part*"):  # what a kill mid-write leaves
            stale.unlink()


def stream_trailers(jobs: list[DecodeJob], features_dir: Path, keyframes_dir: Path, keep: set[str],
                    cfg: Profile, progress: bool = True, encoder=None) -> tuple[pd.DataFrame, str]:
    """Features of every job's trailer (and raw keyframes of those in `keep`); returns the status
    table (one row per job) and which backbone weights were used ("cached": nothing computed)."""
    features_dir, keyframes_dir = Path(features_dir), Path(keyframes_dir)
    _remove_stale_parts(features_dir, keyframes_dir)
    has_features = {j.youtube_id for j in jobs if (features_dir / f"{j.youtube_id}.npy").is_file()}
    done = {y for y in has_features if y not in keep or keyframe_path(keyframes_dir, y).is_file()}
    min_keyframes = min(cfg.sequence_lengths)

    def make_encoder():
        if encoder is not None:
            return encoder, "given"
        return build_frame_encoder(cfg, calibration_images=lambda: calibration_sample(jobs, min_keyframes,
                                                                                      cfg.n_workers))

    videos = {j.youtube_id: j.video for j in jobs}
    generated_seconds = {j.youtube_id: j.generated_seconds for j in jobs}

    def stored(youtube_id: str) -> None:
        if not cfg.keep_videos and videos[youtube_id] is not None:
            videos[youtube_id].unlink(missing_ok=True)

    def stored_row(youtube_id: str) -> dict:
        return {"youtube_id": youtube_id, "status": "ok", "reason": "", "fps": np.nan, "n_frames_decoded": 0,
                "n_keyframes": int(np.load(features_dir / f"{youtube_id}.npy", mmap_mode="r").shape[0]),
                "source": "video" if generated_seconds[youtube_id] is None else "generated"}
    writer = FeatureWriter(make_encoder, cfg.feature_batch_size, features_dir, stored)
    rows, todo = [stored_row(y) for y in sorted(done)], [j for j in jobs if j.youtube_id not in done]
    with tqdm(total=len(todo), unit="trailer", desc="keyframes + features", disable=not progress) as bar:
        for row, frames, generated in decoded(todo, cfg.n_workers):
            bar.update()
            y = row["youtube_id"]
            if y in has_features:  # decoded again for its raw keyframes only: its features stand either way
                rows.append(stored_row(y))
                if frames is not None:
                    write_npy_atomic(keyframe_path(keyframes_dir, y), frames)
                    stored(y)
                continue
            rows.append(row)
            if generated is not None:
                write_npy_atomic(features_dir / f"{y}.npy", generated)
            if frames is not None:
                if y in keep:
                    write_npy_atomic(keyframe_path(keyframes_dir, y), frames)
                writer.add(y, frames)
        writer.flush()
    status = pd.DataFrame(rows).drop(columns="movieId", errors="ignore")
    short = status.n_keyframes.lt(min_keyframes) & status.status.eq("ok")
    status.loc[short, "status"] = "too_short"
    status.loc[short, "reason"] = status.n_keyframes[short].map(lambda n: f"{n} keyframes < one sequence of "
                                                                           f"{min_keyframes}")
    order = {j.youtube_id: k for k, j in enumerate(jobs)}
    status = status.sort_values("youtube_id", key=lambda s: s.map(order)).reset_index(drop=True)
    status.insert(1, "movieId", [jobs[order[y]].movie_id for y in status.youtube_id])
    return status[list(STATUS_COLUMNS)], writer.used


# ------------------------------------------------------------------ through the store (notebook 02)
def _strip_candidates(cfg: Profile, trailers: pd.DataFrame) -> list[str]:
    ids = np.array(sorted(trailers.youtube_id.unique()))
    return sorted(np.random.default_rng(cfg.seed).choice(ids, min(STRIP_CANDIDATES, len(ids)), replace=False))


def kept_trailers(cfg: Profile, trailers: pd.DataFrame) -> set[str]:
    """Trailers whose raw keyframes 02 keeps: the strip's candidates and the PCA groups' movies
    (keep_keyframes = "sample"), or every trailer ("all")."""
    if cfg.keep_keyframes == "all":
        return set(trailers.youtube_id)
    patterns = [p for group in cfg.pca_groups.values() for p in group] + list(cfg.pca_references)
    return set(_strip_candidates(cfg, trailers)) | set(select_titles(trailers, patterns).youtube_id)


def strip_trailers(cfg: Profile, trailers: pd.DataFrame, status: pd.DataFrame, n: int = 4) -> list[str]:
    """The keyframe strip's trailers: the first `n` usable, decoded ones among the candidates kept by 02."""
    ok = set(status.youtube_id[(status.status == "ok") & (status.source == "video")])
    return [y for y in _strip_candidates(cfg, trailers) if y in ok][:n]


def decode_jobs(cfg: Profile, trailers: pd.DataFrame) -> list[DecodeJob]:
    """One job per trailer; with synth_direct_features, a trailer without a video file gets
    features generated for its (metadata) length instead of the status missing_file."""
    from vt2lib.store import trailer_dir
    unique = trailers.drop_duplicates("youtube_id")
    seconds = unique.duration_s if cfg.synth_direct_features else pd.Series(np.nan, unique.index)
    return [DecodeJob.of(cfg, y, m, trailer_dir(cfg), None if np.isnan(s) else float(s))
            for y, m, s in zip(unique.youtube_id, unique.movieId, seconds)]


def trailers_to_decode(cfg: Profile, trailers: pd.DataFrame) -> list[str]:
    """Trailers whose stored files under today's keys are incomplete: those 02 needs videos for."""
    from vt2lib.store import Store
    store, keep = Store(cfg), kept_trailers(cfg, trailers)
    features = store.path("features") / "per_trailer" if store.holds("features") else None
    keyframes = store.path("keyframes") if store.holds("keyframes") else None
    return [y for y in trailers.youtube_id.unique()
            if features is None or not (features / f"{y}.npy").is_file()
            or (y in keep and (keyframes is None or not keyframe_path(keyframes, y).is_file()))]


def extract_features(cfg: Profile, trailers: pd.DataFrame, failures: pd.DataFrame | None = None,
                     progress: bool = True) -> tuple[pd.DataFrame, FeatureCache, str]:
    """stream_trailers into the `features` and `keyframes` artifacts, the status table into
    `keyframe_status`; returns (status, the usable trailers' FeatureCache, weights used)."""
    from vt2lib.store import Store
    store = Store(cfg)
    with store.produce("features") as feats, store.produce("keyframes") as kf:
        per_movie, used = stream_trailers(decode_jobs(cfg, trailers), feats.path / "per_trailer", kf.path,
                                          kept_trailers(cfg, trailers), cfg, progress)
        cache = consolidate_features(feats.path / "per_trailer", per_movie.youtube_id[per_movie.status == "ok"],
                                     feats.path)
    # movies sharing one YouTube id share its keyframes and status
    status = trailers[["movieId", "youtube_id"]].merge(per_movie.drop(columns="movieId"), on="youtube_id", how="left")
    status = merge_download_failures(status, failures)
    store.save_tables("keyframe_status", {"status": status})
    return status, cache, used
