"""environment.yml and pyproject.toml list the same packages; notebooks are committed clean."""
import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower()


def test_environment_matches_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip = next(d["pip"] for d in env if isinstance(d, dict))
    assert {_name(s): s.replace(" ", "") for s in py} == {_name(s): s.replace(" ", "") for s in pip}


def test_notebooks_committed_without_outputs_and_with_parameters():
    nbs = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert nbs and nbs[0].name == "01_clean_dataset.ipynb"
    for nb in nbs:
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), nb.name
        params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(params) == 1 and "PROFILE" in "".join(params[0]["source"]), nb.name
        assert "savefig(" not in json.dumps(cells), f"{nb.name}: use vt2lib.results.save_figure"


def test_figures_readme_is_generated_from_the_declaration():
    from vt2lib.analysis.outputs import README_PATH, figures_readme
    assert README_PATH.read_text() == figures_readme(), "figures/README.md is stale: run python -m vt2lib.analysis.outputs"
