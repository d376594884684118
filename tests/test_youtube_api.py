"""01's availability and metadata from the YouTube Data API (vt2lib.data.youtube_api), against a
local stand-in for videos.list (tests/conftest.py's http_server), never the network."""
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import vt2lib.data.youtube_api as api
from vt2lib.data.youtube import load_trailer_metadata
from vt2lib.io import DataError, load_availability


def _item(youtube_id, title, duration="PT2M1S", views="1000", likes="50"):
    stats = {"viewCount": views} | ({"likeCount": likes} if likes is not None else {})
    return {"id": youtube_id, "snippet": {"title": title, "localized": {"title": title}},
            "contentDetails": {"duration": duration, "dimension": "2d"}, "statistics": stats}


@pytest.fixture
def youtube(http_server, monkeypatch):
    monkeypatch.setattr(api, "IDS_PER_REQUEST", 2)
    http_server.videos.update({"aaaaaaaaaaa": _item("aaaaaaaaaaa", "A Trailer"),
                               "ccccccccccc": _item("ccccccccccc", "C Trailer", "PT1H2M", likes=None)})
    return http_server, http_server.url + "youtube/v3/videos"


def test_availability_is_200_where_the_api_returns_the_video_and_resumes(youtube, tmp_path, monkeypatch):
    """Two ids a request (50 on YouTube); a removed video and a malformed id (ML20M-YT has one, never
    sent) are 404, a video whose owner disabled embedding 401 (as oEmbed says); the cache is in the
    authors' format, and a rerun asks only for the (id, movie) pairs it lacks."""
    server, url = youtube
    mapping = pd.DataFrame({"youtubeId": ["aaaaaaaaaaa", "bbbbbbbbbbb", "XEH06oFfJSY/"], "movieId": [1, 2, 3],
                            "title": ["A (1990)", "B (1991)", "C (1992)"]})
    cache = tmp_path / "status.csv"
    out = api.api_availability(mapping, cache, "test-key", url)
    assert server.requests == [["aaaaaaaaaaa", "bbbbbbbbbbb"]]
    assert dict(zip(out.youtube_id, out.status_code)) == {"aaaaaaaaaaa": 200, "bbbbbbbbbbb": 404, "XEH06oFfJSY/": 404}
    assert load_availability(cache).status_code.tolist() == out.status_code.tolist() == [200, 404, 404]
    server.videos["ccccccccccc"]["status"] = {"embeddable": False}
    more = pd.concat([mapping, pd.DataFrame({"youtubeId": ["ccccccccccc", "aaaaaaaaaaa"], "movieId": [4, 5],
                                             "title": ["C", "A again"]})])
    again = api.api_availability(more, cache, "test-key", url)
    assert server.requests[1:] == [["ccccccccccc", "aaaaaaaaaaa"]] and len(again) == 5
    assert again.status_code.tolist()[-2:] == [401, 200]


def test_metadata_in_youtubes_terms_resumable(youtube, tmp_path):
    """Title, duration, views, likes as the yt-dlp path writes them (dislikes hidden since 2021:
    NaN; a hidden like count: NaN); a video the API does not return has no duration (cleaning
    drops it as no_metadata), and a rerun asks for nothing the file has, that one included."""
    server, url = youtube
    out_csv = tmp_path / "meta.csv"
    ids = ["aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc"]
    meta = api.fetch_metadata_api(ids, out_csv, "test-key", url)
    assert meta.youtube_id.tolist() == ids and np.isnan(meta.duration_s.iloc[1])
    assert meta.duration_s.tolist()[::2] == [121.0, 3720.0] and meta.views.tolist()[::2] == [1000.0, 1000.0]
    assert meta.likes.iloc[0] == 50 and np.isnan(meta.likes.iloc[2]) and meta.dislikes.isna().all()
    pd.testing.assert_frame_equal(load_trailer_metadata(out_csv), meta, check_dtype=False)
    asked = len(server.requests)
    api.fetch_metadata_api(ids, out_csv, "test-key", url)
    assert len(server.requests) == asked


