import dataclasses

import pytest

from vt2lib.profiles import load_profile
from vt2lib.profiles import PROFILES


def test_named_profiles_share_one_type():
    assert set(PROFILES) == {"smoke", "demo", "scale", "ml20m"}
    ml = load_profile("ml20m")
    assert (ml.image_size, ml.sequence_lengths, ml.sequence_shift, ml.n_folds) == (224, (10, 20), 5, 10)
    assert (ml.fm_rank, ml.fm_iters, ml.fm_init_stdev, ml.keyframe_every_n) == (32, 100, 0.1, 25)
    assert (ml.learning_rate, ml.batch_size, ml.max_epochs, ml.patience) == (3e-4, 32, 16, 2)


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ValueError, match=r"'dmeo' \(did you mean 'demo'\?\); valid: smoke, demo, scale, ml20m"):
        load_profile("dmeo")
    with pytest.raises(ValueError, match="unknown profile 'xyz'; valid"):  # nothing close: no guess
        load_profile("xyz")


def test_profile_file_overrides_base(tmp_path):
    (tmp_path / "ml").mkdir()
    f = tmp_path / "mine.toml"
    f.write_text('base = "ml20m"\nmovielens_dir = "ml"\ntrailer_source = "none"\nn_folds = 3\n'
                 'sequence_lengths = [10]\npca_sequence_length = 10\n')
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
    with pytest.raises(ValueError, match=r"unknown field 'n_fold' \(did you mean 'n_folds'\?\)$"):  # no list of 90
        load_profile(bad)
    bad.write_text('base = "demo"\nqqqq = 3\n')
    with pytest.raises(ValueError, match=r"unknown field 'qqqq'; valid fields: .*n_folds"):  # no close name: the list
        load_profile(bad)
    wrong_type = tmp_path / "wt.toml"
    wrong_type.write_text('n_folds = "ten"\n')
    with pytest.raises(ValueError, match="n_folds"):
        load_profile(wrong_type)
    with pytest.raises(FileNotFoundError):
        load_profile(tmp_path / "missing.toml")
    for name, text in (("syntax.toml", 'base = "smoke"\n[n_workers\n'), ("syntax.yaml", "base: smoke\nseed: [7\n")):
        (tmp_path / name).write_text(text)  # the parser names the line; the file must be named too
        with pytest.raises(ValueError, match=rf"^{tmp_path / name}: not valid (TOML|YAML): .*line"):
            load_profile(tmp_path / name)


def test_outputs_follow_output_root(smoke_cfg, _output_root):
    assert str(smoke_cfg.run_dir).startswith(str(_output_root))
    assert str(smoke_cfg.figures_dir).startswith(str(_output_root))
    assert str(smoke_cfg.data_path).startswith(str(_output_root))


@pytest.mark.parametrize("formats", [("png", "pdf"), ("pdf",), ()])
def test_figures_are_saved_in_the_profiles_formats(smoke_cfg, tmp_path, monkeypatch, formats):
    """figure_formats: the files save_figure writes (the default PNG + PDF); the PNG is shown in a
    notebook only where it is written; none: nothing is drawn or saved, the figure is closed."""
    import matplotlib.pyplot as plt

    from vt2lib import results
    shown = []
    monkeypatch.setattr(results, "show_in_notebook", lambda png, name: shown.append(png.suffix))
    cfg = dataclasses.replace(smoke_cfg, name=f"formats_{len(formats)}", figure_formats=formats)
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    paths = results.save_figure(cfg, fig, "fig99_formats")
    assert [p.suffix[1:] for p in paths] == list(formats) and all(p.stat().st_size > 0 for p in paths)
    assert sorted(p.name for p in cfg.figures_dir.glob("fig99_formats.*")) == sorted(p.name for p in paths)
    assert shown == ([".png"] if "png" in formats else []) and not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match=r"figure_formats = \('png', 'svg'\); allowed: one of 'png', 'pdf'"):
        dataclasses.replace(smoke_cfg, figure_formats=("png", "svg"))


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


