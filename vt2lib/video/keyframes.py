"""Keyframe extraction (paper 2.3): one frame per second, resized to a square, stored per trailer.

    frames, info = extract_keyframes("x.mp4", size=224)                 # (K, 224, 224, 3) uint8 RGB
    status = extract_all(trailers, trailer_dir, out_dir, cfg)           # resumable, parallel
    status = extract_trailers(cfg, trailers)                            # the same through the store (notebook 02)

>>> keyframe_indices(n_frames=100, fps=29.97, rule="per_second").tolist()    # one frame per second
[0, 30, 60, 90]
>>> sequence_starts(n_keyframes=30, length=10, shift=5).tolist()
[0, 5, 10, 15, 20]

Decoding is sequential with `grab()` for every frame and `retrieve()` + colour conversion +
resize only for the kept ones, so the cost is close to decoding alone and a video is never
held in memory. Keyframes rule: `per_second` keeps frame round(k * fps) (one per second at
any frame rate; the paper's "every 25th frame" at 25 fps); `every_nth` keeps every Nth frame
regardless of the frame rate (the authors' code used N=24 - set keyframe_every_n to compare).

End screens appended by uploaders (the paper's Movieclips example) are not detected: they
stay a known limitation and show up in the PCA figures as an off-cluster tail.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.io import atomic_path
from vt2lib.progress import tqdm

VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov")
STATUS_COLUMNS = ("youtube_id", "movieId", "status", "reason", "fps", "n_frames_decoded", "n_keyframes")


class VideoError(ValueError):
    """A trailer file cannot be used; `status` is the short code recorded in the status table."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def keyframe_indices(n_frames: int, fps: float, rule: str = "per_second", every_n: int = 25) -> np.ndarray:
    """Indices of the kept frames among `n_frames` decoded frames."""
    if rule == "per_second":
        if not fps or fps <= 0 or not np.isfinite(fps):
            raise ValueError(f"per_second sampling needs a positive frame rate, got {fps}")
        k = np.arange(int(np.ceil(n_frames / fps)) + 1)
        idx = np.round(k * fps).astype(np.int64)
        return idx[idx < n_frames]
    if rule == "every_nth":
        return np.arange(0, n_frames, every_n, dtype=np.int64)
    raise ValueError(f"unknown keyframe_rule {rule!r}; valid: per_second, every_nth")


def _resize(frame_bgr: np.ndarray, size: int, mode: str) -> np.ndarray:
    if mode == "center_crop":
        h, w = frame_bgr.shape[:2]
        s = min(h, w)
        y, x = (h - s) // 2, (w - s) // 2
        frame_bgr = frame_bgr[y:y + s, x:x + s]
    elif mode != "stretch":
        raise ValueError(f"unknown resize_mode {mode!r}; valid: stretch, center_crop")
    small = cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


@dataclass
class VideoInfo:
    fps: float
    n_frames_decoded: int
    n_frames_reported: int


def extract_keyframes(path, size: int = 224, resize_mode: str = "stretch", rule: str = "per_second",
                      every_n: int = 25) -> tuple[np.ndarray, VideoInfo]:
    """Decode `path` once and return its keyframes as (K, size, size, 3) uint8 RGB."""
    path = Path(path)
    if not path.is_file():
        raise VideoError("missing_file", f"{path}: file does not exist")
    if path.stat().st_size == 0:
        raise VideoError("empty_file", f"{path}: file is empty")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoError("unreadable", f"{path}: OpenCV cannot open it (corrupt file or unknown codec)")
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if rule == "per_second" and not (fps > 0 and np.isfinite(fps)):
            raise VideoError("unreadable", f"{path}: no frame rate in the container")
        # Targets are generated lazily: the real length is only known once decoding stops.
        step_target = (lambda k: int(round(k * fps))) if rule == "per_second" else (lambda k: k * every_n)
        kept, k, i = [], 0, 0
        target = step_target(0)
        while cap.grab():
            if i == target:
                ok, frame = cap.retrieve()
                if not ok:
                    break
                kept.append(_resize(frame, size, resize_mode))
                k += 1
                target = step_target(k)
            i += 1
    finally:
        cap.release()
    if i == 0:
        raise VideoError("no_frames", f"{path}: no frame could be decoded")
    if reported > 0 and i < 0.9 * reported:
        raise VideoError("truncated", f"{path}: decoded {i} of {reported} frames; the file is truncated")
    return np.stack(kept), VideoInfo(fps, i, reported)


def sequence_starts(n_keyframes: int, length: int, shift: int) -> np.ndarray:
    """Start indices of the sliding windows of `length` keyframes, `shift` apart.

    Only full windows are used: the last n_keyframes - (start_last + length) keyframes
    (fewer than `shift`) belong to no window, and a trailer shorter than `length` has none.
    """
    if n_keyframes < length:
        return np.zeros(0, np.int64)
    return np.arange(0, n_keyframes - length + 1, shift, dtype=np.int64)


