"""YouTube's limits on yt-dlp, kept: each session paced, a refusal waited out, never taken for a
missing video.

yt-dlp's wiki (Extractors, "This content isn't available, try again later") and yt-dlp itself:
a session (one `YoutubeDL`, guest or account) may request ~300 videos an hour. Past that,
YouTube refuses every video of the session "for up to an hour", and yt-dlp recommends 5-10 s
between videos (its `-t sleep` preset waits 10-20 s). A refused video is not unavailable: counted
as a failed download or a missing trailer, it would leave 01's metadata or 02's features with a
few hundred trailers of ML20M's ~13.5k. So every YouTube request of 01 and 02 goes through a
`SessionPacer`:

- each session (thread) starts a video at most every `SESSION_SPACING_S` (15 s, `-t sleep`'s
  mean): ~240 videos an hour, under the ~300;
- a refusal (rate limit, bot check, captcha, HTTP 429 or 5xx) pauses every session for the next
  of `BACKOFFS_S` (15 min, 30, 60, 60), then the same video is asked again;
- after as many pauses in a row with no video between them, `YoutubeRefusal` stops the run
  with YouTube's reason: what finished is kept, and a later rerun goes on from there;
- a lost connection is not the video's fault either. The request is asked again after 10, 30
  and 60 s (a hiccup). If that does not help and YouTube has answered this run, it is an outage,
  waited out as a refusal is; if YouTube never answered, the machine is offline, and every
  request then fails at once with `YoutubeUnreachable` (01 stops on it; 02 records the trailers
  it could not fetch, as a GPU box without internet does for its retries).

>>> is_refusal("ERROR: [youtube] abc: This content isn't available, try again later. The current session has ...")
True
>>> is_refusal("ERROR: [youtube] abc: Video unavailable"), is_refusal("Sign in to confirm your age")
(False, False)
>>> is_network_error("ERROR: [youtube] abc: Unable to download API page: <urlopen error [Errno -2] Name or service "
...                  "not known> (caused by TransportError(...))")
True
>>> pacer = SessionPacer(spacing_s=0, backoffs_s=(0, 0), quiet=True)
>>> answers = iter([RuntimeError("HTTP Error 429: Too Many Requests"), "video.mp4"])
>>> def ask():
...     answer = next(answers)
...     if isinstance(answer, Exception):
...         raise answer
...     return answer
>>> pacer.call(ask, "abc"), pacer.refusals      # refused once, paused, asked again
('video.mp4', 1)
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")

# Substrings of yt-dlp's messages when YouTube refuses the session, not the video (yt-dlp's
# youtube extractor: the rate limit, "Sign in to confirm you're not a bot", a captcha; a 429 anywhere).
REFUSAL_MARKERS = ("try again later", "rate-limited", "not a bot", "captcha", "http error 429", "too many requests",
                   "http error 5")  # a server error (5xx): the server's state, not the video's
# ... and when the machine does not reach YouTube (DNS, connection, timeouts: urllib's and yt-dlp's words)
NETWORK_MARKERS = ("name or service not known", "temporary failure in name resolution", "failed to resolve",
                   "nodename nor servname", "connection refused", "network is unreachable", "no route to host",
                   "connection reset", "remote end closed connection", "timed out", "max retries exceeded",
                   "unable to connect")
SESSION_SPACING_S = 15.0  # between two videos of one session: yt-dlp's `-t sleep` waits 10-20 s
BACKOFFS_S = (15 * 60.0, 30 * 60.0, 60 * 60.0, 60 * 60.0)  # pauses after refusals in a row ("up to an hour")
NETWORK_RETRIES_S = (10.0, 30.0, 60.0)  # a request that did not reach YouTube is asked again after these


def is_refusal(message: str) -> bool:
    """Whether a yt-dlp error says YouTube refused the session (wait and ask again), not the video."""
    text = message.lower()
    return any(marker in text for marker in REFUSAL_MARKERS)


def is_network_error(message: str) -> bool:
    """Whether an error says this machine did not reach YouTube (nothing about the video)."""
    text = message.lower()
    return any(marker in text for marker in NETWORK_MARKERS)


class YoutubeRefusal(RuntimeError):
    """YouTube kept refusing the session after every pause: the run stops, its finished work kept."""


class YoutubeUnreachable(RuntimeError):
    """This machine did not reach YouTube before any answer: offline (no request is asked again)."""


class SessionPacer:
    """Paces the YouTube requests of one or more sessions (one per thread) and waits out refusals.

    `call(ask, what)` runs `ask()` (one video's request) when the calling thread's session may ask
    again and no pause is on; an exception whose message `is_refusal` (or `is_network_error` once
    YouTube has answered) starts a pause for every session (one pause per wave: a session refused
    during a pause joins it) and the video is asked again after it. A network error before any
    answer makes the pacer offline: that call and every later one raise `YoutubeUnreachable`. Any
    other exception is the caller's. `stop()` wakes every waiting thread with `YoutubeRefusal`
    (the caller is stopping: Ctrl-C, another error)."""

    def __init__(self, spacing_s: float = SESSION_SPACING_S, backoffs_s=BACKOFFS_S, quiet: bool = False,
                 clock: Callable[[], float] = time.monotonic, network_retries_s=NETWORK_RETRIES_S):
        self.spacing_s, self.backoffs_s, self.quiet, self.clock = spacing_s, tuple(backoffs_s), quiet, clock
        self.network_retries_s = tuple(network_retries_s)
        self.refusals = 0          # refusals met in all (each asked again)
        self.pauses_in_a_row = 0   # pauses since the last video YouTube gave
        self._pause_wave = 0       # bumped by each pause: a refusal of a request started before it joins it
        self._resume_at = 0.0
        self._lock, self._stop, self._local = threading.Lock(), threading.Event(), threading.local()
        self._gave_up: str | None = None
        self.answered = False      # YouTube answered a request of this pacer at least once
        self.offline: str | None = None  # why requests fail at once: this machine did not reach YouTube

    def stop(self, reason: str = "stopped while waiting for YouTube") -> None:
        with self._lock:
            self._gave_up = self._gave_up or reason
        self._stop.set()

    def _wait_until(self, when: Callable[[], float]) -> None:
        """Wait until the time `when()` gives (asked again on each wake), or raise YoutubeRefusal on stop()."""
        while True:
            if self._stop.is_set():
                raise YoutubeRefusal(self._gave_up)
            left = when() - self.clock()
            if left <= 0:
                return
            self._stop.wait(left)

    def call(self, ask: Callable[[], T], what: str) -> T:
        hiccups = 0  # network errors of this request in a row
        while True:
            wave = self._turn()
            if self.offline:
                raise YoutubeUnreachable(self.offline)
            try:
                answer = ask()
            except Exception as e:  # noqa: BLE001 - a refusal or an outage is waited out, anything else re-raised
                message = str(e)
                if not is_network_error(message):
                    self.answered = True  # YouTube answered: with a refusal, or with the video's own error
                    if not is_refusal(message):
                        raise
                elif hiccups < len(self.network_retries_s):  # a hiccup: this request again, shortly
                    deadline = self.clock() + self.network_retries_s[hiccups]
                    hiccups += 1
                    self._wait_until(lambda: deadline)
                    continue
                elif self._went_offline(message):
                    raise YoutubeUnreachable(self.offline) from None
                self._refused(what, message, wave)
                continue
            with self._lock:
                self.answered = True
                if wave == self._pause_wave:  # asked after the latest pause: YouTube answers again
                    self.pauses_in_a_row = 0
            return answer

    def _went_offline(self, message: str) -> bool:
        """A network error that lasted: offline if YouTube never answered this pacer (else an outage)."""
        with self._lock:
            if self.answered:
                return False
            first = self.offline is None
            self.offline = self.offline or (f"this machine does not reach YouTube "
                                            f"({message.strip().splitlines()[0][:300]})")
        if first and not self.quiet:
            print(f"vt2: {self.offline}; no request to YouTube is made again in this run", file=sys.stderr,
                  flush=True)
        return True

    def _turn(self) -> int:
        """Wait for this session's turn with no pause on; the pause wave the request starts in."""
        last = getattr(self._local, "last_start", None)
        due = -float("inf") if last is None else last + self.spacing_s
        while True:
            self._wait_until(lambda: max(self._resume_at, due))
            with self._lock:  # a pause may have begun since the wait ended: then wait for it too
                if self._resume_at <= self.clock():
                    self._local.last_start = self.clock()
                    return self._pause_wave

    def _refused(self, what: str, message: str, wave: int) -> None:
        reason = message.strip().splitlines()[0][:300]
        with self._lock:
            self.refusals += 1
            if wave != self._pause_wave:  # this wave of refusals has its pause already
                return
            if self.pauses_in_a_row == len(self.backoffs_s):
                waited = sum(self.backoffs_s) / 60
                self._gave_up = (f"YouTube refused {what} again after {len(self.backoffs_s)} pauses ({waited:.0f} min) "
                                 f"with no video between them: {reason}. Everything finished is kept; run the same "
                                 "command later to go on (yt-dlp's wiki: a session may ask ~300 videos an hour; "
                                 "a lost connection is waited out the same way)")
                self._stop.set()
                raise YoutubeRefusal(self._gave_up)
            pause = self.backoffs_s[self.pauses_in_a_row]
            self.pauses_in_a_row += 1
            self._pause_wave += 1
            self._resume_at = self.clock() + pause
        if not self.quiet:
            print(f"vt2: YouTube refused {what} ({reason}); every session pauses {pause / 60:.0f} min, then asks "
                  f"again (pause {self.pauses_in_a_row} of {len(self.backoffs_s)} in a row)",
                  file=sys.stderr, flush=True)
