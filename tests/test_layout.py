"""vt2lib reads like the pipeline: each subpackage imports only from itself and the ones below it.

The rating side (predictors, FM, CV) reads embeddings as stored artifacts: it never imports
the video or embedding code (no rating module pulls in training and Keras)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "vt2lib"
# "" = the bottom: config, io, store, paper, provenance, results
ALLOWED = {"": {""}, "data": {"", "data"}, "video": {"", "data", "video"},
           "embedding": {"", "data", "video", "embedding"}, "rating": {"", "data", "rating"},
           "ranking": {"", "data", "rating", "ranking"}, "analysis": {"", "data", "rating", "ranking", "analysis"},
           "runner": set(ALL := ("", "data", "video", "embedding", "rating", "ranking", "analysis"))}
SUBPACKAGES = tuple(p for p in ALL if p)
MODULES = sorted(p for p in ROOT.rglob("*.py"))


def layer(module: str) -> str:
    parts = module.split(".")[1:]  # drop "vt2lib"
    if parts == ["runner"]:
        return "runner"
    return parts[0] if len(parts) > 1 and parts[0] in SUBPACKAGES else ""


def module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_pipeline(path):
    me = module_name(path)
    for node in ast.walk(ast.parse(path.read_text())):  # function-level imports count too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vt2lib"):
            targets = [node.module]
            if node.module in ("vt2lib",) + tuple(f"vt2lib.{p}" for p in SUBPACKAGES):
                targets = [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                assert layer(target) in ALLOWED[layer(me)], f"{me} imports {target}: against the pipeline"
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{me}: use absolute vt2lib imports"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path):
    n = len(path.read_text().splitlines())
    assert n <= 300, f"{path.relative_to(ROOT)} has {n} lines: split it by job"


def _imports(path: pathlib.Path) -> set[str]:
    """The vt2lib modules `path` imports, at module level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vt2lib"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            out |= {n for n in names if n in BY_NAME} or {node.module}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("vt2lib")}
    return out & set(BY_NAME) - {module_name(path)}


BY_NAME = {module_name(p): p for p in MODULES}


def test_no_import_circle():
    """No module imports itself through others, function-level imports included (config.py and
    profiles.py were one circle: the named profiles and load_profile now live in profiles.py)."""
    graph = {m: _imports(p) for m, p in BY_NAME.items()}
    state: dict[str, int] = {}

    def visit(m, trail):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                pytest.fail("import circle: " + " -> ".join(trail[trail.index(n):] + [n]))
            if n not in state:
                visit(n, trail + [n])
        state[m] = 2
    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


NOTEBOOKS = sorted((ROOT.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cells_read_like_steps(path):
    """Notebooks narrate; vt2lib computes: no notebook defines a function, no code cell is over 15 lines."""
    import json
    for k, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert len(source.splitlines()) <= 15, f"{path.name}, cell {k}: {len(source.splitlines())} lines"
        defs = [n.name for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        assert not defs, f"{path.name}, cell {k} defines {defs}: move them into vt2lib"


def test_the_package_index_names_every_module():
    import re
    index = (ROOT / "__init__.py").read_text().split('"""')[1]
    named = set(re.findall(r"[a-z_0-9]+", index))
    missing = [module_name(p) for p in MODULES if p.stem != "__init__" and p.stem not in named]
    assert not missing, f"vt2lib/__init__.py's index lacks {missing}"
