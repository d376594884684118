"""Run libFM itself (srendle/libfm, built from source) on the FM reference sets; record its RMSEs.

CI cannot build libFM, so its numbers are recorded once, with their exact command lines, in
tests/data/libfm_reference.json; tests/test_libfm_reference.py runs our JAX sampler's `libfm`
flavour on the same ratings and folds and compares. To record again (libFM builds in about
20 s on 2 cores; nothing of it is kept in this repository):

    git clone https://github.com/srendle/libfm /tmp/libfm && make -C /tmp/libfm all
    .venv/bin/python tests/benchmarks/record_libfm_reference.py --libfm /tmp/libfm/bin/libFM \\
        --shared ../shared/data --out tests/data/libfm_reference.json

Per set (planted ML-100k-sized data, ml-latest-small), prior grouping (none, or users and
items as two groups: -meta) and rank (8, 32): 10 folds (tests/fm_reference_data.py), the
paper's command line (-method mcmc -iter 100 -init_stdev 0.1), libFM's -seed = the fold.
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fm_reference_data import reference_set  # noqa: E402

COMMAND = ("{libfm} -task r -method mcmc -dim '1,1,{rank}' -iter 100 -init_stdev 0.1 -seed {seed} "
           "-train train.libfm -test test.libfm -out pred.txt{meta}")


def write_libfm(path: Path, u, i, y, n_users) -> None:
    """libFM's text format: `rating user:1 (n_users + item):1` per line."""
    lines = [f"{r:g} {a}:1 {n_users + b}:1" for r, a, b in zip(y.tolist(), u.tolist(), i.tolist())]
    path.write_text("\n".join(lines) + "\n")


def run_fold(libfm: str, work: Path, data, k: int, rank: int, grouped: bool, seed: int) -> tuple[float, str]:
    u, i, y, n_users, n_items, fold = data
    tr, te = fold != k, fold == k
    write_libfm(work / "train.libfm", u[tr], i[tr], y[tr], n_users)
    write_libfm(work / "test.libfm", u[te], i[te], y[te], n_users)
    if grouped:  # one group per attribute: users 0, items 1
        (work / "meta.txt").write_text("\n".join(["0"] * n_users + ["1"] * n_items) + "\n")
    command = COMMAND.format(libfm=libfm, rank=rank, seed=seed, meta=" -meta meta.txt" if grouped else "")
    subprocess.run(shlex.split(command), cwd=work, check=True, capture_output=True, text=True)
    pred = np.loadtxt(work / "pred.txt")
    return float(np.sqrt(np.mean((pred - y[te]) ** 2))), command.replace(libfm, "libFM")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--libfm", required=True, help="the libFM binary")
    ap.add_argument("--shared", type=Path, required=True, help="../shared/data (for ml-latest-small)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--sets", nargs="+", default=["planted", "ml-latest-small"])
    ap.add_argument("--ranks", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--seed-offsets", type=int, nargs="+", default=[0],
                    help="libFM's -seed is fold + offset; several offsets measure libFM's own chain-to-chain spread")
    args = ap.parse_args()
    version = [line for line in subprocess.run([args.libfm, "-help"], capture_output=True, text=True).stdout.splitlines()
               if "Version" in line]
    rows = []
    for name in args.sets:
        data = reference_set(name, args.shared)
        for grouped in (False, True):
            for rank in args.ranks:
                for offset in args.seed_offsets:
                    start, rmse = time.time(), []
                    with tempfile.TemporaryDirectory() as tmp:
                        for k in range(int(data[-1].max()) + 1):
                            value, command = run_fold(args.libfm, Path(tmp), data, k, rank, grouped, k + offset)
                            rmse.append(value)
                    row = {"set": name, "grouped": grouped, "rank": rank, "seed_offset": offset,
                           "median_rmse": float(np.median(rmse)), "fold_rmse": rmse,
                           "command": command.replace(f"-seed {k + offset}", "-seed <fold + seed_offset>"),
                           "seconds": round(time.time() - start, 1)}
                    rows.append(row)
                    print(json.dumps({k: v for k, v in row.items() if k != "fold_rmse"}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"libfm": "srendle/libfm " + " ".join(version).strip(), "folds": "assign_folds(n, 10, 42)",
                                    "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