# (field, a value outside its range or choices) for every checked field; the test below also
# asserts that this table covers every field the checks know, so a new checked field needs a row
BAD_VALUES = [
    ("ratings_source", "csv"), ("trailer_source", "vimeo"), ("synth_generator", "huge"),
    ("keyframe_rule", "every_frame"), ("resize_mode", "pad"), ("backbone_alpha", 0.4),
    ("keras_backend", "torch"), ("feature_backend", "torch"), ("fm_backend", "cuda"), ("fm_flavour", "libFM"),
    ("similarity", "dot"), ("analysis_embeddings", "both"), ("keep_keyframes", "some"), ("max_steps_per_epoch", 0),
    ("figure_formats", ["png", "svg"]), ("figure_formats", ["png", "png"]),
    ("synth_n_movies", 0), ("synth_n_users", 0), ("synth_trailer_seconds", [0, 10]), ("synth_frame_size", [64, 0]),
    ("min_user_ratings", 0), ("keyframe_every_n", 0), ("image_size", 16), ("sequence_lengths", [0]),
    ("sequence_shift", 0), ("n_workers", 0), ("download_threads", 0), ("video_window", 0),
    ("feature_batch_size", 0), ("lstm_units", 0),
    ("embedding_sizes", [512, 0]), ("batch_size", 0), ("max_epochs", 0), ("patience", 0), ("train_workers", 0),
    ("unseen_trailer_splits", 0), ("evaluate_folds", 0), ("cold_start_folds", 0), ("ranking_users", 0), ("ranking_folds", 0), ("top_k", 0), ("fm_rank", -3), ("fm_iters", 0),
    ("fm_side_chains", 0), ("als_factors", 0), ("als_iterations", 0), ("ease_l2", [100.0, 0.0]), ("als_l2", [-1.0]),
    ("als_alpha", [0.0]), ("content_map_l2", [0.0]), ("ranking_positives", [0.0]),
    ("cold_n_ratings", [1, 0]), ("side_pca_dim", 0), ("pca_sequence_length", 0),
    ("seed", -1), ("fold_seed", -1), ("synth_n_videos", -1), ("n_folds", 1), ("cv_folds_r2", 1),
    ("synth_ratings_per_user", 0.0), ("max_trailer_seconds", -1.0), ("learning_rate", 0.0), ("fm_init_stdev", 0.0),
    ("l2", -0.1), ("loss_weights", [1.0, -1.0, 1.0]),
    ("unseen_trailer_share", 1.5), ("val_share", 0.0), ("fusion_val_share", 1.0),
    ("fusion_k_step", 0.0), ("popularity_percentile_filter", 100.0),
    ("heads", ["rating", "colour"]), ("leakfree_heads", ["rating", "genre"]),
]


def load_error(tmp_path, text: str) -> str:
    """The ValueError message of loading a profile file with `text`."""
    f = tmp_path / "profile.toml"
    f.write_text(text)
    with pytest.raises(ValueError) as err:
        load_profile(f)
    return str(err.value)


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_a_bad_profile_value_fails_at_load_naming_field_value_and_range(tmp_path, field, value):
    import json
    message = load_error(tmp_path, f'base = "demo"\n{field} = {json.dumps(value)}\n')
    assert "\n" not in message and f"{field} = " in message and "allowed:" in message, message


@pytest.mark.parametrize("text", ["figure_formats=none", "embedding_sizes=none"])
def test_a_list_field_set_to_none_fails_in_one_line(text):
    """`--set figure_formats=none` (or a YAML key left empty): one line naming the field, not a TypeError."""
    from vt2lib.profiles import parse_override
    field = text.split("=")[0]
    with pytest.raises(ValueError, match=rf"^profile 'smoke\+{field}=None': {field} = None; allowed: a list of values"):
        load_profile("smoke", dict([parse_override(text)]))


@pytest.mark.parametrize("text, field", [("top_k=abc", "top_k"), ("learning_rate=fast", "learning_rate"),
                                         ("fusion_k_step=half", "fusion_k_step")])
def test_a_value_of_the_wrong_type_fails_in_one_line(text, field):
    """`--set top_k=abc` (text where a number belongs) is a bad value like any other, not a traceback."""
    from vt2lib.profiles import parse_override
    with pytest.raises(ValueError) as err:
        load_profile("smoke", dict([parse_override(text)]))
    message = str(err.value)  # the type check of a float field, or the range check of an optional one
    assert "\n" not in message and field in message and ("allowed:" in message or "must be" in message), message


def test_the_bad_value_table_covers_every_checked_field():
    from vt2lib.profile_checks import AT_LEAST, CHOICES, NON_NEGATIVE, OPEN_UNIT, POSITIVE
    checked = {*CHOICES, *AT_LEAST, *POSITIVE, *NON_NEGATIVE, *OPEN_UNIT, "fusion_k_step",
               "popularity_percentile_filter", "heads", "leakfree_heads", "ranking_positives"}
    assert checked == {field for field, _ in BAD_VALUES}
    numeric = {f.name for f in dataclasses.fields(load_profile("demo"))
               if isinstance(getattr(load_profile("demo"), f.name), (int, float)) and f.name != "name"}
    unchecked = numeric - checked - {"download_ml20m", "check_availability", "allow_random_backbone_fallback",
                                     "mixed_precision", "keep_movies_without_trailer", "keep_videos", "fetch_trailers",
                                     "train_towers", "lstm_unroll", "synth_direct_features", "cold_shared_fit"}  # booleans
    assert not unchecked, f"numeric fields without a range: {unchecked}"


