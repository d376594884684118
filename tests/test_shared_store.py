"""Artifacts shared across profiles (vt2lib.store): a profile that changes one field reuses
everything that field does not touch, keeps its outputs apart, and two runs at once neither
compute an artifact twice nor corrupt it. Field overrides (OVERRIDES, --set) make such a
profile; their checks are a profile file's."""
import dataclasses
import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from vt2lib.io import DataError
from vt2lib.profile_checks import ProfileError
from vt2lib.profiles import load_profile, override_name, parse_override
from vt2lib.runner import main
from vt2lib.store import INDEX, Store
from test_store import _chain  # clean -> features -> keyframe_status -> evaluation_ratings -> folds


@pytest.fixture
def base(smoke_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    return dataclasses.replace(smoke_cfg, name="base")


def test_a_tweak_finds_its_base_artifacts_and_keeps_its_own_apart(base):
    _chain(base)
    tweak = dataclasses.replace(base, name="base+top_k=3", base="base", top_k=3)
    other = Store(tweak)
    assert all(other.current(n) for n in ("clean", "features", "keyframe_status", "evaluation_ratings", "folds"))
    assert other.path("folds") == Store(base).path("folds")  # one folder per key, not per profile
    # a method's settings (its extra): each profile's own predictions, side by side in the shared place
    Store(base).save_tables("predictions/eq1", {"predictions": pd.DataFrame({"p": [1.0]})}, extra="top_k=None")
    other.save_tables("predictions/eq1", {"predictions": pd.DataFrame({"p": [2.0]})}, extra="top_k=3")
    assert Store(base).load_table("predictions/eq1", "predictions").p.tolist() == [1.0]
    assert other.load_table("predictions/eq1", "predictions").p.tolist() == [2.0]
    assert not (tweak.run_dir == base.run_dir or tweak.figures_dir == base.figures_dir)
    with pytest.raises(DataError, match=r"predictions/baseline .* is missing.*profile 'base\+top_k=3'"):
        other.require("predictions/baseline")


def test_a_superseded_key_is_deleted_only_once_no_profile_uses_it(base):
    _chain(base)
    first = Store(base).path("features")
    reader = dataclasses.replace(base, name="reader")
    Store(reader).require("features")  # reader's index now points at the first key
    moved = dataclasses.replace(base, image_size=40)
    with Store(moved).produce("features") as art:
        (art.path / "a.npy").write_bytes(b"y")
    assert first.is_dir() and art.path != first  # the reader still uses it
    with Store(dataclasses.replace(reader, image_size=40)).produce("features"):
        pass
    assert not first.exists()  # nobody points at it any more: disk stays bounded
    indexes = sorted(p.parent.name for p in (base.output_root / "runs").glob(f"*/{INDEX}"))
    assert indexes == ["base", "reader"]


def test_garbage_collection_frees_what_no_profile_points_at(base):
    from vt2lib.store import collect_garbage
    _chain(base)
    gone = dataclasses.replace(base, name="gone", image_size=40)
    with Store(gone).produce("features") as art:
        (art.path / "a.npy").write_bytes(b"z")
    orphan = art.path
    (base.output_root / "runs" / "gone" / INDEX).unlink()  # the profile's run folder deleted by hand
    assert collect_garbage(base.output_root, dry_run=True) == [orphan] and orphan.is_dir()
    assert collect_garbage(base.output_root) == [orphan] and not orphan.exists()
    assert Store(base).current("folds") and collect_garbage(base.output_root) == []


def test_a_crashed_maker_leaves_nothing_another_profile_trusts(base):
    store = Store(base)
    store.save_tables("clean", {"ratings": pd.DataFrame({"rating": [4.0]})})
    with pytest.raises(KeyboardInterrupt):
        with store.produce("keyframes") as art:
            (art.path / "half.npy").write_bytes(b"1")
            raise KeyboardInterrupt
    other = Store(dataclasses.replace(base, name="other"))
    assert not other.current("keyframes")
    with pytest.raises(DataError, match="unfinished"):
        other.require("keyframes")


MAKER = textwrap.dedent("""
    import dataclasses, sys, time
    import pandas as pd
    from vt2lib.profiles import load_profile
    from vt2lib.store import Store
    cfg = dataclasses.replace(load_profile("smoke"), name=sys.argv[1])
    with Store(cfg).produce("clean") as art:
        if not art.reused:
            with open(sys.argv[2], "a") as f:
                f.write(sys.argv[1] + "\\n")
            time.sleep(1.5)  # the other process asks meanwhile
            pd.DataFrame({"rating": [4.0]}).to_parquet(art.path / "ratings.parquet")
    print("reused" if art.reused else "computed")
""")


def test_two_processes_asking_at_once_compute_an_artifact_once(tmp_path):
    """Two profiles' runs want the same artifact at the same moment: the first makes it under the
    folder's lock, the second waits and reuses it; the folder is complete and holds one result."""
    calls = tmp_path / "calls.txt"
    env = {"VT2_OUTPUT_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [subprocess.Popen([sys.executable, "-c", MAKER, name, str(calls)], env=env, stdout=subprocess.PIPE,
                             text=True) for name in ("one", "two")]
    outcomes = sorted(p.communicate(timeout=120)[0].strip() for p in runs)
    assert [p.returncode for p in runs] == [0, 0]
    assert outcomes == ["computed", "reused"]
    assert len(calls.read_text().splitlines()) == 1
    [folder] = [p for p in (tmp_path / "runs" / "_store" / "data" / "clean").iterdir() if p.is_dir()]
    assert json.loads((folder / ".artifact.json").read_text())["complete"]
    assert pd.read_parquet(folder / "ratings.parquet").rating.tolist() == [4.0]


