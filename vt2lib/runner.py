"""Run the numbered notebooks of a profile headlessly with papermill (what run_all.sh calls).

    python -m vt2lib.runner demo                 # every notebook, in order
    python -m vt2lib.runner smoke --only 01,02   # a subset
    python -m vt2lib.runner my_profile.toml
    python -m vt2lib.runner demo --set top_k=20 --only 05   # profile demo+top_k=20: only 05's changes computed

Executed copies go to runs/<profile>/notebooks/ (git-ignored); the run stops at the first
failing notebook and names it. A notebook whose input the profile cannot have is skipped, in one
line saying why (`skip_reason`: without trailers 02-04, and 08 unless YouTube statistics are given).
Each notebook's wall time and peak memory (RSS of its kernel, sampled) go into the provenance;
runs/<profile>/artifacts.json lists every artifact each notebook used, `computed` or `reused`
(vt2lib.store). After the run it writes the provenance and the
reproduction report (runs/<profile>/REPORT.md); a notebook the run left out (--only) keeps its
entries (time, memory, artifacts) from the latest run that ran it.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from vt2lib.config import PROJECT_ROOT
from vt2lib.profile_checks import TRAILERS_OFF
from vt2lib.profiles import PATH_FIELDS, load_profile, parse_override

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
KERNEL_NAME = "vt2"
# The kernel application's own log (a TCP-without-encryption warning at every start, "KeyboardInterrupt
# caught in kernel" at every normal shutdown) is plumbing, not news: the run log keeps the notebooks'
# output, their progress bars and Python warnings, which do not go through this logger. Output the
# kernel's libraries write to its file descriptors (TensorFlow's C++ log) reaches the run log once, by
# the descriptors the kernel inherits: ipykernel's capture of them also sent each line through the
# notebook's outputs, and so to the log a second time. Such lines (a C++ error, a dying kernel's last
# words) are therefore in the run log only, not in the executed notebooks.
KERNEL_QUIET = ["--IPKernelApp.log_level=CRITICAL", "--IPKernelApp.capture_fd_output=False"]


def numbered_notebooks(only: set[str] | None = None) -> list[Path]:
    nbs = sorted(p for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    return [p for p in nbs if only is None or p.name[:2] in only]


# What a notebook needs that a profile without trailers (trailer_source = "none") lacks
NEEDS_TRAILERS = {"02_keyframes": "needs trailer videos", "03_train_embedding": "needs 02's keyframe features",
                  "04_extract_embeddings": "needs 03's networks"}


def skip_reason(cfg, notebook: str) -> str | None:
    """Why `notebook` does not run for this profile, or None: it runs.

    >>> from vt2lib.profiles import load_profile
    >>> import dataclasses
    >>> skip_reason(load_profile("smoke"), "02_keyframes") is None
    True
    >>> skip_reason(dataclasses.replace(load_profile("smoke"), trailer_source="none"), "02_keyframes")
    "needs trailer videos (trailer_source = 'none')"
    """
    if cfg.trailer_source != "none":
        return None
    if notebook in NEEDS_TRAILERS:
        return f"{NEEDS_TRAILERS[notebook]} ({TRAILERS_OFF})"
    # Table 3 without row (a): the YouTube statistics' rows run where a mapping and its statistics are given
    if notebook == "08_correlation" and not (cfg.youtube_mapping and cfg.metadata_file):
        return f"needs trailer embeddings or YouTube statistics ({TRAILERS_OFF}, no metadata_file with youtube_mapping)"
    return None


def ensure_kernel() -> None:
    """Register this interpreter as the Jupyter kernel 'vt2' (inside the environment)."""
    from jupyter_client.kernelspec import KernelSpecManager
    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
                        "--display-name", "Python (vt2)"], check=True, capture_output=True)


@contextlib.contextmanager
def peak_child_rss(interval: float = 0.2):
    """Sample the RSS of this process's children (the notebook kernel); yields a dict whose
    "peak_gib" holds the largest sum seen once the block ends."""
    import psutil
    out, stop = {"peak_gib": 0.0}, threading.Event()

    def sample():
        me = psutil.Process()
        while not stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
            out["peak_gib"] = max(out["peak_gib"], total / 2**30)
            stop.wait(interval)
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out["peak_gib"] = round(out["peak_gib"], 2)


class CaveatsOncePerRun:
    """The run log's stdout: a caveat (a line starting with one of vt2lib.paper.CAVEAT_LINES) that this
    run has logged already, under any of them, is left out, so the log says each once (a notebook's
    opening note and its summary's "What these data can say" are one caveat); the executed notebooks
    keep every one. Only the start of a line that may be a caveat waits for its end; any other text
    is passed on as it comes (a print(..., end="") before a long step shows at once)."""

    def __init__(self, out, repeatable: tuple[str, ...]):
        self.out, self.repeatable, self.seen, self.left_out = out, repeatable, set(), 0
        self.partial, self.mid_line = "", False  # a held line start; a line passed on before its end

    def write(self, text: str) -> int:
        size, kept = len(text), []
        if self.mid_line:  # the rest of a line already passed on: up to its end, as it is
            head, end, text = text.partition("\n")
            kept.append(head + end)
            self.mid_line = not end
        if not self.mid_line:
            *lines, self.partial = (self.partial + text).split("\n")
            for line in lines:
                shown = line.rstrip("\r").rsplit("\r", 1)[-1].rstrip()  # as a terminal shows it
                prefix = next((p for p in self.repeatable if shown.startswith(p)), None)
                if prefix is not None:
                    caveat = shown[len(prefix):] or prefix
                    if caveat in self.seen:
                        self.left_out += 1
                        continue
                    self.seen.add(caveat)
                kept.append(line + "\n")
            if self.partial and not any(p.startswith(self.partial) or self.partial.startswith(p)
                                        for p in self.repeatable):
                kept.append(self.partial)
                self.partial, self.mid_line = "", True
        self.out.write("".join(kept))
        return size

    def flush(self) -> None:  # a held line start waits for its end
        self.out.flush()

    def end_notebook(self) -> None:
        if self.partial or self.mid_line:
            self.out.write(self.partial + "\n")
            self.partial, self.mid_line = "", False
        self.out.flush()


def run_notebooks(profile: str, only: set[str] | None = None, log=print, overrides: dict | None = None
                  ) -> dict[str, dict]:
    """Run the notebooks (each gets PROFILE and OVERRIDES); returns {notebook: {"seconds",
    "peak_rss_gib"}, or {"skipped": why}}."""
    import papermill as pm

    from vt2lib.paper import CAVEAT_LINES
    from vt2lib.run_log import start_run_log
    if Path(profile).suffix in (".toml", ".yml", ".yaml"):
        profile = str(Path(profile).resolve())
    overrides = dict(overrides or {})
    cfg = load_profile(profile, overrides)
    ensure_kernel()
    out_dir = cfg.run_dir / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = {}
    notebooks = numbered_notebooks(only)
    start_run_log(cfg, only)  # each notebook run now replaces its entry; the others' stay
    os.environ["VT2_TEXT_PROGRESS"] = "1"  # text bars, not widgets: the kernel's stderr reaches the log
    os.environ.setdefault("TQDM_MININTERVAL", "10")  # a bar line every 10 s in the log, not every 0.1 s
    # what run_all.sh exports, for `python -m vt2lib.runner` too: the kernels inherit it
    for name, value in (("PYTHONHASHSEED", "0"), ("TF_CPP_MIN_LOG_LEVEL", "2"), ("MPLBACKEND", "Agg")):
        os.environ.setdefault(name, value)
    stdout = CaveatsOncePerRun(sys.stdout, CAVEAT_LINES)
    for nb in notebooks:
        why = skip_reason(cfg, nb.stem)
        if why:
            timings[nb.stem] = {"skipped": why}
            log(f"[{cfg.name}] {nb.name} skipped: {why}")
            continue
        log(f"[{cfg.name}] {nb.name} ...")
        start = time.time()
        os.environ["VT2_NOTEBOOK"] = nb.stem  # the kernel inherits it: artifacts.json names who asked
        try:
            with peak_child_rss() as memory:
                # the kernel's prints and tqdm bars (with their ETA) reach this run's log
                pm.execute_notebook(str(nb), str(out_dir / nb.name), parameters={"PROFILE": profile, "OVERRIDES": overrides},
                                    kernel_name=KERNEL_NAME, cwd=str(NOTEBOOK_DIR), progress_bar=False,
                                    stdout_file=stdout, stderr_file=sys.stderr,
                                    extra_arguments=KERNEL_QUIET)
        except pm.PapermillExecutionError as e:
            if e.ename == "KeyboardInterrupt":  # Ctrl-C reached the kernel first
                _interrupted(cfg.name, nb.name)
            raise SystemExit(f"FAILED: notebook {nb.name} (profile {cfg.name}), cell {e.exec_count}: "
                             f"{e.ename}: {e.evalue}\nexecuted copy: {out_dir / nb.name}")
        except KeyboardInterrupt:
            _interrupted(cfg.name, nb.name)
        finally:
            os.environ.pop("VT2_NOTEBOOK", None)
            stdout.end_notebook()
        timings[nb.stem] = {"seconds": round(time.time() - start, 1), "peak_rss_gib": memory["peak_gib"]}
        log(f"[{cfg.name}] {nb.name} done in {timings[nb.stem]['seconds']:.0f} s, "
            f"peak RSS {memory['peak_gib']:.2f} GiB")
    if stdout.left_out:
        log(f"[{cfg.name}] {stdout.left_out} repeated caveat lines are left out of this log (each executed "
            f"notebook has its own: {out_dir})")
    return timings


def _interrupted(profile: str, notebook: str) -> None:
    """Ctrl-C: one line, not papermill's tracebacks; what finished is in the store (written atomically)."""
    print(f"\nvt2: interrupted in {notebook} (profile {profile}); what finished is kept: the same command "
          "goes on from there", file=sys.stderr, flush=True)
    raise SystemExit(130) from None


def parse_only(text: str | None) -> set[str] | None:
    """`--only 5,06` -> {"05", "06"}; a number no notebook has is an error naming it and the valid ones."""
    if text is None:
        return None
    only = {s.strip().zfill(2) for s in text.split(",") if s.strip()}
    valid = [p.name[:2] for p in numbered_notebooks()]
    unknown = sorted(only - set(valid))
    if unknown or not only:
        raise SystemExit(f"vt2: --only {text!r}: no notebook numbered {', '.join(unknown) or '(none given)'}; "
                         f"valid: {','.join(valid)}")
    return only


class _Parser(argparse.ArgumentParser):
    """Usage mistakes (`--only` without its value) as one `vt2:` line, like every other bad input."""
    def error(self, message):
        raise SystemExit(f"vt2: {message} (--help lists the options)")


def main(argv=None) -> None:
    ap = _Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile", nargs="?", default="demo")
    ap.add_argument("--only", help="comma-separated notebook numbers, e.g. 01,03")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a profile field (repeatable), e.g. --set top_k=20: a profile of its own, "
                         "<profile>+top_k=20, that reuses every artifact the change does not touch")
    args = ap.parse_args(argv)
    only = parse_only(args.only)
    profile = str(Path(args.profile).resolve()) if Path(args.profile).suffix else args.profile
    try:  # a bad profile or override is one line naming the field, before any notebook starts
        overrides = dict(parse_override(text) for text in args.set)
        overrides |= {k: str(Path(v).resolve()) for k, v in overrides.items()  # the kernels run in notebooks/
                      if k in PATH_FIELDS and isinstance(v, str) and v}
        cfg = load_profile(profile, overrides)
    except (ValueError, OSError) as e:
        raise SystemExit(f"vt2: {e}") from None
    timings = run_notebooks(profile, only, overrides=overrides)
    from vt2lib.analysis.report import write_report
    from vt2lib.provenance import write_run_provenance
    write_run_provenance(cfg, timings)
    report = write_report(cfg)
    print(f"[{cfg.name}] figures and tables: {cfg.figures_dir}\n[{cfg.name}] report: {report}")


if __name__ == "__main__":
    main()
