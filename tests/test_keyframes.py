"""Keyframe sampling, windows, extraction on real encoded files (bad videos and resume: test_stream.py)."""
import cv2
import numpy as np
import pytest

from vt2lib.video.keyframes import extract_keyframes, keyframe_indices, sequence_starts


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


def test_early_stop_decodes_only_what_it_returns(tmp_path):
    path = write_video(tmp_path / "v.avi", 25 * 6, 25, "MJPG")
    full, _ = extract_keyframes(path, size=32)
    first, info = extract_keyframes(path, size=32, max_keyframes=2)
    assert np.array_equal(first, full[:2]) and info.n_frames_decoded == 26
