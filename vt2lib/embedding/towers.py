"""Networks that see the same batches, trained as towers of one model in one step (notebook 03).

The paper model and the leak-free model of one S train on the same windows in the same
order; only their heads differ. At the paper's batch 32 a GPU step is bound by its latency,
not its arithmetic, so two towers in one step cost less than two steps: 1.52x one network's
step with unrolled LSTMs, 1.84x looped (H200, tests/benchmarks/rates_h200.json). Each tower
keeps what it has when trained alone:

- its initial weights (each tower is built after reseeding, as `train` builds it);
- its losses: the joint loss is the sum of the towers' losses, and no weight is shared, so
  each tower's gradient is that of its own loss;
- its optimizer state: Adam's moments are per weight, and the towers step together;
- its dropout masks (each tower is reseeded on its own, as if it were the whole model);
- its early stopping and best checkpoint: each tower is evaluated alone on the validation
  windows, with its own loss, after every epoch. A tower that has stopped keeps training
  (it costs nothing extra in a latency-bound step), but its later epochs are never booked.

So each tower's final weights equal those of training it alone, to float tolerance
(tests/test_towers.py). Its folder holds what `train` leaves (state.json, last.keras,
best.weights.h5, history), so `train_model` opens it as any finished network. The joint
model and the towers' states are checkpointed in the first tower's folder (`towers/`)
after every epoch; a killed run resumes from there. The training history of a tower lists
its losses per head; its total training loss there leaves out the L2 term.

    results = train_towers({"paper": cfg_p, "leakfree": cfg_l}, data, split, {"paper": dir_p, "leakfree": dir_l})

Towers share every training setting but their heads:

>>> import dataclasses
>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("smoke")
>>> check_towers({"paper": cfg, "other": dataclasses.replace(cfg, batch_size=64)})
Traceback (most recent call last):
ValueError: tower 'other' differs from the first in ['batch_size']: train it alone
"""
from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path

from vt2lib.config import Profile
from vt2lib.embedding.epochs import (NetworkFolder, end_of_epoch, fresh_state, reseed, sequence_batches,
                                     set_determinism, validation_batches)
from vt2lib.embedding.model import HEAD_LOSSES, HEAD_NAMES, build_models, compile_training
from vt2lib.embedding.training import SequenceData, TrainResult, training_key
from vt2lib.io import atomic_path, read_json, write_json_atomic
from vt2lib.keras_backend import use_keras_backend
from vt2lib.store import TRAINING_FIELDS

CHECKPOINT = "towers"  # the joint model's checkpoint: a folder inside the first tower's folder


def tower_layer(name: str) -> str:
    return f"embedding_training_{name}"


def build_joint(keras, cfgs: dict[str, Profile], feature_dim: int, seq_len: int, n_trailers: int):
    """One model whose outputs are every tower's heads, named <tower>_<head>; compiled."""
    towers = {}
    for name, cfg in cfgs.items():
        set_determinism(cfg.seed)  # the initial weights a tower has when trained alone
        towers[name], _ = build_models(cfg, feature_dim, seq_len, n_trailers, name=tower_layer(name))
    inp = keras.Input((seq_len, feature_dim), name="keyframe_features")
    outputs = {f"{name}_{head}": out for name, tower in towers.items() for head, out in tower(inp).items()}
    joint = keras.Model(inp, outputs, name="towers")
    compile_joint(keras, joint, cfgs)
    return joint


def compile_joint(keras, joint, cfgs: dict[str, Profile]) -> None:
    first = next(iter(cfgs.values()))
    losses, weights = {}, {}
    for name, cfg in cfgs.items():
        for head, w in zip(HEAD_NAMES, cfg.loss_weights):
            if head in cfg.heads:
                losses[f"{name}_{head}"], weights[f"{name}_{head}"] = HEAD_LOSSES[head], w
    joint.compile(optimizer=keras.optimizers.Adam(first.learning_rate), loss=losses, loss_weights=weights)


def joint_batches(keras, cfgs: dict[str, Profile]):
    """Batches of the union of the towers' heads, targets renamed <tower>_<head>."""
    heads = tuple(h for h in HEAD_NAMES if any(h in c.heads for c in cfgs.values()))
    Base = sequence_batches(keras)

    class JointBatches(Base):
        def __init__(self, data, idx, batch_size, order_seed, max_batches):
            super().__init__(data, idx, heads, batch_size, order_seed, max_batches)

        def __getitem__(self, b):
            x, y, *w = super().__getitem__(b)
            rename = {f"{n}_{h}": h for n, c in cfgs.items() for h in c.heads}
            weights = ({k: w[0][h] for k, h in rename.items()},) if w else ()
            return (x, {k: y[h] for k, h in rename.items()}, *weights)
    return JointBatches


