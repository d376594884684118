"""Notebook 02 in one pass per trailer: fetch -> decode -> keyframes -> frozen MobileNetV2 features.

Videos are fetched ahead (yt-dlp, threads) and decoded by workers (processes) that feed the
feature model, at most `video_window` videos on disk at once (vt2lib.video.pipeline), so the
cores decode while the model (an accelerator, or the main process's threads) computes features
and ML20M's ~110 GB of video never has to fit on the disk. What is stored per trailer:

- `features/per_trailer/<id>.npy`: its keyframes' features, float16 (always), and beside it
  `<id>.decoding.json` (fps, frames decoded: a rerun's status row keeps them);
- `keyframes/<id>.npy`: its raw uint8 keyframes, only for the trailers a figure or a user
  needs (`keep_keyframes`): "sample" = the keyframe strip's candidates and the PCA groups'
  movies (Figs 9-11); "all" = every trailer (~150 KB per keyframe at 224x224: ~400 GB at ML20M).

    status, used, videos = stream_trailers(jobs, features_dir, keyframes_dir, keep, cfg, fetch=fetch)
    status, cache, used, counts = extract_features(cfg, trailers)  # the same through the store

The scale rehearsal (`synth_direct_features`) has videos for a few hundred trailers only; the
others get features generated directly for their length (`generated_features`, status column
`source` = "generated"), so 03 and 04 run at ML20M's ~2.0M keyframes.

>>> generated_features("dQw4w9WgXcQ", n_keyframes=150).shape   # the same for the same id
(150, 1280)

A trailer is done when its feature file (and its keyframes, if kept) exist; files appear
only by atomic rename, so a killed run resumes where it stopped and a key change (image
size, keyframe rule, backbone) starts from the videos again (fetching them again where
`keep_videos = false` deleted them once their files were stored). A failed download is a status
row `download_failed` with yt-dlp's reason; it and every other unfinished trailer are tried
again by a rerun.
"""
from __future__ import annotations

import contextlib
import functools
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from vt2lib.config import Profile, trailer_dir
from vt2lib.data.titles import select_titles
from vt2lib.data.youtube import YoutubeFetcher, js_challenge_solver_missing
from vt2lib.io import DataError, find_video, write_npy_atomic
from vt2lib.progress import tqdm
from vt2lib.video.features import FEATURE_DTYPE, FeatureCache, build_frame_encoder, consolidate_features
from vt2lib.video.keyframes import STATUS_COLUMNS, VideoError, extract_keyframes, keyframe_path, status_row
from vt2lib.video.pipeline import VideoPipeline
from vt2lib.video.trailer_files import (CALIBRATION_FILE, FeatureWriter, kept_calibration, remove_stale_parts,
                                         store_trailer, stored_row)

GENERATED_FEATURE_DIM = 1280  # MobileNetV2's pooled features at width <= 1.0 (scale: generated directly)
STRIP_CANDIDATES = 8   # trailers whose keyframes are kept for 02's strip (it shows the first 4 usable ones)
CALIBRATION_SIZE = 256  # keyframes that set a random-init backbone's BatchNorm statistics


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
        row = status_row(self.youtube_id, self.movie_id)
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


def decode_job(job: DecodeJob, max_keyframes: int | None = None) -> tuple[dict, np.ndarray | None, np.ndarray | None]:
    """(row, keyframes, features generated directly) of one job, in a decoding worker; `max_keyframes`
    stops decoding after that many (calibration_sample's pass)."""
    row, frames = job.decode(max_keyframes)
    generated = generated_features(job.youtube_id, row["n_keyframes"]) if row["source"] == "generated" else None
    return row, frames, generated


def generated_features(youtube_id: str, n_keyframes: int, dim: int = GENERATED_FEATURE_DIM) -> np.ndarray:
    """Features of a trailer the scale rehearsal has no video for: one vector per trailer plus
    noise per keyframe, clipped to MobileNetV2's post-ReLU6 range; the same for the same id."""
    rng = np.random.default_rng(zlib.crc32(youtube_id.encode()))
    base = rng.gamma(0.6, 0.5, dim)
    return np.clip(base + rng.normal(0, 0.15, (n_keyframes, dim)), 0, 6).astype(FEATURE_DTYPE)


def start_method(cfg: Profile, fetching: bool) -> str:
    """How 02's decoding processes start: forked, unless threads run that a fork could catch
    holding a lock (the fetch threads; JAX's, once the feature model is built on it)."""
    return "forkserver" if fetching or cfg.feature_backend == "jax" else "fork"


