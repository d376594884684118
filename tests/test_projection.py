"""The ml20m projection's arithmetic (tests/benchmarks/project_ml20m.py): windows, towers, rates,
the assumed rates' shares and the peak disk with the video window."""
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import project_ml20m as P

from vt2lib.profiles import load_profile


@pytest.fixture(autouse=True)
def committed_rates(monkeypatch):
    """The rates the projection reads by default: the box's and this machine's committed files."""
    monkeypatch.setattr(P, "RATES", dict(P.RATES))
    monkeypatch.setattr(P, "THREADS", dict(P.THREADS))
    for path in (P.MEASURED_ON_THE_BOX, P.MEASURED_HERE):
        P.read_rates(path)


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


def _without_step_rates(monkeypatch):
    """As before the box measured any step time: the S = 10 rate times the tower ratio stands in."""
    for name in [n for n in P.RATES if n.startswith("step_")]:
        monkeypatch.delitem(P.RATES, name)


def test_towers_cost_their_measured_step_ratio(monkeypatch):
    _without_step_rates(monkeypatch)
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
    fit = cfg.fm_iters * 0.5 * P.TRAIN_RATINGS / P.FM_MEASURED_RATINGS  # the sweep, linear in training ratings
    assert _seconds(cfg, "06") == pytest.approx(cfg.n_folds * fit + P.RATES["fm_compile"][0])


def test_02_streams_decoding_and_features(monkeypatch):
    cfg = load_profile("ml20m")
    monkeypatch.setitem(P.RATES, "features", (1e12, "keyframes/s", "test"))
    decode_only = _seconds(cfg, "02")
    monkeypatch.setitem(P.RATES, "features", (1.0, "keyframes/s", "test"))
    assert _seconds(cfg, "02") > decode_only  # the slower of the two, not their sum


def test_measured_step_times_replace_the_training_rate_per_s_and_setting(monkeypatch):
    """A step_s<S>_<one|towers>[_unrolled] rate (bench_gpu_box.py) is used for its S, tower setting
    and lstm_unroll; without one, the S = 10 rate stands in, linear in S."""
    _without_step_rates(monkeypatch)
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
    assert _seconds(cfg, "03") - fast == pytest.approx(cfg.max_epochs * win[20]["train"] / 32 * 0.5)


def test_10_pays_every_grid_point_of_its_rankers_trained_for_top_n():
    """One more ALS l2 adds, per ranked fold, an inner ALS fit and its scoring to ALS and to the content
    maps' search, and the validations of each source and ridge l2 (the ridges' SVDs are shared): 10 grows
    by exactly that."""
    cfg = load_profile("ml20m")
    bigger = dataclasses.replace(cfg, als_l2=cfg.als_l2 + (1000.0,))
    alphas, folds, users = len(cfg.als_alpha) * len(cfg.ranking_positives), cfg.ranking_folds, cfg.ranking_users / 1e3
    fit = P.on_cores("ranking_als_fit", cfg.n_workers)
    scored = users * (P.RATES["ranking_factor_scores"][0] + P.RATES["ranking_metrics"][0])
    per_point = 2 * fit + scored + 3 * len(cfg.content_map_l2) * scored
    assert _seconds(bigger, "10") - _seconds(cfg, "10") == pytest.approx(folds * alphas * per_point)


def test_cold_start_folds_bound_notebook_09():
    """09's time is linear in its folds (FM fits, Eq. 1 runs, frozen_mean's per-fold PCA) plus
    what is paid once per setting (similarity matrices, compiles)."""
    cfg = load_profile("ml20m")
    t = {k: _seconds(dataclasses.replace(cfg, cold_start_folds=k), "09") for k in (1, 2, 4)}
    per_fold = t[2] - t[1]
    assert per_fold > 0 and t[4] - t[2] == pytest.approx(2 * per_fold)
    assert _seconds(dataclasses.replace(cfg, cold_start_folds=None), "09") == pytest.approx(t[1] + 9 * per_fold)


