"""YouTube's limits on yt-dlp (vt2lib.data.youtube_limits): sessions paced, refusals waited out and
never recorded as a missing or failed trailer, a run stopped with YouTube's reason when they last.
All against stand-ins for yt-dlp, never the network."""
import threading
import time
from unittest import mock

import numpy as np
import pytest

from vt2lib.data.youtube import TrailerDownloadError, YoutubeFetcher, fetch_metadata_ytdlp, load_trailer_metadata
from vt2lib.data.youtube_limits import SessionPacer, YoutubeRefusal, YoutubeUnreachable, is_network_error, is_refusal
from vt2lib.io import DataError

# yt-dlp's own words (its youtube extractor) for a session over YouTube's rate limit
RATE_LIMITED = ("ERROR: [youtube] {}: This content isn't available, try again later. The current session has been "
                "rate-limited by YouTube for up to an hour.")


@pytest.mark.parametrize("message, refused", [
    (RATE_LIMITED.format("abc"), True),
    ("ERROR: [youtube] abc: Sign in to confirm you're not a bot. Use --cookies-from-browser", True),
    ("ERROR: unable to download video data: HTTP Error 429: Too Many Requests", True),
    ("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", False),
    ("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate", False),
    ("ERROR: [youtube] abc: Private video", False),
])
def test_a_refusal_is_the_sessions_not_the_videos(message, refused):
    assert is_refusal(message) is refused


def test_each_session_is_paced_on_its_own():
    """Two videos of one session (thread) start >= spacing_s apart; another session's first video
    does not wait for it."""
    pacer, starts = SessionPacer(spacing_s=1.0, quiet=True), {}

    def ask(name):
        starts.setdefault(name, []).append(time.monotonic())

    for _ in range(2):
        pacer.call(lambda: ask("a"), "a")
    other = threading.Thread(target=pacer.call, args=(lambda: ask("b"), "b"))
    other.start()
    other.join()
    assert starts["a"][1] - starts["a"][0] >= 1.0
    assert starts["b"][0] - starts["a"][1] < 0.9


def test_a_wave_of_refusals_is_one_pause_and_every_video_is_asked_again():
    """Three sessions refused at once make one pause (not three in a row); after it each video is
    asked again and returned; a video YouTube gives resets the count."""
    pacer = SessionPacer(spacing_s=0, backoffs_s=(0.2, 0.2), quiet=True)
    refused_once, barrier, results, lock = set(), threading.Barrier(3), {}, threading.Lock()

    def fetch(name):
        def ask():
            with lock:
                first = name not in refused_once
                refused_once.add(name)
            if first:
                barrier.wait()  # all three are asked before any refusal counts
                raise RuntimeError(RATE_LIMITED.format(name))
            return name + ".mp4"
        results[name] = pacer.call(ask, name)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in "xyz"]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"x": "x.mp4", "y": "y.mp4", "z": "z.mp4"}
    assert pacer.refusals == 3 and pacer.pauses_in_a_row == 0
    assert 0.2 <= time.monotonic() - t0 < 0.4 * 3  # one pause of 0.2 s, not three


def test_refusals_that_last_stop_the_run_with_youtubes_reason_and_wake_the_waiting():
    """Sessions refused one after the other, each asking after the previous pause: after
    len(backoffs_s) pauses the next refusal raises YoutubeRefusal naming the video and YouTube's
    reason, and every session of the pacer stops with it, the one waiting 60 s for its turn at
    once. Other errors pass through untouched."""
    pacer = SessionPacer(spacing_s=60, backoffs_s=(0.05, 0.05), quiet=True)
    with pytest.raises(ValueError, match="not YouTube's"):
        pacer.call(lambda: (_ for _ in ()).throw(ValueError("not YouTube's")), "v0")
    errors, waiting = {}, threading.Event()

    def session(name, ask):
        try:
            pacer.call(ask, name)
            if name == "w":  # this session asked just now: its next turn is 60 s away
                waiting.set()
                pacer.call(ask, name)
        except YoutubeRefusal as e:
            errors[name] = str(e)

    def refused():
        raise RuntimeError(RATE_LIMITED.format("abc"))

    threads = [threading.Thread(target=session, args=("w", lambda: None))]
    threads[0].start()
    assert waiting.wait(5)
    t0 = time.monotonic()
    for k in range(3):  # each a session's first video, asked once the previous pause is over
        threads.append(threading.Thread(target=session, args=(f"t{k}", refused)))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while pacer.refusals <= k and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads) and time.monotonic() - t0 < 5
    assert set(errors) == {"w", "t0", "t1", "t2"} and pacer.refusals == 3
    assert "refused t2 again after 2 pauses" in errors["t2"] and "try again later" in errors["t2"]
    assert errors["w"] == errors["t0"] == errors["t2"]


