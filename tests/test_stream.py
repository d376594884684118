"""Notebook 02's one pass per trailer: fetch -> decode -> features, with only a sample of raw
keyframes and at most `video_window` videos on disk.

The feature model here is a stand-in (per-channel means) and the downloader copies local files
with a delay: what is tested is the streaming, storing, bounding and resuming, not MobileNetV2
(tests/test_model.py) or yt-dlp (tests/test_download_youtube.py)."""
import dataclasses
import multiprocessing as mp
import threading
import time

import numpy as np
import pandas as pd
import pytest

from test_keyframes import write_video
from vt2lib.profiles import load_profile
from vt2lib.data.youtube import TrailerDownloadError
from vt2lib.io import DataError
from vt2lib.config import trailer_dir
from vt2lib.store import Store
from vt2lib.video.keyframes import extract_keyframes, keyframe_path, status_row
import vt2lib.video.stream as stream
from vt2lib.video.stream import DecodeJob, calibration_sample, decode_jobs, kept_trailers, stream_trailers


class ChannelMeans:
    """A picklable feature model: each keyframe's mean per colour channel."""

    def predict_on_batch(self, images):
        return images.reshape(len(images), -1, 3).mean(1).astype(np.float32)


@pytest.fixture
def cfg():
    return dataclasses.replace(load_profile("smoke"), n_workers=1, feature_batch_size=8)


def _videos(folder, n, seconds=12):
    folder.mkdir()
    ids = [f"vid{k:08d}" for k in range(n)]
    for k, y in enumerate(ids):
        write_video(folder / f"{y}.mp4", 25 * (seconds + k), 25, size=(96, 64))
    return ids


def _jobs(cfg, folder, ids):
    return [DecodeJob.of(cfg, y, k, folder) for k, y in enumerate(ids)]


def _stream(cfg, folder, ids, out, keep=(), fetch=None):
    """(status, weights used) of stream_trailers with the stand-in feature model."""
    status, used, _ = stream_trailers(_jobs(cfg, folder, ids), out / "features", out / "keyframes", set(keep), cfg,
                                      progress=False, encoder=ChannelMeans(), fetch=fetch)
    return status, used


def _fetching(cfg, **fields):
    """The profile as for YouTube's trailers: only videos that can be fetched again may be deleted."""
    return dataclasses.replace(cfg, trailer_source="youtube", **fields)


def _features(folder):
    return {p.name: np.load(p) for p in sorted(folder.glob("*.npy"))}


