import dataclasses

import pytest

from vt2lib.config import load_profile
from vt2lib.profiles import PROFILES


def test_named_profiles_share_one_type():
    assert set(PROFILES) == {"smoke", "demo", "scale", "ml20m"}
    ml = load_profile("ml20m")
    assert (ml.image_size, ml.sequence_lengths, ml.sequence_shift, ml.n_folds) == (224, (10, 20), 5, 10)
    assert (ml.fm_rank, ml.fm_iters, ml.fm_init_stdev, ml.keyframe_every_n) == (32, 100, 0.1, 25)
    assert (ml.learning_rate, ml.batch_size, ml.max_epochs, ml.patience) == (3e-4, 32, 16, 2)


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ValueError, match="smoke, demo, scale, ml20m"):
        load_profile("dmeo")


def test_profile_file_overrides_base(tmp_path):
    (tmp_path / "ml").mkdir()
    f = tmp_path / "mine.toml"
    f.write_text('base = "ml20m"\nmovielens_dir = "ml"\ntrailer_source = "none"\nn_folds = 3\n'
                 'sequence_lengths = [10]\n')
    cfg = load_profile(f)
    assert cfg.name == "mine" and cfg.n_folds == 3 and cfg.sequence_lengths == (10,)
    assert cfg.movielens_dir == str((tmp_path / "ml").resolve())
    assert cfg.image_size == 224  # inherited from ml20m


def test_yaml_profile_and_errors(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text("base: smoke\nseed: 7\n")
    assert load_profile(y).seed == 7
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "demo"\nn_fold = 3\n')
    with pytest.raises(ValueError, match="unknown field.*n_fold.*valid fields"):
        load_profile(bad)
    wrong_type = tmp_path / "wt.toml"
    wrong_type.write_text('n_folds = "ten"\n')
    with pytest.raises(ValueError, match="n_folds"):
        load_profile(wrong_type)
    with pytest.raises(FileNotFoundError):
        load_profile(tmp_path / "missing.toml")


def test_outputs_follow_output_root(smoke_cfg, _output_root):
    assert str(smoke_cfg.run_dir).startswith(str(_output_root))
    assert str(smoke_cfg.figures_dir).startswith(str(_output_root))
    assert str(smoke_cfg.data_path).startswith(str(_output_root))


def test_differs_by_design_lists_every_field_away_from_the_paper():

    from vt2lib.analysis.report import CODE_CHOICES, differences
    from vt2lib.config import Profile
    from vt2lib.paper import paper_settings
    assert set(paper_settings()) <= {f.name for f in dataclasses.fields(Profile)}
    ml20m = load_profile("ml20m")
    listed = differences(ml20m)
    fields = {d.split("`")[1] for d in listed if d.startswith("`")}
    # the deliberate choices of the real profile: keyframes per second, small downloads, leak-free analyses
    assert fields == {"keyframe_rule", "download_format", "analysis_embeddings"}
    assert all(c in listed for c in CODE_CHOICES)
    changed = differences(dataclasses.replace(ml20m, fm_rank=8, similarity="cosine", top_k=50))
    for field in ("fm_rank", "similarity", "top_k"):
        assert any(d.startswith(f"`{field}`") for d in changed), field
    demo = {d.split("`")[1] for d in differences(load_profile("demo")) if d.startswith("`")}
    assert {"learning_rate", "l2", "image_size", "backbone_alpha", "n_folds", "ratings_source"} <= demo
