"""ML20M download and YouTube helpers against local fixtures (never the network)."""
import io
import zipfile
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from vt2lib.data.download import download_file, ensure_ml20m, ensure_ml20m_youtube
from vt2lib.config import Profile
from vt2lib.data.youtube import (
    TrailerDownloadError,
    YoutubeFetcher,
    check_availability,
    fetch_metadata_ytdlp,
    iso8601_seconds,
    load_trailer_metadata,
)
from vt2lib.data.youtube_limits import SessionPacer
from vt2lib.io import DataError


def _ml_zip(n_ratings=4, users=2):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        rows = "".join(f"{1 + i % users},{i + 1},4.0,1\n" for i in range(n_ratings))
        zf.writestr("ml-20m/ratings.csv", "userId,movieId,rating,timestamp\n" + rows)
        zf.writestr("ml-20m/movies.csv", "movieId,title,genres\n1,A (1990),Drama\n2,B (1991),Comedy\n")
    return buf.getvalue()


def test_ml20m_download_verifies_counts(http_server, tmp_path):
    (http_server.root / "ml-20m.zip").write_bytes(_ml_zip())
    data = tmp_path / "data"
    folder = ensure_ml20m(data, http_server.url, {"ratings.csv": 4, "movies.csv": 2, "users": 2})
    assert (folder / "ratings.csv").is_file() and not (data / "ml-20m.zip.part").exists()
    with pytest.raises(DataError, match="ratings.csv has 4 data rows, expected 5"):
        ensure_ml20m(tmp_path / "other", http_server.url, {"ratings.csv": 5, "movies.csv": 2})


def test_download_resumes_partial_file(http_server, tmp_path):
    payload = bytes(range(256)) * 1000
    (http_server.root / "f.bin").write_bytes(payload)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(payload[:1000])  # an interrupted earlier download
    download_file(http_server.url + "f.bin", dest)
    assert dest.read_bytes() == payload


def test_corrupt_zip_is_rejected(http_server, tmp_path):
    (http_server.root / "ml-20m-youtube.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a valid zip"):
        ensure_ml20m_youtube(tmp_path, http_server.url)


def test_oembed_availability_resumes_from_cache(http_server, tmp_path):
    http_server.statuses.update({"aaaaaaaaaaa": 200, "bbbbbbbbbbb": 404, "ccccccccccc": 403})
    mapping = pd.DataFrame({"youtubeId": ["aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"], "movieId": [1, 2, 3],
                            "title": ["A", "B", "C"]})
    cache = tmp_path / "status.csv"
    pd.DataFrame({"youtube_id": ["aaaaaaaaaaa"], "movielens_id": [1], "title": ["A"],
                  "status_code": [200]}).to_csv(cache, index=False)
    out = check_availability(mapping, cache, base_url=http_server.url + "oembed", min_interval_s=0)
    assert http_server.requests == ["bbbbbbbbbbb", "ccccccccccc"]  # the cached id is not asked again
    assert dict(zip(out.youtube_id, out.status_code)) == {"aaaaaaaaaaa": 200, "bbbbbbbbbbb": 404, "ccccccccccc": 403}
    assert list(pd.read_csv(cache).columns) == ["youtube_id", "movielens_id", "title", "status_code"]


def test_oembed_waits_out_a_429_or_5xx_and_stops_when_it_lasts_keeping_the_cache(http_server, tmp_path):
    """Too many requests or a server error is the server's state, not the video's: waited out and
    asked again, never cached as a status; when it lasts past the pauses the check stops with the
    code, the statuses read so far kept."""
    from vt2lib.data.youtube_limits import SessionPacer, YoutubeRefusal
    http_server.statuses.update({"aaaaaaaaaaa": [429, 200], "bbbbbbbbbbb": 503})
    mapping = pd.DataFrame({"youtubeId": ["aaaaaaaaaaa", "bbbbbbbbbbb"], "movieId": [1, 2], "title": ["A", "B"]})
    cache = tmp_path / "status.csv"
    with pytest.raises(YoutubeRefusal, match="HTTP Error 503"):
        check_availability(mapping, cache, base_url=http_server.url + "oembed", min_interval_s=0,
                           pacer=SessionPacer(spacing_s=0, backoffs_s=(0.01,), quiet=True))
    assert http_server.requests == ["aaaaaaaaaaa", "aaaaaaaaaaa", "bbbbbbbbbbb", "bbbbbbbbbbb"]
    assert pd.read_csv(cache).status_code.tolist() == [200]


