"""Decoding only the frames the keyframes need (vt2lib.video.decode): the kept frames are the ones a
full decode gives, bit for bit, and frames nothing refers to are skipped."""
import av
import cv2
import numpy as np
import pytest

from vt2lib.video.decode import Video, VideoError, packets_to_decode
from vt2lib.video.keyframes import extract_keyframes, keyframe_indices


def write_h264(path, n_frames, fps=25, size=(96, 64), b_frames=2, gop=50, container_options=None,
               pix_fmt="yuv420p", rotation=None, **x264):
    """A moving pattern encoded by libx264 with B-frames (YouTube's codec; the synthetic data's are mp4v, MJPG)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), "w", options=container_options or {}) as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "23", "g": str(gop), "bf": str(b_frames),
                                                        "x264-params": "scenecut=0", **x264})
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i in range(n_frames):
            rgb = np.stack([(xx * 3 + i * 5) % 256, (yy * 4 + i * 3) % 256, (xx + yy + i * 7) % 256], -1)
            frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def opencv_frames(path):
    """Every frame as OpenCV decodes it (02's decoder before vt2lib.video.decode), BGR."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def opencv_keyframe(frame_bgr, size=32):
    """A keyframe as the old code made it from OpenCV's frame: INTER_AREA to size x size, then RGB."""
    return cv2.cvtColor(cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def test_kept_frames_are_a_full_decodes_and_unreferenced_ones_are_skipped(tmp_path):
    path = write_h264(tmp_path / "b.mp4", 130)
    full = opencv_frames(path)
    with Video(path) as video:
        assert (video.fps, video.n_frames, video.n_reported) == (25.0, 130, 130)
        wanted = keyframe_indices(video.n_frames, video.fps)
        got = list(video.frames(wanted))
        assert [i for i, _ in got] == wanted.tolist() == [0, 25, 50, 75, 100, 125] and video.passes == 1
        assert all(np.array_equal(frame, full[i]) for i, frame in got)
        # libx264 with 2 B-frames leaves some B-frames unreferenced: of the packets sent, those are skipped
        send, restart = packets_to_decode(video._ranks, video._keys, wanted)
        assert restart.any() and video.n_decoded < send.sum() < 126
    frames, info = extract_keyframes(path, 32)
    assert (len(frames), info.n_frames_decoded) == (6, 130)
    assert extract_keyframes(path, 32, max_keyframes=2)[1].n_frames_decoded == 26  # up to the last one kept
    assert np.array_equal(frames[3], opencv_keyframe(full[75]))


@pytest.mark.parametrize("ranks, keys, wanted, send, restart", [
    # the first packet no keyframe: its GOP starts at packet 0, the next at the keyframe (packet 2)
    ([1, 2, 0, 3, 4], [0, 0, 1, 0, 0], [3], [2, 3], [2]),
    # open GOPs (I B B P, the Bs shown before their I): a wanted leading frame (3) keeps the GOP before it
    # whole; one that is not leading (11) only its own GOP up to it, after a fresh start
    ([2, 0, 1, 3, 6, 4, 5, 7, 10, 8, 9, 11], [1, 0, 0, 0] * 3, [4, 11], [0, 1, 2, 3, 4, 5, 8, 9, 10, 11], [8]),
    # nothing wanted: nothing sent
    ([0, 1, 2], [1, 0, 0], [], [], []),
])
def test_packets_to_decode(ranks, keys, wanted, send, restart):
    got = packets_to_decode(np.array(ranks), np.array(keys, bool), np.array(wanted, np.int64))
    assert [np.flatnonzero(a).tolist() for a in got] == [send, restart]


@pytest.mark.parametrize("size, pix_fmt, rotation", [((97, 65), "yuv444p", None), ((96, 64), "yuv420p10le", None),
                                                     ((96, 64), "yuv420p", 90), ((96, 64), "yuv420p", 180)])
def test_keyframes_are_opencvs_for_10_bit_odd_sizes_and_rotated_streams(tmp_path, size, pix_fmt, rotation):
    """OpenCV converted with bicubic interpolation (which 10-bit and odd sizes show) and turned a rotated
    stream upright: so does the decoder."""
    path = write_h264(tmp_path / "v.mp4", 60, size=size, pix_fmt=pix_fmt, rotation=rotation)
    full = opencv_frames(path)
    frames, info = extract_keyframes(path, 32)
    assert info.n_frames_decoded == len(full) == 60
    assert np.array_equal(frames, np.stack([opencv_keyframe(full[i]) for i in (0, 25, 50)]))
    with Video(path) as video:
        (_, first), = video.frames([0])
        assert first.shape == full[0].shape == ((size[1], size[0]) if rotation in (None, 180) else size) + (3,)


def test_a_gop_is_decoded_up_to_its_last_kept_frame_and_one_without_any_not_at_all(tmp_path):
    """GOPs of 10 frames, no B-frames: frame 25 needs 20-25, 50 only itself (a keyframe); 0-19 are skipped."""
    path = write_h264(tmp_path / "p.mp4", 60, b_frames=0, gop=10)
    full = opencv_frames(path)
    with Video(path) as video:
        got = list(video.frames([25, 50]))
        assert [i for i, _ in got] == [25, 50] and video.n_decoded == 7
        assert all(np.array_equal(frame, full[i]) for i, frame in got)


def test_a_stream_without_timestamps_is_decoded_in_full_and_counted(tmp_path):
    """A raw H.264 stream has no timestamps: nothing is skipped, frames are counted as they come out, to
    the stream's end (the frame count)."""
    path = write_h264(tmp_path / "b.mp4", 80)
    raw = tmp_path / "b.h264"
    with av.open(str(path)) as src, av.open(str(raw), "w", format="h264") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = out
                packet.pts = packet.dts = None
                dst.mux(packet)
    full = opencv_frames(path)
    with Video(raw) as video:
        assert video._ranks is None
        got = list(video.frames([0, 25, 50, 75]))
        assert [i for i, _ in got] == [0, 25, 50, 75] and video.n_decoded == video.n_decodable == 80
        assert all(np.array_equal(frame, full[i]) for i, frame in got)


def test_an_open_gops_leading_frames_keep_the_gop_before_them(tmp_path):
    """Open GOPs: the B-frames after a keyframe in decode order but shown before it may be predicted
    from the GOP before, so asking for one decodes that GOP whole; every kept frame is a full decode's."""
    path = write_h264(tmp_path / "o.mp4", 120, b_frames=3, gop=20, **{"x264-params": "scenecut=0:open-gop=1"})
    full = opencv_frames(path)
    with Video(path) as video:
        leading = [int(r) for r, key_rank in zip(video._ranks, video._ranks[np.flatnonzero(video._keys)][
            np.cumsum(video._keys) - 1]) if r < key_rank]
        assert leading, "libx264 wrote no leading frames"
        wanted = sorted({5, leading[-1], 110})
        got = list(video.frames(wanted))
        assert [i for i, _ in got] == wanted and video.passes == 1
        assert all(np.array_equal(frame, full[i]) for i, frame in got)


def test_a_frame_a_fresh_start_did_not_give_is_decoded_again_from_the_start(tmp_path, monkeypatch):
    """The safety net: a plan that starts the decoder on a P-frame (so FFmpeg gives nothing for it) ends
    in a second decode without dropped GOPs, and the frames are still a full decode's."""
    import vt2lib.video.decode as decode
    path = write_h264(tmp_path / "p.mp4", 60, b_frames=0)
    full = opencv_frames(path)

    def only_the_wanted(ranks, keys, wanted):
        send = np.isin(ranks, wanted)
        return send, send & (np.arange(len(ranks)) > 0)
    monkeypatch.setattr(decode, "packets_to_decode", only_the_wanted)
    with Video(path) as video:
        got = list(video.frames([0, 30, 40]))
        assert [i for i, _ in got] == [0, 30, 40] and video.passes == 2
        assert all(np.array_equal(frame, full[i]) for i, frame in got)


def _remux(src_path, dst_path, packets):
    """`src_path`'s video packets, changed by `packets(list) -> list`, into `dst_path`."""
    with av.open(str(src_path)) as src, av.open(str(dst_path), "w") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in packets([p for p in src.demux(src.streams.video[0]) if p.size]):
            packet.stream = out
            dst.mux(packet)
    return dst_path


def test_an_edit_lists_pre_roll_is_no_frame(tmp_path):
    """Frames at negative times (an edit list starting mid-GOP) are decoded as references but not shown:
    they are not counted, as OpenCV did not count them."""
    def shifted(packets):
        for p in packets:
            p.pts, p.dts = p.pts - 5 * 512, p.dts - 5 * 512  # 5 frames of 512 ticks (libx264's mp4 time base)
        return packets
    path = _remux(write_h264(tmp_path / "a.mp4", 60, b_frames=0, gop=30), tmp_path / "e.mp4", shifted)
    full = opencv_frames(path)
    assert len(full) == 55
    with Video(path) as video:
        assert video.n_frames == 55
        got = list(video.frames([0, 25, 50]))
        assert [i for i, _ in got] == [0, 25, 50] and not video.missed
        assert all(np.array_equal(frame, full[i]) for i, frame in got)


def test_frames_the_decoder_never_gives_make_it_count_as_they_come_out(tmp_path):
    """A stream cut before its first keyframe: FFmpeg gives nothing until the next one, so the packets'
    ranks promise frames that never come; extract_keyframes then counts the frames as OpenCV did."""
    path = _remux(write_h264(tmp_path / "a.mp4", 100, b_frames=0, gop=10), tmp_path / "cut.mp4",
                  lambda packets: packets[5:])
    full = opencv_frames(path)
    assert len(full) == 90
    with Video(path) as video:
        list(video.frames([0, 25]))
        assert video.missed
    frames, info = extract_keyframes(path, 32)
    expected = np.stack([opencv_keyframe(full[i]) for i in range(0, len(full), 25)])
    assert np.array_equal(frames, expected) and info.n_frames_decoded == len(full)


@pytest.mark.parametrize("faststart", [False, True])
def test_a_file_cut_short_is_truncated_or_unreadable(tmp_path, faststart):
    """With the index at the end (libx264's mp4 default) a cut file cannot be opened; with it in front
    (faststart, as yt-dlp's merged files) the frames before the cut decode and the count shows the cut."""
    path = write_h264(tmp_path / "c.mp4", 200, container_options={"movflags": "faststart"} if faststart else None)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError) as err:
        extract_keyframes(path, 32)
    assert err.value.status == ("truncated" if faststart else "unreadable")
    assert str(path) in str(err.value)


def test_bad_files_name_the_file_and_the_problem(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    with av.open(str(tmp_path / "audio.m4a"), "w") as out:  # a file with sound only
        stream = out.add_stream("aac", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    for name, status in (("missing.mp4", "missing_file"), ("empty.mp4", "empty_file"), ("noise.mp4", "unreadable"),
                         ("audio.m4a", "unreadable")):
        with pytest.raises(VideoError) as err:
            Video(tmp_path / name)
        assert err.value.status == status and name in str(err.value)
