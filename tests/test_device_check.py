"""tests/benchmarks/device_check.sh fits its 4 minutes, and its benchmarks import on a box without
numba or pandas (the stages that need them import them)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "benchmarks" / "device_check.sh"
DEVICE_SECONDS = 240  # the device tool's timeout_s for one run of the script
# A `timeout` that logs its limit and command instead of running it: the script's inner limits
FAKE_TIMEOUT = '#!/bin/sh\necho "$@" >> "$TIMEOUT_LOG"\n'


def inner_limits(tmp_path: Path, *args: str) -> list[tuple[int, str]]:
    """(seconds, command) of every `timeout` one run of device_check.sh would start."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "timeout").write_text(FAKE_TIMEOUT)
    (bin_dir / "timeout").chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)  # its Python-version guard runs for real
    log = tmp_path / "timeouts.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "TIMEOUT_LOG": str(log),
           "OUT": str(tmp_path / "out"), "TMPDIR": str(tmp_path)}
    subprocess.run(["bash", str(SCRIPT), *args], env=env, check=True, capture_output=True, timeout=30)
    return [(int(line.split()[0]), line.split(maxsplit=1)[1]) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("args, stages", [((), ["features", "training_towers", "fm", "fm_repeat", "content"]),
                                          (("smoke_notebooks",), ["smoke_notebooks"])])
def test_each_run_has_inner_limits_under_the_device_timeout(tmp_path, args, stages):
    limits = inner_limits(tmp_path, *args)
    ran = [cmd.split()[-1] for _, cmd in limits if "bench_gpu_box.py" in cmd]
    assert ran == stages
    assert sum(s for s, _ in limits) < DEVICE_SECONDS, limits


BLOCK_NUMBA_AND_PANDAS = "import sys; sys.modules['numba'] = sys.modules['pandas'] = None; "


def test_benchmarks_import_without_numba_or_pandas():
    """A box with only Python, JAX and numpy (and the carried wheels) can import every benchmark
    module; content, the stage that needs numba, says so and skips itself."""
    code = (BLOCK_NUMBA_AND_PANDAS + "sys.path.insert(0, 'tests/benchmarks'); "
            "import bench_content_based, bench_fm, bench_gpu_box; bench_gpu_box.content()")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "SKIP content: this Python lacks numba" in out.stdout
