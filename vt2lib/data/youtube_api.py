"""YouTube Data API v3: availability and metadata of ML20M-YT's trailers, 50 videos a request.

This is the authors' route (their metadata file is this API's export). Without it, 01 asks
oEmbed once per trailer (0.5 s apart: ~3.6 h for ML20M-YT's 25,623) and reads every available
video's page with yt-dlp, one session paced under YouTube's limit (vt2lib.data.youtube_limits:
15 s apart, ~80 h for ~19k videos). With a key in the environment variable `YOUTUBE_API_KEY`,
the same takes ~900 `videos.list` requests: minutes, and ~900 of the 10,000 quota units a
free key gets per day. Statuses as oEmbed gives them: 200 where the API returns the video
(public or unlisted), 401 where its owner disabled embedding, 404 where the API does not
return it (removed, private) or the id is not a YouTube id (ML20M-YT has one, `XEH06oFfJSY/`).

    status = api_availability(mapping, cache_csv, key)     # check_availability's table
    meta = fetch_metadata_api(youtube_ids, out_csv, key)    # youtube.METADATA_COLUMNS

>>> list(_batches(["a", "b", "c"], 2))
[['a', 'b'], ['c']]
>>> _status("dQw4w9WgXcQ", {"dQw4w9WgXcQ": {"status": {"embeddable": False}}}), _status("XEH06oFfJSY/", {})
(401, 404)
>>> _metadata_row({"id": "abc", "snippet": {"title": "A", "localized": {"title": "A (en)"}},
...                "contentDetails": {"duration": "PT2M1S", "dimension": "2d"},
...                "statistics": {"viewCount": "1000", "likeCount": "50"}})["duration_s"]
121.0
"""
from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.data.youtube import (AVAILABILITY_COLUMNS, METADATA_COLUMNS, availability_todo, iso8601_seconds,
                                 metadata_todo, unknown_metadata_row)
from vt2lib.io import DataError, write_csv_atomic
from vt2lib.progress import tqdm

API_KEY_ENV = "YOUTUBE_API_KEY"
API_URL = "https://www.googleapis.com/youtube/v3/videos"
IDS_PER_REQUEST = 50  # videos.list's most ids per request
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
RETRIES_S = (5.0, 30.0)  # waits before asking again after a server error or a lost connection


def api_key() -> str | None:
    """The Data API key from the environment, or None (01 then uses oEmbed and yt-dlp)."""
    return os.environ.get(API_KEY_ENV) or None


def _batches(items: list, size: int | None = None):
    size = size or IDS_PER_REQUEST
    for start in range(0, len(items), size):
        yield items[start:start + size]


def videos_list(ids: list[str], key: str, base_url: str | None = None, timeout: float = 30.0) -> dict[str, dict]:
    """videos.list of up to 50 ids: {id: item} for the videos the API returns (at API_URL by default).
    Ids that are not YouTube ids are not sent; a server error or a lost connection is asked again
    (RETRIES_S); any other error names the API's reason, never the key."""
    sent = [y for y in ids if YOUTUBE_ID.match(y)]
    if not sent:
        return {}
    query = urllib.parse.urlencode({"part": "snippet,contentDetails,statistics,status", "id": ",".join(sent),
                                    "key": key})
    for wait in (*RETRIES_S, None):
        try:
            with urllib.request.urlopen(f"{base_url or API_URL}?{query}", timeout=timeout) as resp:
                return {item["id"]: item for item in json.load(resp).get("items", [])}
        except urllib.error.HTTPError as e:  # a wrong key, the day's quota, the API not enabled: it says which
            if e.code < 500 or wait is None:
                raise DataError(f"YouTube Data API (videos.list, key from ${API_KEY_ENV}): HTTP {e.code}: "
                                f"{_reason(e)}") from None
        except (urllib.error.URLError, TimeoutError) as e:
            if wait is None:
                raise DataError(f"YouTube Data API (videos.list): no answer ({getattr(e, 'reason', e)})") from None
        time.sleep(wait)


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        return json.loads(error.read())["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return str(error.reason)


def _status(youtube_id: str, returned: dict[str, dict]) -> int:
    """oEmbed's status for a video from videos.list's answer (see the module's docstring)."""
    if youtube_id not in returned:
        return 404
    return 401 if returned[youtube_id].get("status", {}).get("embeddable") is False else 200


def api_availability(mapping: pd.DataFrame, cache_csv: Path, key: str, base_url: str | None = None) -> pd.DataFrame:
    """check_availability's status table for `mapping` (ML20M-YT columns) from the Data API (statuses
    as in the module's docstring); resumes from `cache_csv`, the same cache as oEmbed's, rewritten
    after every request."""
    done, todo = availability_todo(mapping, cache_csv)
    parts = [done] if len(done) else []
    for batch in tqdm(list(_batches(list(dict.fromkeys(todo.youtubeId)))), desc="YouTube Data API: availability",
                      unit="request"):
        returned = videos_list(batch, key, base_url)
        rows = todo[todo.youtubeId.isin(batch)]
        parts.append(pd.DataFrame({"youtube_id": rows.youtubeId, "movielens_id": rows.movieId.astype(int),
                                   "title": rows.title, "status_code": [_status(y, returned) for y in rows.youtubeId]}))
        write_csv_atomic(pd.concat(parts, ignore_index=True), cache_csv)
    return pd.concat(parts, ignore_index=True)[AVAILABILITY_COLUMNS] if parts else done


def _metadata_row(item: dict) -> dict:
    snippet, details, stats = item.get("snippet", {}), item.get("contentDetails", {}), item.get("statistics", {})
    number = lambda name: float(stats[name]) if name in stats else np.nan  # noqa: E731 - hidden counts are absent
    title = snippet.get("localized", {}).get("title", snippet.get("title", ""))
    return {"youtube_id": item["id"], "video_title": title,
            "duration_s": iso8601_seconds(details.get("duration", "")), "dimension": details.get("dimension", ""),
            "views": number("viewCount"), "likes": number("likeCount"), "dislikes": number("dislikeCount")}


def fetch_metadata_api(youtube_ids, out_csv: Path, key: str, base_url: str | None = None) -> pd.DataFrame:
    """fetch_metadata_ytdlp's table from the Data API, resumable through `out_csv` (written after
    every request); a video the API does not return has no duration, as there (asked once)."""
    rows, todo = metadata_todo(youtube_ids, out_csv)
    for batch in tqdm(list(_batches(todo)), desc="YouTube Data API: metadata", unit="request"):
        returned = videos_list(batch, key, base_url)
        rows += [_metadata_row(returned[y]) if y in returned else unknown_metadata_row(y) for y in batch]
        write_csv_atomic(pd.DataFrame(rows, columns=METADATA_COLUMNS), out_csv)
    return pd.DataFrame(rows, columns=METADATA_COLUMNS)
