"""Predictors on hand-computed cases, fallbacks, the authors' method equivalence, folds, caching, FM."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from vt2lib.io import DataError
from vt2lib.rating import predictors as P
from vt2lib.rating.evaluation import (
    CVData,
    assign_folds,
    fold_metrics,
    load_predictions,
    run_cv,
    summary_row,
)
from vt2lib.store import Store, digest

from reference_predictors import content_based_dense_reference


def R(users, items, ratings, n_users=None, n_items=None):
    return P.Ratings(np.array(users, np.int32), np.array(items, np.int32), np.array(ratings, np.float32),
                     n_users or max(users) + 1, n_items or max(items) + 1)


def test_paper_worked_example():
    """Fig. 4 / Eq. 1: s(A,D)=0.92 with 5.0, s(B,D)=0.34 with 2.0 -> 4.19."""
    sim = np.array([[1, .05, .37, .92], [.05, 1, .15, .34], [.37, .15, 1, .62], [.92, .34, .62, 1]], np.float32)
    train = R([0, 0], [0, 1], [5.0, 2.0], 1, 4)
    pred = P.content_based(train, np.array([0]), np.array([3]), sim, np.arange(4))
    assert round(float(pred.values[0]), 2) == 4.19


def test_baselines_by_hand():
    train = R([0, 0, 1, 1, 1], [0, 1, 0, 1, 2], [4, 2, 5, 3, 1], 3, 4)
    u, i = np.array([0, 1, 2]), np.array([2, 2, 3])
    assert P.global_mean(train, u, i).values == pytest.approx([3.0] * 3)
    um = P.user_mean(train, u, i)
    assert um.values == pytest.approx([3.0, 3.0, 3.0]) and um.fallbacks == {"no_train_ratings": 1}
    im = P.item_mean(train, np.array([0, 0]), np.array([0, 3]))
    assert im.values == pytest.approx([4.5, 3.0])
    b = P.bias_baseline(train, np.array([0]), np.array([0]), reg_item=0, reg_user=0, n_sweeps=50)
    assert 3.0 < b.values[0] <= 5.0


def test_fallbacks_are_counted():
    sim = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    train = R([0, 1], [0, 1], [4.0, 2.0], 3, 3)
    vec_row = np.array([0, 1, -1])  # item 2 has no vector
    pred = P.content_based(train, np.array([0, 2, 1, 0]), np.array([1, 0, 2, 0]), sim, vec_row)
    # (0,1): zero similarity mass -> user mean 4; (2,0): no ratings -> global 3; (1,2): no vector -> user mean 2
    assert pred.values.tolist() == [4.0, 3.0, 2.0, 4.0]
    assert pred.fallbacks == {"no_train_ratings": 1, "no_vector": 1, "zero_similarity": 1}


def test_top_k_uses_only_the_most_similar():
    sim = np.array([[1, .9, .1, .5], [.9, 1, .2, .3], [.1, .2, 1, .4], [.5, .3, .4, 1]], np.float32)
    train = R([0, 0, 0], [0, 1, 2], [5.0, 3.0, 1.0], 1, 4)
    top2 = P.content_based(train, np.array([0]), np.array([3]), sim, np.arange(4), top_k=2)
    assert top2.values[0] == pytest.approx((.5 * 5 + .4 * 1) / .9, abs=1e-5)


def test_vectorised_equals_authors_dense_method():
    rng = np.random.default_rng(1)
    n_u, n_i, n = 60, 40, 900
    pairs = np.unique(np.column_stack([rng.integers(0, n_u, n), rng.integers(0, n_i, n)]), axis=0)
    r = rng.integers(1, 11, len(pairs)) / 2
    test = rng.random(len(pairs)) < 0.2
    train = R(pairs[~test, 0], pairs[~test, 1], r[~test], n_u, n_i)
    vec = rng.normal(size=(35, 8))
    rows, usable = P.vector_rows(np.arange(n_i), np.arange(35), vec)
    sim = P.similarity_matrix(usable)
    fast = P.content_based(train, pairs[test, 0], pairs[test, 1], sim, rows)
    ref = content_based_dense_reference(train, pairs[test, 0], pairs[test, 1], sim, rows)
    ok = np.isfinite(ref)
    assert ok.sum() > 100
    np.testing.assert_allclose(fast.values[ok], ref[ok], rtol=1e-5)


def test_similarity_and_vector_errors():
    s = P.similarity_matrix(np.array([[1.0, 0], [-1.0, 0], [0, 1.0]]))
    assert s[0, 1] == pytest.approx(0) and s[0, 2] == pytest.approx(0.5) and s[0, 0] == pytest.approx(1)
    assert P.similarity_matrix(np.array([[1.0, 0], [-1.0, 0]]), "cosine")[0, 1] == pytest.approx(-1)
    with pytest.raises(ValueError, match="NaN"):
        P.similarity_matrix(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="duplicate movie ids"):
        P.vector_rows(np.arange(3), np.array([1, 1]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="2 ids for 3 vectors"):
        P.vector_rows(np.arange(3), np.array([1, 2]), np.ones((3, 2)))
    rows, usable = P.vector_rows(np.array([10, 20, 30]), np.array([30, 10]), np.array([[1.0, 0], [0, 0]]))
    assert rows.tolist() == [-1, -1, 0] and len(usable) == 1  # zero vector = no vector
    with pytest.raises(ValueError, match="outside the index"):
        P.content_based(R([0], [0], [3.0], 1, 1), np.array([5]), np.array([0]), np.ones((1, 1), np.float32), np.array([0]))


def test_folds_are_deterministic_kfold():
    from sklearn.model_selection import KFold
    a, b = assign_folds(103, 10, 42), assign_folds(103, 10, 42)
    assert np.array_equal(a, b) and np.bincount(a).tolist() == [11, 11, 11] + [10] * 7
    first_test = next(KFold(10, shuffle=True, random_state=42).split(np.zeros(103)))[1]
    assert np.all(a[first_test] == 0)


@pytest.fixture
def small_cv(smoke_cfg, tmp_path):
    cfg = dataclasses.replace(smoke_cfg, name="cvtest")
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"userId": rng.integers(1, 30, 400), "movieId": rng.integers(1, 20, 400)})
    table = table.drop_duplicates().reset_index(drop=True)
    table["rating"] = rng.integers(1, 11, len(table)) / 2
    table["fold"] = assign_folds(len(table), 3, 42)
    return cfg, CVData.from_folds(table)


def counting_user_mean(calls: list):
    """The user-mean predictor, noting each fold it is asked for."""
    def fn(tr, u, i, k):
        calls.append(k)
        return P.user_mean(tr, u, i)
    return fn


def test_cv_cache_resume_and_invalidation(small_cv):
    cfg, data = small_cv
    calls = []
    fn = counting_user_mean(calls)

    def killed_at_fold_1(tr, u, i, k):
        if k == 1:
            raise KeyboardInterrupt("killed")
        return fn(tr, u, i, k)

    with pytest.raises(KeyboardInterrupt):
        run_cv(cfg, data, "um", killed_at_fold_1, key="v1", progress=False)
    with pytest.raises(DataError, match="unfinished"):  # an unfinished artifact is never read
        load_predictions(cfg, "um")
    first = run_cv(cfg, data, "um", fn, key="v1", progress=False)  # resumes: fold 0 is kept
    assert calls == [0, 1, 2] and len(first) == len(data.table)
    run_cv(cfg, data, "um", fn, key="v1", progress=False)  # current: nothing is computed
    assert calls == [0, 1, 2]
    run_cv(cfg, data, "um", fn, key="v2", progress=False)  # other inputs: everything is recomputed
    assert calls == [0, 1, 2, 0, 1, 2]
    pd.testing.assert_frame_equal(load_predictions(cfg, "um").sort_values(["fold", "userId", "movieId"]).reset_index(drop=True),
                                  first.sort_values(["fold", "userId", "movieId"]).reset_index(drop=True))
    row = summary_row(fold_metrics(first))
    assert row["rmse_min"] <= row["rmse_median"] <= row["rmse_max"]


def test_max_folds_predicts_the_first_folds_and_reuses_a_complete_run(small_cv):
    """09's cold_start_folds: the first k folds only; where every fold is stored already (Table 1's
    run), its first k are read, never recomputed or overwritten."""
    cfg, data = small_cv
    cfg = dataclasses.replace(cfg, name="cv_max_folds")
    calls = []
    fn = counting_user_mean(calls)
    two = run_cv(cfg, data, "um", fn, key="v1", progress=False, max_folds=2)
    assert calls == [0, 1] and set(two.fold) == {0, 1}
    every = run_cv(cfg, data, "um", fn, key="v1", progress=False)  # Table 1: every fold, the first two again
    assert calls == [0, 1, 0, 1, 2] and set(every.fold) == {0, 1, 2}
    again = run_cv(cfg, data, "um", fn, key="v1", progress=False, max_folds=2)
    assert calls == [0, 1, 0, 1, 2]  # read from the complete run
    pd.testing.assert_frame_equal(again, every[every.fold < 2].reset_index(drop=True))
    assert set(load_predictions(cfg, "um").fold) == {0, 1, 2}  # the complete run is kept


def test_forked_folds_give_the_same_predictions_and_raise_the_same_errors(small_cv):
    """myfm's folds run in cfg.n_workers forked processes, an FM over chains as one task per fold and
    chain (vt2lib.rating.fold_runner): the numbers, each chain's included, are those of one process."""
    from vt2lib.rating import methods as M
    cfg, data = small_cv
    one, two = (dataclasses.replace(cfg, name=f"cv{n}", n_workers=n, fm_backend="myfm", fm_iters=8) for n in (1, 2))
    assert M.fm(two).parallel_folds and not M.get(two, "user_mean").parallel_folds
    for chains in (1, 2):
        a, b = (M.run(c, data, M.fm(c, name=f"fm{chains}", chains=chains), progress=False) for c in (one, two))
        assert ("chain1" in a) == (chains == 2)
        pd.testing.assert_frame_equal(a.sort_values(["fold", "userId", "movieId"]).reset_index(drop=True),
                                      b.sort_values(["fold", "userId", "movieId"]).reset_index(drop=True))

    def broken_in_fold_2(tr, u, i, k):
        if k == 2:
            raise ValueError("fold 2 broke")
        return P.user_mean(tr, u, i)
    with pytest.raises(ValueError, match="fold 2 broke"):
        run_cv(two, data, "broken", broken_in_fold_2, progress=False, workers=2)
    assert not (Store(two).path("predictions/broken") / "fold2.parquet").exists()

    def nan_in_chain_1(tr, u, i, k, c):
        return P.user_mean(tr, u, i) if c == 0 else P.Prediction(np.full(len(u), np.nan))

    def broken_chain(tr, u, i, k):  # forked, only its parts run
        raise AssertionError("the whole predictor ran")
    broken_chain.parts, broken_chain.part = 2, nan_in_chain_1
    broken_chain.combine = lambda runs: P.Prediction(np.mean([r.values for r in runs], axis=0))
    with pytest.raises(ValueError, match=r"broken_chain, fold \d: \d+ predictions are NaN/inf"):
        run_cv(two, data, "broken_chain", broken_chain, progress=False, workers=2)


