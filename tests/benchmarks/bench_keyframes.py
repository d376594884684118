"""Benchmark: keyframe extraction vs decoding alone vs the naive reader, and MobileNetV2 features/s.

    .venv/bin/python tests/benchmarks/bench_keyframes.py [PROFILE]     # default: demo

On the same files, in one run: (a) decode-only throughput (grab every frame, keep none),
(b) our extraction (grab every frame, retrieve + convert + resize only keyframes),
(c) a naive reader that decodes, converts and resizes every frame and keeps every 25th
(the authors' approach). Files: the profile's synthetic trailers plus one 720p synthetic
trailer. Targets: (b)/(a) >= 0.9 and (b)/(c) >= 2. Not a test: it prints numbers.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from vt2lib.profiles import load_profile
from vt2lib.data.raw import load_raw_data
from vt2lib.io import VIDEO_EXTENSIONS
from vt2lib.video.keyframes import extract_keyframes


def decode_only(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def naive(path, size):
    cap = cv2.VideoCapture(str(path))
    kept, n = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        small = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (size, size), interpolation=cv2.INTER_AREA)
        if n % 25 == 0:
            kept.append(small)
        n += 1
    cap.release()
    return n


def make_720p(path: Path, seconds=40, fps=25):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (1280, 720))
    for i in range(seconds * fps):
        w.write(np.roll(base, 8 * i, axis=1))
    w.release()
    return path


def timed(fn, files):
    start = time.perf_counter()
    frames = sum(fn(f) for f in files)
    return frames, time.perf_counter() - start


def main(profile="demo"):
    cfg = load_profile(profile)
    raw = load_raw_data(cfg)
    files = sorted(p for p in raw.trailer_dir.iterdir() if p.suffix in VIDEO_EXTENSIONS and p.stat().st_size > 0)
    files = [f for f in files if cv2.VideoCapture(str(f)).isOpened()]
    with tempfile.TemporaryDirectory() as tmp:
        hd = make_720p(Path(tmp) / "hd720.mp4")
        for label, group in (("profile trailers", files), ("720p trailer", [hd])):
            size = cfg.image_size if label == "profile trailers" else 224
            for fn in (decode_only, lambda f: naive(f, size), lambda f: extract_keyframes(f, size)[1].n_frames_decoded):
                fn(group[0])  # warm-up
            n_a, t_a = timed(decode_only, group)
            n_b, t_b = timed(lambda f: extract_keyframes(f, size)[1].n_frames_decoded, group)
            n_c, t_c = timed(lambda f: naive(f, size), group)
            assert n_a == n_b == n_c
            print(f"{label}: {len(group)} files, {n_a} frames, keyframes {size}x{size}")
            print(f"  (a) decode only      {n_a / t_a:10.0f} frames/s")
            print(f"  (b) our extraction   {n_b / t_b:10.0f} frames/s   (b)/(a) = {t_a / t_b:.2f}  (target >= 0.9)")
            print(f"  (c) naive reader     {n_c / t_c:10.0f} frames/s   (b)/(c) = {t_c / t_b:.2f}  (target >= 2)")

    from vt2lib.video.features import build_frame_encoder
    encoder, used = build_frame_encoder(cfg, weights="none")
    x = np.random.default_rng(0).integers(0, 255, (4 * cfg.feature_batch_size, cfg.image_size, cfg.image_size, 3),
                                          dtype=np.uint8)
    encoder.predict(x[: cfg.feature_batch_size], batch_size=cfg.feature_batch_size, verbose=0)
    start = time.perf_counter()
    encoder.predict(x, batch_size=cfg.feature_batch_size, verbose=0)
    print(f"MobileNetV2 alpha {cfg.backbone_alpha} at {cfg.image_size}x{cfg.image_size}: "
          f"{len(x) / (time.perf_counter() - start):.0f} keyframes/s (batch {cfg.feature_batch_size})")


if __name__ == "__main__":
    main(*sys.argv[1:])
