"""Every notebook opens with the settings it uses beside the paper's, and the caveats that apply."""
import dataclasses

from vt2lib.config import Profile
from vt2lib.paper import NOTEBOOK_FIELDS, caveats, paper_settings, settings_beside_paper
from vt2lib.profiles import load_profile
from vt2lib.runner import numbered_notebooks


def test_every_notebook_names_its_fields_and_each_is_a_paper_setting():
    assert set(NOTEBOOK_FIELDS) == {nb.stem for nb in numbered_notebooks()}
    known = set(paper_settings())
    for notebook, fields in NOTEBOOK_FIELDS.items():
        assert fields and set(fields) <= known, (notebook, set(fields) - known)
        assert set(fields) <= {f.name for f in dataclasses.fields(Profile)}


def test_differences_are_marked_and_the_paper_profile_has_none():
    demo = settings_beside_paper(load_profile("demo"), "06_libfm")
    assert demo.loc["fm_rank", "differs"] and demo.loc["fm_rank", "this profile"] == 8
    assert demo.loc["fm_rank", "paper"] == 32 and not demo.loc["fm_init_stdev", "differs"]
    ml20m = settings_beside_paper(load_profile("ml20m"), "06_libfm")
    assert not ml20m.differs.any(), ml20m[ml20m.differs != ""]


def test_caveats_say_synthetic_and_random_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    smoke = caveats(load_profile("smoke"))
    assert any(c.startswith("Synthetic data") for c in smoke)
    assert any("random weights (no ImageNet weights here)" in c for c in smoke)
    assert caveats(load_profile("ml20m")) == []


def test_caveats_for_another_movielens_folder_and_a_rehearsal(tmp_path, monkeypatch):
    """A real folder that is not ML20M is named (its counts are not the paper's); a rehearsal
    (scale) says its numbers measure time; without trailers no trailer field is listed."""
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(tmp_path))
    f = tmp_path / "small.toml"
    f.write_text(f'base = "ml20m"\nmovielens_dir = "{tmp_path / "ml-latest-small"}"\ndownload_ml20m = false\n'
                 'trailer_source = "none"\ncheck_availability = false\n')
    small = load_profile(f)
    assert [c.split(":")[0] for c in caveats(small)] == ["Ratings from `ml-latest-small`, not MovieLens 20M"]
    assert "backbone_weights" not in settings_beside_paper(small, "06_libfm").index
    assert any(c.startswith("A rehearsal") for c in caveats(load_profile("scale")))


def test_the_run_log_says_each_caveat_once(smoke_cfg):
    """The runner's stdout drops a caveat line it has logged already (the executed notebooks keep
    theirs: tests/test_notebooks.py); other repeated lines stay, a caveat split over two chunks is
    whole before it is judged, and other text is passed on at once, without waiting for its line's end."""
    import io

    from vt2lib.paper import CAVEAT_LINES, CAVEAT_PREFIX, ML20M_ONLY, NOTE_PREFIX
    from vt2lib.runner import CaveatsOncePerRun
    out = io.StringIO()
    log = CaveatsOncePerRun(out, CAVEAT_LINES)
    note, said = f"{NOTE_PREFIX}{caveats(smoke_cfg)[0]}", f"- {CAVEAT_PREFIX}{caveats(smoke_cfg)[0]}"
    for notebook in range(2):
        log.write(note[:3])
        log.write(note[3:] + "\nloss 1.0\n")
        log.write(f"{said}\r\n- {ML20M_ONLY}\nno newline")
        log.end_notebook()
    assert out.getvalue().splitlines() == [note, "loss 1.0", f"- {ML20M_ONLY}", "no newline", "loss 1.0",
                                           "no newline"]  # the summary's "What these data can say" is the note's
    assert log.left_out == 4
    out.truncate(0)
    out.seek(0)
    log.write("training ")  # no caveat starts so: shown before its line ends
    assert out.getvalue() == "training "
    log.write(f"done\n{note[:4]}")
    assert out.getvalue() == "training done\n"  # a possible caveat's start waits
    log.write(note[4:] + "\n")
    assert out.getvalue() == "training done\n" and log.left_out == 5
