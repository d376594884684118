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
    from tqdm import tqdm as _text_tqdm  # text on stderr: papermill's log_output copies it to the log

    class tqdm(_text_tqdm):
        def __init__(self, *args, **kwargs):
            # a text bar is erased by writing over its line: in a log file the next line was glued to it
            # (05: fifteen "0%" bars, then the summary); a finished bar keeps its line there, with its time
            if len(args) < 4:  # tqdm's fourth positional argument is `leave`
                kwargs["leave"] = True
            super().__init__(*args, **kwargs)

        def display(self, msg=None, pos=None):
            # a file keeps every state a bar writes over: its opening "0%" stood before each bar's later
            # states in the log (05: fifteen "0%|...100%" lines); the states with progress, and the closing
            # one (written with the bar disabled), are shown
            if self.n == 0 and not self.disable:
                return True
            return super().display(msg, pos)

        def close(self):
            super().close()
            # the kernel sends stderr and stdout on their own timers: without this, a print right after
            # the bar reached the log before the bar's closing newline, glued to the bar's last line
            fp = getattr(self, "fp", None)
            if fp is not None and not getattr(fp, "closed", False):
                fp.flush()
else:
    from tqdm.auto import tqdm  # noqa: F401