def test_a_video_asked_before_a_pause_does_not_end_it():
    """A download that began before a refusal and ends during the pause is no sign that YouTube
    answers again: the count of pauses in a row stays, and the refusals after it still give up."""
    pacer = SessionPacer(spacing_s=0, backoffs_s=(0.3, 0.3), quiet=True)
    release, done = threading.Event(), []

    def slow():
        release.wait(5)
        return "slow.mp4"
    other = threading.Thread(target=lambda: done.append(pacer.call(slow, "slow")))
    other.start()
    time.sleep(0.05)  # the slow video is being fetched

    def refused_then_release():
        release.set()
        raise RuntimeError(RATE_LIMITED.format("abc"))
    with pytest.raises(YoutubeRefusal, match="after 2 pauses"):
        pacer.call(refused_then_release, "abc")
    other.join(5)
    assert done == ["slow.mp4"] and pacer.refusals == 3


def test_the_fetcher_waits_out_a_refusal_instead_of_failing_the_trailer(tmp_path):
    """yt-dlp's rate-limit error is the session's: the trailer is asked again after the pause and
    its video returned (no TrailerDownloadError; the part it had is kept for the retry to resume);
    an unavailable video still fails at once with yt-dlp's reason."""
    import yt_dlp
    asked, resumed = [], []

    def make(opts):
        ydl = mock.MagicMock()

        def download(urls):
            yid = urls[0].rsplit("=", 1)[1]
            asked.append(yid)
            if yid == "bbbbbbbbbbb":
                raise yt_dlp.utils.DownloadError("ERROR: [youtube] bbbbbbbbbbb: Video unavailable")
            part = tmp_path / f"{yid}.mp4.part"
            if asked.count(yid) == 1:
                part.write_bytes(b"half")
                raise yt_dlp.utils.DownloadError(RATE_LIMITED.format(yid))
            resumed.append(part.is_file())  # yt-dlp resumes a part, then renames it
            part.unlink(missing_ok=True)
            (tmp_path / f"{yid}.mp4").write_bytes(b"video")
        ydl.download.side_effect = download
        return ydl
    with mock.patch("yt_dlp.YoutubeDL", side_effect=make) as cls:
        fetch = YoutubeFetcher(tmp_path, "wv*", pacer=SessionPacer(spacing_s=0, backoffs_s=(0.01,), quiet=True))
        assert fetch("aaaaaaaaaaa") == tmp_path / "aaaaaaaaaaa.mp4"
        with pytest.raises(TrailerDownloadError, match="Video unavailable"):
            fetch("bbbbbbbbbbb")
    assert asked == ["aaaaaaaaaaa", "aaaaaaaaaaa", "bbbbbbbbbbb"] and fetch.pacer.refusals == 1
    assert resumed == [True] and not list(tmp_path.glob("*.part"))
    assert cls.call_args.args[0]["sleep_interval_requests"] == 0.75 and "sleep_interval" not in cls.call_args.args[0]