# an error while the other workers send large results: 30 rounds of the race in a child process
_ERROR_RACE = """
import os, random, signal, sys, tempfile, time, types
from pathlib import Path
import numpy as np, pandas as pd
from vt2lib.rating.fold_runner import predict_folds
from vt2lib.rating.predictors import Prediction
n, folds = 240_000, 6
data = types.SimpleNamespace(table=pd.DataFrame({"rating": np.ones(n, np.float32)}), user=np.zeros(n, int),
                             item=np.zeros(n, int))
split = lambda k: (None, np.arange(k, n, folds))
rng = random.Random(0)
def fn(train, u, i, k):
    time.sleep(random.uniform(0, 0.02))
    return Prediction(np.full(len(u), np.nan if k == 0 else 3.0))
for _ in range(30):
    random.seed(rng.random())
    try:
        with tempfile.TemporaryDirectory() as out:
            predict_folds(Path(out), data, "race", fn, split, list(range(folds)), False, 2)
    except ValueError as e:
        assert "race, fold 0" in str(e), e
    else:
        sys.exit("fold 0's NaN was not refused")
def killed_in_fold_1(train, u, i, k):  # as the kernel's out-of-memory killer would
    if k == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return Prediction(np.full(len(u), 3.0))
try:
    with tempfile.TemporaryDirectory() as out:
        predict_folds(Path(out), data, "killed", killed_in_fold_1, split, [0, 1, 2], False, 2)
except RuntimeError as e:
    assert "killed: a worker process died" in str(e), e
else:
    sys.exit("a killed worker was not reported")
print("ok")
"""


