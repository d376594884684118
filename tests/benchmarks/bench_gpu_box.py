"""The rates behind RESULTS.md's "ml20m on one GPU box" table, measured on the machine it runs on.

    python3 tests/benchmarks/bench_gpu_box.py [features training training_towers fm fm_repeat content]
    python3 tests/benchmarks/bench_gpu_box.py step:20:towers:unrolled     # one training configuration
    VT2_BENCH_STEPS=30 VT2_RATES_JSON=rates.json python3 tests/benchmarks/bench_gpu_box.py training_towers
    VT2_BENCH_TINY=1 python3 tests/benchmarks/bench_gpu_box.py            # seconds on a CPU: runs, not rates
    python3 tests/benchmarks/bench_gpu_box.py smoke_notebooks             # smoke's 01-10, Keras and FM on JAX

Each stage runs the ml20m profile's heavy step at its real sizes on synthetic inputs (no data
files, no network) and prints one `RATE <stage> <value> <unit>` line:
- features: frozen MobileNetV2 (alpha 1.0, 224x224, batch 256, the profile's backend and precision:
  float32) on uint8 keyframes, timed after its XLA compile: keyframes/s, and the compile's seconds;
- training: the paper's embedding network (2x256 BiLSTM, 1280-d features, S = 10, batch 32, all
  three heads, 13,571 trailer ids) for 200 steps after a warm-up, its windows gathered per batch
  from a float16 cache as notebook 03 does: sequences/s;
- training_towers: the paper and the leak-free network as two towers of one model (notebook 03
  on ml20m): sequences/s per tower and the step-time ratio of two towers to one network;
- fm: the JAX Gibbs sampler at rank 32 on an ML20M-sized fold (15.1M train ratings): s/sweep;
- fm_ranking (named only): notebook 10's FM sweep, predicting every movie for ml20m's ranking
  users, over the same fold's plain sweep: the ranking_fm_factor the projection assumes (2x) until measured;
- fm_repeat: the sampler twice with one seed on a reference fold: largest difference and RMSEs;
- content: the similarity matrix of 256-d item vectors (s/method, built once per method) and Eq. 1
  for every test pair of that fold (numba, all cores): s/fold;
- side_by_side (named only): notebook 03's three networks on ml20m (S = 10 towers, S = 20 towers,
  the genre diagnostic; unrolled) in three processes on one GPU: each one's step time alone and
  beside the others, and the largest slowdown (x): the lever for 03 that the projection prints.
smoke_notebooks (no rate) runs the smoke profile's notebooks 01-10 under papermill with both Keras
stages and the FM on JAX: the README's GPU path end to end; the runner prints each notebook's seconds.
On a GPU box it is run by device_check.sh (< 4 minutes); on a CPU it measures the same steps.
numba, pandas and papermill are imported by the stages that use them only; content (numba),
fm_repeat (scikit-learn) and smoke_notebooks (the scientific stack) say in one line what this
Python lacks and skip themselves.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1]),
                str(Path(__file__).resolve().parents[2])]
from vt2lib.profiles import load_profile  # noqa: E402

# Random weights: ImageNet's cost the same per keyframe, and the box cannot download them.
ML20M = dataclasses.replace(load_profile("ml20m"), backbone_weights="none")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """What the stages run at: ml20m's sizes, or with VT2_BENCH_TINY=1 a few seconds' worth on a
    CPU, to check that every stage imports and runs (its rates mean nothing)."""
    feature_batch: int = ML20M.feature_batch_size
    feature_batches: int = 20   # timed, after the one that compiles
    trailers: int = 13_571      # ML20M's trailer ids: the classes of the trailer-id head
    steps: int = 200            # training steps timed
    fold: tuple = ()            # synthetic_fold's (n_users, n_items, n_ratings); () = ML20M's
    fm_repeat_sweeps: int = 100


SIZES = (Sizes(feature_batch=8, feature_batches=2, trailers=100, steps=3, fold=(2_000, 500, 40_000),
               fm_repeat_sweeps=5) if os.environ.get("VT2_BENCH_TINY") == "1" else Sizes())
STEPS = int(os.environ.get("VT2_BENCH_STEPS", SIZES.steps))  # training steps timed (a CPU: fewer)


def skipped(stage: str, *modules: str) -> bool:
    """Whether this Python lacks any of `modules`, which `stage` imports; if so, one line says which."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        print(f"SKIP {stage}: this Python lacks {', '.join(missing)}", flush=True)
    return bool(missing)


