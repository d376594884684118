"""What a researcher meets first with real files: offline downloads, a status file without
trailers, Table 2's names, a shareable report and a quiet run log (local fixtures only)."""
import os
import subprocess
import sys
import urllib.error
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

from vt2lib.profiles import load_profile
from vt2lib.data.cleaning import clean_dataset
from vt2lib.data.download import DownloadError, ensure_ml20m, ensure_ml20m_youtube
from vt2lib.data.raw import load_raw_data
from vt2lib.io import DataError

ROOT = Path(__file__).resolve().parents[1]


def test_an_offline_download_names_the_file_the_source_and_the_way_round(tmp_path):
    offline = urllib.error.URLError(OSError(-2, "Name or service not known"))
    with mock.patch("urllib.request.urlopen", side_effect=offline):
        with pytest.raises(DownloadError) as err:
            ensure_ml20m(tmp_path, "https://files.example/datasets/")
        message = str(err.value)
        assert "ml-20m.zip" in message and "https://files.example/datasets/ml-20m.zip" in message
        assert f"in {tmp_path} by hand" in message and "movielens_dir" in message
        with pytest.raises(DownloadError, match="youtube_mapping"):
            ensure_ml20m_youtube(tmp_path, "https://files.example/datasets/")
    assert isinstance(err.value, DataError)


def test_offline_imagenet_weights_name_the_file_and_where_it_goes():
    import dataclasses

    from vt2lib.video.features import imagenet_weights_error
    cfg = dataclasses.replace(load_profile("ml20m"))
    message = str(imagenet_weights_error(cfg, OSError("URL fetch failure")))
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5" in message
    assert ".keras" in message and "by hand" in message and "backbone_weights" in message


