"""The examples at the top of vt2lib's modules run (doctest), so they cannot drift from the code."""
import doctest
import importlib
import pkgutil

import pytest

import vt2lib

MODULES = sorted(m.name for m in pkgutil.walk_packages(vt2lib.__path__, "vt2lib.") if not m.ispkg)
# Modules whose examples need a trained network, videos, the network, a run's files or minutes
# of sampling show them as prose; every other module's docstring example is executed.
PROSE_EXAMPLES = {"vt2lib.runner", "vt2lib.provenance", "vt2lib.data.download", "vt2lib.data.youtube",
                  "vt2lib.data.raw", "vt2lib.data.synthetic", "vt2lib.video.features", "vt2lib.embedding.training",
                  "vt2lib.embedding.model", "vt2lib.embedding.validation", "vt2lib.embedding.side_by_side", "vt2lib.analysis.report",
                  "vt2lib.analysis.table1", "vt2lib.analysis.plotting", "vt2lib.rating.fm_gibbs"}


@pytest.mark.parametrize("name", MODULES)
def test_module_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=False)
    tests = [t for t in finder.find(module) if t.examples]
    if name in PROSE_EXAMPLES and not tests:
        pytest.skip(f"{name}: examples need a run's files, a network or a trained model")
    assert tests, f"{name}: its module docstring has no runnable (>>>) example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for t in tests:
        runner.run(t)
    assert runner.failures == 0, f"{name}: {runner.failures} docstring example(s) failed (see output)"