def where() -> str:
    """The machine a rate is measured on: its GPU, or its CPU and core count."""
    import platform
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10).stdout.strip().splitlines()
    except OSError:
        gpu = []
    return gpu[0] if gpu else f"CPU {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def rate(stage: str, value: float, unit: str, note: str = "") -> None:
    """Print `RATE stage value unit note`; with VT2_RATES_JSON set, also add it to that JSON file
    (project_ml20m.py --rates reads it)."""
    print(f"RATE {stage} {value:.4g} {unit}  {note}", flush=True)
    if os.environ.get("VT2_RATES_JSON"):
        from vt2lib.io import update_json
        update_json(os.environ["VT2_RATES_JSON"], stage, {"value": value, "unit": unit, "note": note,
                                                          "where": f"measured: {where()}, bench_gpu_box.py"})


def features() -> None:
    """MobileNetV2 at ml20m's size, batch and precision, timed after its compile (RATE features), and
    the compile's seconds (RATE features_compile: once per run of 02)."""
    from vt2lib.video.features import build_frame_encoder
    size, batch, n_batches = ML20M.image_size, SIZES.feature_batch, SIZES.feature_batches
    x = np.random.default_rng(0).integers(0, 256, (batch, size, size, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    encoder, _ = build_frame_encoder(ML20M)
    print(f"  MobileNetV2 built in {time.perf_counter() - t0:.1f} s; compiling at batch {batch} ...", flush=True)
    t0 = time.perf_counter()
    encoder.predict_on_batch(x)  # XLA compiles (and autotunes) for this shape here, before the timed batches
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(n_batches):
        out = encoder.predict_on_batch(x)
    np.asarray(out)
    what = (f"MobileNetV2 {size}x{size}, batch {batch}, {ML20M.feature_backend}, "
            f"{'mixed precision' if ML20M.mixed_precision else 'float32'}")
    rate("features", n_batches * batch / (time.perf_counter() - t0), "keyframes/s",
         f"{what}, {n_batches} batches after the compile")
    rate("features_compile", compile_s, "s", f"{what}: XLA compile + first batch")


def sequence_data(n_trailers: int, seq_len: int):
    """03's SequenceData over random float16 features: two windows per trailer, so the trailer-id
    head has ML20M's 13,571 classes while the cache stays small (0.6 GB at S = 10, 0.9 GB at 20)."""
    import pandas as pd

    from vt2lib.embedding.training import SequenceData
    from vt2lib.video.features import FeatureCache
    rng = np.random.default_rng(0)
    keyframes_per_trailer = seq_len + ML20M.sequence_shift + 1
    n = n_trailers * keyframes_per_trailer
    features = rng.gamma(0.6, 0.5, (n, 1280)).astype(np.float16)
    ids = [f"t{k:010d}" for k in range(n_trailers)]
    index = pd.DataFrame({"youtube_id": ids, "offset": np.arange(n_trailers) * keyframes_per_trailer,
                          "n_keyframes": keyframes_per_trailer})
    trailers = pd.DataFrame({"youtube_id": ids, "movieId": np.arange(n_trailers), "genres": "Drama|Comedy",
                             "mean_rating": rng.uniform(0.5, 5, n_trailers)})
    return SequenceData.build(FeatureCache(features, index), trailers, seq_len, ML20M.sequence_shift)


def _timed_fit(model, batches) -> float:
    """Seconds per step of one epoch of `batches` (the model compiled already)."""
    t0 = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0, shuffle=False)
    return (time.perf_counter() - t0) / len(batches)


def compiled_step(seq_len: int, towers: bool, unroll: bool, n_trailers: int = SIZES.trailers):
    """(model, batches(n_steps)) of one batch-32 training configuration, compiled: the paper's network
    (or the paper + leak-free towers of notebook 03 with train_towers), its windows gathered from the
    float16 cache per batch as 03 does; with `unroll`, the LSTMs' time steps unrolled (lstm_unroll)."""
    import keras

    from vt2lib.embedding.epochs import sequence_batches
    from vt2lib.embedding.model import build_models
    from vt2lib.embedding.towers import build_joint, joint_batches
    from vt2lib.embedding.training import model_config
    cfg = dataclasses.replace(ML20M, lstm_unroll=unroll)
    data = sequence_data(n_trailers, seq_len)
    if towers:
        cfgs = {m: model_config(cfg, m) for m in ("paper", "leakfree")}
        model, Batches = build_joint(keras, cfgs, 1280, seq_len, n_trailers), joint_batches(keras, cfgs)
        batches = lambda idx, order, n: Batches(data, idx, 32, order, n)  # noqa: E731
    else:
        model, _ = build_models(cfg, 1280, seq_len, n_trailers)
        Base = sequence_batches(keras)
        batches = lambda idx, order, n: Base(data, idx, cfg.heads, 32, order, n)  # noqa: E731
    model.fit(batches(np.arange(64), None, None), epochs=1, verbose=0)  # compile
    return model, lambda steps: batches(np.arange(len(data.seq_offset)), [0, 0], steps)


def step_seconds(seq_len: int, towers: bool, unroll: bool, steps: int = STEPS,
                 n_trailers: int = SIZES.trailers) -> float:
    """Seconds per step of one training configuration (compiled_step), after its compile."""
    model, batches = compiled_step(seq_len, towers, unroll, n_trailers)
    return _timed_fit(model, batches(steps))


# notebook 03's networks on ml20m: the towers of each S and the genre diagnostic (one network, S = 10)
SIDE_BY_SIDE = ((10, True), (20, True), (10, False))


def _side_by_side_worker(k: int, barrier, results, steps: int) -> None:
    """One of SIDE_BY_SIDE's networks in its own process: compiled, timed alone in its turn, then
    timed while the others step beside it."""
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # as 03's side-by-side workers: share the GPU
    model, batches = compiled_step(*SIDE_BY_SIDE[k], unroll=True)
    barrier.wait()
    alone = None
    for turn in range(len(SIDE_BY_SIDE)):
        if turn == k:
            alone = _timed_fit(model, batches(steps))
        barrier.wait()
    results.put((k, alone, _timed_fit(model, batches(steps))))


def side_by_side(steps: int = STEPS) -> None:
    """03's three networks (unrolled) in three processes on one GPU: each one's step time alone and
    with the other two stepping beside it. RATE side_by_side_slowdown: the largest ratio of the two;
    below 3, training them side by side beats one after the other (project_ml20m.py prints the lever)."""
    import multiprocessing
    spawn = multiprocessing.get_context("spawn")  # JAX must not be forked once initialised
    barrier, results = spawn.Barrier(len(SIDE_BY_SIDE)), spawn.Queue()
    workers = [spawn.Process(target=_side_by_side_worker, args=(k, barrier, results, steps))
               for k in range(len(SIDE_BY_SIDE))]
    for w in workers:
        w.start()
    times = dict((k, (alone, together)) for k, alone, together in (results.get() for _ in workers))
    for w in workers:
        w.join()
    ratios = {k: together / alone for k, (alone, together) in times.items()}
    parts = ", ".join(f"{step_name(S, towers, True)} {times[k][0] * 1e3:.1f} -> {times[k][1] * 1e3:.1f} ms"
                      for k, (S, towers) in enumerate(SIDE_BY_SIDE))
    rate("side_by_side_slowdown", max(ratios.values()), "x", f"{len(SIDE_BY_SIDE)} processes side by side: {parts}")


def step_rate(seq_len: int, towers: bool, unroll: bool) -> None:
    """RATE step_s<S>_<one|towers>[_unrolled]: seconds per batch-32 step (project_ml20m.py reads it)."""
    seconds = step_seconds(seq_len, towers, unroll)
    what = "paper + leak-free as 2 towers" if towers else "the paper's network"
    rate(step_name(seq_len, towers, unroll), seconds, "s/step",
         f"{what}, S = {seq_len}, batch 32, LSTMs {'unrolled' if unroll else 'as a loop'}, "
         f"{32 * (2 if towers else 1) / seconds:,.0f} sequences/s in all")


def step_name(seq_len: int, towers: bool, unroll: bool) -> str:
    return f"step_s{seq_len}_{'towers' if towers else 'one'}{'_unrolled' if unroll else ''}"


def training(steps: int = STEPS, n_trailers: int = SIZES.trailers, seq_len: int = 10) -> float:
    """The paper's network, S = 10, LSTMs as a loop: sequences/s."""
    one = 32 / step_seconds(seq_len, False, False, steps, n_trailers)
    rate("training", one, "sequences/s", f"2x{ML20M.lstm_units} BiLSTM, S = {seq_len}, batch 32, "
         f"{ML20M.keras_backend}, windows gathered per batch as in 03")
    return one


def training_towers(steps: int = STEPS, n_trailers: int = SIZES.trailers, seq_len: int = 10) -> None:
    """The paper and the leak-free network as two towers of one model: sequences/s per tower,
    and the step time of two towers over one network's."""
    one = training(steps, n_trailers, seq_len)
    two = 32 / step_seconds(seq_len, True, False, steps, n_trailers)
    rate("training_towers", two, "sequences/s", f"per tower, 2 towers (paper + leak-free) in one step, S = {seq_len}")
    rate("tower_step_ratio", one / two, "x", "step time of 2 towers / 1 network")


def fm(n_sweeps: int = 5) -> None:
    from bench_content_based import synthetic_fold
    from bench_fm import jax_seconds_per_sweep
    train, test_u, test_i, _ = synthetic_fold(*SIZES.fold, dim=1)
    first, per = jax_seconds_per_sweep(train, test_u, test_i, ML20M.fm_rank, n_sweeps, flavour=ML20M.fm_flavour)
    rate("fm", per, "s/sweep", f"rank {ML20M.fm_rank}, {ML20M.fm_flavour} flavour, {len(train.user):,} train ratings, "
         f"compile+1st {first:.1f} s")


def fm_ranking(n_sweeps: int = 5) -> None:
    """Notebook 10's FM sweep on an ML20M-sized fold: its test pairs are every movie for each of
    ml20m's ranking_users users (pair_rows), predicted in every sweep, against the same fold's sweep
    with its own test ratings; both compiled first. RATE ranking_fm_factor: the ratio (x a fit)."""
    from bench_content_based import synthetic_fold
    from bench_fm import jax_seconds_per_sweep
    train, test_u, test_i, _ = synthetic_fold(*SIZES.fold, dim=1)
    flavour = ML20M.fm_flavour
    _, plain = jax_seconds_per_sweep(train, test_u, test_i, ML20M.fm_rank, n_sweeps, flavour=flavour)
    users = np.arange(min(ML20M.ranking_users, train.n_users), dtype=np.int32)
    grid_u, grid_i = np.repeat(users, train.n_items), np.tile(np.arange(train.n_items, dtype=np.int32), len(users))
    first, ranking = jax_seconds_per_sweep(train, grid_u, grid_i, ML20M.fm_rank, n_sweeps, flavour=flavour)
    rate("ranking_fm_factor", ranking / plain, "x a fit",
         f"a sweep predicting {len(users):,} users x {train.n_items:,} movies: {ranking:.4g} s, against "
         f"{plain:.4g} s with the fold's {len(test_u):,} test ratings; rank {ML20M.fm_rank}, {flavour} flavour, "
         f"{len(train.user):,} train ratings; the grid's prediction compiled and a first sweep: {first:.1f} s")


def fm_repeat() -> None:
    """The JAX sampler (libfm flavour, rank 8, 100 sweeps) twice with one seed on fold 0 of the
    planted reference set: the largest difference of the two runs and both RMSEs, beside libFM
    1.4.4's own RMSEs there (tests/data/libfm_reference.json). Older XLA versions can mis-sum
    deterministic scatter-adds over sorted, repeated indices (jax#27796): two equal but wrong
    runs would pass a repeatability check, not this RMSE."""
    if skipped("fm_repeat", "sklearn"):  # the reference set's folds are scikit-learn's KFold
        return
    import json

    from fm_reference_data import reference_set

    from vt2lib.rating.fm import fm_fit
    from vt2lib.rating.predictors import Ratings
    u, i, y, n_users, n_items, fold = reference_set("planted")
    tr, te = fold != 0, fold == 0
    train = Ratings(u[tr], i[tr], y[tr], n_users, n_items)
    preds = [fm_fit(train, u[te], i[te], rank=8, n_iter=SIZES.fm_repeat_sweeps, seed=0, backend="jax",
                    flavour="libfm").prediction for _ in range(2)]
    rmse = [float(np.sqrt(np.mean((p - y[te]) ** 2))) for p in preds]
    runs = json.loads((Path(__file__).resolve().parents[1] / "data" / "libfm_reference.json").read_text())["runs"]
    libfm = [r["fold_rmse"][0] for r in runs if r["set"] == "planted" and r["rank"] == 8 and not r["grouped"]]
    rate("fm_repeat", float(np.abs(preds[0] - preds[1]).max()), "max_abs_difference",
         f"RMSE {rmse[0]:.4f} and {rmse[1]:.4f}; libFM 1.4.4 on this fold {min(libfm):.4f}-{max(libfm):.4f} "
         f"({len(libfm)} chains)")


def content() -> None:
    if skipped("content", "numba"):  # Eq. 1's kernel
        return
    from bench_content_based import synthetic_fold

    from vt2lib.rating.predictors import content_based, similarity_matrix
    train, test_u, test_i, vectors = synthetic_fold(*SIZES.fold)
    content_based(train, test_u[:1000], test_i[:1000], similarity_matrix(vectors[:10]), np.zeros(train.n_items, int))
    t0 = time.perf_counter()
    sim = similarity_matrix(vectors)
    t1 = time.perf_counter()
    content_based(train, test_u, test_i, sim, np.arange(train.n_items))
    threads = os.environ.get("NUMBA_NUM_THREADS", os.cpu_count())
    rate("similarity", t1 - t0, "s/method", f"{len(vectors):,} x {len(vectors):,} from {vectors.shape[1]}-d vectors, "
         f"once per method; {threads} threads")
    rate("content", time.perf_counter() - t1, "s/fold", f"Eq. 1 for {len(test_u):,} test pairs; {threads} threads")


# What the notebooks and papermill import: the box's scientific stack and device_check.sh's carried wheels.
NOTEBOOK_MODULES = ("scipy", "sklearn", "statsmodels", "matplotlib", "seaborn", "cv2", "av", "pyarrow", "numba", "yaml",
                    "psutil", "h5py", "requests", "click", "attrs", "pandas", "tqdm", "papermill", "ipykernel")
SMOKE_ON_JAX = '''base = "smoke"
name = "smoke_jax"
keras_backend = "jax"
feature_backend = "jax"
fm_backend = "jax"
'''


def smoke_notebooks() -> None:
    """The smoke profile's notebooks 01-10 under papermill, both Keras stages and the FM on JAX, in a
    fresh output folder; the runner prints each notebook's seconds and stops at the first failure."""
    if skipped("smoke_notebooks", *NOTEBOOK_MODULES):
        return
    from vt2lib import runner
    work = Path(tempfile.mkdtemp(prefix="vt2_smoke_"))
    register_kernel(runner.KERNEL_NAME, work / "jupyter")
    os.environ["VT2_OUTPUT_ROOT"] = str(work / "out")  # data, runs and figures: not the checkout's
    profile = work / "smoke_jax.toml"
    profile.write_text(SMOKE_ON_JAX)
    runner.main([str(profile)])


def register_kernel(name: str, prefix: Path) -> None:
    """This Python as the notebooks' Jupyter kernel `name`, found through JUPYTER_PATH: a box has no
    .venv with run_all.sh's kernel, and this writes nothing into the box's own environment."""
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", name],
                   check=True, capture_output=True)
    os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")


STAGES = {"features": features, "training": training, "training_towers": training_towers, "fm": fm,
          "fm_ranking": fm_ranking, "fm_repeat": fm_repeat, "content": content, "smoke_notebooks": smoke_notebooks,
          "side_by_side": side_by_side}
RATE_STAGES = ["features", "training_towers", "fm", "fm_repeat", "content"]  # when none is named (towers time training)


def run_stage(name: str) -> None:
    """A stage by name; `step:<S>:<one|towers>[:unrolled]` times one training configuration."""
    if name.startswith("step:"):
        _, seq_len, kind, *unroll = name.split(":")
        return step_rate(int(seq_len), kind == "towers", unroll == ["unrolled"])
    return STAGES[name]()


if __name__ == "__main__":
    for name in sys.argv[1:] or RATE_STAGES:
        t = time.perf_counter()
        run_stage(name)
        print(f"  ({name}: {time.perf_counter() - t:.0f} s in all)", flush=True)
