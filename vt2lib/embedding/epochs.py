"""One training epoch's parts, shared by a network trained alone (training.train) and networks
trained as towers of one model (towers.train_towers): batches, seeds, early-stopping bookkeeping.

>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("smoke")                  # patience 2
>>> state = fresh_state("key")
>>> [end_of_epoch(state, {"epoch": e + 1, "loss": 1.0, "val_loss": v}, cfg) for e, v in enumerate([3, 2, 2.5, 2.1])]
[True, True, False, False]
>>> state["best_epoch"], state["done"]
(2, True)
>>> _ = end_of_epoch(fresh_state("key"), {"epoch": 1, "loss": 4.0, "seconds": 6.0}, cfg, "network s20")  # no windows
network s20 epoch 1/3: loss 4.0000 (no validation windows: stops on loss) (6.0 s; ETA <= 0.2 min)
"""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.io import atomic_path, write_json_atomic, write_parquet_atomic

# Validation windows per evaluate batch: the demo's whole validation set is one batch, so the
# test step compiles for one shape, not two (a last, smaller batch); the metrics are the same.
VALIDATION_BATCH = 1024


def sequence_batches(keras):
    """The PyDataset class of (windows, targets[, sample weights]) batches of a SequenceData."""
    class SequenceBatches(keras.utils.PyDataset):
        def __init__(self, data, idx, heads, batch_size, order_seed=None, max_batches=None):
            super().__init__()
            self.data, self.heads, self.batch_size = data, heads, batch_size
            if order_seed is not None:  # a training epoch: shuffled, full batches only
                # A last, smaller batch has another shape, which JAX compiles a second time (seconds
                # per model on a CPU); the < batch_size sequences left out are another
                # random few every epoch.
                idx = np.random.default_rng(order_seed).permutation(idx)
                idx = idx[: len(idx) // batch_size * batch_size or len(idx)]
            self.idx = idx if max_batches is None else idx[: max_batches * batch_size]  # a rehearsal's bound

        def __len__(self):
            return math.ceil(len(self.idx) / self.batch_size)

        def __getitem__(self, b):
            idx = self.idx[b * self.batch_size:(b + 1) * self.batch_size]
            y, w = self.data.targets(idx, self.heads)
            if "genre" in self.heads:
                w = {h: w.get(h, np.ones(len(idx), np.float32)) for h in y}
                return self.data.windows(idx), y, w
            return self.data.windows(idx), y
    return SequenceBatches


def validation_batches(batches_class, data, val_idx, cfg: Profile):
    """The validation windows in batches; a rehearsal (max_steps_per_epoch) takes that many
    batches' worth, spread evenly over them."""
    if cfg.max_steps_per_epoch and len(val_idx) > cfg.max_steps_per_epoch * cfg.batch_size:
        val_idx = val_idx[np.linspace(0, len(val_idx) - 1, cfg.max_steps_per_epoch * cfg.batch_size).astype(int)]
    return batches_class(data, val_idx, cfg.heads, max(cfg.batch_size, min(len(val_idx), VALIDATION_BATCH)))


def set_determinism(seed: int) -> None:
    import keras
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


def reseed(model, seed: int) -> None:
    """Make an epoch's randomness (dropout masks) a function of `seed` alone.

    The dropout seed-generator states are not restored by load_model, so without this a
    resumed run would draw other masks than an uninterrupted one.
    """
    import keras
    keras.utils.set_random_seed(seed)
    generators = [v for v in model.variables if v.path.endswith("seed_generator_state")]
    for k, v in enumerate(generators):
        v.assign(np.array([seed % (2**31 - 1), k], dtype=v.dtype))


def fresh_state(key: str) -> dict:
    """A network's training state before its first epoch (state.json in its folder)."""
    return {"key": key, "epoch": 0, "best_val_loss": None, "best_epoch": 0, "wait": 0, "history": [], "done": False}


def end_of_epoch(state: dict, row: dict, cfg: Profile, name: str | None = None) -> bool:
    """Book an epoch's `row` into `state` (early stopping on val_loss, or loss without validation
    windows); returns whether it is the best epoch so far (save its weights). `name`: print a line."""
    monitor = row.get("val_loss", row["loss"])
    improved = state["best_val_loss"] is None or monitor < state["best_val_loss"]
    if improved:
        state.update(best_val_loss=monitor, best_epoch=row["epoch"], wait=0)
    else:
        state["wait"] += 1
    state["history"].append(row)
    state["epoch"] = row["epoch"]
    state["done"] = state["wait"] >= cfg.patience
    if name is not None:
        left = 0 if state["done"] else cfg.max_epochs - row["epoch"]  # ETA from the epoch budget (early stop: less)
        # without validation windows (a tiny profile's longest S) early stopping watches the training loss
        val = f"val_loss {row['val_loss']:.4f}" if "val_loss" in row else "(no validation windows: stops on loss)"
        print(f"{name} epoch {row['epoch']}/{cfg.max_epochs}: loss {row['loss']:.4f} {val} ({row['seconds']:.1f} s; "
              f"ETA <= {left * row['seconds'] / 60:.1f} min)", flush=True)
    return improved


@dataclass(frozen=True)
class NetworkFolder:
    """A network's training folder: last.keras (the model with its optimizer), best.weights.h5,
    state.json (written last: the epoch is complete) and, once finished, history.parquet."""
    path: Path

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def last(self) -> Path:
        return self.path / "last.keras"

    @property
    def best(self) -> Path:
        return self.path / "best.weights.h5"

    def open(self, key: str) -> dict | None:
        """The folder's state if it was made under `key` (None: nothing to resume); a folder made
        under another key (other heads, settings or data) is removed, never resumed."""
        state = json.loads(self.state_file.read_text()) if self.state_file.is_file() else None
        if state is not None and state.get("key") != key:
            shutil.rmtree(self.path)
            state = None
        self.path.mkdir(parents=True, exist_ok=True)
        return state if state is not None and self.last.is_file() else None

    def save_best(self, model) -> None:
        with atomic_path(self.best) as tmp:
            model.save_weights(tmp)

    def save_epoch(self, model, state: dict) -> None:
        with atomic_path(self.last) as tmp:
            model.save(tmp)
        write_json_atomic(self.state_file, state)

    def save_history(self, state: dict) -> pd.DataFrame:
        history = pd.DataFrame(state["history"])
        write_parquet_atomic(history, self.path / "history.parquet")
        return history
