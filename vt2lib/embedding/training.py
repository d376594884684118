"""Training the embedding network on sequences of cached keyframe features (paper 3.2).

    data = SequenceData.build(cache, trailers, seq_len=10, shift=5)   # trailers: youtube_id, movieId, genres, mean_rating
    split = data.split(val_share=0.15)
    result = train_model(cfg, data, split, "leakfree")   # resumable, in the store's model/s10_leakfree
    # validation numbers per head, genre AUC on unseen trailers: vt2lib.embedding.validation

Two models per sequence length (MODELS): `paper` trains the heads of the paper (cfg.heads,
rating head included: its target, each movie's mean rating over all cleaned ratings, is
what the CV test folds are later scored on); `leakfree` trains without the rating head
(cfg.leakfree_heads), so nothing it learns has seen an evaluation rating. A rating target
from each fold's training part only would need one model (and one set of embeddings) per
fold; dropping the head gives one leak-free model valid for every fold and notebook, and
Table 1 shows both so the effect of the leak is measured.

Validation split: the last `val_share` of each trailer's windows, after a gap of
ceil(S/shift)-1 windows that would share keyframes with them. Splitting by trailer would
make the trailer-id head untestable (a held-out trailer has no class to predict);
splitting sequences at random would leak, since neighbouring windows share most of their
keyframes. A trailer gives validation windows only if at least one training window is left
before the gap (at least gap + 2 windows: 3 at S = 10, 5 at S = 20); shorter trailers stay
in training only, so every trailer trains the trailer-id head.

Checkpoints: after every epoch the model (with optimizer state), the best weights so far
and the early-stopping state are written atomically; a rerun continues after the last
complete epoch, but only if the settings and data that define the model are unchanged
(`training_key`); otherwise the folder is cleared and training starts over. Each epoch
reseeds from (seed, epoch), so a resumed run matches an uninterrupted one.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile, model_heads, model_name
from vt2lib.data.genres import genre_matrix
from vt2lib.embedding.epochs import (NetworkFolder, end_of_epoch, fresh_state, reseed, sequence_batches,
                                     set_determinism, validation_batches)
from vt2lib.io import atomic_path
from vt2lib.keras_backend import use_keras_backend
from vt2lib.store import TRAINING_FIELDS, Store, digest, model_artifact
from vt2lib.video.features import FeatureCache, load_features
from vt2lib.video.keyframes import load_keyframe_status, sequence_starts


@dataclass
class SequenceData:
    features: np.ndarray      # (n_keyframes_total, D) cache, memory-mapped
    seq_offset: np.ndarray    # (n_seq,) row of each sequence's first keyframe in `features`
    seq_trailer: np.ndarray   # (n_seq,) trailer index 0..T-1
    seq_pos: np.ndarray       # (n_seq,) window number within its trailer
    seq_len: int
    shift: int
    trailers: pd.DataFrame    # trailer index order: youtube_id, movieId, rating, genre mask
    genre: np.ndarray         # (T, 20) multi-hot
    genre_mask: np.ndarray    # (T,) 0 = no genre: masked out of the genre loss

    @classmethod
    def build(cls, cache: FeatureCache, trailers: pd.DataFrame, seq_len: int, shift: int) -> "SequenceData":
        """`trailers`: youtube_id, movieId, genres, mean_rating (one row per trailer used)."""
        t = trailers.merge(cache.index, on="youtube_id", how="inner").reset_index(drop=True)
        offs, tr, pos = [], [], []
        for i, (off, n) in enumerate(zip(t.offset, t.n_keyframes)):
            starts = sequence_starts(int(n), seq_len, shift)
            offs.append(off + starts)
            tr.append(np.full(len(starts), i))
            pos.append(np.arange(len(starts)))
        genre, mask = genre_matrix(t.genres)
        cat = (lambda a: np.concatenate(a).astype(np.int64)) if offs else (lambda a: np.zeros(0, np.int64))
        return cls(cache.features, cat(offs), cat(tr), cat(pos), seq_len, shift, t, genre, mask)

    @property
    def n_trailers(self) -> int:
        return len(self.trailers)

    def windows(self, idx: np.ndarray) -> np.ndarray:
        """(len(idx), S, D) float32 gathered by index arithmetic; no frames are copied ahead."""
        rows = self.seq_offset[idx][:, None] + np.arange(self.seq_len)
        return np.asarray(self.features[rows.ravel()], np.float32).reshape(len(idx), self.seq_len, -1)

    def targets(self, idx: np.ndarray, heads) -> tuple[dict, dict]:
        t = self.seq_trailer[idx]
        y, w = {}, {}
        if "rating" in heads:
            y["rating"] = self.trailers.mean_rating.to_numpy(np.float32)[t][:, None]
        if "genre" in heads:
            y["genre"], w["genre"] = self.genre[t], self.genre_mask[t]
        if "trailer_id" in heads:
            y["trailer_id"] = t.astype(np.int32)
        return y, w

    def restrict(self, keep: np.ndarray) -> "SequenceData":
        """Only the trailers with keep[t] (boolean, one per trailer), renumbered 0..T'-1."""
        keep = np.asarray(keep, bool)
        rows = keep[self.seq_trailer]
        new_index = np.cumsum(keep) - 1
        return dataclasses.replace(self, seq_offset=self.seq_offset[rows], seq_trailer=new_index[self.seq_trailer[rows]],
                                   seq_pos=self.seq_pos[rows], trailers=self.trailers[keep].reset_index(drop=True),
                                   genre=self.genre[keep], genre_mask=self.genre_mask[keep])

    def split(self, val_share: float) -> tuple[np.ndarray, np.ndarray]:
        n_per = np.bincount(self.seq_trailer, minlength=self.n_trailers)
        gap = math.ceil(self.seq_len / self.shift) - 1
        n_val = np.minimum(np.maximum(1, np.floor(n_per * val_share)), n_per - gap - 1)  # >= 1 window trains
        n_val = np.where(n_per >= gap + 2, n_val, 0).astype(int)
        first_val = n_per[self.seq_trailer] - n_val[self.seq_trailer]
        is_val = (n_val[self.seq_trailer] > 0) & (self.seq_pos >= first_val)
        is_train = ~is_val & ((n_val[self.seq_trailer] == 0) | (self.seq_pos < first_val - gap))
        return np.flatnonzero(is_train), np.flatnonzero(is_val)


