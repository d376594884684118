"""Test-only: run the numbered notebooks' code cells in this process (tests/test_store.py)."""
import os
import time

from vt2lib.profiles import load_profile
from vt2lib.runner import numbered_notebooks


def run_in_process(profile: str, only: set[str] | None = None, overrides: dict | None = None) -> dict[str, float]:
    """Execute the notebooks' code cells in this process, in order (no kernel, no outputs kept).

    The same cells as `run_notebooks`, without a kernel start and the imports per notebook:
    the store tests rerun the pipeline many times with it. Returns seconds per notebook."""
    import json

    import matplotlib.pyplot as plt

    from vt2lib.store import start_run_log
    start_run_log(load_profile(profile, overrides), only)
    seconds = {}
    for nb in numbered_notebooks(only):
        cells = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        namespace = {"__name__": "__main__"}
        os.environ["VT2_NOTEBOOK"] = nb.stem
        start = time.time()
        try:
            for k, cell in enumerate(cells):
                code = "".join(cell["source"])
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    code += f"\nPROFILE = {profile!r}\nOVERRIDES = {dict(overrides or {})!r}"
                exec(compile(code, f"{nb.name}[cell {k}]", "exec"), namespace)
        finally:
            os.environ.pop("VT2_NOTEBOOK", None)
            plt.close("all")
        seconds[nb.stem] = round(time.time() - start, 1)
    return seconds