def test_bad_videos_become_status_rows(tmp_path, cfg):
    d = tmp_path / "trailers"
    d.mkdir()
    write_video(d / "good_000001.mp4", 25 * 12, 25)
    write_video(d / "short_00001.mp4", 25 * 3, 25)
    (d / "empty_00001.mp4").write_bytes(b"")
    (d / "garbage0001.mp4").write_bytes(np.random.default_rng(0).bytes(5000))
    full = write_video(d / "trunc_00001.avi", 25 * 20, 25, "MJPG").read_bytes()
    (d / "trunc_00001.avi").write_bytes(full[: len(full) // 3])
    ids = ["good_000001", "short_00001", "empty_00001", "garbage0001", "trunc_00001", "missing0001"]
    status, _ = _stream(cfg, d, ids, tmp_path)
    assert status.youtube_id.tolist() == ids and status.movieId.tolist() == list(range(6))
    assert status.set_index("youtube_id").status.to_dict() == {
        "good_000001": "ok", "short_00001": "too_short", "empty_00001": "empty_file", "garbage0001": "unreadable",
        "trunc_00001": "truncated", "missing0001": "missing_file"}


def test_stores_features_and_the_kept_sample_only(tmp_path, cfg):
    ids = _videos(tmp_path / "t", 4)
    status, used = _stream(cfg, tmp_path / "t", ids, tmp_path / "out", keep={ids[1]})
    assert used == "given" and (status.status == "ok").all()
    assert sorted(p.name for p in (tmp_path / "out" / "features").glob("*.npy")) == [f"{y}.npy" for y in ids]
    assert [p.name for p in (tmp_path / "out" / "keyframes").iterdir()] == [f"{ids[1]}.npy"]
    for y, n in zip(ids, status.n_keyframes):
        frames, _ = extract_keyframes(tmp_path / "t" / f"{y}.mp4", cfg.image_size)
        feats = np.load(tmp_path / "out" / "features" / f"{y}.npy")
        assert feats.dtype == np.float16 and len(feats) == n == len(frames)
        assert np.array_equal(feats, ChannelMeans().predict_on_batch(frames).astype(np.float16))
    assert np.array_equal(np.load(keyframe_path(tmp_path / "out" / "keyframes", ids[1])),
                          extract_keyframes(tmp_path / "t" / f"{ids[1]}.mp4", cfg.image_size)[0])
    assert (tmp_path / "t" / f"{ids[0]}.mp4").is_file()  # keep_videos: the default keeps them


def test_a_new_sample_decodes_only_for_keyframes_and_keep_videos_false_deletes(tmp_path, cfg):
    ids = _videos(tmp_path / "t", 3)
    first, _ = _stream(cfg, tmp_path / "t", ids, tmp_path / "out")
    before = {y: (tmp_path / "out" / "features" / f"{y}.npy").stat().st_mtime_ns for y in ids}
    no_videos = _fetching(cfg, keep_videos=False)
    again, _ = _stream(no_videos, tmp_path / "t", ids, tmp_path / "out", keep={ids[2]})
    assert keyframe_path(tmp_path / "out" / "keyframes", ids[2]).is_file()
    assert before == {y: (tmp_path / "out" / "features" / f"{y}.npy").stat().st_mtime_ns for y in ids}
    assert [p.name for p in (tmp_path / "t").iterdir()] == [f"{y}.mp4" for y in ids[:2]]  # the decoded one went
    pd.testing.assert_frame_equal(again[["youtube_id", "status", "n_keyframes"]],
                                  first[["youtube_id", "status", "n_keyframes"]])
    # its features stand without the video; a new sample whose video is gone without a fetcher keeps
    # the features' row, and its raw keyframes are not made up
    third, _ = _stream(no_videos, tmp_path / "t", ids, tmp_path / "out", keep={ids[2], ids[0]})
    assert (third.status == "ok").all() and [p.name for p in (tmp_path / "t").iterdir()] == [f"{ids[1]}.mp4"]
    assert sorted(p.stem for p in (tmp_path / "out" / "keyframes").iterdir()) == [ids[0], ids[2]]


def _run_stream(cfg, folder, ids, out):
    _stream(cfg, folder, ids, out, keep={ids[0], ids[5]})


def test_killed_run_resumes_to_identical_features(tmp_path, cfg, monkeypatch):
    """Killed (SIGKILL) halfway: the rerun decodes each unfinished trailer once and no finished
    one, and its status rows, fps and frames decoded included, equal a clean run's."""
    ids = _videos(tmp_path / "t", 12)
    clean, _ = _stream(cfg, tmp_path / "t", ids, tmp_path / "clean", keep={ids[0], ids[5]})
    out = tmp_path / "killed"
    p = mp.get_context("spawn").Process(target=_run_stream, args=(cfg, tmp_path / "t", ids, out))
    p.start()
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "features").glob("vid*.npy"))) < 2:
        time.sleep(0.01)
    p.kill()
    p.join()
    kept = {f.stem for f in (out / "keyframes").glob("*.npy")}
    finished = {f.stem for f in (out / "features").glob("vid*.npy") if f.stem not in {ids[0], ids[5]} - kept}
    assert len(finished) < len(ids), "the kill came too late to test a resume"
    (out / "features" / ".vid00000011.fake.part.npy").write_bytes(b"half a file")  # what a kill mid-write leaves
    decoded = _count_decodes(monkeypatch)
    resumed, _ = _stream(cfg, tmp_path / "t", ids, out, keep={ids[0], ids[5]})
    assert sorted(decoded) == sorted(set(ids) - finished)
    assert not list(out.rglob(".*part*"))
    pd.testing.assert_frame_equal(resumed, clean)
    for kind in ("features", "keyframes"):
        assert _features(out / kind).keys() == _features(tmp_path / "clean" / kind).keys()
        for name, array in _features(tmp_path / "clean" / kind).items():
            assert np.array_equal(_features(out / kind)[name], array)