# ------------------------------------------------------------------ overrides
def test_overrides_make_a_profile_of_their_own_with_a_file_s_checks():
    tweak = load_profile("smoke", {"top_k": 20})
    assert (tweak.name, tweak.base, tweak.top_k) == ("smoke+top_k=20", "smoke", 20)
    assert tweak.data_path == load_profile("smoke").data_path  # same data settings: the base's data folder
    assert load_profile("smoke", {"synth_n_users": 99}).data_path.name == "smoke+synth_n_users=99"
    short = load_profile("smoke", {"sequence_lengths": [10], "pca_sequence_length": 10})
    assert short.sequence_lengths == (10,) and short.name == "smoke+pca_sequence_length=10+sequence_lengths=10"
    assert load_profile("smoke", {}) is load_profile("smoke")
    with pytest.raises(ValueError, match=r"unknown field 'topk' \(did you mean 'top_k'\?\)"):
        load_profile("smoke", {"topk": 20})
    with pytest.raises(ValueError, match="field 'similarity' must be str"):
        load_profile("smoke", {"similarity": 3})
    with pytest.raises(ProfileError, match="top_k = 0; allowed"):
        load_profile("smoke", {"top_k": 0})
    with pytest.raises(ProfileError, match="pca_sequence_length"):  # the combination checks too
        load_profile("smoke", {"pca_sequence_length": 30})
    assert len(override_name("demo", {"pca_groups": {"g": ("^" + "x" * 100,)}})) <= 70


def test_overrides_on_top_of_a_profile_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('base = "smoke"\nn_folds = 4\nsynth_n_users = 90\n')
    cfg = load_profile(path, {"fm_rank": 2})
    assert (cfg.name, cfg.base, cfg.n_folds, cfg.fm_rank) == ("mine+fm_rank=2", "smoke", 4, 2)
    assert cfg.data_path == load_profile(path).data_path != load_profile("smoke").data_path  # the file's data
    assert load_profile("ml20m", {"seed": 7}).data_path == load_profile("ml20m").data_path  # real data: no seed
    assert dataclasses.replace(cfg, synth_n_users=91).data_path.name == cfg.name  # other data: its own folder
    (tmp_path / "a+b.toml").write_text('base = "smoke"\n')
    with pytest.raises(ValueError, match="may not start with '_' or contain '\\+'"):
        load_profile(tmp_path / "a+b.toml")