def test_an_error_or_a_killed_worker_among_forked_folds_never_hangs():
    """The parent refuses fold 0's NaN while the other worker sends its fold (~0.6 MB, more than a
    pipe holds). multiprocessing.Pool's terminate() then killed that worker holding the result
    queue's lock and waited on the lock forever: with Pool this test failed 3 of 3 runs (the race
    hung in round 0-17 of bare Pool runs; in the suite it stalled a worker for minutes, 2026-12-07).
    30 rounds must end, each in the error, in a child process: a hang fails, never stalls the suite.
    A worker killed from outside while it computes (out of memory) is an error naming the method (Pool
    waited forever; killed while sending its result, the executor too can wait: not covered)."""
    import subprocess
    import sys
    try:
        out = subprocess.run([sys.executable, "-c", _ERROR_RACE], capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("an error in one fold left predict_folds waiting forever on its workers")
    assert out.returncode == 0 and out.stdout.split()[-1:] == ["ok"], out.stderr[-2000:]


_INTERRUPTED = """
import os, signal, sys, time, types
signal.signal(signal.SIGINT, signal.default_int_handler)  # pytest-xdist's workers ignore SIGINT, and so would this child
from pathlib import Path
import numpy as np, pandas as pd
from vt2lib.rating.fold_runner import predict_folds
from vt2lib.rating.predictors import Prediction
marks = Path(sys.argv[1])
data = types.SimpleNamespace(table=pd.DataFrame({"rating": np.ones(12)}), user=np.zeros(12, int), item=np.zeros(12, int))
def fn(train, u, i, k):
    (marks / f"fold{k}.{os.getpid()}").touch()  # started, by which worker
    time.sleep(3)
    return Prediction(np.full(len(u), 3.0))
predict_folds(marks / "out", data, "slow", fn, lambda k: (None, np.arange(k, 12, 6)), list(range(6)), False, 2)
"""


@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_among_forked_folds_ends_without_the_queued_folds_and_never_hangs(interrupts, tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal and Jupyter send it) while 2 workers compute
    2 of 6 slow folds: the workers are killed and no other fold starts (an executor given every task
    ran the 3 its queue held). Waiting for the running folds instead hung on a second Ctrl-C: the
    workers waited on their queue forever, or the executor's lock stayed held at exit (1 of 8 tries)."""
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil
    child = subprocess.Popen([sys.executable, "-c", _INTERRUPTED, str(tmp_path)], stderr=subprocess.PIPE,
                             start_new_session=True)
    workers = []
    try:
        deadline = time.time() + 60
        while len(list(tmp_path.glob("fold*"))) < 2 and time.time() < deadline:  # both workers compute
            time.sleep(0.05)
        workers = [psutil.Process(int(m.suffix[1:])) for m in tmp_path.glob("fold*")]
        for _ in range(interrupts):
            with contextlib.suppress(ProcessLookupError):  # the first may have ended it
                os.killpg(child.pid, signal.SIGINT)
            time.sleep(0.5)
        _, stderr = child.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        for process in (psutil.Process(child.pid), *workers):  # no orphans left behind by a failure
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        pytest.fail(f"still running 30 s after {interrupts} Ctrl-C")
    assert child.returncode != 0 and b"KeyboardInterrupt" in stderr
    assert len(list(tmp_path.glob("fold*"))) == 2  # no other fold started

    def alive(process):
        with contextlib.suppress(psutil.NoSuchProcess):
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        return False
    assert not [w for w in workers if alive(w)]


def test_choosing_the_fm_backend_never_starts_jax_in_the_process_that_forks():
    """`auto` asks a child process whether JAX sees a GPU: JAX's device query starts thread pools,
    and the myfm folds are forked from this process (JAX warned 'deadlock' on every fork)."""
    import subprocess
    import sys
    code = ("import sys\n"
            "from vt2lib.rating.fm import resolve_backend\n"
            "print(resolve_backend('auto'), 'jax' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "False" and out[-2] in ("myfm", "jax")


def test_a_machine_without_a_gpu_device_is_answered_without_a_child(monkeypatch, tmp_path):
    """No GPU device node: `auto` is myfm at once (the child costs ~2 s per notebook); with one,
    the child is asked, and its answer decides."""
    import subprocess

    from vt2lib.rating import fm
    asked = []

    def child(args, **kwargs):
        asked.append(args)
        return subprocess.CompletedProcess(args, 0, stdout="True\n")
    monkeypatch.setattr(fm.subprocess, "run", child)
    monkeypatch.setattr(fm.sys, "platform", "linux")
    for nodes, expected in (((str(tmp_path / "nvidiactl"),), "myfm"), ((str(tmp_path),), "jax")):
        fm._jax_sees_gpu.cache_clear()
        monkeypatch.setattr(fm, "GPU_DEVICE_NODES", nodes)
        assert fm.resolve_backend("auto") == expected
    fm._jax_sees_gpu.cache_clear()
    assert len(asked) == 1


def test_evaluate_folds_predicts_only_the_first_folds_under_its_own_key(small_cv):
    cfg, data = small_cv
    calls = []
    fn = counting_user_mean(calls)

    rehearsal = dataclasses.replace(cfg, evaluate_folds=2)
    part = run_cv(rehearsal, data, "um_part", fn, key="v1", progress=False)
    assert calls == [0, 1] and sorted(part.fold.unique()) == [0, 1]
    assert len(part) == int((data.table.fold < 2).sum())
    run_cv(cfg, data, "um_part", fn, key="v1", progress=False)  # all folds: another key, every fold again
    assert calls == [0, 1, 0, 1, 2]


def test_nan_predictions_never_reach_table1(small_cv):
    cfg, data = small_cv
    with pytest.raises(ValueError, match="NaN"):
        run_cv(cfg, data, "broken", lambda tr, u, i, k: P.Prediction(np.full(len(u), np.nan)), progress=False)


def test_digest_sees_array_changes():
    a = np.arange(5.0)
    assert digest(a, "x") == digest(a.copy(), "x") != digest(a + 1, "x")


def test_fm_beats_baselines_on_synthetic_data(smoke_raw):
    """Spread over 10 seeds (tests/benchmarks/spreads.json, smoke_fm): the FM's RMSE on this fold
    is 0.686 sd 0.007 (max 0.697); the user mean's 0.844 is 22 sd above it, the global mean
    higher still. (The sampler is deterministic for a seed on one machine; another machine's
    rounding makes another chain, which moves the RMSE as another seed does.)"""
    from vt2lib.rating.fm import fm_predict
    folds = smoke_raw.ratings[["userId", "movieId", "rating"]].copy()
    folds["fold"] = assign_folds(len(folds), 3, 42)
    data = CVData.from_folds(folds)
    train, test = data.split(0)
    y = folds.rating.to_numpy()[test]
    rmse = lambda p: float(np.sqrt(np.mean((p.values - y) ** 2)))
    fm = fm_predict(train, data.user[test], data.item[test], rank=4, n_iter=60, seed=1)
    again = fm_predict(train, data.user[test], data.item[test], rank=4, n_iter=60, seed=1)
    assert np.array_equal(fm.values, again.values)  # fixed seed per fold
    assert fm.values.min() >= 0.5 and fm.values.max() <= 5.0
    assert rmse(fm) < rmse(P.user_mean(train, data.user[test], data.item[test]))
    assert rmse(fm) < rmse(P.global_mean(train, data.user[test], data.item[test]))


def test_corrected_resampled_ttest_by_hand():
    """Nadeau & Bengio (2003): t = mean(d) / sqrt((1/J + n_test/n_train) var(d)), J - 1 df.
    d = (.01, .02, .015, .005, .01), 5 folds (ratio 1/4): mean .012, var 3.25e-5,
    t = .012 / sqrt(.45 * 3.25e-5) = 3.1379; the plain paired t is 4.7068."""
    from scipy import stats

    from vt2lib.rating.evaluation import corrected_resampled_ttest, paired_test
    d = np.array([0.01, 0.02, 0.015, 0.005, 0.01])
    t, p = corrected_resampled_ttest(d, 1 / 4)
    assert t == pytest.approx(3.1379, abs=1e-4) and p == pytest.approx(2 * stats.t.sf(3.1379, 4), rel=1e-3)
    out = paired_test(pd.Series(d + 1.0), pd.Series(np.ones(5)), n_folds=5)
    assert out["corrected_p"] == pytest.approx(p) and out["ttest_p"] < out["corrected_p"]
    assert corrected_resampled_ttest(np.zeros(5), 0.25) == (0.0, 1.0)


def test_paired_test_at_partial_folds_uses_the_split_ratio():
    """2 of 10 folds evaluated (the scale profile): n_test/n_train is 1/9, not 1/(J - 1) = 1.
    d = (.01, .03): mean .02, var 2e-4; t = .02 / sqrt((1/2 + 1/9) 2e-4) = 1.8091 (J - 1 = 1 df);
    with the wrong ratio 1 it would be .02 / sqrt(1.5 * 2e-4) = 1.1547."""
    from scipy import stats

    from vt2lib.rating.evaluation import paired_test
    out = paired_test(pd.Series([1.01, 1.03]), pd.Series([1.0, 1.0]), n_folds=10)
    assert out["corrected_t"] == pytest.approx(1.8091, abs=1e-4)
    assert out["corrected_p"] == pytest.approx(2 * stats.t.sf(1.8091, 1), rel=1e-3)


def test_paired_test_pairs_by_fold_and_answers_a_constant_difference_once():
    """The folds pair by index, in any order (the differences and every test alike); a difference
    that is the same non-zero number in every fold has no variance: both t-tests say NaN with a
    note (before: the plain t-test's p was 1 and the corrected one's 0), the Wilcoxon p stands."""
    from vt2lib.rating.evaluation import paired_test
    a = pd.Series([1.01, 1.04, 1.02, 1.00], index=[0, 1, 2, 3])
    b = pd.Series([1.00, 1.00, 1.01, 1.00], index=[0, 1, 2, 3])
    shuffled = paired_test(a, b.iloc[[2, 0, 3, 1]], n_folds=4)
    assert shuffled == paired_test(a, b, n_folds=4) and shuffled["mean_diff"] == pytest.approx(0.015)
    with pytest.raises(ValueError, match="pairs folds"):
        paired_test(a, b.iloc[:3], n_folds=4)
    same = paired_test(b + 0.02, b, n_folds=4)
    assert np.isnan(same["ttest_p"]) and np.isnan(same["corrected_p"]) and np.isnan(same["corrected_t"])
    assert "no variance" in same["note"] and same["wilcoxon_p"] == pytest.approx(2 / 2 ** 4)
    equal = paired_test(b, b, n_folds=4)
    assert equal["ttest_p"] == equal["corrected_p"] == equal["wilcoxon_p"] == 1.0 and "note" not in equal


def test_paired_test_with_one_fold_is_no_test():
    """One evaluated fold has no variance: every p is NaN with a reason, never p = 0."""
    from vt2lib.rating.evaluation import corrected_resampled_ttest, paired_test
    out = paired_test(pd.Series([0.9]), pd.Series([1.0]), n_folds=10)
    assert out["mean_diff"] == pytest.approx(-0.1) and out["n_folds"] == 1
    assert all(np.isnan(out[k]) for k in ("wilcoxon_p", "ttest_p", "corrected_t", "corrected_p"))
    assert "at least 2" in out["note"]
    assert all(np.isnan(v) for v in corrected_resampled_ttest([0.1], 1 / 9))