def test_oembed_offline_is_one_clear_error_keeping_the_cache(tmp_path):
    """No connection before any answer (a port nothing listens on): 01 stops at once with a DataError
    naming the cache and the ways out, no status cached for it."""
    mapping = pd.DataFrame({"youtubeId": ["aaaaaaaaaaa"], "movieId": [1], "title": ["A"]})
    with pytest.raises(DataError, match=r"availability \(oEmbed\) for 1 ids .*status.csv lacks: this machine does "
                                        r"not reach YouTube.*availability_file"):
        check_availability(mapping, tmp_path / "status.csv", base_url="http://127.0.0.1:9/oembed", min_interval_s=0,
                           pacer=SessionPacer(spacing_s=0, network_retries_s=(0.01,), quiet=True))
    assert pd.read_csv(tmp_path / "status.csv").empty


def test_metadata_with_an_unknown_duration_reads_back(tmp_path):
    """A video whose duration yt-dlp or the API cannot give is written empty and read as NaN
    (cleaning drops it as no_metadata); a duration that is not a number is an error naming it."""
    path = tmp_path / "meta.csv"
    path.write_text("youtube_id,video_title,duration_s,dimension,views,likes,dislikes\n"
                    "aaaaaaaaaaa,A,,2d,1,,\nbbbbbbbbbbb,B,95,2d,,,\n")
    meta = load_trailer_metadata(path)
    assert np.isnan(meta.duration_s.iloc[0]) and meta.duration_s.iloc[1] == 95.0
    path.write_text("youtube_id,video_title,duration_s,dimension,views,likes,dislikes\naaaaaaaaaaa,A,2:30,2d,,,\n")
    with pytest.raises(DataError, match="duration_s '2:30' is not a number"):
        load_trailer_metadata(path)


def test_iso8601_durations():
    assert iso8601_seconds("PT2M30S") == 150 and iso8601_seconds("PT1H") == 3600
    assert iso8601_seconds("P1DT1S") == 86401 and iso8601_seconds("garbage") != iso8601_seconds("garbage")


def test_metadata_formats(tmp_path):
    api = tmp_path / "youtube_extracted.csv"
    api.write_text("id,statistics.viewCount,statistics.likeCount,statistics.dislikeCount,contentDetails.duration,"
                   "contentDetails.dimension,snippet.localized.title\n"
                   "-abcdefghij,1000,50,5,PT2M1S,2d,X Trailer\n")
    m = load_trailer_metadata(api)
    assert m.iloc[0].to_dict() == {"youtube_id": "-abcdefghij", "video_title": "X Trailer", "duration_s": 121.0,
                                   "dimension": "2d", "views": 1000, "likes": 50, "dislikes": 5}
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unknown format"):
        load_trailer_metadata(bad)


def test_ytdlp_metadata_without_dislikes(tmp_path):
    fake = mock.MagicMock()
    fake.__enter__.return_value.extract_info.side_effect = [
        {"title": "A Trailer", "duration": 95, "view_count": 10, "like_count": 2}]
    with mock.patch("yt_dlp.YoutubeDL", return_value=fake):
        out = fetch_metadata_ytdlp(["aaaaaaaaaaa"], tmp_path / "meta.csv")
    assert out.duration_s.tolist() == [95.0] and out.dislikes.isna().all()
    again = load_trailer_metadata(tmp_path / "meta.csv")  # resumable: the file is our format
    assert again.youtube_id.tolist() == ["aaaaaaaaaaa"]