def test_a_wrong_key_names_the_variable_and_the_apis_reason_not_the_key(youtube, tmp_path):
    server, url = youtube
    with pytest.raises(DataError, match=r"\$YOUTUBE_API_KEY\): HTTP 400: API key not valid") as e:
        api.fetch_metadata_api(["aaaaaaaaaaa"], tmp_path / "meta.csv", "secret-wrong-key", url)
    assert "secret-wrong-key" not in str(e.value)


def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    assert api.api_key() is None
    monkeypatch.setenv("YOUTUBE_API_KEY", "k")
    assert api.api_key() == "k"


def test_01_reads_availability_and_metadata_from_the_api_when_a_key_is_set(youtube, tmp_path, monkeypatch):
    """load_raw_data on an ML20M-formatted folder with a trailer mapping and no status or metadata
    file: with $YOUTUBE_API_KEY it asks the Data API (not oEmbed, not yt-dlp) and caches both files."""
    import dataclasses

    from vt2lib.data.raw import load_raw_data
    from vt2lib.profiles import load_profile
    server, url = youtube
    monkeypatch.setattr(api, "API_URL", url)
    monkeypatch.setenv("YOUTUBE_API_KEY", "test-key")
    ml = tmp_path / "ml"
    ml.mkdir()
    (ml / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,3.0,2\n")
    (ml / "movies.csv").write_text("movieId,title,genres\n1,A (1990),Drama\n2,B (1991),Comedy\n")
    (ml / "ml-youtube.csv").write_text("youtubeId,movieId,title\naaaaaaaaaaa,1,A (1990)\nbbbbbbbbbbb,2,B (1991)\n")
    cfg = dataclasses.replace(load_profile("ml20m"), download_ml20m=False, movielens_dir=str(ml),
                              youtube_mapping=str(ml / "ml-youtube.csv"), data_dir=str(tmp_path / "data"))
    with mock.patch("vt2lib.data.raw.check_availability") as oembed, \
            mock.patch("vt2lib.data.raw.fetch_metadata_ytdlp") as ytdlp:
        raw = load_raw_data(cfg)
    assert not oembed.called and not ytdlp.called
    assert dict(zip(raw.availability.youtube_id, raw.availability.status_code)) == {"aaaaaaaaaaa": 200,
                                                                                    "bbbbbbbbbbb": 404}
    assert raw.metadata.youtube_id.tolist() == ["aaaaaaaaaaa"] and raw.metadata.duration_s.tolist() == [121.0]
    assert server.requests == [["aaaaaaaaaaa", "bbbbbbbbbbb"], ["aaaaaaaaaaa"]]
    assert (tmp_path / "data" / "youtube_availability.csv").is_file()


def test_a_server_error_is_asked_again_and_a_cached_one_is_not_trusted(youtube, tmp_path, monkeypatch):
    """A 503 from the API is asked again after RETRIES_S (not an error, not a 404); a 429 or 5xx that
    an older oEmbed run cached is the server's state, not the video's: asked again."""
    server, url = youtube
    monkeypatch.setattr(api, "RETRIES_S", (0.0, 0.0))
    server.api_errors = [503, 503]
    cache = tmp_path / "status.csv"
    pd.DataFrame({"youtube_id": ["aaaaaaaaaaa", "bbbbbbbbbbb"], "movielens_id": [1, 2], "title": ["A", "B"],
                  "status_code": [429, 404]}).to_csv(cache, index=False)
    mapping = pd.DataFrame({"youtubeId": ["aaaaaaaaaaa", "bbbbbbbbbbb"], "movieId": [1, 2], "title": ["A", "B"]})
    out = api.api_availability(mapping, cache, "test-key", url)
    assert server.requests == [["aaaaaaaaaaa"]] and dict(zip(out.youtube_id, out.status_code)) == {
        "bbbbbbbbbbb": 404, "aaaaaaaaaaa": 200}
    server.api_errors = [503, 503, 503]
    with pytest.raises(DataError, match="HTTP 503: Backend Error"):
        api.fetch_metadata_api(["aaaaaaaaaaa"], tmp_path / "meta.csv", "test-key", url)