def test_one_fit_shared_by_the_few_ratings_settings_pays_two_cold_runs_per_fold():
    """With cold_shared_fit, 09 pays per fold two item-disjoint runs (the fully cold one and one shared by
    the few-ratings settings; each: FM on ids, 5 side-feature FMs of fm_side_chains chains at 1.5 a fit,
    09's 10 Eq. 1 methods, frozen_mean's matrix) instead of one per setting; the warm runs stay."""
    cfg = load_profile("ml20m")
    assert cfg.cold_shared_fit and len(cfg.cold_n_ratings) == 3
    own = dataclasses.replace(cfg, cold_shared_fit=False)
    folds, fit = cfg.cold_start_folds, P.fm_fit_seconds(cfg)
    content = 10 * (folds * P.on_cores("content", cfg.n_workers) + P.on_cores("similarity", cfg.n_workers))
    run = folds * ((1 + 5 * 1.5 * cfg.fm_side_chains) * fit + P.RATES["frozen_mean_fold"][0]) + content
    compiles = 6 * P.RATES["fm_compile"][0]  # FM on ids and the 5 side-feature shapes, per run
    assert _seconds(own, "09") - _seconds(cfg, "09") == pytest.approx(2 * (run + compiles))
    assert _seconds(dataclasses.replace(cfg, cold_n_ratings=()), "09") == pytest.approx(
        _seconds(dataclasses.replace(own, cold_n_ratings=()), "09"))  # fully cold alone: nothing to share


def test_a_lever_is_projected_with_the_field_it_changes(capsys):
    """`project_ml20m.py --set cold_start_folds=2` projects the derived profile: a lever's cost is one command."""
    def total(*argv):
        P.main(list(argv))
        line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("| **01-10**"))
        return float(line.split("**")[3].split()[0])
    assert total("--set", "cold_start_folds=2") < total()
    P.main(["--set", "cold_start_folds=2"])
    assert capsys.readouterr().out.startswith("Profile `ml20m+cold_start_folds=2`.")


def test_02_decodes_the_paper_s_frames_at_the_download_format_s_measured_rate(monkeypatch):
    """~5,000 frames a trailer (paper 3.2), decoded at the rate measured for the format download_format
    picks first (240p): 02 takes the slowest of decoding on n_workers, the features and fetching
    (each of download_threads YouTube sessions paced to a video every SESSION_SPACING_S), plus
    MobileNetV2's compile."""
    cfg = load_profile("ml20m")
    seconds = P.trailer_seconds()
    assert seconds.mean() == pytest.approx(200) and 2.6e6 < np.ceil(seconds).sum() < 2.8e6
    assert cfg.download_format.startswith("wv[vcodec^=avc1][height>=224]")
    rate = P.RATES[P.DECODE_RATE][0]
    assert P.RATES[P.DECODE_RATE][2].startswith("measured")
    frames, compiling = np.ceil(seconds).sum() * P.FPS, P.RATES["features_compile"][0]
    pauses = P.TRAILERS * P.SESSION_SPACING_S / cfg.download_threads
    assert _seconds(cfg, "02") == pytest.approx(max(frames / (rate * cfg.n_workers), pauses) + compiling)
    for fewer in ({"n_workers": 1, "download_threads": 64}, {"download_threads": 2}):  # decoding sets it, then fetching
        few = dataclasses.replace(cfg, **fewer)
        decoding = frames / (rate * few.n_workers)
        pauses = P.TRAILERS * P.SESSION_SPACING_S / few.download_threads
        assert _seconds(few, "02") == pytest.approx(max(decoding, pauses) + compiling)
        assert (decoding > pauses) == ("n_workers" in fewer)


def test_05_runs_twelve_eq1_methods_and_two_matrices_per_fold(monkeypatch):
    """Table 1's Eq. 1 rows on ML20M (genome included); frozen_mean's PCA matrix and the random
    similarities are made once per fold, every other method's matrix once."""
    cfg = load_profile("ml20m")
    base = _seconds(cfg, "05")
    monkeypatch.setitem(P.RATES, "frozen_mean_fold", (P.RATES["frozen_mean_fold"][0] + 1, "s/fold", "test"))
    assert _seconds(cfg, "05") - base == pytest.approx(cfg.n_folds)
    monkeypatch.setitem(P.RATES, "content", (P.RATES["content"][0] + 1, "s/fold", "test"))
    grown = _seconds(cfg, "05") - base - cfg.n_folds
    assert grown / cfg.n_folds / P.content_core_ratio(cfg) == pytest.approx(12)


