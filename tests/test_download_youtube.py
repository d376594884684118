"""ML20M download and YouTube helpers against local fixtures (never the network)."""
import io
import zipfile
from unittest import mock

import pandas as pd
import pytest

from vt2lib.data.download import download_file, ensure_ml20m, ensure_ml20m_youtube
from vt2lib.data.youtube import (
    check_availability,
    download_trailers,
    fetch_metadata_ytdlp,
    iso8601_seconds,
    load_trailer_metadata,
)
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


def test_ytdlp_download_records_failures(tmp_path):
    import yt_dlp
    fake = mock.MagicMock()
    fake.__enter__.return_value.download.side_effect = [0, yt_dlp.utils.DownloadError("Video unavailable")]
    with mock.patch("yt_dlp.YoutubeDL", return_value=fake) as cls:
        failures = download_trailers(["aaaaaaaaaaa", "bbbbbbbbbbb"], tmp_path, "worst[height>=240]/worst")
    opts = cls.call_args.args[0]
    assert opts["download_archive"].endswith("archive.txt") and opts["format"].startswith("worst")
    assert failures.youtube_id.tolist() == ["bbbbbbbbbbb"] and "unavailable" in failures.reason[0]
