"""YouTube: trailer availability (oEmbed status), metadata (yt-dlp or the authors' API
export) and trailer download (yt-dlp). None of this is called by the tests against the
network: they point `base_url` / yt-dlp at local fixtures.

    status = check_availability(mapping, cache_csv)        # youtube_id,movielens_id,title,status_code
    meta = load_trailer_metadata(path)                     # normalised columns, see METADATA_COLUMNS
    fetch = YoutubeFetcher(out_dir, fmt); fetch(youtube_id)  # -> the video's path (notebook 02's pipeline)
"""
from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.data.youtube_limits import SessionPacer, YoutubeUnreachable, is_network_error, is_refusal
from vt2lib.io import DataError, find_video, load_availability, read_csv_checked, write_csv_atomic
from vt2lib.progress import tqdm

OEMBED_URL = "https://www.youtube.com/oembed"
SLEEP_BETWEEN_REQUESTS_S = 0.75  # yt-dlp's pause between one video's requests (its `-t sleep` preset)
# Normalised metadata; dislikes are NaN where the source has none (YouTube hid them in 2021).
METADATA_COLUMNS = ("youtube_id", "video_title", "duration_s", "dimension", "views", "likes", "dislikes")
AVAILABILITY_COLUMNS = ["youtube_id", "movielens_id", "title", "status_code"]  # the authors' status file


# ------------------------------------------------------------------ availability
def oembed_status(youtube_id: str, base_url: str = OEMBED_URL, timeout: float = 20.0) -> int:
    """HTTP status of YouTube's oEmbed endpoint for one id: 200 public, 401/403 private, 404 removed.
    Too many requests (429) or a server error (5xx) says nothing about the video: an exception,
    "HTTP Error <code>", which check_availability's pacer waits out."""
    video = "https://www.youtube.com/watch?v=" + urllib.parse.quote(youtube_id, safe="")
    url = f"{base_url}?format=json&url={urllib.parse.quote(video, safe='')}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        if is_transient_status(e.code):
            raise RuntimeError(f"HTTP Error {e.code}: {e.reason} (oEmbed, {youtube_id})") from None
        return int(e.code)


def is_transient_status(code: int) -> bool:
    """An HTTP status that is the server's state, not the video's: never cached as its availability."""
    return code == 429 or code >= 500


def check_availability(mapping: pd.DataFrame, cache_csv: Path, base_url: str = OEMBED_URL,
                       min_interval_s: float = 0.5, save_every: int = 50,
                       pacer: SessionPacer | None = None) -> pd.DataFrame:
    """Status per trailer of `mapping` (ML20M-YT columns), resuming from `cache_csv`.

    The cache is in the authors' format and rewritten atomically every `save_every` checks (and
    when the run stops), so an interrupted run loses at most that many requests. `min_interval_s`
    keeps the rate polite; a 429 or 5xx is waited out (`pacer`), and one an older cache holds is
    asked again (`availability_todo`).
    """
    done, todo = availability_todo(mapping, cache_csv)
    rows = done.to_dict("records")
    pacer = pacer or SessionPacer(spacing_s=min_interval_s)
    try:
        for k, r in enumerate(tqdm(todo.itertuples(index=False), total=len(todo), desc="oEmbed status")):
            code = pacer.call(lambda: oembed_status(r.youtubeId, base_url), r.youtubeId)
            rows.append({"youtube_id": r.youtubeId, "movielens_id": int(r.movieId), "title": r.title,
                         "status_code": code})
            if (k + 1) % save_every == 0:
                write_csv_atomic(pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS), cache_csv)
    except YoutubeUnreachable as e:
        left = len(todo) - (len(rows) - len(done))
        raise DataError(f"trailer availability (oEmbed) for {left} ids {cache_csv} lacks: {e}. Run 01 with "
                        "internet, or set $YOUTUBE_API_KEY, or give availability_file (the authors' "
                        "youtube_availability.csv)") from None
    finally:
        out = pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS)
        write_csv_atomic(out, cache_csv)
    return out


