"""Notebook 03's networks, trained side by side: one process per network, `cfg.train_workers` at once.

A batch-32 BiLSTM leaves most of a GPU idle, so the ml20m profile trains its five networks at
once (tests/benchmarks/device_scale.sh measures the rate side by side). On a 2-core CPU it does
not pay: the demo's five networks took 204 s side by side and 210 s one after the other, as one
network already keeps 1.5 cores busy; the demo and smoke profiles train one at a time.

Each worker process trains one network with `train_model`, as the notebook's own process would:
it reseeds itself, so its weights are those of training the networks one after the other (the
demo's were identical; tests/test_notebooks.py compares every number of two smoke runs), and it
leaves its store folder complete. The notebook's process then opens every folder with
`train_model`, which finds the training done, restores the best epoch and returns the same
`TrainResult` as a serial run.

    jobs = [(m, S) for m in MODELS for S in cfg.sequence_lengths] + [(m, S0) for m in diagnostic_models(cfg)]
    trained = train_networks(cfg, data, jobs)       # {(model, S): TrainResult}

Workers are spawned, not forked: JAX and TensorFlow must not be forked once initialised. Their
per-epoch lines go to the process's stdout (papermill's log), not to the notebook.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed

from vt2lib.config import Profile, diagnostic_split, model_name
from vt2lib.embedding.training import SequenceData, TrainResult, model_artifact, sequence_data_for, train_model
from vt2lib.embedding.validation import unseen_trailer_inputs
from vt2lib.progress import tqdm
from vt2lib.store import Store


def training_inputs(cfg: Profile, data: SequenceData, model: str) -> tuple[SequenceData, tuple]:
    """What a network trains on: its sequences and their (train, validation) window indices."""
    part = diagnostic_split(model)
    if part is not None:
        seen, split, _ = unseen_trailer_inputs(cfg, data, part)
        return seen, split
    return data, data.split(cfg.val_share)


def _train_in_worker(cfg: Profile, model: str, seq_len: int, progress: bool) -> None:
    data = sequence_data_for(cfg, seq_len)
    train_model(cfg, *training_inputs(cfg, data, model), model, progress)


def train_networks(cfg: Profile, data: dict[int, SequenceData], jobs, progress: bool = True
                   ) -> dict[tuple[str, int], TrainResult]:
    """Train each (model, S) of `jobs` (resumable), `cfg.train_workers` processes at a time."""
    store = Store(cfg)
    todo = [(m, s) for m, s in jobs if not store.current(model_artifact(s, m))]
    if cfg.train_workers > 1 and len(todo) > 1:
        # longest first (S = 20, then S = 10, the diagnostic last): no worker is left with a long tail
        todo.sort(key=lambda job: (-job[1], diagnostic_split(job[0]) is not None))
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(cfg.train_workers, len(todo)), mp_context=spawn) as pool:
            running = {pool.submit(_train_in_worker, cfg, m, s, progress): (m, s) for m, s in todo}
            for done in tqdm(as_completed(running), total=len(running), unit="network",
                             desc=f"training {cfg.train_workers} side by side", disable=not progress):
                try:
                    done.result()
                except Exception as e:
                    model, seq_len = running[done]
                    raise RuntimeError(f"training {model_name(seq_len, model)} failed in its worker process: {e}") from e
    return {(m, s): train_model(cfg, *training_inputs(cfg, data[s], m), m, progress) for m, s in jobs}