def test_parallel_decoding_gives_the_same_features(tmp_path, cfg):
    ids = _videos(tmp_path / "t", 5)
    one, _ = _stream(cfg, tmp_path / "t", ids, tmp_path / "one")
    two, _ = _stream(dataclasses.replace(cfg, n_workers=2), tmp_path / "t", ids, tmp_path / "two")
    pd.testing.assert_frame_equal(one, two)
    for y in ids:
        assert np.array_equal(np.load(tmp_path / "one" / "features" / f"{y}.npy"),
                              np.load(tmp_path / "two" / "features" / f"{y}.npy"))


def test_calibration_sample_spreads_over_the_usable_trailers(tmp_path, cfg, monkeypatch):
    """Usable: decodes to min_keyframes; telling that decodes no trailer further (its pass once
    decoded every trailer to the end), then the sample's keyframes are decoded."""
    ids = _videos(tmp_path / "t", 5, seconds=2)
    (tmp_path / "t" / f"{ids[0]}.mp4").write_bytes(b"")  # a broken video is skipped
    decoded = [extract_keyframes(tmp_path / "t" / f"{y}.mp4", cfg.image_size)[0] for y in ids[1:]]
    jobs = _jobs(cfg, tmp_path / "t", ids)
    assert [len(k) for k in decoded] == [3, 4, 5, 6]
    limits, decode = [], DecodeJob.decode
    monkeypatch.setattr(DecodeJob, "decode", lambda job, max_keyframes=None: (limits.append(max_keyframes),
                                                                              decode(job, max_keyframes))[1])
    one_each = calibration_sample(jobs, min_keyframes=4, n=2)  # 3 usable trailers, 2 // 3: the first keyframe
    assert np.array_equal(one_each, np.stack([k[0] for k in decoded[1:3]]))
    assert limits == [4] * 5 + [1, 1]   # the pass over all five, then the sample's first keyframes
    two_each = calibration_sample(jobs, min_keyframes=4, n=6)  # 6 // 3: the first and last keyframe of each
    assert np.array_equal(two_each, np.stack([k[i] for k in decoded[1:] for i in (0, -1)]))
    # a file broken after its first 4 keyframes (truncated) counts as usable, and gives none where several are taken
    truncated = jobs[2].youtube_id
    monkeypatch.setattr(DecodeJob, "decode", lambda job, max_keyframes=None: (
        (status_row(job.youtube_id, job.movie_id), None) if job.youtube_id == truncated and max_keyframes is None
        else decode(job, max_keyframes)))
    assert np.array_equal(calibration_sample(jobs, min_keyframes=4, n=6),
                          np.stack([k[i] for k in decoded[2:] for i in (0, -1)]))


def test_kept_sample_is_the_strip_and_the_pca_groups(cfg):
    titles = [f"Film {k} (2000)" for k in range(40)] + ["Wand Academy (2001)", "Toy Town (1995)"]
    trailers = pd.DataFrame({"movieId": range(42), "title": titles, "youtube_id": [f"y{k:09d}" for k in range(42)]})
    keep = kept_trailers(cfg, trailers)
    assert {"y000000040", "y000000041"} <= keep and len(keep) <= 8 + 2
    assert kept_trailers(dataclasses.replace(cfg, keep_keyframes="all"), trailers) == set(trailers.youtube_id)