@pytest.mark.parametrize("field, value", [("sequence_lengths", []), ("evaluate_folds", 11),
                                          ("unseen_trailer_splits", 6), ("synth_trailer_seconds", [40, 20]),
                                          ("fm_backend", "myfm"),  # ml20m's fm_flavour is libfm: jax only
                                          # what failed hours later, in 03, 04, 07-09 or the folds' int8 ids
                                          ("pca_sequence_length", 30), ("fusion_variant", "emb999_s10"),
                                          ("side_embedding_variant", "emb256_s30"),
                                          ("correlation_variant", "metadata"), ("embedding_sizes", [512]),
                                          ("embedding_sizes", [512, 256, 128]), ("loss_weights", [1.0, 1.0]),
                                          ("n_folds", 200), ("trailer_source", "synthetic")])  # keep_videos
def test_combinations_are_checked_too(tmp_path, field, value):
    import json
    f = tmp_path / "bad.toml"
    f.write_text(f'base = "ml20m"\n{field} = {json.dumps(value)}\n')
    with pytest.raises(ValueError, match=field):
        load_profile(f)


def test_every_field_that_names_another_field_s_values_is_checked():
    """A string field holding an embedding variant (emb<size>_s<S>), or an int field holding one of
    the sequence lengths in every named profile, names values of other fields: each is in
    reference_choices, accepts what the profile makes and refuses a name it does not make."""
    import re

    from vt2lib.profile_checks import embedding_variant_names, reference_choices
    from vt2lib.profiles import PROFILES
    from vt2lib.rating.item_vectors import embedding_sources
    demo = load_profile("demo")
    assert embedding_variant_names(demo) == [v.name for v in embedding_sources(demo)]

    def names_a_variant_or_length(field, p):
        v = p.as_dict()[field]  # as resolved: an `auto` variant by the variant it names
        return (isinstance(v, str) and re.fullmatch(r"emb\d+_s\d+", v)) or (type(v) is int and v in p.sequence_lengths)
    naming = {f.name for f in dataclasses.fields(demo)
              if all(names_a_variant_or_length(f.name, p) for p in PROFILES.values())}
    assert naming and naming <= set(reference_choices(demo)), naming - set(reference_choices(demo))
    for field, allowed in reference_choices(demo).items():
        assert getattr(demo, field) in allowed
        for value in allowed:
            dataclasses.replace(demo, **{field: value})
        with pytest.raises(ValueError, match=field):
            dataclasses.replace(demo, **{field: 99 if isinstance(getattr(demo, field), int) else "emb99_s99"})


def test_the_runner_reports_a_bad_profile_in_one_line_without_traceback(tmp_path):
    import subprocess
    import sys
    f = tmp_path / "bad.toml"
    f.write_text('base = "demo"\nfm_rank = -3\n')
    out = subprocess.run([sys.executable, "-m", "vt2lib.runner", str(f)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip() == "vt2: profile 'bad': fm_rank = -3; allowed: integers >= 1"


def test_auto_variants_keep_the_named_profiles_values_and_follow_the_trailers(tmp_path):
    """`auto` (the default of every variant field) names what the profile has: on the named profiles the
    variants they named before (so no key or number changes), genres without trailers."""
    from vt2lib.profile_checks import VARIANT_FIELDS
    from vt2lib.profiles import PROFILES
    before = {"fusion_variant": "emb512_s10", "side_embedding_variant": "emb256_s10", "correlation_variant": "emb256_s10"}
    for name in PROFILES:
        cfg = load_profile(name)
        assert {f: getattr(cfg, f) for f in VARIANT_FIELDS} == dict.fromkeys(VARIANT_FIELDS, "auto")
        assert {f: cfg.variant(f) for f in VARIANT_FIELDS} == before == {f: cfg.as_dict()[f] for f in before}
    f = tmp_path / "ratings.toml"
    f.write_text('base = "ml20m"\ntrailer_source = "none"\nfusion_variant = "genome"\n')
    cfg = load_profile(f)
    assert [cfg.variant(v) for v in VARIANT_FIELDS] == ["genome", "metadata", None]


@pytest.mark.parametrize("field, value", [("fusion_variant", "emb512_s10"), ("side_embedding_variant", "emb256_s10"),
                                          ("correlation_variant", "emb256_s10"), ("correlation_variant", "metadata")])
def test_a_variant_a_profile_without_trailers_cannot_have_fails_at_load(tmp_path, field, value):
    message = load_error(tmp_path, f'base = "smoke"\ntrailer_source = "none"\n{field} = "{value}"\n')
    assert f"{field} = {value!r}; allowed: one of 'auto'" in message and "trailer_source = 'none'" in message, message

