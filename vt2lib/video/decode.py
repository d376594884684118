"""Decoding only what the kept frames need (PyAV): 02 keeps one frame a second, and decodes little more.

    with Video("x.mp4") as video:                  # opened and demuxed: video.fps, video.n_frames
        for index, bgr in video.frames([0, 25, 50]):   # (H, W, 3) uint8 BGR, in presentation order
            ...

A kept frame needs the frames it is predicted from, back to the keyframe that starts its group of
pictures (GOP), and no others:
- a GOP is decoded only up to its last kept frame, and not at all if it holds none; the decoder then
  starts afresh at the next GOP it needs (drained and flushed, as after a seek). A GOP whose kept
  frames include leading ones (shown before its keyframe, so possibly predicted from the GOP before:
  an open GOP) keeps the GOP before it whole;
- within a GOP, a frame that no other frame refers to (a non-reference B-frame) is skipped unless it is
  kept (FFmpeg's `skip_frame = NONREF`, set per packet).
The benchmark's 240p H.264 (2 B-frames, GOPs of at most 2 s) decodes 727 of its 1,500 frames; the demo's
MPEG-4 (12-frame GOPs) and MJPEG (every frame a keyframe) far fewer (bench_decoding.py has the rates).

This trusts the container's keyframe flags (that decoding can start there, as every seek does). Where
a fresh start gives no wanted frame or an error, the video is decoded again without dropping GOPs;
where a wanted frame still does not come out (a stream starting mid-GOP, a decoder dropping a frame)
or a frame's timestamp is no packet's, `missed` is set and extract_keyframes counts the frames as they
come out instead, as OpenCV's `grab()` did. The kept frames are bit-identical to OpenCV's full decode
(tests/test_decode.py, and every demo trailer).

A frame's index is the rank of its packet's presentation timestamp among the demuxed packets that
give a frame (not those an edit list discards), so a skipped frame still counts. A stream without a
timestamp on every packet, or with a repeated one, is decoded in full and counted as it comes out. The
frame rate and the container's frame count follow OpenCV's (`avg_frame_rate`, else `r_frame_rate`;
`nb_frames`, else duration x rate).

>>> ranks = np.array([0, 3, 1, 2, 4, 7, 5, 6])     # I P B B | I P B B in decode order: 2 GOPs of 4 frames
>>> send, restart = packets_to_decode(ranks, ranks % 4 == 0, wanted=np.array([1, 4]))
>>> np.flatnonzero(send).tolist(), np.flatnonzero(restart).tolist()    # frame 1 needs 0 and 3; 4 is a key
([0, 1, 2, 4], [4])
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np


class VideoError(ValueError):
    """A trailer file cannot be used; `status` is the short code recorded in the status table."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def packets_to_decode(ranks: np.ndarray, keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which packets (in decode order, each with its frame's presentation index in `ranks` and its
    keyframe flag in `keys`) the decoder must be given for the frames `wanted`, and before which it
    starts afresh; see the module doc."""
    n = len(ranks)
    if not n:
        return np.zeros(0, bool), np.zeros(0, bool)
    gop = np.cumsum(keys)  # packets before the first keyframe form a GOP of their own
    gop -= gop[0]
    n_gops = int(gop[-1]) + 1
    starts = np.searchsorted(gop, np.arange(n_gops))
    is_wanted = np.isin(ranks, wanted)
    end = np.full(n_gops, -1)
    np.maximum.at(end, gop[is_wanted], np.flatnonzero(is_wanted))
    leading = is_wanted & (ranks < ranks[starts[gop]]) & (gop > 0)
    end[np.unique(gop[leading]) - 1] = starts[np.unique(gop[leading])] - 1  # the GOP before a leading one: whole
    send = np.arange(n) <= end[gop]
    restart = send & ~np.r_[True, send[:-1]]
    return send, restart


class Video:
    """A video file opened and demuxed; `frames` decodes the frames asked for (see the module doc)."""

    def __init__(self, path):
        import av
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoError("missing_file", f"{self.path}: " + ("a folder, not a video file" if self.path.is_dir()
                                                                else "file does not exist"))
        if self.path.stat().st_size == 0:
            raise VideoError("empty_file", f"{self.path}: file is empty")
        try:
            self._container = av.open(str(self.path))
        except av.FFmpegError as e:
            raise VideoError("unreadable", f"{self.path}: FFmpeg cannot open it ({e.strerror}: a corrupt or "
                                           "incomplete file, or an unknown format)") from e
        try:
            self._open_stream(av)
        except BaseException:
            self._container.close()
            raise

    def _open_stream(self, av) -> None:
        if not self._container.streams.video:
            raise VideoError("unreadable", f"{self.path}: no video stream")
        self._stream = stream = self._container.streams.video[0]
        stream.thread_type, stream.thread_count = "NONE", 1  # parallel over videos (02's workers), not frames
        rate = stream.average_rate or stream.base_rate
        self.fps = float(rate) if rate else 0.0
        self.n_reported = int(stream.frames) or self._frames_from_duration()
        self._packets = []
        try:
            for packet in self._container.demux(stream):
                if packet.size:  # not the demuxer's final empty packet
                    self._packets.append(packet)
        except av.FFmpegError:
            pass  # a file cut short: its frames up to the cut are kept, and the count shows the rest missing
        shown = [p for p in self._packets if not p.is_discard]  # an edit list's pre-roll gives no frame
        self.n_frames = len(shown)
        pts = [p.pts for p in shown]
        self._ranks = self._rank_of = None
        if None not in pts and len(set(pts)) == len(pts):
            self._rank_of = {t: i for i, t in enumerate(sorted(pts))}
            self._ranks = np.array([-1 if p.is_discard else self._rank_of[p.pts] for p in self._packets], np.int64)
            self._keys = np.array([p.is_keyframe for p in self._packets], bool)

    def count_as_decoded(self) -> None:
        """From now on decode every packet and count the frames as they come out (OpenCV's way)."""
        self._ranks = self._rank_of = None

    def _frames_from_duration(self) -> int:
        seconds = (self._container.duration or 0) / 1e6  # AV_TIME_BASE
        if seconds <= 0 and self._stream.duration and self._stream.time_base:
            seconds = float(self._stream.duration * self._stream.time_base)
        return int(np.floor(seconds * self.fps + 0.5))

    def frames(self, indices: Iterable[int]) -> Iterator[tuple[int, np.ndarray]]:
        """(index, BGR frame) for each wanted index, ascending, until the last one or the first packet the
        decoder rejects (`self.n_decodable` then says where). `self.n_decoded` counts the frames the decoder
        gave, skipped ones not included, over `self.passes`; `self.missed`: see the module doc."""
        import av
        wanted = np.unique(np.fromiter(indices, np.int64))
        self.n_decodable, self.n_decoded, self.passes, self.missed = self.n_frames, 0, 0, False
        self._to_bgr = av.video.reformatter.VideoReformatter()  # one per video: see _bgr
        given, counted, self._at = 0, self._rank_of is None, 0
        if not len(wanted):
            return
        for drop_gops in ((True, False) if not counted else (False,)):
            self.passes += 1
            try:
                for frame in self._decoded(wanted, drop_gops):
                    index = self._index(frame)
                    self.n_decoded += 1
                    if given < len(wanted) and index == wanted[given]:
                        yield index, self._bgr(frame)
                        given += 1
                    if given == len(wanted):
                        if counted:
                            continue  # to the stream's end, which gives the frame count
                        return
                    if index is None or index > wanted[given]:
                        break  # a wanted frame did not come out (or a frame is no packet's)
                else:
                    if counted:  # the stream's end: every frame is counted
                        self.n_decodable = self.n_decoded
                        return
            except av.FFmpegError:
                if not (drop_gops and self._restarted):
                    # the frames before the packet the decoder rejected count as decodable
                    self.n_decodable = self.n_decoded if counted else self._shown_before(self._at)
                    return
                continue  # a fresh start failed: decode again without dropping GOPs
            if not (drop_gops and self._restarted):
                break
            # a fresh start at a keyframe did not give a wanted frame: decode again without dropping GOPs,
            # past the frames already given
        self.missed = True

    def _decoded(self, wanted: np.ndarray, drop_gops: bool) -> Iterator:
        """The decoder's frames, given the packets packets_to_decode picks (every packet without
        timestamps or `drop_gops`; without timestamps, none skipped)."""
        codec = self._stream.codec_context
        codec.flush_buffers()
        send, restart = np.ones(len(self._packets), bool), np.zeros(len(self._packets), bool)
        is_wanted = None if self._ranks is None else np.isin(self._ranks, wanted)
        if drop_gops and is_wanted is not None:
            send, restart = packets_to_decode(self._ranks, self._keys, wanted)
        self._restarted = bool(restart.any())
        for j in np.flatnonzero(send):
            self._at = j
            if restart[j]:  # as after a seek: what the decoder holds, then a clean start at this keyframe
                yield from codec.decode(None)
                codec.flush_buffers()
            if is_wanted is not None:
                codec.skip_frame = "DEFAULT" if is_wanted[j] else "NONREF"
            yield from codec.decode(self._packets[j])
        yield from codec.decode(None)

    def _bgr(self, frame) -> np.ndarray:
        """The frame as OpenCV gave it: BGR by FFmpeg's scaler with bicubic interpolation (it matters for
        10-bit and odd sizes), turned upright by the stream's rotation. One converter per video: a frame's
        own (`to_ndarray`'s) sets the scaler up anew each time, 3-6x the cost of the conversion itself."""
        bgr = self._to_bgr.reformat(frame, format="bgr24", interpolation="BICUBIC").to_ndarray()
        turns = round(frame.rotation / 90) % 4 if frame.rotation % 90 == 0 else 0  # OpenCV's: right angles only
        return np.ascontiguousarray(np.rot90(bgr, turns)) if turns else bgr

    def _shown_before(self, at: int) -> int:
        """The frames shown before every packet from decode position `at` on: the decoder rejected that
        packet (or, where a drain failed, one sent before it)."""
        rest = self._ranks[at:]
        rest = rest[rest >= 0]
        return int(rest.min()) if len(rest) else self.n_frames

    def _index(self, frame) -> int | None:
        if self._rank_of is None:  # counted as the frames come out
            return self.n_decoded
        return self._rank_of.get(frame.pts)

    def close(self) -> None:
        self._packets = []
        self._container.close()

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