def test_what_recomputes_the_features_and_the_kept_keyframes(cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    store = Store(cfg)
    store.save_tables("clean", {"movies": pd.DataFrame({"movieId": [1]})})
    for name in ("features", "keyframes"):
        with store.produce(name) as art:
            (art.path / "a.npy").write_bytes(b"x")
    changes = {"image_size": (64, True, True), "keyframe_rule": ("every_nth", True, True),
               "backbone_alpha": (0.5, True, False), "feature_backend": ("jax", True, False),
               "keep_keyframes": ("all", False, True)}
    for field, (value, features, keyframes) in changes.items():
        other = Store(dataclasses.replace(cfg, **{field: value}))
        assert (not other.current("features"), not other.current("keyframes")) == (features, keyframes), field
    from vt2lib.store import SPECS  # keep_videos (false only with trailers that can be fetched again) keys nothing
    for name in ("features", "keyframes"):
        assert SPECS[name].fields(_fetching(cfg), "") == SPECS[name].fields(_fetching(cfg, keep_videos=False), "")


def test_scale_generates_features_for_trailers_without_a_video(tmp_path, cfg, monkeypatch):
    """The scale rehearsal's path at a reduced size: a trailer with a video is decoded, one without
    gets ceil(duration) generated keyframe features (the same for the same id); without
    synth_direct_features it stays missing_file."""
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    scale = dataclasses.replace(cfg, synth_direct_features=True)
    (scale.data_path / "trailers").mkdir(parents=True)
    write_video(scale.data_path / "trailers" / "video000001.mp4", 25 * 12, 25)
    trailers = pd.DataFrame({"youtube_id": ["video000001", "novideo0001", "novideo0002"], "movieId": [1, 2, 3],
                             "duration_s": [12.0, 148.3, 31.0]})
    status, _, _ = stream_trailers(decode_jobs(scale, trailers), tmp_path / "f", tmp_path / "k", set(), scale,
                                   progress=False, encoder=ChannelMeans())
    assert status.source.tolist() == ["video", "generated", "generated"] and (status.status == "ok").all()
    assert status.n_keyframes.tolist() == [12, 149, 31]
    feats = np.load(tmp_path / "f" / "novideo0001.npy")
    assert feats.shape == (149, 1280) and feats.dtype == np.float16 and 0 <= feats.min() and feats.max() <= 6
    stream_trailers(decode_jobs(scale, trailers), tmp_path / "f2", tmp_path / "k2", set(), scale,
                    progress=False, encoder=ChannelMeans())
    assert np.array_equal(np.load(tmp_path / "f2" / "novideo0001.npy"), feats)
    plain, _, _ = stream_trailers(decode_jobs(cfg, trailers), tmp_path / "f3", tmp_path / "k3", set(), cfg,
                                  progress=False, encoder=ChannelMeans())
    assert plain.status.tolist() == ["ok", "missing_file", "missing_file"]


# ------------------------------------------------------------------ fetching, bounded by video_window
def _count_decodes(monkeypatch) -> list[str]:
    """The ids stream_trailers decodes from now on (n_workers 1: decoding runs in this process)."""
    decoded, real = [], stream.decode_job

    def counting(job):
        decoded.append(job.youtube_id)
        return real(job)
    monkeypatch.setattr(stream, "decode_job", counting)
    return decoded


class LocalFetcher:
    """A stand-in for yt-dlp: copies `<id>.mp4` from `source` into `out` in two halves with a delay
    between, as `<id>.mp4.part` renamed when complete. Counts the videos in `out` (parts included)
    each time one appears: the most ever on disk at once. `fail`: ids whose fetch fails;
    `crash_at`: the fetch that raises a non-download error after writing half its part (a kill)."""

    def __init__(self, source, out, delay=0.02, fail=(), crash_at=None):
        self.source, self.out, self.delay, self.fail, self.crash_at = source, out, delay, set(fail), crash_at
        self.out.mkdir(parents=True, exist_ok=True)
        self.lock, self.fetched, self.most_on_disk = threading.Lock(), [], 0

    def on_disk(self) -> int:
        return sum(1 for p in self.out.iterdir() if p.name.endswith((".mp4", ".mp4.part")))

    def __call__(self, youtube_id):
        if youtube_id in self.fail:
            raise TrailerDownloadError("ERROR: [youtube] Video unavailable")
        data, part = (self.source / f"{youtube_id}.mp4").read_bytes(), self.out / f"{youtube_id}.mp4.part"
        part.write_bytes(data[: len(data) // 2])
        with self.lock:
            self.fetched.append(youtube_id)
            self.most_on_disk = max(self.most_on_disk, self.on_disk())
            if len(self.fetched) == self.crash_at:
                raise RuntimeError("killed mid-download")
        time.sleep(self.delay)
        with open(part, "ab") as f:
            f.write(data[len(data) // 2:])
        return part.rename(self.out / f"{youtube_id}.mp4")


def test_at_most_video_window_videos_on_disk_and_the_same_features(tmp_path, cfg):
    """video_window 3, 4 fetch threads, 2 decoding processes: never more than 3 videos on disk,
    every video deleted once its features are stored (keep_videos false), and every trailer's
    features and status row as when every video was there before (download everything first)."""
    ids = _videos(tmp_path / "source", 10)
    first, _ = _stream(cfg, tmp_path / "source", ids, tmp_path / "all_first", keep={ids[3]})
    bounded = _fetching(cfg, video_window=3, download_threads=4, n_workers=2, keep_videos=False, feature_batch_size=2)
    fetch = LocalFetcher(tmp_path / "source", tmp_path / "videos")
    status, _ = _stream(bounded, tmp_path / "videos", ids, tmp_path / "bounded", keep={ids[3]}, fetch=fetch)
    assert sorted(fetch.fetched) == ids and fetch.most_on_disk == 3  # the window was reached, never passed
    assert list((tmp_path / "videos").iterdir()) == []
    pd.testing.assert_frame_equal(status, first)
    for kind in ("features", "keyframes"):
        expected = _features(tmp_path / "all_first" / kind)
        assert expected.keys() == _features(tmp_path / "bounded" / kind).keys()
        assert all(np.array_equal(a, _features(tmp_path / "bounded" / kind)[n]) for n, a in expected.items())


def test_a_window_full_of_undecoded_work_flushes_instead_of_stalling(tmp_path, cfg):
    """video_window 2 and a feature batch larger than two trailers: the writer would wait for
    more keyframes while both slots hold its trailers; the pipeline makes it store them."""
    ids = _videos(tmp_path / "source", 5)
    small = _fetching(cfg, video_window=2, download_threads=2, keep_videos=False, feature_batch_size=64)
    fetch = LocalFetcher(tmp_path / "source", tmp_path / "videos", delay=0)
    status, _ = _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=fetch)
    assert (status.status == "ok").all() and fetch.most_on_disk <= 2


def test_failed_fetch_is_a_status_row_and_a_rerun_tries_it_again(tmp_path, cfg, monkeypatch):
    ids = _videos(tmp_path / "source", 4)
    small = _fetching(cfg, video_window=2, keep_videos=False)
    fetch = LocalFetcher(tmp_path / "source", tmp_path / "videos", fail={ids[1]})
    status, _ = _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=fetch)
    row = status.set_index("youtube_id").loc[ids[1]]
    assert row.status == "download_failed" and "Video unavailable" in row.reason
    assert (status.status == "ok").sum() == 3
    decoded = _count_decodes(monkeypatch)
    again = LocalFetcher(tmp_path / "source", tmp_path / "videos")
    status, _ = _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=again)
    assert again.fetched == decoded == [ids[1]] and (status.status == "ok").all()


def test_a_crash_mid_download_resumes_without_trusting_the_half_video(tmp_path, cfg, monkeypatch):
    """The 4th fetch dies after writing half its video: the run stops. The rerun fetches that
    trailer again (its `.part` is no video), decodes only the unfinished trailers, once each,
    and ends with the features and status rows of an uninterrupted run."""
    ids = _videos(tmp_path / "source", 6)
    small = _fetching(cfg, video_window=2, download_threads=1, keep_videos=False, feature_batch_size=2)
    clean, _ = _stream(cfg, tmp_path / "source", ids, tmp_path / "clean")  # keep_videos: the source stays
    crashing = LocalFetcher(tmp_path / "source", tmp_path / "videos", crash_at=4)
    with pytest.raises(RuntimeError, match="killed mid-download"):
        _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=crashing)
    half = crashing.fetched[3]
    assert (tmp_path / "videos" / f"{half}.mp4.part").is_file()
    finished = {f.stem for f in (tmp_path / "out" / "features").glob("*.npy")}
    assert 0 < len(finished) < len(ids) and half not in finished
    decoded = _count_decodes(monkeypatch)
    again = LocalFetcher(tmp_path / "source", tmp_path / "videos")
    status, _ = _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=again)
    assert sorted(decoded) == sorted(set(ids) - finished) and half in again.fetched
    pd.testing.assert_frame_equal(status, clean)
    assert _features(tmp_path / "out" / "features").keys() == _features(tmp_path / "clean" / "features").keys()
    for name, array in _features(tmp_path / "clean" / "features").items():
        assert np.array_equal(_features(tmp_path / "out" / "features")[name], array)


