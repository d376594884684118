"""Towers: the paper and the leak-free network trained as one model equal each trained alone."""
import dataclasses

import numpy as np
import pytest

from test_model import _toy_data, cfg  # noqa: F401 - the model tests' tiny profile (a fixture)


@pytest.fixture
def cfgs(cfg):
    from vt2lib.embedding.training import model_config
    base = dataclasses.replace(cfg, max_epochs=4, patience=1)
    return {m: model_config(base, m) for m in ("paper", "leakfree")}


@pytest.mark.parametrize("unroll", [1, 0], ids=["unrolled (ml20m)", "looped (smoke, demo)"])
def test_each_tower_equals_its_network_trained_alone_on_jax(unroll, tmp_path):
    """On the JAX backend that trains the profiles' networks (a subprocess: this process's Keras
    runs on TensorFlow), 5 steps per epoch, patience 1: one tower stops epochs before the other
    (the paper tower after 3, the leak-free one after 7), keeps its best weights while the other
    trains on, and each tower's losses, best epoch and best weights equal the network's trained
    alone (max abs weight difference measured: 0 on this CPU; XLA may fuse the joint step's sums
    differently elsewhere, hence atol 1e-5)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    here = Path(__file__).parent
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=os.pathsep.join([str(here), str(here.parent)]))
    run = subprocess.run([sys.executable, str(here / "towers_on_jax.py"), str(tmp_path), "--unroll", str(unroll)],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax" and report["unroll"] == bool(unroll) and report["steps_per_epoch"] >= 4
    first, last = sorted((report["paper"], report["leakfree"]), key=lambda m: m["epochs_tower"])
    assert last["epochs_tower"] - first["epochs_tower"] >= 2, report   # stopped epochs apart (3 and 7 here)
    assert first["best_epoch_tower"] < first["epochs_tower"]            # early stopping fired
    for m in (first, last):
        assert m["epochs_tower"] == m["epochs_alone"] and m["best_epoch_tower"] == m["best_epoch_alone"]
        np.testing.assert_allclose(m["val_loss_tower"], m["val_loss_alone"], rtol=1e-4)
        assert m["n_weights_tower"] == m["n_weights"] and m["max_weight_difference"] <= 1e-5


def test_interrupted_towers_resume_and_open_as_finished_networks(cfgs, tmp_path):
    from vt2lib.embedding.towers import train_towers
    from vt2lib.embedding.training import train
    data = _toy_data()
    split = data.split(0.2)
    dirs = {m: tmp_path / m for m in cfgs}
    full = train_towers(cfgs, data, split, {m: tmp_path / f"full_{m}" for m in cfgs}, progress=False)
    assert train_towers(cfgs, data, split, dirs, stop_after_epoch=1, progress=False) == {}
    assert (dirs["paper"] / "towers" / "state.json").is_file()
    resumed = train_towers(cfgs, data, split, dirs, progress=False)
    for m, c in cfgs.items():
        for x, y in zip(full[m].model.get_weights(), resumed[m].model.get_weights()):
            assert np.array_equal(x, y)
        opened = train(c, data, split, dirs[m], progress=False)  # what train_model does with the folder
        assert opened.best_epoch == full[m].best_epoch and (dirs[m] / "final.keras").is_file()
        for x, y in zip(full[m].model.get_weights(), opened.model.get_weights()):
            assert np.array_equal(x, y)
