"""Run the numbered notebooks of a profile headlessly with papermill (what run_all.sh calls).

    python -m vt2lib.runner demo                 # every notebook, in order
    python -m vt2lib.runner smoke --only 01,02   # a subset
    python -m vt2lib.runner my_profile.toml

Executed copies go to runs/<profile>/notebooks/ (git-ignored); the run stops at the first
failing notebook and names it. After a full run it writes the provenance and the
reproduction report (runs/<profile>/REPORT.md).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from .config import PROJECT_ROOT, load_profile

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
KERNEL_NAME = "vt2"


def numbered_notebooks(only: set[str] | None = None) -> list[Path]:
    nbs = sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    return [p for p in nbs if only is None or p.name[:2] in only]


def ensure_kernel() -> None:
    """Register this interpreter as the Jupyter kernel 'vt2' (inside the environment)."""
    from jupyter_client.kernelspec import KernelSpecManager
    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
                        "--display-name", "Python (vt2)"], check=True, capture_output=True)


def run_notebooks(profile: str, only: set[str] | None = None, log=print) -> dict[str, float]:
    import papermill as pm
    if Path(profile).suffix in (".toml", ".yml", ".yaml"):
        profile = str(Path(profile).resolve())
    cfg = load_profile(profile)
    ensure_kernel()
    out_dir = cfg.run_dir / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    notebooks = numbered_notebooks(only)
    if not notebooks:
        raise SystemExit(f"no notebooks match --only {sorted(only or [])}")
    for nb in notebooks:
        log(f"[{cfg.name}] {nb.name} ...")
        start = time.time()
        try:
            pm.execute_notebook(str(nb), str(out_dir / nb.name), parameters={"PROFILE": profile},
                                kernel_name=KERNEL_NAME, cwd=str(NOTEBOOK_DIR), progress_bar=False)
        except pm.PapermillExecutionError as e:
            raise SystemExit(f"FAILED: notebook {nb.name} (profile {cfg.name}), cell {e.exec_count}: "
                             f"{e.ename}: {e.evalue}\nexecuted copy: {out_dir / nb.name}")
        timings[nb.stem] = round(time.time() - start, 1)
        log(f"[{cfg.name}] {nb.name} done in {timings[nb.stem]:.0f} s")
    return timings


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile", nargs="?", default="demo")
    ap.add_argument("--only", help="comma-separated notebook numbers, e.g. 01,03")
    args = ap.parse_args(argv)
    only = {s.strip().zfill(2) for s in args.only.split(",")} if args.only else None
    timings = run_notebooks(args.profile, only)
    cfg = load_profile(str(Path(args.profile).resolve()) if Path(args.profile).suffix else args.profile)
    from .provenance import write_run_provenance
    from .report import write_report
    write_run_provenance(cfg, timings)
    report = write_report(cfg)
    print(f"[{cfg.name}] figures and tables: {cfg.figures_dir}\n[{cfg.name}] report: {report}")


if __name__ == "__main__":
    main()