@pytest.mark.parametrize("where", ["runner", "kernel"])
def test_ctrl_c_is_one_line_saying_a_rerun_goes_on(where, monkeypatch, tmp_path, capsys):
    """Ctrl-C printed papermill's tracebacks (two chained, for a terminal's Ctrl-C: the kernel and the
    runner both get it; a new user's trial). Now one line and exit status 130, whichever gets it first."""
    import papermill as pm

    from vt2lib import runner
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))

    def interrupted(*args, **kwargs):
        if where == "runner":
            raise KeyboardInterrupt
        raise pm.PapermillExecutionError(3, 4, "fit()", "KeyboardInterrupt", "", [])
    monkeypatch.setattr(pm, "execute_notebook", interrupted)
    monkeypatch.setattr(runner, "ensure_kernel", lambda: None)
    with pytest.raises(SystemExit) as e:
        runner.run_notebooks("smoke", {"05"})
    assert e.value.code == 130
    assert capsys.readouterr().err.strip() == ("vt2: interrupted in 05_content_based.ipynb (profile smoke); what "
                                               "finished is kept: the same command goes on from there")


def test_set_on_the_command_line():
    assert parse_override("top_k=20") == ("top_k", 20)
    assert parse_override("fusion_k_step=0.1") == ("fusion_k_step", 0.1)
    assert parse_override("sequence_lengths=[10, 20]") == ("sequence_lengths", [10, 20])
    assert parse_override("similarity=cosine") == ("similarity", "cosine")
    assert parse_override("top_k=none") == ("top_k", None)
    with pytest.raises(ValueError, match="expected field=value"):
        parse_override("top_k")
    for bad, says in (("topk=3", r"unknown field.*'topk' \(did you mean 'top_k'\?\)"), ("top_k=0", "top_k = 0; allowed"),
                      ("n_folds", "field=value")):
        with pytest.raises(SystemExit, match=says):
            main(["smoke", "--set", bad, "--only", "05"])
    for only, says in (("99,05", "no notebook numbered 99; valid: 01,02"), (",", r"no notebook numbered \(none given\)")):
        with pytest.raises(SystemExit, match=f"^vt2: --only '{only}': {says}"):  # before anything runs
            main(["smoke", "--only", only])
    with pytest.raises(SystemExit, match=r"^vt2: argument --only: expected one argument \(--help"):  # not argparse's usage
        main(["smoke", "--only"])


def test_a_run_carried_to_another_machine_is_reused_where_its_files_keep_their_times(tmp_path, monkeypatch):
    """ml20m's 01-02 can run where there is internet (02 waits hours on YouTube) and 03-10 on the GPU
    box: data/ and runs/ copied with their modification times (rsync -a, cp -a) keep every key, so
    each artifact is current there. The raw key holds the input files' sizes and times, so the
    same files with new times (a plain copy, ML20M unzipped again) make everything stale."""
    import os
    import shutil
    from vt2lib.config import ML20M_FOLDER

    def profile(root):
        monkeypatch.setenv("VT2_OUTPUT_ROOT", str(root))
        return dataclasses.replace(load_profile("ml20m"), check_availability=False)

    here = profile(tmp_path / "here")
    (here.data_path / ML20M_FOLDER).mkdir(parents=True)
    (here.data_path / ML20M_FOLDER / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,1\n")
    (here.data_path / ML20M_FOLDER / "movies.csv").write_text("movieId,title,genres\n1,A (1990),Drama\n")
    (here.data_path / "ml-youtube.csv").write_text("youtubeId,movieId,title\naaaaaaaaaaa,1,A (1990)\n")
    _chain(here)
    names = ("clean", "features", "keyframe_status", "evaluation_ratings", "folds")
    shutil.copytree(tmp_path / "here", tmp_path / "box")  # shutil.copy2: times kept, as rsync -a
    box = profile(tmp_path / "box")
    assert all(Store(box).current(name) for name in names)
    os.utime(box.data_path / ML20M_FOLDER / "ratings.csv", (1, 1))
    assert not any(Store(box).current(name) for name in names)