@pytest.mark.parametrize("error", ["This content isn't available, try again later.", "killed"])
def test_youtube_refusing_the_session_stops_02_with_no_failed_rows(tmp_path, cfg, error):
    """A trailer YouTube keeps refusing (the session's rate limit: SessionPacer gives up) stops 02
    with YoutubeRefusal, and no trailer becomes a `download_failed` row; 02 stopping for any other
    error (here a fetch that dies) wakes the fetch waiting for its session's next turn (60 s
    apart) instead of waiting for it. The rerun, no longer refused, ends with every trailer usable."""
    from vt2lib.data.youtube_limits import SessionPacer, YoutubeRefusal
    ids = _videos(tmp_path / "source", 4)
    local = LocalFetcher(tmp_path / "source", tmp_path / "videos", delay=0)
    pacer, waiting = SessionPacer(spacing_s=60, backoffs_s=(), quiet=True), threading.Event()

    class Paced:
        def __call__(self, youtube_id):
            def ask():
                if youtube_id == ids[0]:  # the first session's first video: asked at once
                    assert waiting.wait(10)
                    time.sleep(0.1)  # the other session now waits for its second turn, 60 s away
                    raise (TrailerDownloadError if error != "killed" else RuntimeError)(error)
                return local(youtube_id)
            if youtube_id == ids[2]:
                waiting.set()
            return pacer.call(ask, youtube_id)

        def stop(self):
            pacer.stop()

    small = _fetching(cfg, video_window=4, download_threads=2, keep_videos=False)
    t0 = time.monotonic()
    with pytest.raises(YoutubeRefusal if error != "killed" else RuntimeError, match=error):
        _stream(small, tmp_path / "videos", ids, tmp_path / "out", fetch=Paced())
    assert time.monotonic() - t0 < 30 and local.fetched == [ids[1]]
    status, _ = _stream(small, tmp_path / "videos", ids, tmp_path / "out",
                        fetch=LocalFetcher(tmp_path / "source", tmp_path / "videos"))
    assert (status.status == "ok").all()