def check_towers(cfgs: dict[str, Profile]) -> None:
    """Towers share every training setting but their heads (they see the same batches)."""
    first = next(iter(cfgs.values()))
    for name, cfg in cfgs.items():
        differ = [f for f in TRAINING_FIELDS if getattr(cfg, f) != getattr(first, f)]
        if differ:
            raise ValueError(f"tower {name!r} differs from the first in {differ}: train it alone")


def train_towers(cfgs: dict[str, Profile], data: SequenceData, split, out_dirs: dict[str, Path],
                 stop_after_epoch: int | None = None, progress: bool = True,
                 labels: dict[str, str] | None = None) -> dict[str, TrainResult]:
    """Train the networks of `cfgs` (name -> profile with its heads) as towers of one model; each
    epoch's line names a tower by `labels` (default: its folder's name)."""
    check_towers(cfgs)
    cfg = next(iter(cfgs.values()))
    use_keras_backend(cfg)
    import keras
    out_dirs = {n: Path(d) for n, d in out_dirs.items()}
    keys = {n: training_key(c, data, split) for n, c in cfgs.items()}
    ckpt = out_dirs[next(iter(cfgs))] / CHECKPOINT
    folders = {n: NetworkFolder(d) for n, d in out_dirs.items()}
    for name, folder in folders.items():
        folder.open(keys[name])  # made under other settings: removed
    saved = read_json(ckpt / "state.json")
    if saved.get("keys") == keys and (ckpt / "last.keras").is_file():
        with warnings.catch_warnings():  # the towers' own optimizers are never stepped (they only evaluate)
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            joint = keras.saving.load_model(ckpt / "last.keras", compile=True)
        states = saved["states"]
    else:
        shutil.rmtree(ckpt, ignore_errors=True)
        joint = build_joint(keras, cfgs, data.features.shape[1], data.seq_len, data.n_trailers)
        states = {n: fresh_state(keys[n]) for n in cfgs}
    towers = {n: joint.get_layer(tower_layer(n)) for n in cfgs}
    for name, tower in towers.items():
        compile_training(tower, cfgs[name])  # for evaluating it alone, with its own loss
    train_idx, val_idx = split
    Batches, JointBatches = sequence_batches(keras), joint_batches(keras, cfgs)
    val = {n: validation_batches(Batches, data, val_idx, c) for n, c in cfgs.items()}
    active = lambda: [n for n, s in states.items() if not s["done"] and s["epoch"] < cfg.max_epochs]  # noqa: E731
    while active():
        epoch = max(s["epoch"] for s in states.values())
        for tower in towers.values():
            reseed(tower, cfg.seed * 1000 + epoch)
        start = time.time()
        hist = joint.fit(JointBatches(data, train_idx, cfg.batch_size, [cfg.seed, epoch], cfg.max_steps_per_epoch),
                         epochs=1, verbose=0, shuffle=False).history
        seconds = time.time() - start
        for name in active():
            losses = {f"{h}_loss": float(hist[f"{name}_{h}_loss"][-1]) for h in cfgs[name].heads}
            row = {"epoch": epoch + 1, "seconds": seconds, "loss": sum(losses.values()), **losses}
            if len(val_idx):
                row.update({f"val_{k}": float(v) for k, v in
                            towers[name].evaluate(val[name], verbose=0, return_dict=True).items()})
            label = (labels or {}).get(name, out_dirs[name].name)
            if end_of_epoch(states[name], row, cfg, label if progress else None):
                folders[name].save_best(towers[name])
        _checkpoint(joint, states, keys, ckpt)
        if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch:
            break
    results = {}
    for name, tower in towers.items():
        state = states[name]
        if not (state["done"] or state["epoch"] >= cfg.max_epochs):
            continue  # an interrupted call (stop_after_epoch): nothing final yet
        tower.load_weights(folders[name].best)
        folders[name].save_epoch(tower, state)  # what `train` leaves: train_model opens it as any network
        history = folders[name].save_history(state)
        results[name] = TrainResult(tower, history, state["best_epoch"], float(history.seconds.mean()))
    if len(results) == len(cfgs):
        shutil.rmtree(ckpt, ignore_errors=True)
    return results


def _checkpoint(joint, states: dict, keys: dict, ckpt: Path) -> None:
    """The joint model with Adam's state, then the towers' states (written last: the epoch is complete)."""
    ckpt.mkdir(parents=True, exist_ok=True)
    with atomic_path(ckpt / "last.keras") as tmp:
        joint.save(tmp)
    write_json_atomic(ckpt / "state.json", {"keys": keys, "states": states})