@pytest.mark.notebooks
def test_ml20m_without_a_network_fails_in_one_line_without_a_traceback(tmp_path):
    """The real ml20m profile, offline (GroupLens pointed at a closed local port): the run stops
    in 01 with the download's message, and the run log has no traceback and no kernel chatter."""
    profile = tmp_path / "offline.toml"
    profile.write_text(f'base = "ml20m"\ndata_dir = "{tmp_path / "data"}"\n')
    env = {**os.environ, "VT2_OUTPUT_ROOT": str(tmp_path), "VT2_GROUPLENS_URL": "http://127.0.0.1:9/"}
    out = subprocess.run([sys.executable, "-m", "vt2lib.runner", str(profile), "--only", "01"], env=env,
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    log = out.stdout + out.stderr
    assert out.returncode == 1
    assert "FAILED: notebook 01_clean_dataset.ipynb" in log and "DownloadError: could not fetch ml-20m.zip" in log
    assert "by hand" in log and "movielens_dir" in log
    assert "Traceback" not in log and "KeyboardInterrupt" not in log and "without encryption" not in log


@pytest.fixture
def movielens_with_status(tmp_path):
    """A MovieLens folder, an ML20M-YT mapping and an availability file: movie 1 available,
    2 unavailable (404), 3 without a status, 4 not mapped."""
    folder = tmp_path / "ml-mini"
    folder.mkdir()
    ratings = [(u, m, 4.0 - (u + m) % 3 / 2, 1) for u in range(1, 8) for m in (1, 2, 3, 4)]
    pd.DataFrame(ratings, columns=["userId", "movieId", "rating", "timestamp"]).to_csv(folder / "ratings.csv",
                                                                                       index=False)
    pd.DataFrame({"movieId": [1, 2, 3, 4], "title": [f"M{i} (1999)" for i in range(4)],
                  "genres": ["Drama"] * 4}).to_csv(folder / "movies.csv", index=False)
    pd.DataFrame({"youtubeId": ["yt1", "yt2", "yt3"], "movieId": [1, 2, 3], "title": ["a", "b", "c"]}).to_csv(
        tmp_path / "ml-youtube.csv", index=False)
    pd.DataFrame({"youtube_id": ["yt1", "yt2"], "movielens_id": [1, 2], "title": ["a", "b"],
                  "status_code": [200, 404]}).to_csv(tmp_path / "youtube_availability.csv", index=False)
    return tmp_path


def _profile(folder: Path, extra: str = "") -> Path:
    path = folder / "mine.toml"
    path.write_text(f'base = "demo"\nratings_source = "movielens"\nmovielens_dir = "ml-mini"\n'
                    f'trailer_source = "none"\nmin_user_ratings = 1\n{extra}')
    return path


def test_without_trailers_a_status_file_still_gives_the_papers_movie_set(movielens_with_status, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(movielens_with_status))
    cfg = load_profile(_profile(movielens_with_status, 'youtube_mapping = "ml-youtube.csv"\n'
                                                       'availability_file = "youtube_availability.csv"\n'))
    res = clean_dataset(load_raw_data(cfg), cfg)
    assert sorted(res.ratings.movieId.unique()) == [1]   # 2 unavailable, 3 status unknown, 4 not mapped
    status = res.log.set_index("step").status
    assert status["trailer unavailable (HTTP status != 200)"] == "ran"
    assert status["video longer than max_trailer_seconds"] == "skipped: no metadata file"
    skipped = res.log[res.log.status != "ran"]
    assert skipped.movies_removed.isna().all()   # n/a, not 0
    assert res.counts["n_trailers_unavailable"] == 2 and res.counts["n_trailers_mapped"] == 3  # 404 + unknown
    assert list(res.table2.columns) == ["ml-mini", "ML20M-YT original", "ML20M-YT filtered"]
    assert res.table2_paper_columns == {"ml-mini": "ML20M", "ML20M-YT original": "ML20M-YT original",
                                        "ML20M-YT filtered": "ML20M-YT filtered"}


def test_ratings_only_says_which_filters_were_skipped(movielens_with_status, monkeypatch):
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(movielens_with_status))
    cfg = load_profile(_profile(movielens_with_status))
    res = clean_dataset(load_raw_data(cfg), cfg)
    assert sorted(res.ratings.movieId.unique()) == [1, 2, 3, 4]
    assert (res.log.status.iloc[1:-1] == "skipped: no ML20M-YT mapping").all()
    assert res.counts["n_trailers_unavailable"] is None and res.counts["n_trailers_mapped"] is None
    assert list(res.table2.columns) == ["ml-mini", "filtered"]


def test_table2_names_the_source_it_loaded(smoke_raw, smoke_cfg):
    assert clean_dataset(smoke_raw, smoke_cfg).table2.columns[0] == "synthetic (demo)"


def test_the_report_names_no_path_of_this_machine(smoke_cfg, tmp_path, monkeypatch):
    from vt2lib.analysis.report import write_report
    text = write_report(smoke_cfg).read_text()
    assert "`provenance.json`, beside this report" in text
    assert str(smoke_cfg.run_dir) not in text and str(tmp_path) not in text
    # what every number rests on comes first, before the machine's details
    assert text.splitlines()[2].startswith("- **read with care**: Synthetic data")


def test_a_trailer_profile_without_status_or_metadata_warns_that_02_fetches_everything(movielens_with_status,
                                                                                        monkeypatch):
    """trailer_source youtube with the availability and metadata filters skipped: a warning names
    them and the ways out (02 would fetch removed and overlong videos); without trailers, none."""
    import dataclasses
    import warnings
    monkeypatch.setenv("VT2_OUTPUT_ROOT", str(movielens_with_status))
    cfg = load_profile(_profile(movielens_with_status, 'youtube_mapping = "ml-youtube.csv"\n'))
    raw = load_raw_data(cfg)
    with pytest.warns(UserWarning, match=r"trailer filter\(s\) skipped: .*no availability.*02 then fetches every "
                                         r"trailer.*availability_file"):
        clean_dataset(raw, dataclasses.replace(cfg, trailer_source="youtube"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clean_dataset(raw, cfg)