def sequence_data_for(cfg: Profile, seq_len: int) -> SequenceData:
    """Sequences of every usable trailer with its training targets (notebooks 03 and 04).

    The rating target is each movie's mean over all its cleaned ratings, as in the authors'
    code - which leaks the later CV test folds into the embeddings (train without the
    'rating' head for a leak-free model).
    """
    from vt2lib.data.cleaning import load_clean, load_evaluation_ratings
    clean = load_clean(cfg)
    status = load_keyframe_status(cfg)
    ratings = load_evaluation_ratings(cfg)
    mean_rating = ratings.groupby("movieId").rating.mean().rename("mean_rating").reset_index()
    trailers = (status.query("status == 'ok'")[["youtube_id", "movieId"]]
                .merge(clean["movies"][["movieId", "genres"]], on="movieId")
                .merge(mean_rating, on="movieId")
                .drop_duplicates("youtube_id").sort_values("movieId"))
    return SequenceData.build(load_features(cfg), trailers, seq_len, cfg.sequence_shift)


def model_config(cfg: Profile, model: str) -> Profile:
    """The profile a model is trained with: the paper's heads, the leak-free heads, or genre only."""
    heads = model_heads(cfg, model)
    return cfg if heads == tuple(cfg.heads) else dataclasses.replace(cfg, heads=heads)


def network_label(seq_len: int, model: str) -> str:
    """How a network's epoch lines name it: `network s10_leakfree`."""
    return f"network {model_name(seq_len, model)}"


def train_model(cfg: Profile, data: "SequenceData", split, model: str = "paper", progress: bool = True):
    """`train` in the store's folder of this model (resumed only under the same key)."""
    with Store(cfg).produce(model_artifact(data.seq_len, model)) as art:
        return train(model_config(cfg, model), data, split, art.path, progress=progress,
                     label=network_label(data.seq_len, model))


def load_trained_model(cfg: Profile, seq_len: int, model: str = "paper"):
    """The final (best-epoch) model of notebook 03 (DataError if missing or stale)."""
    use_keras_backend(cfg)
    import keras
    return keras.saving.load_model(Store(cfg).require(model_artifact(seq_len, model)) / "final.keras", compile=False)


@dataclass
class TrainResult:
    model: object
    history: pd.DataFrame
    best_epoch: int          # 1-based, as Keras prints epochs
    seconds_per_epoch: float


def convergence_table(cfg: Profile, trained: dict) -> pd.DataFrame:
    """Per trained network ((model, S) -> TrainResult): best epoch, epochs run, and whether it
    converged. One whose best epoch is its last (`max_epochs` reached, validation loss still
    falling) had not: early stopping never fired, and more epochs would have changed it."""
    runs = trained.values()
    return pd.DataFrame({"best epoch": [r.best_epoch for r in runs], "epochs run": [len(r.history) for r in runs],
                         "seconds per epoch": [round(r.seconds_per_epoch, 2) for r in runs],
                         "converged": [not (r.best_epoch == len(r.history) == cfg.max_epochs) for r in runs]},
                        index=pd.MultiIndex.from_tuples(list(trained)))