def test_a_sequence_length_no_trailer_reaches_fails_at_02_naming_the_field(cfg):
    from vt2lib.video.stream import check_sequence_lengths
    status = pd.DataFrame({"status": ["ok", "ok", "unreadable"], "n_keyframes": [25, 31, 0]})
    check_sequence_lengths(dataclasses.replace(cfg, sequence_lengths=(10, 30), pca_sequence_length=10), status)
    with pytest.raises(DataError, match=r"sequence_lengths = \[10, 40\]: S = \[40\] .* longest has 31 keyframes"):
        check_sequence_lengths(dataclasses.replace(cfg, sequence_lengths=(10, 40), pca_sequence_length=10), status)


def test_a_retried_download_reaches_the_status_table_and_what_follows(tmp_path, cfg, monkeypatch):
    """Through the store (notebook 02): a download that failed is a download_failed row; a rerun
    without yt-dlp's JavaScript runtime stops before fetching, naming the extra that installs it;
    one with fetch_trailers false fetches nothing and leaves the features as they were; the rerun that
    fetches it stores its features, gives the features a new content digest and so rewrites
    keyframe_status (and makes every later artifact stale), instead of reusing the old table."""
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path / "out"))
    monkeypatch.setattr(stream, "build_frame_encoder", lambda cfg, calibration_images=None: (ChannelMeans(), "given"))
    youtube = _fetching(cfg, keep_videos=False, video_window=2)
    ids = _videos(tmp_path / "source", 3, seconds=21)  # every trailer long enough for S = 20
    trailers = pd.DataFrame({"movieId": [1, 2, 3], "youtube_id": ids, "title": ["A (1990)", "B (1991)", "C (1992)"]})
    store = Store(youtube)
    store.save_tables("clean", {"movies": pd.DataFrame({"movieId": [1, 2, 3]})})
    failing = LocalFetcher(tmp_path / "source", trailer_dir(youtube), fail={ids[1]})
    status, _, _, counts = stream.extract_features(youtube, trailers, progress=False, fetch=failing)
    assert status.status.tolist() == ["ok", "download_failed", "ok"] and counts["videos_failed_to_fetch"] == 1
    before = store.digest_of("features")
    with monkeypatch.context() as m:  # no JavaScript runtime for yt-dlp: 02 says what to install before it fetches
        m.setattr(stream, "js_challenge_solver_missing", lambda: "missing: deno ... pip install -e '.[youtube]'")
        m.setattr(stream, "YoutubeFetcher", None)
        with pytest.raises(DataError, match=r"missing: deno .*\[youtube\]"):
            stream.extract_features(youtube, trailers, progress=False)
    with monkeypatch.context() as m:  # fetch_trailers false (a GPU box after 02 ran elsewhere): nothing fetched
        m.setattr(stream, "YoutubeFetcher", None)
        status, *_ = stream.extract_features(dataclasses.replace(youtube, fetch_trailers=False), trailers,
                                             progress=False)
    assert status.status.tolist() == ["ok", "missing_file", "ok"] and store.digest_of("features") == before
    again = LocalFetcher(tmp_path / "source", trailer_dir(youtube))
    status, cache, _, counts = stream.extract_features(youtube, trailers, progress=False, fetch=again)
    assert again.fetched == [ids[1]] and counts["videos_fetched"] == 1 and (status.status == "ok").all()
    assert store.digest_of("features") != before and len(cache.index) == 3
    assert (store.load_table("keyframe_status", "status").status == "ok").all()


def test_a_random_init_backbone_is_calibrated_on_the_same_keyframes_in_every_run(tmp_path):
    """The sample is decoded once and kept beside the features: a rerun whose videos are gone
    (keep_videos false, a killed run) builds the same backbone; with no video at all, one line says why."""
    from vt2lib.io import DataError
    from vt2lib.video.stream import kept_calibration
    calls = []

    def sample():
        calls.append(1)
        return np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    first = kept_calibration(tmp_path / "calibration.npy", sample)
    assert np.array_equal(kept_calibration(tmp_path / "calibration.npy", lambda: np.zeros((0, 4, 4, 3))), first)
    assert len(calls) == 1
    with pytest.raises(DataError, match="calibrated on keyframes of the trailer videos on disk, and there is none"):
        kept_calibration(tmp_path / "none.npy", lambda: np.zeros((0, 4, 4, 3), np.uint8))
