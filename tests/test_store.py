"""The artifact store: a changed setting recomputes exactly what it touches, nothing else.

Unit tests of the keys, then the whole pipeline (notebooks 01-09, run in-process on a tiny
profile) rerun after changing one profile field at a time."""
import dataclasses
import json
import time

import pandas as pd
import pytest

from vt2lib.profiles import load_profile
from vt2lib.io import DataError
from vt2lib.results import load_metrics
from in_process import run_in_process
from vt2lib.store import Store, load_artifact_log


@pytest.fixture
def cfg(smoke_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    return dataclasses.replace(smoke_cfg, name="storetest")


def _chain(cfg):
    """clean -> features -> keyframe_status -> evaluation_ratings -> folds, with toy tables."""
    store = Store(cfg)
    store.save_tables("clean", {"ratings": pd.DataFrame({"rating": [4.0, 3.0]})})
    with store.produce("features") as art:
        (art.path / "a.npy").write_bytes(b"x")
    store.save_tables("keyframe_status", {"status": pd.DataFrame({"status": ["ok"]})})
    store.save_tables("evaluation_ratings", {"ratings": pd.DataFrame({"rating": [4.0]})})
    store.save_tables("folds", {"folds": pd.DataFrame({"fold": [0]})})
    return store


def test_changed_field_makes_its_artifact_and_those_after_it_stale(cfg):
    _chain(cfg)
    changed = Store(dataclasses.replace(cfg, keyframe_rule="every_nth"))
    assert not changed.current("features") and not changed.current("keyframe_status")
    assert changed.current("clean")
    # an unused field (every_n under the per-second rule) changes nothing
    assert Store(dataclasses.replace(cfg, keyframe_every_n=24)).current("features")
    with pytest.raises(DataError, match="stale.*02_keyframes"):
        changed.load_table("keyframe_status", "status")


def test_same_content_stops_the_recomputation(cfg):
    """New features give a new status key; if the status table is the same, its readers stay valid."""
    _chain(cfg)
    other = Store(dataclasses.replace(cfg, image_size=64))
    with other.produce("features") as art:
        (art.path / "a.npy").write_bytes(b"y")
    assert not other.current("keyframe_status")
    assert other.save_tables("keyframe_status", {"status": pd.DataFrame({"status": ["ok"]})}) == "computed"
    assert other.current("evaluation_ratings") and other.current("folds")


def test_unfinished_artifact_resumes_only_under_its_key(cfg):
    store = Store(cfg)
    store.save_tables("clean", {"ratings": pd.DataFrame({"rating": [4.0, 3.0]})})
    with pytest.raises(KeyboardInterrupt):
        with store.produce("keyframes") as art:
            (art.path / "done.npy").write_bytes(b"1")
            raise KeyboardInterrupt
    assert not store.current("keyframes")
    with store.produce("keyframes") as art:  # same key: the finished piece is still there
        assert (art.path / "done.npy").is_file() and not art.reused
    other = Store(dataclasses.replace(cfg, resize_mode="center_crop"))
    with other.produce("keyframes") as art:  # other key: started afresh
        assert not (art.path / "done.npy").exists()


def test_leakfree_model_key_ignores_the_evaluation_ratings(cfg):
    store = _chain(cfg)
    store.save_tables("evaluation_ratings", {"ratings": pd.DataFrame({"rating": [4.0]})})
    with store.produce("features"):
        pass
    before = {m: store.key(m) for m in ("model/s10", "model/s10_leakfree")}
    (store.path("evaluation_ratings") / ".artifact.json").unlink()
    store.save_tables("evaluation_ratings", {"ratings": pd.DataFrame({"rating": [1.0]})})  # other test ratings
    assert store.key("model/s10") != before["model/s10"]
    assert store.key("model/s10_leakfree") == before["model/s10_leakfree"]


def test_artifact_log_names_status_and_notebook(cfg, monkeypatch):
    monkeypatch.setenv("VT2_NOTEBOOK", "01_clean_dataset")
    Store(cfg).save_tables("clean", {"ratings": pd.DataFrame({"rating": [4.0]})})
    monkeypatch.setenv("VT2_NOTEBOOK", "05_content_based")
    Store(cfg).load_table("clean", "ratings")
    log = load_artifact_log(cfg)
    assert log["clean"]["status"] == "computed" and log["clean"]["notebook"] == "01_clean_dataset"
    with pytest.raises(ValueError, match="unknown artifact"):
        Store(cfg).path("models")



def test_a_network_is_known_by_the_profile_it_runs_under(cfg):
    """model/ and embeddings/ names are looked up among the profile's own networks: a diagnostic
    beyond its splits, or an unknown model, fails naming them; a profile with more splits has more."""
    store = Store(cfg)
    beyond = f"model/s10_genre_unseen{cfg.unseen_trailer_splits}"
    for name in (beyond, "model/s10_nope", "embeddings/s99"):
        with pytest.raises(ValueError, match=r"unknown network .*its networks: s10, s10_leakfree"):
            store.key(name)
    _chain(cfg)
    more = Store(dataclasses.replace(cfg, unseen_trailer_splits=cfg.unseen_trailer_splits + 1))
    assert more.key(beyond) != more.key("model/s10_genre_unseen0")

# ------------------------------------------------------------------ the whole pipeline, one field at a time
TINY = """base = "smoke"
synth_n_movies = 40
synth_n_users = 100
synth_trailer_seconds = [16, 24]
sequence_lengths = [10]
pca_sequence_length = 10
max_epochs = 1
unseen_trailer_splits = 1
n_folds = 2
fm_iters = 6
cold_n_ratings = [1]
cv_folds_r2 = 2
side_pca_dim = 8
n_workers = 1
keras_backend = "tensorflow"  # conftest.IN_PROCESS_KERAS: one Keras backend in the pytest process
figure_formats = []  # the walk reads artifacts and numbers: no figure files (drawing them was 40 of its 175 s)
"""


def _pred(name):
    return name.startswith("predictions/")


def _paper_emb(name):
    return _pred(name) and "emb" in name and "leakfree" not in name


def _any_emb(name):  # content on trailer embeddings or frozen features, or the FM with either as side features
    return _pred(name) and ("emb" in name or "trailer" in name or "frozen" in name)


VIDEO = {"keyframes", "keyframe_status", "features", "model/s10", "model/s10_leakfree", "model/s10_genre_unseen0",
         "embeddings/s10", "embeddings/s10_leakfree", "frozen_means"}
# field, new value, which artifacts must be computed (the rest reused), metrics that must change / stay
STEPS = [
    ("heads", ["rating", "genre"], lambda n: n in {"model/s10", "embeddings/s10"} or _paper_emb(n),
     ["rmse_median_emb512_s10"], ["rmse_median_emb512_s10_leakfree", "rmse_median_fm"]),
    ("image_size", 40, lambda n: n in VIDEO or _any_emb(n),
     ["rmse_median_emb512_s10_leakfree"], ["rmse_median_fm", "n_keyframes_total"]),
    ("keyframe_rule", "every_nth", lambda n: n in VIDEO | {"evaluation_ratings"} or _any_emb(n),
     ["n_keyframes_total"], ["rmse_median_fm"]),
    ("backbone_alpha", 0.5, lambda n: n in VIDEO - {"keyframes"} or _any_emb(n),
     ["rmse_median_emb512_s10_leakfree"], ["rmse_median_fm", "n_keyframes_total"]),
    ("fold_seed", 7, lambda n: n == "folds" or _pred(n),
     ["rmse_median_user_mean", "rmse_median_fm"], ["n_ratings_filtered"]),
    ("fm_rank", 3, lambda n: _pred(n) and "fm" in n,
     ["rmse_median_fm"], ["rmse_median_user_mean", "rmse_median_emb512_s10"]),
    ("similarity", "cosine", lambda n: _pred(n) and ("emb" in n or "metadata" in n or "frozen_mean" in n),
     ["rmse_median_metadata"], ["rmse_median_fm", "rmse_median_user_mean"]),
]


@pytest.mark.notebooks
def test_a_changed_field_recomputes_exactly_what_it_touches(tmp_path, monkeypatch, eager_tensorflow):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    profile = tmp_path / "tiny.toml"
    fields = TINY
    profile.write_text(fields)
    run_in_process(str(profile))
    cfg = load_profile(profile)
    before, metrics = load_artifact_log(cfg), load_metrics(cfg)
    assert all(a["status"] == "computed" for a in before.values())
    for field, value, expected, change, stay in STEPS:
        fields += f"{field} = {json.dumps(value)}\n"
        profile.write_text(fields)
        run_in_process(str(profile))
        log, new = load_artifact_log(cfg), load_metrics(cfg)
        assert set(log) == set(before), field
        computed = {n for n, a in log.items() if a["status"] == "computed"}
        assert computed == {n for n in log if expected(n)}, f"{field}: unexpected {computed ^ {n for n in log if expected(n)}}"
        assert all(new[m] != metrics[m] for m in change), f"{field}: {[(m, new[m]) for m in change]}"
        assert all(new[m] == metrics[m] for m in stay), f"{field}: {[(m, metrics[m], new[m]) for m in stay]}"
        metrics = new
    start = time.time()
    run_in_process(str(profile))  # unchanged: nothing is computed
    seconds = time.time() - start
    assert all(a["status"] == "reused" for a in load_artifact_log(cfg).values())
    assert load_metrics(cfg) == metrics
    print(f"unchanged rerun of 01-09 (in-process, tiny profile): {seconds:.1f} s")