def find_video(trailer_dir: Path, youtube_id: str) -> Path | None:
    for ext in VIDEO_EXTENSIONS:
        p = Path(trailer_dir) / f"{youtube_id}{ext}"
        if p.exists():
            return p
    return None


def keyframe_path(out_dir: Path, youtube_id: str) -> Path:
    return Path(out_dir) / f"{youtube_id}.npy"


def _extract_one(args) -> dict:
    youtube_id, movie_id, video, out_dir, size, mode, rule, every_n, min_keyframes = args
    row = {"youtube_id": youtube_id, "movieId": movie_id, "status": "ok", "reason": "", "fps": np.nan,
           "n_frames_decoded": 0, "n_keyframes": 0}
    out = keyframe_path(out_dir, youtube_id)
    if out.is_file():  # finished earlier: files appear only by an atomic rename
        row["n_keyframes"] = int(np.load(out, mmap_mode="r").shape[0])
    else:
        try:
            if video is None:
                raise VideoError("missing_file", f"no video file for {youtube_id}")
            frames, info = extract_keyframes(video, size, mode, rule, every_n)
        except VideoError as e:
            row.update(status=e.status, reason=str(e))
            return row
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, frames)
        row.update(fps=info.fps, n_frames_decoded=info.n_frames_decoded, n_keyframes=len(frames))
    if row["n_keyframes"] < min_keyframes:
        row.update(status="too_short", reason=f"{row['n_keyframes']} keyframes < one sequence of {min_keyframes}")
    return row


def extract_all(trailers: pd.DataFrame, trailer_dir: Path, out_dir: Path, cfg: Profile,
                progress: bool = True) -> pd.DataFrame:
    """Extract keyframes of every trailer (columns youtube_id, movieId); returns the status table.

    A rerun skips trailers whose keyframe file exists; half-written temp files of a killed
    run are removed first. Failures never stop the run: they are rows with a status.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.part*"):
        stale.unlink()
    unique = trailers.drop_duplicates("youtube_id")
    jobs = [(y, int(m), find_video(trailer_dir, y), out_dir, cfg.image_size, cfg.resize_mode,
             cfg.keyframe_rule, cfg.keyframe_every_n, min(cfg.sequence_lengths))
            for y, m in zip(unique.youtube_id, unique.movieId)]
    bar = dict(total=len(jobs), desc="keyframes", disable=not progress)
    if cfg.n_workers > 1:
        with ProcessPoolExecutor(cfg.n_workers) as pool:
            rows = list(tqdm(pool.map(_extract_one, jobs, chunksize=4), **bar))
    else:
        rows = [_extract_one(j) for j in tqdm(jobs, **bar)]
    status = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    # Movies sharing one YouTube id share its keyframes and status.
    return trailers[["movieId", "youtube_id"]].merge(status.drop(columns="movieId"), on="youtube_id", how="left")


def merge_download_failures(status: pd.DataFrame, failures: pd.DataFrame | None) -> pd.DataFrame:
    """Trailers missing because yt-dlp failed get status 'download_failed' and yt-dlp's reason."""
    if failures is None or failures.empty:
        return status
    reasons = failures.drop_duplicates("youtube_id").set_index("youtube_id").reason
    failed = status.youtube_id.isin(reasons.index) & (status.status == "missing_file")
    status = status.copy()
    status.loc[failed, "status"] = "download_failed"
    status.loc[failed, "reason"] = status.youtube_id[failed].map(reasons)
    return status


# ------------------------------------------------------------------ through the store (notebook 02)
def extract_trailers(cfg: Profile, trailers: pd.DataFrame, failures: pd.DataFrame | None = None,
                     progress: bool = True) -> pd.DataFrame:
    """Keyframes of every trailer into the `keyframes` artifact (resumable under one key) and
    the status table into `keyframe_status`; returns the status table."""
    from vt2lib.store import Store, trailer_dir
    store = Store(cfg)
    with store.produce("keyframes") as art:
        status = extract_all(trailers, trailer_dir(cfg), art.path, cfg, progress)
    status = merge_download_failures(status, failures)
    store.save_tables("keyframe_status", {"status": status})
    return status


def keyframe_dir(cfg: Profile) -> Path:
    from vt2lib.store import Store
    return Store(cfg).require("keyframes")


def load_keyframe_status(cfg: Profile) -> pd.DataFrame:
    """Notebook 02's status table: one row per (movie, trailer), status 'ok' or why not."""
    from vt2lib.store import Store
    return Store(cfg).load_table("keyframe_status", "status")
