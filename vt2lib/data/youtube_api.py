"""YouTube Data API v3: availability and metadata of ML20M-YT's trailers, 50 videos a request.

This is the authors' route (their metadata file is this API's export). Without it, 01 asks
oEmbed once per trailer (0.5 s apart: ~3.6 h for ML20M-YT's 25,623) and reads every available
video's page with yt-dlp, one session paced under YouTube's limit (vt2lib.data.youtube_limits:
15 s apart, ~80 h for ~19k videos). With a key in the environment variable `YOUTUBE_API_KEY`,
the same takes ~900 `videos.list` requests: minutes, and ~900 of the 10,000 quota units a
free key gets per day. A video the API does not return is not public (removed, private, or a
malformed id): status 404.

    status = api_availability(mapping, cache_csv, key)     # check_availability's table
    meta = fetch_metadata_api(youtube_ids, out_csv, key)    # youtube.METADATA_COLUMNS

>>> list(_batches(["a", "b", "c"], 2))
[['a', 'b'], ['c']]
>>> _metadata_row({"id": "abc", "snippet": {"title": "A", "localized": {"title": "A (en)"}},
...                "contentDetails": {"duration": "PT2M1S", "dimension": "2d"},
...                "statistics": {"viewCount": "1000", "likeCount": "50"}})["duration_s"]
121.0
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.data.youtube import METADATA_COLUMNS, iso8601_seconds, load_trailer_metadata
from vt2lib.io import DataError, load_availability, write_csv_atomic
from vt2lib.progress import tqdm

API_KEY_ENV = "YOUTUBE_API_KEY"
API_URL = "https://www.googleapis.com/youtube/v3/videos"
IDS_PER_REQUEST = 50  # videos.list's most ids per request
STATUS_COLUMNS = ["youtube_id", "movielens_id", "title", "status_code"]


def api_key() -> str | None:
    """The Data API key from the environment, or None (01 then uses oEmbed and yt-dlp)."""
    return os.environ.get(API_KEY_ENV) or None


def _batches(items: list, size: int | None = None):
    size = size or IDS_PER_REQUEST
    for start in range(0, len(items), size):
        yield items[start:start + size]


def videos_list(ids: list[str], key: str, base_url: str | None = None, timeout: float = 30.0) -> dict[str, dict]:
    """videos.list of up to 50 ids: {id: item} for the videos the API returns (at API_URL by default)."""
    query = urllib.parse.urlencode({"part": "snippet,contentDetails,statistics", "id": ",".join(ids), "key": key,
                                    "maxResults": IDS_PER_REQUEST})
    try:
        with urllib.request.urlopen(f"{base_url or API_URL}?{query}", timeout=timeout) as resp:
            items = json.load(resp).get("items", [])
    except urllib.error.HTTPError as e:  # a wrong key, the day's quota, the API not enabled: the API says which
        try:
            message = json.loads(e.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = e.reason
        raise DataError(f"YouTube Data API (videos.list, key from ${API_KEY_ENV}): HTTP {e.code}: {message}") from None
    return {item["id"]: item for item in items}


def api_availability(mapping: pd.DataFrame, cache_csv: Path, key: str, base_url: str | None = None) -> pd.DataFrame:
    """check_availability's status table for `mapping` (ML20M-YT columns) from the Data API: 200
    where it returns the video, else 404; resumes from `cache_csv` (written after every request)."""
    cache_csv = Path(cache_csv)
    done = load_availability(cache_csv) if cache_csv.is_file() else pd.DataFrame(columns=STATUS_COLUMNS)
    parts = [done] if len(done) else []
    todo = mapping[~mapping.youtubeId.isin(done.youtube_id)]
    ids = list(dict.fromkeys(todo.youtubeId))
    for batch in tqdm(list(_batches(ids)), desc="YouTube Data API: availability", unit="request"):
        public = videos_list(batch, key, base_url)
        rows = todo[todo.youtubeId.isin(batch)]
        parts.append(pd.DataFrame({"youtube_id": rows.youtubeId, "movielens_id": rows.movieId.astype(int),
                                   "title": rows.title, "status_code": [200 if y in public else 404
                                                                        for y in rows.youtubeId]}))
        write_csv_atomic(pd.concat(parts, ignore_index=True), cache_csv)
    return pd.concat(parts, ignore_index=True)[STATUS_COLUMNS] if parts else done


def _metadata_row(item: dict) -> dict:
    snippet, details, stats = item.get("snippet", {}), item.get("contentDetails", {}), item.get("statistics", {})
    number = lambda name: float(stats[name]) if name in stats else np.nan  # noqa: E731 - hidden counts are absent
    title = snippet.get("localized", {}).get("title", snippet.get("title", ""))
    return {"youtube_id": item["id"], "video_title": title,
            "duration_s": iso8601_seconds(details.get("duration", "")), "dimension": details.get("dimension", ""),
            "views": number("viewCount"), "likes": number("likeCount"), "dislikes": number("dislikeCount")}


def fetch_metadata_api(youtube_ids, out_csv: Path, key: str, base_url: str | None = None) -> pd.DataFrame:
    """fetch_metadata_ytdlp's table from the Data API, resumable through `out_csv` (written after
    every request); a video the API does not return is left out, as there."""
    out_csv = Path(out_csv)
    rows = load_trailer_metadata(out_csv).to_dict("records") if out_csv.is_file() else []
    have = {r["youtube_id"] for r in rows}
    todo = list(dict.fromkeys(y for y in youtube_ids if y not in have))
    for batch in tqdm(list(_batches(todo)), desc="YouTube Data API: metadata", unit="request"):
        rows += [_metadata_row(item) for item in videos_list(batch, key, base_url).values()]
        write_csv_atomic(pd.DataFrame(rows, columns=METADATA_COLUMNS), out_csv)
    return pd.DataFrame(rows, columns=METADATA_COLUMNS)