def test_fetcher_returns_the_finished_video_or_the_reason(tmp_path):
    """One YoutubeDL per thread (an instance is not thread-safe); a finished file is returned,
    a DownloadError becomes TrailerDownloadError with yt-dlp's first line, and a `.part` left by
    a killed download is not taken for the video."""
    import threading

    import yt_dlp
    made = []

    def make(opts):
        ydl = mock.MagicMock()
        made.append(threading.get_ident())

        def download(urls):
            yid = urls[0].rsplit("=", 1)[1]
            if yid == "bbbbbbbbbbb":
                raise yt_dlp.utils.DownloadError("ERROR: [youtube] bbbbbbbbbbb: Video unavailable\nmore")
            if yid != "ccccccccccc":  # ccc: yt-dlp says done but only a part file is there
                (tmp_path / f"{yid}.mp4").write_bytes(b"video")
        ydl.download.side_effect = download
        return ydl
    (tmp_path / "ccccccccccc.mp4.part").write_bytes(b"half")
    with mock.patch("yt_dlp.YoutubeDL", side_effect=make) as cls:
        fetch = YoutubeFetcher(tmp_path, "wv*", pacer=SessionPacer(spacing_s=0, quiet=True))
        assert fetch("aaaaaaaaaaa") == tmp_path / "aaaaaaaaaaa.mp4"
        with pytest.raises(TrailerDownloadError, match="^ERROR: \\[youtube\\] bbbbbbbbbbb: Video unavailable$"):
            fetch("bbbbbbbbbbb")
        with pytest.raises(TrailerDownloadError, match="no video file"):
            fetch("ccccccccccc")
        other = threading.Thread(target=fetch, args=("ddddddddddd",))
        other.start()
        other.join()
    assert len(made) == 2 and made[0] != made[1]  # one instance for this thread, one for the other
    opts = cls.call_args.args[0]
    assert opts["format"] == "wv*" and opts["outtmpl"].endswith("%(id)s.%(ext)s")


def _format(fid, height, vcodec, acodec="none", ext="mp4", tbr=300):
    return {"format_id": fid, "ext": ext, "height": height, "width": height and height * 16 // 9, "vcodec": vcodec,
            "acodec": acodec, "tbr": tbr, "url": f"https://example.invalid/{fid}", "protocol": "https"}


AUDIO = _format("140", None, "none", "mp4a.40.2", "m4a", 128)


@pytest.mark.parametrize("formats,expected", [
    # a trailer today: 144p-1080p video-only streams in H.264 and VP9, the 360p file with audio, audio alone
    ([_format("160", 144, "avc1.4d400c", tbr=100), _format("133", 240, "avc1.4d4015", tbr=250),
      _format("242", 240, "vp9", ext="webm", tbr=200), _format("134", 360, "avc1.4d401e", tbr=500),
      _format("18", 360, "avc1.42001E", "mp4a.40.2", tbr=600), _format("137", 1080, "avc1.640028", tbr=4000),
      AUDIO], "133"),
    # no H.264 video-only stream that covers 224: the 360p H.264 file with audio
    ([_format("160", 144, "avc1.4d400c"), _format("242", 240, "vp9", ext="webm"),
      _format("18", 360, "avc1.42001E", "mp4a.40.2"), AUDIO], "18"),
    # no H.264 at all above 224: the smallest other stream that covers it
    ([_format("160", 144, "avc1.4d400c"), _format("243", 360, "vp9", ext="webm", tbr=400),
      _format("242", 240, "vp9", ext="webm", tbr=200), AUDIO], "242"),
    # nothing covers 224 (an old upload): the smallest thing with video, upscaled by 02
    ([_format("17", 144, "mp4v.20.3", "mp4a.40.2", "3gp", 80), _format("160", 144, "avc1.4d400c", tbr=100),
      AUDIO], "17"),
])
def test_download_format_chain_takes_the_smallest_stream_that_covers_224(formats, expected):
    """The profiles' download_format, through yt-dlp's own format selector, on YouTube-like
    format lists (no network): the 240p H.264 video-only stream where it exists (decoded ~2x
    faster than the 360p file, tests/benchmarks/RESULTS.md), then the fallbacks in order."""
    import yt_dlp
    ydl = yt_dlp.YoutubeDL({"quiet": True, "simulate": True, "format": Profile(name="t").download_format})
    info = {"id": "aaaaaaaaaaa", "title": "A Trailer", "formats": formats[::-1], "extractor": "youtube",
            "extractor_key": "Youtube", "webpage_url": "https://www.youtube.com/watch?v=aaaaaaaaaaa"}
    assert ydl.process_ie_result(info, download=False)["format_id"] == expected  # sorted as yt-dlp sorts
