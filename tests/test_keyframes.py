"""Keyframe sampling, windows, extraction on real encoded files, bad videos, resume."""
import multiprocessing as mp
import time

import cv2
import numpy as np
import pandas as pd
import pytest

from vt2lib.config import load_profile
from vt2lib.video.keyframes import extract_all, extract_keyframes, keyframe_indices, keyframe_path, sequence_starts


def write_video(path, n_frames, fps, fourcc="mp4v", size=(64, 48)):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert w.isOpened()
    for i in range(n_frames):
        frame = np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8)
        cv2.putText(frame, str(i), (2, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        w.write(frame)
    w.release()
    return path


@pytest.mark.parametrize("fps,n,expected", [(25, 250, 10), (30, 300, 10), (24, 240, 10), (25, 251, 11), (30, 31, 2)])
def test_per_second_sampling_follows_frame_rate(fps, n, expected):
    idx = keyframe_indices(n, fps, "per_second")
    assert len(idx) == expected and idx[0] == 0 and idx[-1] < n
    assert np.allclose(np.diff(idx), fps, atol=1)


def test_every_nth_and_bad_rules():
    assert keyframe_indices(100, 30.0, "every_nth", 25).tolist() == [0, 25, 50, 75]
    with pytest.raises(ValueError, match="valid: per_second, every_nth"):
        keyframe_indices(10, 25, "sometimes")
    with pytest.raises(ValueError):
        keyframe_indices(10, 0.0, "per_second")


@pytest.mark.parametrize("n,S,shift,count", [(30, 10, 5, 5), (9, 10, 5, 0), (10, 10, 5, 1), (14, 10, 5, 1),
                                             (15, 10, 5, 2), (60, 20, 5, 9)])
def test_window_counts(n, S, shift, count):
    starts = sequence_starts(n, S, shift)
    assert len(starts) == count
    assert all(s + S <= n for s in starts)


@pytest.mark.parametrize("fourcc,ext", [("mp4v", ".mp4"), ("MJPG", ".avi")])
@pytest.mark.parametrize("fps", [24, 25, 30])
def test_extraction_containers_codecs_and_rates(tmp_path, fourcc, ext, fps):
    n_frames = fps * 4 + 3  # 4 s and a bit: 5 keyframes at one per second
    path = write_video(tmp_path / f"v{ext}", n_frames, fps, fourcc)
    frames, info = extract_keyframes(path, size=32, rule="per_second")
    assert frames.shape == (5, 32, 32, 3) and frames.dtype == np.uint8
    assert info.n_frames_decoded == n_frames and round(info.fps) == fps
    frames25, _ = extract_keyframes(path, size=32, rule="every_nth", every_n=25)
    assert len(frames25) == len(range(0, n_frames, 25))
    # the kept frames are the right ones: frame i has grey level 7*i (mod 255)
    expected = [(7 * int(round(k * fps))) % 255 for k in range(5)]
    corner = frames[:, -2, -2, 0].astype(int)
    assert np.all(np.abs(corner - expected) < 20)


def test_center_crop_keeps_the_middle(tmp_path):
    path = tmp_path / "wide.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (96, 32))
    for _ in range(25):
        f = np.zeros((32, 96, 3), np.uint8)
        f[:, 32:64] = 255  # white middle third
        w.write(f)
    w.release()
    crop, _ = extract_keyframes(path, size=16, resize_mode="center_crop")
    stretch, _ = extract_keyframes(path, size=16, resize_mode="stretch")
    assert crop.mean() > 240 and 60 < stretch.mean() < 120


def test_bad_videos_become_status_rows(tmp_path):
    cfg = load_profile("smoke")
    d = tmp_path / "trailers"
    d.mkdir()
    write_video(d / "good_000001.mp4", 25 * 12, 25)
    write_video(d / "short_00001.mp4", 25 * 3, 25)
    (d / "empty_00001.mp4").write_bytes(b"")
    (d / "garbage0001.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    full = write_video(d / "trunc_00001.avi", 25 * 20, 25, "MJPG").read_bytes()
    (d / "trunc_00001.avi").write_bytes(full[: len(full) // 3])
    ids = ["good_000001", "short_00001", "empty_00001", "garbage0001", "trunc_00001", "missing0001"]
    trailers = pd.DataFrame({"youtube_id": ids, "movieId": range(1, 7)})
    status = extract_all(trailers, d, tmp_path / "kf", cfg, progress=False).set_index("youtube_id").status
    assert status.to_dict() == {"good_000001": "ok", "short_00001": "too_short", "empty_00001": "empty_file",
                                "garbage0001": "unreadable", "trunc_00001": "truncated", "missing0001": "missing_file"}


def test_download_failures_feed_the_status_table():
    from vt2lib.video.keyframes import merge_download_failures
    status = pd.DataFrame({"youtube_id": ["a", "b", "c"], "movieId": [1, 2, 3],
                           "status": ["ok", "missing_file", "missing_file"], "reason": ["", "no file", "no file"]})
    failures = pd.DataFrame({"youtube_id": ["b"], "reason": ["ERROR: Video unavailable"]})
    out = merge_download_failures(status, failures)
    assert out.status.tolist() == ["ok", "download_failed", "missing_file"]
    assert out.reason[1] == "ERROR: Video unavailable"
    assert merge_download_failures(status, None) is status


def _run_extraction(trailers, d, out, cfg):
    extract_all(trailers, d, out, cfg, progress=False)


def test_killed_run_resumes_to_identical_result(tmp_path):
    import dataclasses
    cfg = dataclasses.replace(load_profile("smoke"), n_workers=1)
    d = tmp_path / "t"
    d.mkdir()
    ids = [f"vid{k:08d}" for k in range(12)]
    for k, y in enumerate(ids):
        write_video(d / f"{y}.mp4", 25 * (12 + k), 25, size=(128, 96))
    trailers = pd.DataFrame({"youtube_id": ids, "movieId": range(len(ids))})
    clean = extract_all(trailers, d, tmp_path / "clean", cfg, progress=False)

    out = tmp_path / "killed"
    p = mp.get_context("spawn").Process(target=_run_extraction, args=(trailers, d, out, cfg))
    p.start()
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("vid*.npy"))) < 2:
        time.sleep(0.01)
    p.kill()
    p.join()
    (out / ".vid00000011.fake.part.npy").write_bytes(b"half a file")  # what a kill mid-write leaves
    resumed = extract_all(trailers, d, out, cfg, progress=False)
    assert not list(out.glob(".*part*"))
    pd.testing.assert_frame_equal(resumed[["youtube_id", "status", "n_keyframes"]],
                                  clean[["youtube_id", "status", "n_keyframes"]])
    for y in ids:
        assert np.array_equal(np.load(keyframe_path(out, y)), np.load(keyframe_path(tmp_path / "clean", y)))
