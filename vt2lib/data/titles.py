"""Movies by title: the groups of the PCA figures (paper Figs 9-11) and their reference movies.

>>> import pandas as pd
>>> movies = pd.DataFrame({"movieId": [1, 2, 3], "title": ["Star Wars: Episode IV (1977)", "Up (2009)",
...                                                         "Star Wars: Episode I (1999)"]})
>>> select_titles(movies, [r"^Star Wars: Episode"]).movieId.tolist()
[3, 1]
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def select_titles(movies: pd.DataFrame, patterns) -> pd.DataFrame:
    """Movies whose title matches any regex in `patterns` (case-insensitive), in title order."""
    mask = np.zeros(len(movies), bool)
    for p in patterns:
        mask |= movies.title.str.contains(p, case=False, regex=True).to_numpy()
    return movies[mask].sort_values("title")
