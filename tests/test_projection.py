"""The ml20m projection's arithmetic (tests/benchmarks/project_ml20m.py): networks side by side."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import project_ml20m as P

from vt2lib.config import load_profile


@pytest.mark.parametrize(("works", "workers", "together", "seconds"), [
    ([10, 10], 2, 2.0, 10),        # two at twice the rate: both in the time of one
    ([10, 10], 2, 1.0, 20),        # no gain side by side: one after the other
    ([20, 10, 10], 2, 2.0, 20),    # longest first; the third starts when the first short one ends
    ([10, 10, 10], 3, 1.5, 20),    # three sharing 1.5x: 30 s of solo work at 1.5 per second
    ([10], 5, 3.0, 10),            # alone, a network runs at the one-network rate
])
def test_side_by_side_seconds(works, workers, together, seconds):
    assert P.side_by_side_seconds(works, workers, 1.0, together) == pytest.approx(seconds)


def test_a_measured_side_by_side_rate_shortens_03(monkeypatch):
    cfg = load_profile("ml20m")
    training = lambda: next(s for name, _, s in P.stages(cfg, {}) if name == "03 training")
    serial = training()
    monkeypatch.setitem(P.RATES, "training_side_by_side", (3 * P.RATES["training"][0], "sequences/s", "test"))
    assert serial / 3 < training() < serial
