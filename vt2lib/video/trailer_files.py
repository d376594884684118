"""What notebook 02 stores per trailer, and the writer that runs the feature model on batches.

- `<id>.npy` (features, float16) and `<id>.decoding.json` (fps, frames decoded) in per_trailer/:
  the facts are written first, the features last and atomically, so a feature file marks the
  trailer done and a rerun's status row keeps its decoding facts;
- `calibration_keyframes.npy` beside per_trailer/: the sample a random-init backbone's BatchNorm
  was calibrated on, so every run builds the same backbone.

    writer = FeatureWriter(make_encoder, batch_size, features_dir, on_stored=videos.done_with)
    writer.add(row, keyframes)   # stored once ~4 batches are waiting, or at flush()

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> store_trailer(folder, {"youtube_id": "a" * 11, "fps": 25.0, "n_frames_decoded": 750}, np.ones((30, 4)))
>>> job = type("Job", (), {"youtube_id": "a" * 11, "movie_id": 1, "generated_seconds": None})
>>> row = stored_row(folder, job)
>>> row["fps"], row["n_frames_decoded"], row["n_keyframes"], row["source"]
(25.0, 750, 30, 'video')
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from vt2lib.io import DataError, read_json, write_json_atomic, write_npy_atomic
from vt2lib.video.features import FEATURE_DTYPE, predict_full_batches
from vt2lib.video.keyframes import status_row

CALIBRATION_FILE = "calibration_keyframes.npy"  # beside per_trailer/: kept_calibration's sample
ROW_SUFFIX = ".decoding.json"  # beside each trailer's features: its DECODING_FACTS, for a rerun's status row
DECODING_FACTS = ("fps", "n_frames_decoded")


def store_trailer(features_dir: Path, row: dict, features: np.ndarray) -> None:
    """A trailer's features and its decoding facts (fps, frames decoded), the facts first: the
    feature file, which appears last and atomically, is what marks the trailer done."""
    y = row["youtube_id"]
    write_json_atomic(features_dir / f"{y}{ROW_SUFFIX}", {k: row[k] for k in DECODING_FACTS})
    write_npy_atomic(features_dir / f"{y}.npy", np.asarray(features, FEATURE_DTYPE))


def stored_row(features_dir: Path, job) -> dict:
    """The status row of a trailer (a vt2lib.video.stream.DecodeJob) whose features a run stored:
    a rerun's, without decoding."""
    y = job.youtube_id
    facts = features_dir / f"{y}{ROW_SUFFIX}"
    return status_row(y, job.movie_id, **(read_json(facts) if facts.is_file() else {}),
                      n_keyframes=int(np.load(features_dir / f"{y}.npy", mmap_mode="r").shape[0]),
                      source="video" if job.generated_seconds is None else "generated")


def kept_calibration(path: Path, sample: Callable[[], np.ndarray]) -> np.ndarray:
    """The keyframes a random-init backbone's BatchNorm is calibrated on, decoded once and kept beside
    the features: a rerun (after a kill, or with the videos deleted by keep_videos false) builds the
    same backbone, so its features match those stored before."""
    if path.is_file():
        return np.load(path)
    images = sample()
    if not len(images):
        raise DataError("a random-init backbone is calibrated on keyframes of the trailer videos on disk, and "
                        "there is none: put some videos in the trailer folder, or use backbone_weights = imagenet")
    write_npy_atomic(path, images)
    return images


class FeatureWriter:
    """Collects decoded trailers and runs the feature model on full batches of ~4 x batch keyframes."""

    def __init__(self, make_encoder: Callable, batch_size: int, out_dir: Path, on_stored: Callable[[str], None]):
        self.make_encoder, self.batch_size, self.out_dir, self.on_stored = make_encoder, batch_size, out_dir, on_stored
        self.encoder, self.used, self.waiting = None, "cached", []

    def add(self, row: dict, frames: np.ndarray) -> None:
        self.waiting.append((row, frames))
        if sum(len(f) for _, f in self.waiting) >= 4 * self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        if self.encoder is None:
            self.encoder, self.used = self.make_encoder()
        frames = [f for _, f in self.waiting]
        feats = predict_full_batches(self.encoder, np.concatenate(frames), self.batch_size)
        waiting, self.waiting = self.waiting, []
        for (row, _), part in zip(waiting, np.split(feats, np.cumsum([len(f) for f in frames])[:-1])):
            store_trailer(self.out_dir, row, part)
            self.on_stored(row["youtube_id"])


def remove_stale_parts(*folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.part*"):  # what a kill mid-write leaves
            stale.unlink()