def test_metadata_refused_for_good_keeps_what_was_read(tmp_path):
    """01's metadata via yt-dlp: a refused id is asked again after the pause (not left out as
    unavailable); refusals that last stop with YoutubeRefusal, and the rows read before it are
    in the file, so a rerun asks only for the rest."""
    import yt_dlp
    fake = mock.MagicMock()
    answers = [{"title": "A Trailer", "duration": 95}, yt_dlp.utils.DownloadError(RATE_LIMITED.format("b")),
               {"title": "B Trailer", "duration": 80}, yt_dlp.utils.DownloadError(RATE_LIMITED.format("c")),
               yt_dlp.utils.DownloadError(RATE_LIMITED.format("c"))]
    fake.__enter__.return_value.extract_info.side_effect = answers
    pacer = SessionPacer(spacing_s=0, backoffs_s=(0.01,), quiet=True)
    with mock.patch("yt_dlp.YoutubeDL", return_value=fake), pytest.raises(YoutubeRefusal, match="refused ccccccccccc"):
        fetch_metadata_ytdlp(["aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"], tmp_path / "meta.csv", pacer=pacer)
    kept = load_trailer_metadata(tmp_path / "meta.csv")
    assert kept.youtube_id.tolist() == ["aaaaaaaaaaa", "bbbbbbbbbbb"] and kept.duration_s.tolist() == [95.0, 80.0]


# yt-dlp's words when the machine does not reach YouTube (no DNS here)
OFFLINE = ("ERROR: [youtube] {}: Unable to download API page: <urlopen error [Errno -2] Name or service not known> "
           "(caused by TransportError('<urlopen error [Errno -2] Name or service not known>'))")


def _answers(*answers):
    """ask() for SessionPacer.call: each call the next answer, raised if it is an exception."""
    answers = iter(answers)

    def ask():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer
    return ask


def test_a_lost_connection_is_a_hiccup_an_outage_or_offline():
    """A network error is asked again after network_retries_s (a hiccup: no pause, not offline).
    When it lasts and YouTube never answered this pacer (not even with a video's own error), the
    machine is offline: the call and every later one raise YoutubeUnreachable at once. Once YouTube
    has answered, a lasting one is an outage, waited out as a refusal is."""
    net = RuntimeError(OFFLINE.format("abc"))
    assert is_network_error(str(net)) and not is_refusal(str(net))
    hiccup = SessionPacer(spacing_s=0, backoffs_s=(60,), network_retries_s=(0.01, 0.01), quiet=True)
    assert hiccup.call(_answers(net, net, "a.mp4"), "a") == "a.mp4" and not hiccup.offline and hiccup.refusals == 0
    offline = SessionPacer(spacing_s=0, backoffs_s=(60,), network_retries_s=(0.01,), quiet=True)
    t0 = time.monotonic()
    with pytest.raises(YoutubeUnreachable, match="does not reach YouTube.*Name or service not known"):
        offline.call(_answers(net, net), "abc")
    with pytest.raises(YoutubeUnreachable):
        offline.call(_answers("never asked"), "def")
    assert time.monotonic() - t0 < 5 and offline.refusals == 0
    outage = SessionPacer(spacing_s=0, backoffs_s=(0.05,), network_retries_s=(0.01,), quiet=True)
    unavailable = RuntimeError("ERROR: [youtube] a: Video unavailable")  # YouTube answered, about the video
    with pytest.raises(RuntimeError, match="Video unavailable"):
        outage.call(_answers(unavailable), "a")
    assert outage.call(_answers(net, net, "b.mp4"), "b") == "b.mp4"
    assert not outage.offline and outage.refusals == 1 and outage.pauses_in_a_row == 0


