"""The examples at the top of vt2lib's modules run (doctest), so they cannot drift from the code."""
import doctest
import importlib
import pkgutil

import pytest

import vt2lib

MODULES = sorted(m.name for m in pkgutil.iter_modules(vt2lib.__path__, "vt2lib."))
# Modules whose examples need a trained network, a video, the network or a run's files show
# them as prose; every other module's docstring example is executed.
PROSE_EXAMPLES = {"vt2lib.runner", "vt2lib.download", "vt2lib.youtube", "vt2lib.data", "vt2lib.synthetic",
                  "vt2lib.cleaning", "vt2lib.features", "vt2lib.training", "vt2lib.model", "vt2lib.validation",
                  "vt2lib.embeddings_pca", "vt2lib.report", "vt2lib.provenance", "vt2lib.table1",
                  "vt2lib.plotting", "vt2lib.fm_gibbs", "vt2lib.cold_start", "vt2lib.correlation", "vt2lib.fusion",
                  "vt2lib.__main__"}


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