def test_assumed_rates_report_the_share_of_the_total_they_carry(monkeypatch):
    """A rate labelled assumed carries the time that would go if its work were free; a measured one
    is not listed. Marking the FM sweep assumed makes it carry 06, 07, 09 and 10's fits."""
    cfg = load_profile("ml20m")
    shares = P.assumed_shares(cfg, {})
    assert set(shares) == {n for n in P.RATES if P.is_assumed(n)} and "fm" not in shares
    assert all(0 <= v < 1 for v in shares.values())
    monkeypatch.setitem(P.RATES, "fm", (P.RATES["fm"][0], "s/sweep", "assumed: test"))
    fm_work = sum(_seconds(cfg, st) for st in ("06", "07", "09", "10"))
    total = sum(r[2] for r in P.stages(cfg, {}))
    assert 0.1 < P.assumed_shares(cfg, {})["fm"] < fm_work / total


def test_ranking_factor_prices_the_grid_once_per_fm(monkeypatch):
    """10's two FMs (ids, and genres + trailer at 1.5 a sweep) predict the ranking grid in every sweep:
    factor f adds (f - 1) plain fits to each, not to the side features' 1.5; f = 1 (the grid free) is
    what its assumed share is measured against."""
    cfg = load_profile("ml20m")
    at = lambda f: (monkeypatch.setitem(P.RATES, "ranking_fm_factor", (f, "x a fit", "assumed: test")),  # noqa: E731
                    _seconds(cfg, "10"))[1]
    scorings = 2 * cfg.ranking_folds * cfg.fm_side_chains
    assert at(2.0) - at(1.0) == pytest.approx(2 * P.fm_fit_seconds(cfg) * scorings)
    assert P.free_value("x a fit") == 1.0


def test_peak_disk_counts_the_video_window():
    cfg = load_profile("ml20m")
    assert not cfg.keep_videos and cfg.video_window == 64
    assert P.video_window_bytes(cfg) == 64 * cfg.max_trailer_seconds * P.VIDEO_BYTES_PER_SECOND
    every = P.video_window_bytes(dataclasses.replace(cfg, keep_videos=True))
    assert every > 50 * P.video_window_bytes(cfg)  # keeping every video: ~340 GB at the 1 Mbit/s bound


def test_committed_rates_are_measured_where_they_say():
    rates = json.loads(P.MEASURED_ON_THE_BOX.read_text())
    assert all(r["where"].startswith("measured: NVIDIA H200") for r in rates.values())
    assert {"fm", "content", "similarity", "step_s10_towers_unrolled", "step_s20_towers_unrolled"} <= set(rates)
    here = json.loads(P.MEASURED_HERE.read_text())
    assert all(r["where"].startswith("measured") for r in here.values())
    assert {"decode_240p", "decode_360p", "frozen_mean_fold", "random_similarity_fold", "ranking_eq1", "ranking_metrics",
            "ranking_ease_gram", "ranking_ease_fit", "ranking_ease_scores", "ranking_als_fit", "ranking_factor_scores",
            "ranking_map_fit"} <= set(here)


def test_03_is_its_network_jobs_and_side_by_side_is_a_measured_lever(monkeypatch):
    """03 = the towers of each S + the genre diagnostic, one after the other; once the box measures
    their slowdown side by side, the projection prints at most that times the longest job, and a
    profile with train_workers > 1 projects its units on that many processes, each that much slower."""
    cfg = load_profile("ml20m")
    jobs = P.training_jobs(cfg, P.windows(cfg, P.trailer_seconds()))
    assert set(jobs) == {"S = 10", "S = 20", "genre diagnostic"}
    assert sum(jobs.values()) == pytest.approx(_seconds(cfg, "03"))
    assert "not measured" in P.side_by_side_lever(cfg)
    sbs = dataclasses.replace(cfg, train_workers=3)
    assert _seconds(sbs, "03") == pytest.approx(_seconds(cfg, "03"))  # unmeasured: one after the other
    monkeypatch.setitem(P.RATES, "side_by_side_slowdown", (1.5, "x", "measured: test"))
    assert f"at most {1.5 * max(jobs.values()) / 60:.0f} min instead of {sum(jobs.values()) / 60:.0f}" \
        in P.side_by_side_lever(cfg)
    assert _seconds(sbs, "03") == pytest.approx(1.5 * max(jobs.values()))  # each unit its own process
    longest, *rest = sorted(jobs.values(), reverse=True)
    two = dataclasses.replace(cfg, train_workers=2)  # the two shorter units share a process
    assert _seconds(two, "03") == pytest.approx(1.5 * max(longest, sum(rest)))
    assert _seconds(cfg, "03") == pytest.approx(sum(jobs.values()))  # train_workers 1
