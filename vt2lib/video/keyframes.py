"""Keyframe extraction (paper 2.3): one frame per second, resized to a square, stored per trailer.

    frames, info = extract_keyframes("x.mp4", size=224)                 # (K, 224, 224, 3) uint8 RGB
    first, _ = extract_keyframes("x.mp4", size=224, max_keyframes=1)    # decodes one frame only

Notebook 02 runs this inside vt2lib.video.stream (decode -> features in one pass per trailer).

>>> keyframe_indices(n_frames=100, fps=29.97, rule="per_second").tolist()    # one frame per second
[0, 30, 60, 90]
>>> sequence_starts(n_keyframes=30, length=10, shift=5).tolist()
[0, 5, 10, 15, 20]

Only the frames the kept ones need are decoded (vt2lib.video.decode: bit-identical to decoding
every frame), and only the kept ones are colour-converted and resized. Keyframes rule: `per_second`
keeps frame round(k * fps) (one per second at any frame rate; the paper's "every 25th frame" at
25 fps); `every_nth` keeps every Nth frame regardless of the frame rate (the authors' code used
N=24 - set keyframe_every_n to compare).

End screens appended by uploaders (the paper's Movieclips example) are not detected: they
stay a known limitation and show up in the PCA figures as an off-cluster tail.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.video.decode import Video, VideoError

# source: "video" (decoded), or "generated" (the scale rehearsal's features without a video); n_frames_decoded:
# the frames up to the video's end or its first undecodable packet (02 decodes only those its keyframes need)
STATUS_COLUMNS = ("youtube_id", "movieId", "status", "reason", "fps", "n_frames_decoded", "n_keyframes", "source")


def status_row(youtube_id: str, movie_id: int, **fields) -> dict:
    """One row of the status table (STATUS_COLUMNS): a decoded video's defaults, `fields` changed."""
    return {"youtube_id": youtube_id, "movieId": movie_id, "status": "ok", "reason": "", "fps": np.nan,
            "n_frames_decoded": 0, "n_keyframes": 0, "source": "video", **fields}


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
    import cv2  # here, not at the top: training imports this module, and a GPU box may lack OpenCV
    small = cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


@dataclass
class VideoInfo:
    fps: float
    n_frames_decoded: int
    n_frames_reported: int


def _kept(video: Video, size: int, resize_mode: str, rule: str, every_n: int, max_keyframes: int | None):
    """(index, keyframe) of `video`'s kept frames (counted as they come out: the packets' count bounds them)."""
    wanted = keyframe_indices(video.n_frames, video.fps, rule, every_n)[:max_keyframes]
    return [(index, _resize(bgr, size, resize_mode)) for index, bgr in video.frames(wanted)]


def extract_keyframes(path, size: int = 224, resize_mode: str = "stretch", rule: str = "per_second",
                      every_n: int = 25, max_keyframes: int | None = None) -> tuple[np.ndarray, VideoInfo]:
    """Decode `path` and return its keyframes as (K, size, size, 3) uint8 RGB (decoded a second time,
    every frame counted, only where the decoder gave fewer frames than the packets promise).

    `max_keyframes` stops decoding after the first ones (a calibration sample); the truncation check
    then cannot run, and `n_frames_decoded` counts the frames up to the last one kept."""
    with Video(path) as video:
        fps, reported = video.fps, video.n_reported
        if rule == "per_second" and not (fps > 0 and np.isfinite(fps)):
            raise VideoError("unreadable", f"{path}: no frame rate in the container")
        kept = _kept(video, size, resize_mode, rule, every_n, max_keyframes)
        if video.missed:  # the decoder gave fewer frames than the packets promise: count what comes out
            video.count_as_decoded()
            kept = _kept(video, size, resize_mode, rule, every_n, max_keyframes)
        decodable = video.n_decodable
    if not kept:
        raise VideoError("no_frames", f"{path}: no frame could be decoded")
    frames = np.stack([frame for _, frame in kept])
    if max_keyframes is not None and len(kept) == max_keyframes:
        return frames, VideoInfo(fps, kept[-1][0] + 1, reported)
    if reported > 0 and decodable < 0.9 * reported:
        raise VideoError("truncated", f"{path}: only the first {decodable} of its {reported} frames decode; "
                                      "the file is truncated")
    return frames, VideoInfo(fps, decodable, reported)


def sequence_starts(n_keyframes: int, length: int, shift: int) -> np.ndarray:
    """Start indices of the sliding windows of `length` keyframes, `shift` apart.

    Only full windows are used: the last n_keyframes - (start_last + length) keyframes
    (fewer than `shift`) belong to no window, and a trailer shorter than `length` has none.
    """
    if n_keyframes < length:
        return np.zeros(0, np.int64)
    return np.arange(0, n_keyframes - length + 1, shift, dtype=np.int64)


def keyframe_path(out_dir: Path, youtube_id: str) -> Path:
    return Path(out_dir) / f"{youtube_id}.npy"


# ------------------------------------------------------------------ through the store (notebook 02)
def keyframe_dir(cfg: Profile) -> Path:
    """The stored raw keyframes: the strip's and the PCA groups' trailers, or all (keep_keyframes)."""
    from vt2lib.store import Store
    return Store(cfg).require("keyframes")


def load_keyframe_status(cfg: Profile) -> pd.DataFrame:
    """Notebook 02's status table: one row per (movie, trailer), status 'ok' or why not."""
    from vt2lib.store import Store
    return Store(cfg).load_table("keyframe_status", "status")
