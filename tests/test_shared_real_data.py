"""Checks on real reference files in ../shared/data; skipped cleanly when ../shared is absent."""
import dataclasses

import pytest

from conftest import SHARED_DATA

pytestmark = [pytest.mark.shared,
              pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")]


def test_availability_counts_match_paper(tmp_path):
    """ML20M-YT + the authors' status file: 6,511 of 25,623 trailers unavailable (paper 3.1.1)."""
    from vt2lib.cleaning import _count_unavailable
    from vt2lib.data import RawData
    from vt2lib.io import load_availability, load_youtube_mapping
    mapping = load_youtube_mapping(SHARED_DATA / "ml20m_youtube" / "ml-youtube.csv")
    status = load_availability(SHARED_DATA / "vt2_authors_ml20m_youtube" / "youtube_availability.csv")
    raw = RawData(ratings=None, movies=None, mapping=mapping, availability=status, metadata=None, trailer_dir=None)
    assert len(mapping) == 25_623
    assert _count_unavailable(raw) == 6_511


def test_movielens_small_loads_and_cleans(tmp_path):
    from vt2lib.cleaning import clean_dataset
    from vt2lib.config import load_profile
    from vt2lib.data import load_raw_data
    f = tmp_path / "small.toml"
    f.write_text(f'base = "demo"\nratings_source = "movielens"\nmovielens_dir = "{SHARED_DATA / "ml-latest-small"}"\n'
                 'trailer_source = "none"\n')
    cfg = load_profile(f)
    raw = load_raw_data(cfg)
    assert len(raw.ratings) == 100_836 and len(raw.movies) == 9_742
    res = clean_dataset(raw, cfg)
    assert res.counts["n_users_filtered"] == 610 and abs(res.counts["mean_rating_filtered"] - 3.5016) < 1e-3