def calibration_sample(jobs: list[DecodeJob], min_keyframes: int, n_workers: int = 1,
                       n: int = CALIBRATION_SIZE, start: str = "fork") -> np.ndarray:
    """Up to `n` keyframes spread evenly over the usable trailers (they decode to at least
    `min_keyframes`), in sorted-id order: n // usable trailers each, at least one.

    Only a random-init backbone needs it (offline demo and smoke). Telling the usable trailers
    takes a decoding pass of its own, each trailer decoded only up to `min_keyframes` (the demo's:
    ~10 of its 60-100 s, so the pass costs ~1/8 of a full one; a file truncated after them then counts as
    usable, and lends its first keyframe where one each is taken, none where several are); then the
    sample's keyframes are decoded: the first only where one each is taken."""
    ordered = sorted((j for j in jobs if j.generated_seconds is None), key=lambda j: j.youtube_id)
    first = functools.partial(decode_job, max_keyframes=min_keyframes)
    counts = {row["youtube_id"]: row["n_keyframes"] if frames is not None else 0 for row, frames, _ in
              VideoPipeline(ordered, first, None, len(ordered) or 1, 1, n_workers, True, start).decoded()}
    usable = [j for j in ordered if counts[j.youtube_id] >= min_keyframes]
    per = max(1, n // max(1, len(usable)))
    frames = []
    for job in usable:
        if len(frames) >= n:
            break
        kf = job.decode(max_keyframes=1 if per == 1 else None)[1]
        if kf is None:  # broken after its first min_keyframes (truncated): usable above, but not decodable in full
            continue
        frames.extend(kf[np.linspace(0, len(kf) - 1, min(per, len(kf))).astype(int)])
    return np.stack(frames[:n]) if frames else np.zeros((0, jobs[0].size, jobs[0].size, 3), np.uint8)


def stream_trailers(jobs: list[DecodeJob], features_dir: Path, keyframes_dir: Path, keep: set[str],
                    cfg: Profile, progress: bool = True, encoder=None,
                    fetch: Callable[[str], Path] | None = None) -> tuple[pd.DataFrame, str, VideoPipeline]:
    """Features of every job's trailer (and raw keyframes of those in `keep`), fetching missing
    videos with `fetch` (at most cfg.video_window on disk); returns the status table (one row per
    job), which backbone weights were used ("cached": nothing computed) and the pipeline (its
    most_held, n_fetch_failed)."""
    features_dir, keyframes_dir = Path(features_dir), Path(keyframes_dir)
    remove_stale_parts(features_dir, keyframes_dir)
    has_features = {j.youtube_id for j in jobs if (features_dir / f"{j.youtube_id}.npy").is_file()}
    done = {y for y in has_features if y not in keep or keyframe_path(keyframes_dir, y).is_file()}
    min_keyframes = min(cfg.sequence_lengths)

    start = start_method(cfg, fetch is not None)

    def make_encoder():
        if encoder is not None:
            return encoder, "given"
        return build_frame_encoder(cfg, calibration_images=lambda: kept_calibration(
            features_dir.parent / CALIBRATION_FILE, lambda: calibration_sample(jobs, min_keyframes, cfg.n_workers,
                                                                               start=start)))

    by_id = {j.youtube_id: j for j in jobs}
    todo = [j for j in jobs if j.youtube_id not in done]
    videos = VideoPipeline(todo, decode_job, fetch, cfg.video_window, cfg.download_threads, cfg.n_workers,
                           cfg.keep_videos, start)
    writer = FeatureWriter(make_encoder, cfg.feature_batch_size, features_dir, videos.done_with)
    rows = [stored_row(features_dir, by_id[y]) for y in sorted(done)]
    with tqdm(total=len(todo), unit="trailer", desc="videos -> keyframes -> features", disable=not progress) as bar:
        for row, frames, generated in videos.decoded(flush=writer.flush):
            bar.update()
            y = row["youtube_id"]
            if y in has_features:  # decoded again for its raw keyframes only: its features stand either way
                rows.append(stored_row(features_dir, by_id[y]))
                if frames is not None:
                    write_npy_atomic(keyframe_path(keyframes_dir, y), frames)
                videos.done_with(y)
                continue
            rows.append(row)
            if generated is not None:
                store_trailer(features_dir, row, generated)
            if frames is None:
                videos.done_with(y, stored=False)
                continue
            if y in keep:
                write_npy_atomic(keyframe_path(keyframes_dir, y), frames)
            writer.add(row, frames)
        writer.flush()
    status = pd.DataFrame(rows).drop(columns="movieId", errors="ignore")
    short = status.n_keyframes.lt(min_keyframes) & status.status.eq("ok")
    status.loc[short, "status"] = "too_short"
    status.loc[short, "reason"] = status.n_keyframes[short].map(lambda n: f"{n} keyframes < one sequence of "
                                                                           f"{min_keyframes}")
    order = {j.youtube_id: k for k, j in enumerate(jobs)}
    status = status.sort_values("youtube_id", key=lambda s: s.map(order)).reset_index(drop=True)
    status.insert(1, "movieId", [jobs[order[y]].movie_id for y in status.youtube_id])
    return status[list(STATUS_COLUMNS)], writer.used, videos


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
    unique = trailers.drop_duplicates("youtube_id")
    seconds = unique.duration_s if cfg.synth_direct_features else pd.Series(np.nan, unique.index)
    return [DecodeJob.of(cfg, y, m, trailer_dir(cfg), None if np.isnan(s) else float(s))
            for y, m, s in zip(unique.youtube_id, unique.movieId, seconds)]


def check_sequence_lengths(cfg: Profile, status: pd.DataFrame) -> None:
    """A sequence length no usable trailer reaches makes no window, and 03 would fail an hour later
    on ml20m: say so here, naming the field (the features stay stored: only 03 onwards use S)."""
    usable = status.n_keyframes[status.status == "ok"]
    longest = int(usable.max()) if len(usable) else 0
    too_long = [S for S in cfg.sequence_lengths if S > longest]
    if too_long:
        raise DataError(f"sequence_lengths = {list(cfg.sequence_lengths)}: S = {too_long} is longer than every "
                        f"usable trailer (the longest has {longest} keyframes); lower sequence_lengths")


def extract_features(cfg: Profile, trailers: pd.DataFrame, progress: bool = True,
                     fetch: Callable[[str], Path] | None = None) -> tuple[pd.DataFrame, FeatureCache, str, dict]:
    """stream_trailers into the `features` and `keyframes` artifacts, the status table into
    `keyframe_status`; returns (status, the usable trailers' FeatureCache, weights used, the
    pipeline's counts: videos fetched, failed, most held at once). `fetch` defaults to yt-dlp into
    the profile's trailer folder where trailer_source is youtube and fetch_trailers is on (else the
    videos are there, or a trailer without stored features or a video is a missing_file row)."""
    from vt2lib.store import Store
    store = Store(cfg)
    with contextlib.ExitStack() as stack:
        if fetch is None and cfg.trailer_source == "youtube" and cfg.fetch_trailers:
            if problem := js_challenge_solver_missing():
                raise DataError(problem)
            fetch = stack.enter_context(YoutubeFetcher(trailer_dir(cfg), cfg.download_format))
        per_movie, used, videos, cache = _features_through_store(cfg, store, trailers, fetch, progress)
    # movies sharing one YouTube id share its keyframes and status
    status = trailers[["movieId", "youtube_id"]].merge(per_movie.drop(columns="movieId"), on="youtube_id", how="left")
    store.save_tables("keyframe_status", {"status": status})
    check_sequence_lengths(cfg, per_movie)
    counts = {"videos_fetched": videos.n_fetched, "videos_failed_to_fetch": videos.n_fetch_failed,
              "most_videos_held": videos.most_held}
    return status, cache, used, counts


def _features_through_store(cfg: Profile, store, trailers: pd.DataFrame, fetch, progress: bool):
    """stream_trailers into the `features` and `keyframes` artifacts: (status per trailer, weights used,
    the pipeline, the consolidated FeatureCache). The features' content digest names the trailers
    they hold, so a rerun that adds one (a retried download) makes everything after 02 stale."""
    from vt2lib.store import digest
    with store.produce("features") as feats, store.produce("keyframes") as kf:
        per_movie, used, videos = stream_trailers(decode_jobs(cfg, trailers), feats.path / "per_trailer", kf.path,
                                                  kept_trailers(cfg, trailers), cfg, progress, fetch=fetch)
        cache = consolidate_features(feats.path / "per_trailer", per_movie.youtube_id[per_movie.status == "ok"],
                                     feats.path)
        feats.content = digest(store.key("features"), "\n".join(cache.index.youtube_id),
                               cache.index.n_keyframes.to_numpy())
    return per_movie, used, videos, cache