def test_offline_02_records_failed_downloads_and_01_stops_with_one_clear_line(tmp_path):
    """A GPU box without internet retrying 02's failed trailers: each is a failed download with the
    reason (02 goes on with what is stored), yt-dlp asked once; 01's metadata offline is a
    DataError naming the file, the way out, and not a row per video."""
    import yt_dlp
    asked = []

    def make(opts):
        ydl = mock.MagicMock()

        def download(urls):
            asked.append(urls[0])
            raise yt_dlp.utils.DownloadError(OFFLINE.format(urls[0][-11:]))
        ydl.download.side_effect = download
        ydl.__enter__.return_value.extract_info.side_effect = lambda url, download: download_error(url)
        return ydl

    def download_error(url):
        raise yt_dlp.utils.DownloadError(OFFLINE.format(url[-11:]))
    with mock.patch("yt_dlp.YoutubeDL", side_effect=make):
        fetch = YoutubeFetcher(tmp_path, "wv*", pacer=SessionPacer(spacing_s=0, network_retries_s=(), quiet=True))
        for yid in ("aaaaaaaaaaa", "bbbbbbbbbbb"):
            with pytest.raises(TrailerDownloadError, match="does not reach YouTube"):
                fetch(yid)
        assert len(asked) == 1
        with pytest.raises(DataError, match=r"trailer metadata \(yt-dlp\) for 2 ids .*meta.csv lacks: this machine "
                                            r"does not reach YouTube.*YOUTUBE_API_KEY.*metadata_file"):
            fetch_metadata_ytdlp(["aaaaaaaaaaa", "bbbbbbbbbbb"], tmp_path / "meta.csv",
                                 pacer=SessionPacer(spacing_s=0, network_retries_s=(), quiet=True))
    assert load_trailer_metadata(tmp_path / "meta.csv").empty


def test_a_video_yt_dlp_cannot_describe_is_asked_once(tmp_path):
    """Metadata of a removed or age-gated video: a row with no duration (cleaning: no_metadata), so a
    rerun (01 on the GPU box, say) asks YouTube for nothing."""
    import yt_dlp
    fake = mock.MagicMock()
    fake.__enter__.return_value.extract_info.side_effect = [
        {"title": "A Trailer", "duration": 95}, yt_dlp.utils.DownloadError("ERROR: [youtube] b: Video unavailable")]
    pacer = SessionPacer(spacing_s=0, quiet=True)
    with mock.patch("yt_dlp.YoutubeDL", return_value=fake):
        fetch_metadata_ytdlp(["aaaaaaaaaaa", "bbbbbbbbbbb"], tmp_path / "meta.csv", pacer=pacer)
        meta = fetch_metadata_ytdlp(["aaaaaaaaaaa", "bbbbbbbbbbb"], tmp_path / "meta.csv", pacer=pacer)
    assert fake.__enter__.return_value.extract_info.call_count == 2
    assert meta.youtube_id.tolist() == ["aaaaaaaaaaa", "bbbbbbbbbbb"] and np.isnan(meta.duration_s.iloc[1])


def test_real_yt_dlp_words_are_read_right(http_server, tmp_path):
    """yt-dlp itself (its generic extractor on a local server, never YouTube): a video is fetched, a
    missing one is the video's failure (HTTP 404: no pause, no retry), and a server nothing listens
    on is the network's (asked again, then offline, every later trailer failing at once)."""
    from test_keyframes import write_video
    write_video(http_server.root / "aaaaaaaaaaa.mp4", 50, 25, size=(64, 48))
    out = tmp_path / "videos"
    pacer = SessionPacer(spacing_s=0, network_retries_s=(0.01,), quiet=True)
    fetch = YoutubeFetcher(out, "best", pacer=pacer, url_template=http_server.url + "{}.mp4")
    assert fetch("aaaaaaaaaaa") == out / "aaaaaaaaaaa.mp4"
    with pytest.raises(TrailerDownloadError, match="HTTP Error 404"):
        fetch("bbbbbbbbbbb")
    assert pacer.refusals == 0 and not pacer.offline
    nowhere = YoutubeFetcher(out, "best", pacer=SessionPacer(spacing_s=0, network_retries_s=(0.01,), quiet=True),
                             url_template="http://127.0.0.1:9/{}.mp4")
    for yid in ("ccccccccccc", "ddddddddddd"):
        with pytest.raises(TrailerDownloadError, match="does not reach YouTube.*Connection refused"):
            nowhere(yid)
