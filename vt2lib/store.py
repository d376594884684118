"""The artifact store: every file one stage leaves for a later one, keyed by what produced it.

An artifact is a folder holding its files and a manifest (`.artifact.json`: key, complete or
not, content digest, the notebook and profile that made it). Its key is a digest of the profile
fields it depends on and of the artifacts it is made from (SPECS). Small tables also carry a
digest of their content, and a later artifact is keyed by that digest rather than by their key:
a new image size gives new keyframes, but the same usable trailers and ratings, so the folds and
the rating-only predictions stay valid.

The folders are shared by every profile, one per key: runs/_store/<kind>/<key>/. A profile that
differs from another in one field (`demo+top_k=20`) finds every artifact that field does not
touch already made, and makes only the rest. Each profile's runs/<profile>/store_index.json
says which key of each artifact it last made or used: a superseded key's folder is deleted when
no profile points at it any more. A folder is locked while it is made (two runs at once: the
second waits, then reuses it) and complete only once its maker finished (a crash leaves an
unfinished folder that is resumed under the same key, never trusted).

>>> import dataclasses, os, tempfile
>>> from vt2lib.profiles import load_profile
>>> os.environ["VT2_OUTPUT_ROOT"] = tempfile.mkdtemp()
>>> cfg = load_profile("smoke")
>>> store = Store(cfg)
>>> _ = store.save_tables("clean", {"movies": pd.DataFrame({"movieId": [1]})})   # what 02 reads
>>> with store.produce("keyframes") as art:   # a folder filled piece by piece; resumes under one key
...     _ = (art.path / "trailer.npy").write_bytes(b"")
>>> art.reused, store.current("keyframes")
(False, True)
>>> Store(dataclasses.replace(cfg, image_size=64)).current("keyframes")   # another setting: stale
False
>>> Store(dataclasses.replace(cfg, name="other", top_k=5)).current("keyframes")  # another profile: shared
True
>>> start_run_log(cfg)                        # a new run: its log lists what it asked for
>>> with store.produce("keyframes") as art:
...     pass
>>> art.reused
True
>>> load_artifact_log(cfg)["keyframes"]["status"]
'reused'

Every request is logged in runs/<profile>/artifacts.json (key, `computed` or `reused`), under
the notebook that asked (the runner sets VT2_NOTEBOOK); each notebook keeps its own latest run
there (vt2lib.run_log). Paths of artifacts are built here alone.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

# what each artifact is made from; the names other modules import from here
from vt2lib.artifact_specs import (EMBEDDINGS_FILE, FROZEN_MEANS_FILE, SPECS, TRAINING_FIELDS, Spec,  # noqa: F401
                                   digest, embeddings_artifact, model_artifact, source_key)
from vt2lib.config import Profile, runs_root
from vt2lib.io import (DataError, file_lock, folder_bytes, folder_digest, read_json, write_json_atomic,
                       write_parquet_atomic)
from vt2lib.run_log import load_artifact_log, log_request, start_run_log  # noqa: F401 (the log's readers)

MANIFEST = ".artifact.json"


# ------------------------------------------------------------------ where artifacts live
SHARED_FOLDER = "_store"      # runs/_store/<kind>/<key>/: every profile's artifacts, one folder per key
INDEX = "store_index.json"    # runs/<profile>/store_index.json: name -> the key (and extra) it made or used


def shared_root(cfg: Profile) -> Path:
    return runs_root(cfg.output_root) / SHARED_FOLDER


def _drop_unused(runs: Path, folder: Path, name: str) -> bool:
    """Delete a superseded key's folder unless a profile's index (under `runs`) points at it or a process
    holds its lock (per profile and artifact the store keeps the key it last made or used); True if deleted."""
    import fcntl
    if not folder.exists():
        return False
    with open(f"{folder}.lock", "a") as f:  # file_lock's file; never unlinked, so two lockers share one inode
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # being made or resumed right now
        if any(read_json(index).get(name, {}).get("key") == folder.name  # checked under the lock
               for index in runs.glob(f"*/{INDEX}")):
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True


def _artifact_name(kind: str) -> str:
    """The artifact name of a kind folder: data/folds -> folds, models/s10 -> model/s10."""
    for name, spec in SPECS.items():
        prefix = spec.folder.partition("{}")[0]
        if spec.folder == kind or ("{}" in spec.folder and kind.startswith(prefix)):
            return name if spec.folder == kind else f"{name}/{kind[len(prefix):]}"
    raise ValueError(f"{kind}: not a folder of the store")


def collect_garbage(root: Path | None = None, dry_run: bool = False) -> list[Path]:
    """Delete every artifact folder no profile's index points at (a deleted profile's, a dropped
    setting's, an abandoned key's) and not being made; returns those found."""
    from vt2lib.config import output_root
    runs = runs_root(root or output_root())
    shared = runs / SHARED_FOLDER
    used = {(name, e.get("key")) for index in runs.glob(f"*/{INDEX}") for name, e in read_json(index).items()}
    found = {m.parent: _artifact_name(m.parent.parent.relative_to(shared).as_posix())
             for m in sorted(shared.glob(f"**/{MANIFEST}"))}
    unused = [f for f, name in found.items() if (name, f.name) not in used]
    return unused if dry_run else [f for f in unused if _drop_unused(runs, f, found[f])]  # re-checked under its lock


# ------------------------------------------------------------------ the store
@dataclass
class Artifact:
    path: Path
    reused: bool
    content: str | None = None  # a content digest the producer knows (else the folder's files are digested)


class Store:
    def __init__(self, cfg: Profile, notebook: str | None = None):
        self.cfg = cfg
        self.notebook = notebook or os.environ.get("VT2_NOTEBOOK", "interactive")

    # ---- names, folders, keys
    @staticmethod
    def _split(name: str) -> tuple[Spec, str]:
        kind, _, param = name.partition("/")
        if kind not in SPECS or bool(param) != ("{}" in SPECS[kind].folder):
            raise ValueError(f"unknown artifact {name!r}; kinds: {', '.join(SPECS)} (model/, embeddings/ and "
                             "predictions/ take a name after the slash)")
        return SPECS[kind], param

    def kind_folder(self, name: str) -> Path:
        """The shared folder that holds every key of `name`, one subfolder each."""
        spec, param = self._split(name)
        return shared_root(self.cfg) / spec.folder.format(param)

    def path(self, name: str, extra: str | None = None) -> Path:
        """The folder of `name` under today's key (`extra` None: the extra this profile last made or used
        it with); a DataError where an input it is keyed by is missing."""
        return self.kind_folder(name) / self.key(name, self._extra(name) if extra is None else extra)

    def key(self, name: str, extra: str = "") -> str:
        """Digest of the fields and inputs of `name` (+ `extra`, e.g. a method's own settings)."""
        if name == "raw":
            return source_key(self.cfg)
        spec, param = self._split(name)
        made_from = {i: self.digest_of(i) for i in spec.inputs(self.cfg, param)}
        return digest(name, spec.fields(self.cfg, param), sorted(made_from.items()), extra)

    def digest_of(self, name: str) -> str:
        """What a later artifact is keyed by: the content digest where kept, else the key."""
        if name == "raw":
            return source_key(self.cfg)
        if self._split(name)[0].content:
            return read_json(self.require(name) / MANIFEST)["content"]
        return self.key(name, self._extra(name))

    def current(self, name: str, extra: str | None = None) -> bool:
        """Complete and made under today's key; `extra` None: the extra this profile made it with (a
        method's own settings, which only its maker knows; none: "")."""
        try:
            key = self.key(name, self._extra(name) if extra is None else extra)
        except DataError:  # an input kept by its content is missing or stale: so is this
            return False
        m = read_json(self.kind_folder(name) / key / MANIFEST)
        return bool(m.get("complete")) and m.get("key") == key

    def require(self, name: str, extra: str | None = None) -> Path:
        """The folder of a complete artifact made under today's key, or a DataError saying what to run
        (the first input that is missing or stale, where that is the reason)."""
        extra = self._extra(name) if extra is None else extra
        key = self.key(name, extra)  # an input's own error, if it has one
        folder, known = self.kind_folder(name) / key, self._index().get(name)
        for attempt in range(2):  # checked, pointed at, checked again: a run that dropped it meanwhile is seen
            m = read_json(folder / MANIFEST)
            if not (m.get("complete") and m.get("key") == key):
                why = ("unfinished (an interrupted run)" if m else "stale (made under other settings or inputs)"
                       if known and known["key"] != key else "missing")
                raise DataError(f"{name} ({folder}) is {why}: run notebook {self._split(name)[0].maker} for "
                                f"profile {self.cfg.name!r} first")
            if attempt == 0:
                self._remember(name, key, extra)
        self._log(name, folder, "reused", only_if_new=True)
        return folder

    # ---- writing
    @contextlib.contextmanager
    def produce(self, name: str, extra: str = "") -> Iterator[Artifact]:
        """Fill the folder of `name`; partial work is kept only under the same key.

        Yields Artifact(path, reused): reused means complete under this key (nothing to do,
        though a stage may still read it). The artifact is complete when the block ends. The
        folder is locked meanwhile: a second process asking for the same key waits, then reuses it."""
        key = self.key(name, extra)
        folder = self.kind_folder(name) / key
        with file_lock(folder):
            self._remember(name, key, extra)
            m = read_json(folder / MANIFEST)
            reused = bool(m.get("complete")) and m.get("key") == key
            folder.mkdir(parents=True, exist_ok=True)
            if not reused:
                write_json_atomic(folder / MANIFEST, {"key": key, "complete": False, "extra": extra})
            art = Artifact(folder, reused)
            yield art
            # a resumable stage can add to a complete artifact (02 retrying failed trailers): a new content
            # digest from it makes it computed again, and everything made from it is then stale
            grown = reused and art.content is not None and art.content != m.get("content")
            if not reused or grown:
                content = art.content or (folder_digest(folder, skip=MANIFEST) if self._split(name)[0].content
                                          else None)
                write_json_atomic(folder / MANIFEST, {"key": key, "complete": True, "extra": extra,
                                                      "content": content, "notebook": self.notebook,
                                                      "profile": self.cfg.name, "bytes": folder_bytes(folder)})
        # a model trained side by side was logged "computed" by its worker; the parent's reuse keeps that
        self._log(name, folder, "reused" if reused and not grown else "computed", only_if_new=reused and not grown)

    # ---- this profile's index: which key (and extra) of each artifact it last made or used
    def _index(self) -> dict:
        return read_json(self.cfg.run_dir / INDEX)

    def _extra(self, name: str) -> str:
        return self._index().get(name, {}).get("extra", "")

    def _remember(self, name: str, key: str, extra: str) -> None:
        """Point this profile's `name` at `key`; the key it pointed at before goes unless another profile uses it."""
        entry, path = {"key": key, "extra": extra}, self.cfg.run_dir / INDEX
        if self._index().get(name) == entry:
            return
        with file_lock(path):
            index = read_json(path)
            earlier = index.get(name)
            write_json_atomic(path, index | {name: entry})
        if earlier and earlier["key"] != key:
            _drop_unused(runs_root(self.cfg.output_root), self.kind_folder(name) / earlier["key"], name)

    def save_tables(self, name: str, tables: dict[str, pd.DataFrame], extra: str = "") -> str:
        """Write small tables as one artifact (unless they are current); returns computed/reused."""
        with self.produce(name, extra) as art:
            if not art.reused:
                for table, df in tables.items():
                    write_parquet_atomic(df, art.path / f"{table}.parquet")
        return "reused" if art.reused else "computed"

    def load_table(self, name: str, table: str) -> pd.DataFrame:
        return pd.read_parquet(self.require(name) / f"{table}.parquet")

    # ---- the run's log (vt2lib.run_log)
    def _log(self, name: str, folder: Path, status: str, only_if_new: bool = False) -> None:
        m = read_json(folder / MANIFEST)  # the folder the caller resolved: its key is not computed again
        log_request(self.cfg, self.notebook, name, {"key": m.get("key"), "status": status, "bytes": m.get("bytes")},
                    only_if_new)


if __name__ == "__main__":  # python -m vt2lib.store gc [--dry-run]: free what no profile uses any more
    import argparse
    ap = argparse.ArgumentParser(description="Delete the store's artifact folders no profile points at.")
    ap.add_argument("command", choices=["gc"])
    ap.add_argument("--dry-run", action="store_true", help="list them, delete nothing")
    args = ap.parse_args()
    folders = collect_garbage(dry_run=args.dry_run)
    print("\n".join(map(str, folders)) or "nothing unused")
    print(f"{len(folders)} folder(s) {'unused' if args.dry_run else 'deleted'}")
