"""Resumable, verified download of ML20M and ML20M-YT from GroupLens.

    folder = ensure_ml20m(cfg.data_path)          # -> data/ml20m/ml-20m (ratings.csv, movies.csv)
    mapping = ensure_ml20m_youtube(cfg.data_path)  # -> .../ml-youtube.csv

A partial download is kept as `<file>.part` and resumed with an HTTP Range request; the
zip is tested before extraction and the extracted files are counted against the counts the
datasets' READMEs state, so a corrupt or truncated download is never used. Without a network
the error names the file, where it was to come from, and where to put a copy by hand.
"""
from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from vt2lib.config import ML20M_FOLDER
from vt2lib.io import DataError
from vt2lib.progress import tqdm

GROUPLENS_URL = os.environ.get("VT2_GROUPLENS_URL", "https://files.grouplens.org/datasets/movielens/")
# From the ML20M README: 20,000,263 ratings, 27,278 movies, 138,493 users; ML20M-YT: 25,623 trailers.
ML20M_COUNTS = {"ratings.csv": 20_000_263, "movies.csv": 27_278, "users": 138_493}
ML20M_YT_COUNTS = {"ml-youtube.csv": 25_623}


class DownloadError(DataError):
    """A file could not be fetched; the message says from where and how to place it by hand."""


def download_file(url: str, dest: Path, chunk: int = 1 << 20, timeout: float = 60.0, instead: str = "") -> Path:
    """Download `url` to `dest`, resuming a previous `dest.part`; returns `dest`.

    `instead`: what else the user can do (a profile field that points at a copy), for the
    error raised when the server cannot be reached."""
    dest = Path(dest)
    if dest.is_file():
        return dest
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416:  # range not satisfiable: the part file is already complete
            part.replace(dest)
            return dest
        raise DownloadError(f"could not fetch {dest.name} from {url}: HTTP {e.code} {e.reason}. "
                            f"Place {dest.name} in {dest.parent} by hand{instead}.") from None
    except (urllib.error.URLError, OSError) as e:  # no network, DNS, refused, timed out
        reason = getattr(e, "reason", e)
        raise DownloadError(f"could not fetch {dest.name} from {url} ({reason}): no network? "
                            f"Place {dest.name} in {dest.parent} by hand{instead}.") from None
    with resp:
        resumed = resp.status == 206
        total = resp.headers.get("Content-Length")
        total = int(total) + (have if resumed else 0) if total else None
        with open(part, "ab" if resumed else "wb") as f, \
                tqdm(total=total, initial=have if resumed else 0, unit="B", unit_scale=True,
                     desc=dest.name) as bar:
            while block := resp.read(chunk):
                f.write(block)
                bar.update(len(block))
    if total is not None and part.stat().st_size != total:
        raise DataError(f"download of {url} stopped at {part.stat().st_size} of {total} bytes; "
                        f"rerun to resume from {part}")
    part.replace(dest)
    return dest


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))


def _extract_verified(zip_path: Path, out_dir: Path, expected: dict[str, int]) -> Path:
    """Test the zip, extract it, and check data-row counts; returns the folder holding the files."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise DataError(f"{zip_path}: member {bad} is corrupt; delete the file and download again")
            tmp = out_dir.with_name(out_dir.name + ".extracting")
            shutil.rmtree(tmp, ignore_errors=True)
            zf.extractall(tmp)
    except zipfile.BadZipFile as e:
        raise DataError(f"{zip_path} is not a valid zip file ({e}); delete it and download again") from e
    first = next(iter(k for k in expected if k.endswith(".csv")))
    found = list(tmp.rglob(first))
    if not found:
        raise DataError(f"{zip_path} has no {first}")
    folder = found[0].parent
    for name, n in expected.items():
        if not name.endswith(".csv"):
            continue
        rows = _count_lines(folder / name) - 1
        if rows != n:
            raise DataError(f"{zip_path}: {name} has {rows:,} data rows, expected {n:,}")
    if "users" in expected:
        import pandas as pd
        users = pd.read_csv(folder / "ratings.csv", usecols=["userId"]).userId.nunique()
        if users != expected["users"]:
            raise DataError(f"{zip_path}: ratings.csv has {users:,} users, expected {expected['users']:,}")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(folder, out_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def ensure_ml20m(data_dir: Path, base_url: str = GROUPLENS_URL, expected: dict | None = None) -> Path:
    """Return the folder with ML20M's CSVs, downloading and verifying `ml-20m.zip` if needed."""
    out = Path(data_dir) / ML20M_FOLDER
    if (out / "ratings.csv").is_file() and (out / "movies.csv").is_file():
        return out
    zip_path = download_file(base_url + "ml-20m.zip", Path(data_dir) / "ml-20m.zip",
                             instead=", or set movielens_dir to an existing ML20M folder")
    return _extract_verified(zip_path, out, expected or ML20M_COUNTS)


def ensure_ml20m_youtube(data_dir: Path, base_url: str = GROUPLENS_URL, expected: dict | None = None) -> Path:
    """Return the path of ML20M-YT's `ml-youtube.csv`, downloading `ml-20m-youtube.zip` if needed."""
    out = Path(data_dir) / "ml-20m-youtube"
    if (out / "ml-youtube.csv").is_file():
        return out / "ml-youtube.csv"
    zip_path = download_file(base_url + "ml-20m-youtube.zip", Path(data_dir) / "ml-20m-youtube.zip",
                             instead=", or set youtube_mapping to an existing ml-youtube.csv")
    return _extract_verified(zip_path, out, expected or ML20M_YT_COUNTS) / "ml-youtube.csv"
