"""ML20M genres as training targets and item vectors.

>>> import pandas as pd
>>> mat, mask = genre_matrix(pd.Series(["Action|Comedy", "(no genres listed)"]))
>>> mat.sum(1).tolist(), mask.tolist()
([2.0, 0.0], [1.0, 0.0])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from vt2lib.config import GENRES


def genre_matrix(genres: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot over ML20M's 20 labels, and a mask that is 0 for '(no genres listed)'."""
    mat = np.zeros((len(genres), len(GENRES)), np.float32)
    for r, g in enumerate(genres):
        for label in str(g).split("|"):
            if label in GENRES:
                mat[r, GENRES.index(label)] = 1.0
    missing = (mat.sum(1) == 0) | (mat[:, GENRES.index("(no genres listed)")] == 1)
    mat[missing] = 0.0
    return mat, (~missing).astype(np.float32)
