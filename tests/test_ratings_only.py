"""Ratings only (trailer_source = "none"), the way most users of this repository can run it: the
runner runs every notebook to the end, skipping the ones that need trailers with one line saying why
(vt2lib.runner.skip_reason), and the rating notebooks use the content methods the profile has."""
import json

import pytest
from test_notebooks import assert_recorded_numbers

from vt2lib.analysis.outputs import ITEMS
from vt2lib.profiles import load_profile
from vt2lib.results import load_metrics
from vt2lib.runner import main, numbered_notebooks

NEED_TRAILERS = {"02_keyframes", "03_train_embedding", "04_extract_embeddings",
                 "08_correlation"}  # 08: no YouTube statistics either (no metadata_file)
RATING_SIDE = {"05_content_based", "06_libfm", "07_fusion", "09_cold_start_and_side_features", "10_ranking"}


@pytest.mark.notebooks
def test_a_ratings_only_profile_runs_to_the_end(tmp_path, capsys):
    f = tmp_path / "ratings_only.toml"
    # smoke's ratings at the fewest folds and sweeps that still run every step (as test_store's field walk)
    f.write_text('base = "smoke"\ntrailer_source = "none"\nn_folds = 2\nfm_iters = 6\ncold_n_ratings = [1]\n'
                 'cv_folds_r2 = 2\n')
    main([str(f)])  # what ./run_all.sh ratings_only.toml runs
    log = capsys.readouterr().out
    cfg = load_profile(f)
    prov = json.loads((cfg.run_dir / "provenance.json").read_text())
    ran, skipped = set(prov["notebooks"]), prov["skipped"]
    assert set(skipped) == NEED_TRAILERS and ran == {nb.stem for nb in numbered_notebooks()} - NEED_TRAILERS
    for nb, why in skipped.items():  # one line each, with its reason, in the log and the report
        assert why and log.count(f"{nb}.ipynb skipped: {why}\n") == 1
    report = (cfg.run_dir / "REPORT.md").read_text()
    assert all(f"**skipped**: {nb}, {why}" in report for nb, why in skipped.items())
    # the rating notebooks wrote every table and figure they declare (the leak-free fusion: no network here)
    for item in ITEMS:
        for name in item.files if item.notebook in RATING_SIDE else ():
            if not name.endswith("_leakfree"):
                assert list(cfg.figures_dir.glob(f"{name}.*")), f"{item.notebook} did not write {name}"
    # ... on genres: `auto` variants resolve to metadata, and every number they declare is recorded
    assert prov["profile"]["fusion_variant"] == prov["profile"]["side_embedding_variant"] == "metadata"
    metrics = load_metrics(cfg)
    assert_recorded_numbers(cfg, metrics, sorted(ran))
    assert "rmse_cold_fm_side" in metrics and "ranking_coldnew_fm_genres_ndcg10" in metrics
