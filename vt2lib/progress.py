"""Progress bars with an ETA: Jupyter widgets when a person runs a notebook, plain text when the
runner executes it headlessly (it sets VT2_TEXT_PROGRESS), so the bars reach the run's log.

    from vt2lib.progress import tqdm
    for x in tqdm(items, desc="keyframes"): ...

>>> list(tqdm(range(3), disable=True))
[0, 1, 2]
"""
from __future__ import annotations

import os

if os.environ.get("VT2_TEXT_PROGRESS"):
    from tqdm import tqdm  # noqa: F401 - text on stderr: papermill's log_output copies it to the log
else:
    from tqdm.auto import tqdm  # noqa: F401
