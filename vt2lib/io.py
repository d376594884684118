r"""Atomic file writes and validated loaders for the ML20M / ML20M-YT file formats.

Every loader raises `DataError` naming the file and the problem (missing file, missing
columns, bad values, duplicates), so a user never debugs a KeyError three cells later.

    ratings = load_ratings(folder / "ratings.csv")
    write_parquet_atomic(df, path)   # a crash leaves the old file or none, never half a file

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "ratings.csv"
>>> _ = path.write_text("userId,movieId,rating,timestamp\n1,2,4.5,0\n1,3,4.2,0\n")
>>> load_ratings(path)
Traceback (most recent call last):
vt2lib.io.DataError: ratings file ...ratings.csv: rating 4.2... at data row 2 is not in 0.5..5.0 in steps of 0.5 (1 such rows)
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd


class DataError(ValueError):
    """An input file is missing or malformed; the message names the file and the problem."""


# ------------------------------------------------------------------ atomic writes
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp's temp files are private (0600), and a rename keeps that: a finished file gets the mode a
# plain open() would give it, so others on a shared machine can read a run as they read its notebooks
FILE_MODE = 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `path`; it replaces `path` only if the block succeeds.

    The temp name keeps the extension (writers such as OpenCV's pick the format by it) and
    starts with a dot, so a half-written file is never mistaken for a finished one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffixes = "".join(path.suffixes[-2:]) if path.name.endswith(".weights.h5") else path.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[: len(path.name) - len(suffixes)]}.",
                               suffix=f".part{suffixes}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(path, obj) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path) -> dict:
    """A JSON object file's content; {} while it does not exist (run files start empty)."""
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


@contextlib.contextmanager
def file_lock(path) -> Iterator[None]:
    """Hold an exclusive lock on `path` + ".lock" (processes side by side share run files)."""
    import fcntl
    lock = Path(f"{path}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def update_json(path, key: str, value) -> dict:
    """Set one key of a JSON object file, atomically and under a lock: networks training side by
    side (vt2lib.embedding.side_by_side) update the same run log; returns the new content."""
    with file_lock(path):
        content = read_json(path)
        content[key] = value
        write_json_atomic(path, content)
    return content


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.ndarray, tuple, set)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def write_parquet_atomic(df: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_csv_atomic(df: pd.DataFrame, path, **kwargs) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, **kwargs)


VIDEO_EXTENSIONS = (".mp4", ".avi", ".webm", ".mkv", ".mov", ".flv", ".3gp")  # trailer files, downloaded or generated


def find_video(folder: Path, youtube_id: str) -> Path | None:
    """The finished video file of a trailer (any of VIDEO_EXTENSIONS; a download's `.part` is not one), or None."""
    for ext in VIDEO_EXTENSIONS:
        p = Path(folder) / f"{youtube_id}{ext}"
        if p.exists():
            return p
    return None


def folder_bytes(folder) -> int:
    """Bytes of the files under `folder` (what a stage leaves on disk)."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def folder_digest(folder, skip: str = "") -> str:
    """Digest of the names and contents of the files under `folder` (hidden files and `skip` left out)."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and p.name != skip and not p.name.startswith("."):
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def write_npy_atomic(path, array: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.save(f, array)


def write_npz_atomic(path, **arrays) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:  # a file object keeps numpy from appending ".npz" to the temp name
            np.savez(f, **arrays)


# ------------------------------------------------------------------ validated CSV loading
def read_csv_checked(path, required: dict[str, str], what: str, **kwargs) -> pd.DataFrame:
    """Read a CSV and check it has `required` columns ({name: 'int'|'float'|'str'})."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file {path} does not exist")
    try:
        df = pd.read_csv(path, **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"{what} file {path} cannot be parsed as CSV: {e}") from e
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{what} file {path} lacks column(s) {missing}; found {list(df.columns)}")
    for col, kind in required.items():
        if kind in ("int", "float"):
            values = pd.to_numeric(df[col], errors="coerce")
            bad = values.isna() & df[col].notna() | df[col].isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise DataError(f"{what} file {path}: column {col!r} has a non-numeric or empty value "
                                f"{df[col].iloc[row]!r} at data row {row + 1} ({int(bad.sum())} such rows)")
            df[col] = values.astype("int64" if kind == "int" else "float64")
        else:
            df[col] = df[col].astype("string")
    return df


def load_ratings(path) -> pd.DataFrame:
    """ML20M `ratings.csv`: userId,movieId,rating,timestamp; ratings 0.5..5.0 in 0.5 steps."""
    df = read_csv_checked(path, {"userId": "int", "movieId": "int", "rating": "float", "timestamp": "int"},
                          "ratings")
    r = df["rating"].to_numpy()
    bad = (r < 0.5) | (r > 5.0) | (np.round(r * 2) != r * 2)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"ratings file {path}: rating {r[row]} at data row {row + 1} is not in "
                        f"0.5..5.0 in steps of 0.5 ({int(bad.sum())} such rows)")
    dup = df.duplicated(["userId", "movieId"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"ratings file {path}: duplicate (userId, movieId) = "
                        f"({df.userId.iloc[row]}, {df.movieId.iloc[row]}) at data row {row + 1} "
                        f"({int(dup.sum())} duplicates)")
    df["rating"] = df["rating"].astype("float32")
    return df


def load_movies(path) -> pd.DataFrame:
    """ML20M `movies.csv`: movieId,title,genres (genres joined by '|')."""
    df = read_csv_checked(path, {"movieId": "int", "title": "str", "genres": "str"}, "movies")
    if df.movieId.duplicated().any():
        raise DataError(f"movies file {path}: duplicate movieId {df.movieId[df.movieId.duplicated()].iloc[0]}")
    return df


def load_youtube_mapping(path) -> pd.DataFrame:
    """ML20M-YT `ml-youtube.csv`: youtubeId,movieId,title (keep_default_na: ids like 'NaN...' stay text)."""
    df = read_csv_checked(path, {"youtubeId": "str", "movieId": "int", "title": "str"}, "ML20M-YT mapping",
                          keep_default_na=False, dtype={"youtubeId": str})
    if df.movieId.duplicated().any():
        raise DataError(f"ML20M-YT mapping file {path}: duplicate movieId "
                        f"{df.movieId[df.movieId.duplicated()].iloc[0]}")
    return df


def load_availability(path) -> pd.DataFrame:
    """The authors' status file: youtube_id,movielens_id,title,status_code (HTTP status per trailer)."""
    return read_csv_checked(path, {"youtube_id": "str", "movielens_id": "int", "title": "str",
                                   "status_code": "int"}, "availability",
                            keep_default_na=False, dtype={"youtube_id": str})