def not_converged_note(cfg: Profile, table: pd.DataFrame) -> str | None:
    """One line naming the networks that had not converged and the field to raise, or None."""
    late = [model_name(S, m) for (m, S) in table.index[~table.converged]]  # as the epoch lines name them
    if not late:
        return None
    budget = "`max_epochs`" + (" (or `max_steps_per_epoch`, which bounds each epoch here)"
                               if cfg.max_steps_per_epoch else "")
    return (f"{len(late)} of {len(table)} networks had not converged: their best epoch is the last of "
            f"max_epochs = {cfg.max_epochs} ({', '.join(late)}); raise {budget} for embeddings that "
            "finished learning.")


def training_key(cfg: Profile, data: SequenceData, split) -> str:
    """A digest of everything that defines a trained model: settings, trailers, targets, split.

    The store keys a model folder by its settings and input artifacts; this guards `train` on
    any folder (tests, direct use) by the data it was actually given."""
    # the mean ratings (built from every evaluation rating) define only a model with a rating head
    ratings = data.trailers.mean_rating.to_numpy(np.float64) if "rating" in cfg.heads else None
    return digest(*(getattr(cfg, f) for f in ("heads", *TRAINING_FIELDS)), data.features.shape, data.seq_offset,
                  data.trailers.youtube_id.to_numpy(str), ratings, data.genre, split[0], split[1])


def train(cfg: Profile, data: SequenceData, split, out_dir: Path, stop_after_epoch: int | None = None,
          progress: bool = True, label: str | None = None) -> TrainResult:
    """Train with early stopping on validation loss, resuming from `out_dir` if possible.

    A checkpoint made under another `training_key` (other heads, settings or data) is
    discarded, never resumed or returned. `stop_after_epoch` ends the call early (tests use
    it to simulate an interrupted run).
    """
    use_keras_backend(cfg)
    import keras

    from vt2lib.embedding.model import build_models
    folder = NetworkFolder(Path(out_dir))
    key = training_key(cfg, data, split)
    state = folder.open(key)
    set_determinism(cfg.seed)
    if state is not None:  # a finished network is only opened (best weights restored): no optimizer to restore
        model = keras.saving.load_model(folder.last, compile=not (state["done"] or state["epoch"] >= cfg.max_epochs))
    else:
        state = fresh_state(key)
        model, _ = build_models(cfg, data.features.shape[1], data.seq_len, data.n_trailers)
    label = (label or folder.path.name) if progress else None
    _epochs(keras, cfg, model, state, data, split, folder, stop_after_epoch, label)
    model.load_weights(folder.best)  # early stopping restores the best epoch's weights
    history = folder.save_history(state)
    if state["done"] or state["epoch"] >= cfg.max_epochs:
        with atomic_path(folder.path / "final.keras") as tmp:
            model.save(tmp)
    return TrainResult(model, history, state["best_epoch"], float(history.seconds.mean()))


def _epochs(keras, cfg: Profile, model, state: dict, data: SequenceData, split, folder: NetworkFolder,
            stop_after_epoch: int | None, label: str | None) -> None:
    """Epochs until early stopping or max_epochs (or stop_after_epoch), each one checkpointed."""
    train_idx, val_idx = split
    Batches = sequence_batches(keras)
    val_ds = validation_batches(Batches, data, val_idx, cfg)
    while not state["done"] and state["epoch"] < cfg.max_epochs:
        epoch = state["epoch"]
        reseed(model, cfg.seed * 1000 + epoch)
        start = time.time()
        batches = Batches(data, train_idx, cfg.heads, cfg.batch_size, [cfg.seed, epoch], cfg.max_steps_per_epoch)
        hist = model.fit(batches, epochs=1, verbose=0, shuffle=False)
        row = {"epoch": epoch + 1, "seconds": time.time() - start,
               **{k: float(v[-1]) for k, v in hist.history.items()}}
        if len(val_idx):
            row.update({f"val_{k}": float(v) for k, v in
                        model.evaluate(val_ds, verbose=0, return_dict=True).items()})
        if end_of_epoch(state, row, cfg, label):
            folder.save_best(model)
        folder.save_epoch(model, state)
        if stop_after_epoch is not None and state["epoch"] >= stop_after_epoch:
            break
