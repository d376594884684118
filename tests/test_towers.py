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


def _assert_same_network(alone, tower, atol):
    assert alone.best_epoch == tower.best_epoch
    np.testing.assert_allclose(alone.history.val_loss, tower.history.val_loss, rtol=1e-4)
    a, t = alone.model.get_weights(), tower.model.get_weights()
    assert len(a) == len(t)
    for x, y in zip(a, t):
        np.testing.assert_allclose(x, y, atol=atol)


def test_each_tower_equals_its_network_trained_alone(cfgs, tmp_path):
    """Same initial weights, batches, dropout masks, Adam moments and early stopping: the towers'
    best weights equal the separately trained networks' to float tolerance (max abs difference
    measured: 0 on this CPU; XLA may fuse the joint step's sums differently elsewhere)."""
    from vt2lib.embedding.towers import train_towers
    from vt2lib.embedding.training import train
    data = _toy_data()
    split = data.split(0.2)
    alone = {m: train(c, data, split, tmp_path / m, progress=False) for m, c in cfgs.items()}
    towers = train_towers(cfgs, data, split, {m: tmp_path / f"t_{m}" for m in cfgs}, progress=False)
    assert set(towers) == set(cfgs)
    for m in cfgs:
        _assert_same_network(alone[m], towers[m], atol=1e-5)
    assert not (tmp_path / "t_paper" / "towers").exists()  # the joint checkpoint goes once both are final


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