def availability_todo(mapping: pd.DataFrame, cache_csv: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the availability cache in the authors' format, the rows of `mapping` it lacks): oEmbed's and the
    Data API's resume. Cached answers that were the server's state (429, 5xx) are asked again."""
    cache_csv = Path(cache_csv)
    done = pd.DataFrame(columns=AVAILABILITY_COLUMNS)
    if cache_csv.is_file():
        done = load_availability(cache_csv)
        done = done[~done.status_code.map(is_transient_status)].reset_index(drop=True)
    seen = set(zip(done.youtube_id, done.movielens_id))
    return done, mapping[[(y, m) not in seen for y, m in zip(mapping.youtubeId, mapping.movieId)]]


# ------------------------------------------------------------------ metadata
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def iso8601_seconds(value: str) -> float:
    """'PT2M30S' -> 150.0 (the YouTube API's contentDetails.duration); NaN if unparsable."""
    m = _ISO_DURATION.match(str(value))
    if not m:
        return float("nan")
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return float(((d * 24 + h) * 60 + mi) * 60 + s)


def load_trailer_metadata(path) -> pd.DataFrame:
    """Read trailer metadata in the authors' YouTube-API export or our yt-dlp format."""
    path = Path(path)
    head = read_csv_checked(path, {}, "trailer metadata", nrows=0)
    if "contentDetails.duration" in head.columns:  # the authors' youtube_extracted.csv
        df = read_csv_checked(path, {"id": "str", "contentDetails.duration": "str",
                                     "contentDetails.dimension": "str", "snippet.localized.title": "str",
                                     "statistics.viewCount": "str", "statistics.likeCount": "str"},
                              "trailer metadata (YouTube API export)", keep_default_na=False,
                              dtype={"id": str})
        out = pd.DataFrame({
            "youtube_id": df["id"],
            "video_title": df["snippet.localized.title"],
            "duration_s": [iso8601_seconds(v) for v in df["contentDetails.duration"]],
            "dimension": df["contentDetails.dimension"].str.lower(),
            "views": pd.to_numeric(df["statistics.viewCount"], errors="coerce"),
            "likes": pd.to_numeric(df["statistics.likeCount"], errors="coerce"),
            "dislikes": pd.to_numeric(df.get("statistics.dislikeCount", pd.Series(np.nan, index=df.index)),
                                      errors="coerce"),
        })
    elif "duration_s" in head.columns:  # written by fetch_metadata_ytdlp or fetch_metadata_api
        df = read_csv_checked(path, {"youtube_id": "str", "video_title": "str", "duration_s": "str"},
                              "trailer metadata", keep_default_na=False, dtype={"youtube_id": str},
                              na_values={c: [""] for c in ("duration_s", "views", "likes", "dislikes")})
        seconds = pd.to_numeric(df.duration_s, errors="coerce")  # empty: unknown (cleaning: no_metadata)
        bad = seconds.isna() & df.duration_s.notna()
        if bad.any():
            raise DataError(f"trailer metadata file {path}: duration_s {df.duration_s[bad].iloc[0]!r} is not a number")
        out = df.assign(duration_s=seconds.astype("float64")).reindex(columns=METADATA_COLUMNS)
    else:
        raise DataError(f"trailer metadata file {path}: unknown format; expected the YouTube API export "
                        f"(contentDetails.duration, ...) or columns {list(METADATA_COLUMNS)}")
    if out.youtube_id.duplicated().any():
        raise DataError(f"trailer metadata file {path}: duplicate id {out.youtube_id[out.youtube_id.duplicated()].iloc[0]}")
    return out.reset_index(drop=True)


def metadata_todo(youtube_ids, out_csv: Path) -> tuple[list[dict], list[str]]:
    """(the rows `out_csv` holds, the ids it lacks, each once: movies may share a trailer): the
    resume of fetch_metadata_ytdlp and fetch_metadata_api."""
    rows = load_trailer_metadata(out_csv).to_dict("records") if Path(out_csv).is_file() else []
    have = {r["youtube_id"] for r in rows}
    return rows, list(dict.fromkeys(y for y in youtube_ids if y not in have))


def unknown_metadata_row(youtube_id: str) -> dict:
    """A video asked for and not described (removed, private, age-gated): no duration."""
    return {"youtube_id": youtube_id, "video_title": "", "duration_s": np.nan, "dimension": "", "views": np.nan,
            "likes": np.nan, "dislikes": np.nan}


def _ytdlp_metadata_row(youtube_id: str, info: dict) -> dict:
    return {"youtube_id": youtube_id, "video_title": info.get("title", ""),
            "duration_s": float(info.get("duration") or np.nan),
            "dimension": "3d" if info.get("is_3d") else "2d",
            "views": info.get("view_count"), "likes": info.get("like_count"),
            "dislikes": np.nan}  # YouTube stopped publishing dislike counts in 2021


def fetch_metadata_ytdlp(youtube_ids, out_csv: Path, ydl_opts: dict | None = None,
                         url_template: str = "https://www.youtube.com/watch?v={}",
                         pacer: SessionPacer | None = None) -> pd.DataFrame:
    """Duration, title, views and likes via yt-dlp (no download), resumable through `out_csv`: one
    session, paced, its refusals waited out (vt2lib.data.youtube_limits); a video yt-dlp cannot read
    for any other reason gets a row with no duration (`unknown_metadata_row`: cleaning drops it as
    no_metadata, and no rerun asks again); offline, a DataError."""
    import yt_dlp
    out_csv = Path(out_csv)
    rows, todo = metadata_todo(youtube_ids, out_csv)
    asked_before = len(rows)
    opts = {"skip_download": True, "quiet": True, "no_warnings": True,
            "sleep_interval_requests": SLEEP_BETWEEN_REQUESTS_S, **(ydl_opts or {})}
    pacer = pacer or SessionPacer()
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            for k, yid in enumerate(tqdm(todo, desc="yt-dlp metadata")):
                try:
                    info = pacer.call(lambda: ydl.extract_info(url_template.format(yid), download=False), yid)
                except yt_dlp.utils.DownloadError:  # the video's (the session's are waited out): asked once
                    rows.append(unknown_metadata_row(yid))
                    continue
                rows.append(_ytdlp_metadata_row(yid, info))
                if (k + 1) % 50 == 0:
                    write_csv_atomic(pd.DataFrame(rows, columns=METADATA_COLUMNS), out_csv)
    except YoutubeUnreachable as e:
        left = len(todo) - (len(rows) - asked_before)
        raise DataError(f"trailer metadata (yt-dlp) for {left} ids {out_csv} lacks: {e}. Run 01 with internet, "
                        f"or set $YOUTUBE_API_KEY, or give metadata_file") from None
    finally:  # a stop (YouTube's refusals, Ctrl-C) keeps what was read
        out = pd.DataFrame(rows, columns=METADATA_COLUMNS)
        write_csv_atomic(out, out_csv)
    return out


# ------------------------------------------------------------------ trailer download
def js_challenge_solver_missing() -> str | None:
    """Why yt-dlp cannot solve YouTube's JavaScript challenges here (None: it can). Since 2025.11 it
    needs a runtime (deno, found in this Python's scripts folder or on PATH) and its solver script
    (yt-dlp-ejs); without them YouTube gives few or no formats. The `youtube` extra installs both."""
    import importlib.util
    import shutil
    import sysconfig
    deno = Path(sysconfig.get_path("scripts"), "deno").is_file() or shutil.which("deno") is not None
    missing = [name for name, found in (("yt-dlp-ejs", importlib.util.find_spec("yt_dlp_ejs") is not None),
                                        ("deno", deno)) if not found]
    if not missing:
        return None
    return (f"02 fetches trailers from YouTube with yt-dlp, which needs a JavaScript runtime and its challenge solver "
            f"(missing: {', '.join(missing)}). Install them: .venv/bin/python -m pip install -e '.[youtube]' (deno "
            "and yt-dlp-ejs, ~100 MB), or set fetch_trailers = false to use only what 02 stored")


class TrailerDownloadError(Exception):
    """yt-dlp could not fetch a trailer; the message is its reason (recorded as status download_failed)."""


class YoutubeFetcher:
    """`fetch(youtube_id) -> Path`: one trailer downloaded with yt-dlp into `out_dir`, callable
    from several threads at once (one YoutubeDL per thread: an instance is not thread-safe, and
    each is a YouTube session of its own). Every session is paced and YouTube's refusals are waited
    out, never recorded as failed downloads (`pacer`, vt2lib.data.youtube_limits); `stop()` wakes
    the threads waiting on it (02's pipeline calls it when it stops).

    yt-dlp writes `<id>.<ext>.part` and renames it when complete, so a killed download is never
    taken for a video (find_video looks for finished files only); a rerun resumes the part. A
    download that fails leaves no part behind: 02's video window counts only what it holds.
    `fmt` is the profile's download_format chain (see Profile.download_format).

        with YoutubeFetcher(out_dir, cfg.download_format) as fetch:
            path = fetch(youtube_id)
    """

    def __init__(self, out_dir: Path, fmt: str, max_retries: int = 3, pacer: SessionPacer | None = None,
                 ydl_opts: dict | None = None, url_template: str = "https://www.youtube.com/watch?v={}"):
        self.out_dir, self.url_template, self.pacer = Path(out_dir), url_template, pacer or SessionPacer()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        # the pause between videos is the pacer's (it can be woken); yt-dlp's own between a video's requests
        self.opts = {"format": fmt, "outtmpl": str(self.out_dir / "%(id)s.%(ext)s"), "retries": max_retries,
                     "fragment_retries": max_retries, "sleep_interval_requests": SLEEP_BETWEEN_REQUESTS_S,
                     "quiet": True, "no_warnings": True, "noprogress": True, **(ydl_opts or {})}
        self._local, self._lock, self._made = threading.local(), threading.Lock(), []

    def _ydl(self):
        if not hasattr(self._local, "ydl"):
            import yt_dlp
            self._local.ydl = yt_dlp.YoutubeDL(self.opts)
            with self._lock:
                self._made.append(self._local.ydl)
        return self._local.ydl

    def __call__(self, youtube_id: str) -> Path:
        try:
            return self.pacer.call(lambda: self._download(youtube_id), youtube_id)
        except YoutubeUnreachable as e:  # offline (a GPU box retrying failed trailers): a failed download
            raise TrailerDownloadError(str(e)[:300]) from None

    def stop(self) -> None:
        self.pacer.stop()

    def _download(self, youtube_id: str) -> Path:
        import yt_dlp
        try:
            self._ydl().download([self.url_template.format(youtube_id)])
        except yt_dlp.utils.DownloadError as e:
            if is_refusal(str(e)) or is_network_error(str(e)):
                raise  # the session's or the network's, not the video's: the pacer's (a part is resumed)
            for part in self.out_dir.glob(f"{youtube_id}.*.part"):
                part.unlink(missing_ok=True)
            raise TrailerDownloadError(str(e).splitlines()[0][:200]) from None
        path = find_video(self.out_dir, youtube_id)
        if path is None:
            raise TrailerDownloadError(f"yt-dlp reported success but wrote no video file for {youtube_id}")
        return path

    def close(self) -> None:
        """Close every thread's YoutubeDL (its cookie jar and network sessions)."""
        with self._lock:
            made, self._made = self._made, []
        for ydl in made:
            ydl.close()

    def __enter__(self) -> YoutubeFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
