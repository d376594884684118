"""The ml20m projection's arithmetic (tests/benchmarks/project_ml20m.py): windows, towers, rates."""
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import project_ml20m as P

from vt2lib.profiles import load_profile


def _seconds(cfg, stage):
    return next(s for name, _, s, _ in P.stages(cfg, {}) if name.startswith(stage))


def test_only_training_windows_are_counted():
    cfg = load_profile("ml20m")
    win = P.windows(cfg, np.array([60.0, 150.0, 12.0]))
    # 60 keyframes: 11 windows at S=10, 1 validation window (15 %: floor 1.65), a gap of 1, 9 train
    assert win[10]["all"] == 11 + 29 + 1 and win[10]["val"] == 1 + 4 + 0
    assert win[10]["train"] == 9 + 24 + 1  # the 12 s trailer's one window trains (too short to validate)
    full = P.windows(cfg, P.trailer_seconds())
    assert 0.7 < full[10]["train"] / full[10]["all"] < 0.9 and full[20]["train"] < full[10]["train"]


def test_towers_cost_their_measured_step_ratio(monkeypatch):
    cfg = load_profile("ml20m")
    assert cfg.train_towers
    apart = _seconds(dataclasses.replace(cfg, train_towers=False), "03")
    monkeypatch.setitem(P.RATES, "tower_step_ratio", (2.0, "x", "test"))
    assert _seconds(cfg, "03") == pytest.approx(apart)  # two towers at twice the step time: no gain
    monkeypatch.setitem(P.RATES, "tower_step_ratio", (1.0, "x", "test"))
    assert _seconds(cfg, "03") < 0.7 * apart


def test_rates_json_replaces_the_defaults_with_their_label(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "RATES", dict(P.RATES))
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"fm": {"value": 0.5, "unit": "s/sweep", "note": "rank 32",
                                       "where": "measured: NVIDIA H200, bench_gpu_box.py"}}))
    P.read_rates(path)
    assert P.RATES["fm"] == (0.5, "s/sweep", "measured: NVIDIA H200, bench_gpu_box.py: rank 32")
    cfg = load_profile("ml20m")
    assert _seconds(cfg, "06") == pytest.approx(cfg.n_folds * cfg.fm_iters * 0.5)


def test_02_streams_decoding_and_features(monkeypatch):
    cfg = load_profile("ml20m")
    monkeypatch.setitem(P.RATES, "features", (1e12, "keyframes/s", "test"))
    decode_only = _seconds(cfg, "02")
    monkeypatch.setitem(P.RATES, "features", (1.0, "keyframes/s", "test"))
    assert _seconds(cfg, "02") > decode_only  # the slower of the two, not their sum


def test_measured_step_times_replace_the_training_rate_per_s_and_setting(monkeypatch):
    """A step_s<S>_<one|towers>[_unrolled] rate (bench_gpu_box.py) is used for its S, tower setting
    and lstm_unroll; without one, the S = 10 rate stands in, linear in S."""
    cfg = load_profile("ml20m")
    assert cfg.lstm_unroll and P.step_seconds(cfg, 20, True)[1] == "training x tower_step_ratio, linear in S"
    monkeypatch.setitem(P.RATES, "step_s20_towers_unrolled", (0.5, "s/step", "test"))
    assert P.step_seconds(cfg, 20, True) == (0.5, "step_s20_towers_unrolled")
    assert P.step_seconds(dataclasses.replace(cfg, lstm_unroll=False), 20, True)[0] != 0.5
    monkeypatch.setitem(P.RATES, "step_s20_one", (0.25, "s/step", "test"))  # unrolled unmeasured: the loop's
    assert P.step_seconds(cfg, 20, False) == (0.25, "step_s20_one")
    fast = _seconds(cfg, "03")
    monkeypatch.setitem(P.RATES, "step_s20_towers_unrolled", (1.0, "s/step", "test"))
    win = P.windows(cfg, P.trailer_seconds())
    assert _seconds(cfg, "03") - fast == pytest.approx(min(P.EPOCHS, cfg.max_epochs) * win[20]["train"] / 32 * 0.5)


def test_cold_start_folds_bound_notebook_09():
    """Half the folds: half the FM fits and Eq. 1 runs; the similarity matrices are per setting."""
    cfg = load_profile("ml20m")
    every = _seconds(dataclasses.replace(cfg, cold_start_folds=None), "09")
    assert every / 2 < _seconds(dataclasses.replace(cfg, cold_start_folds=5), "09") < every * 0.52


def test_committed_box_rates_are_measured_on_the_box():
    rates = json.loads(P.MEASURED_ON_THE_BOX.read_text())
    assert all(r["where"].startswith("measured: NVIDIA H200") for r in rates.values())
    assert {"fm", "content", "similarity", "step_s10_towers_unrolled", "step_s20_towers_unrolled"} <= set(rates)
