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
The kept frames are bit-identical to a full decode, OpenCV's `grab()` before this module
(tests/test_decode.py, and every demo trailer). H.264 at 240p with 2 B-frames and 2 s GOPs skips a
third of its frames; the demo's MPEG-4 (12-frame GOPs) and MJPEG (every frame a keyframe) most
(bench_decoding.py has the rates).

A frame's index is the rank of its packet's presentation timestamp among the demuxed packets, so a
skipped frame still counts. A stream without a timestamp on every packet, or with a repeated one, is
decoded in full and counted as it comes out. The frame rate and the container's frame count follow
OpenCV's conventions (`avg_frame_rate`, else `r_frame_rate`; `nb_frames`, else duration x rate).

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
    n_gops = int(gop[-1]) + 1 if n else 0
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
            raise VideoError("missing_file", f"{self.path}: file does not exist")
        if self.path.stat().st_size == 0:
            raise VideoError("empty_file", f"{self.path}: file is empty")
        try:
            self._container = av.open(str(self.path))
        except av.FFmpegError as e:
            raise VideoError("unreadable", f"{self.path}: FFmpeg cannot open it ({e.strerror}: corrupt file "
                                           "or unknown format)") from e
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
        self.n_frames = len(self._packets)
        pts = [p.pts for p in self._packets]
        self._ranks = self._rank_of = None  # no usable timestamps: every packet decoded, frames counted
        if None not in pts and len(set(pts)) == len(pts):
            self._rank_of = {t: i for i, t in enumerate(sorted(pts))}
            self._ranks = np.array([self._rank_of[t] for t in pts], np.int64)
            self._keys = np.array([p.is_keyframe for p in self._packets], bool)

    def _frames_from_duration(self) -> int:
        seconds = (self._container.duration or 0) / 1e6  # AV_TIME_BASE
        if seconds <= 0 and self._stream.duration and self._stream.time_base:
            seconds = float(self._stream.duration * self._stream.time_base)
        return int(np.floor(seconds * self.fps + 0.5))

    def frames(self, indices: Iterable[int]) -> Iterator[tuple[int, np.ndarray]]:
        """(index, BGR frame) for each wanted index that decodes, ascending; decoding stops after the last
        wanted one, or at the first packet the decoder rejects (`self.n_decodable` says where).
        `self.n_decoded` counts the frames the decoder gave, skipped ones not included, over
        `self.passes` (2 where a fresh start at a keyframe did not give a wanted frame)."""
        import av
        wanted = np.unique(np.fromiter(indices, np.int64))
        self.n_decodable, self.n_decoded, self.passes, self._at = self.n_frames, 0, 0, 0
        # one converter for the video: a frame's own (to_ndarray's) sets FFmpeg's scaler up anew each time,
        # 3-6x the cost of the conversion itself
        self._to_bgr = av.video.reformatter.VideoReformatter()
        given, last_given = 0, -1
        if not len(wanted):
            return
        try:
            for drop_gops in (True, False):
                self.passes += 1
                for frame in self._decoded(wanted, drop_gops):
                    index = self._index(frame)
                    self.n_decoded += 1
                    if index > wanted[given]:
                        break  # a wanted frame did not come out
                    if index == wanted[given] and index > last_given:
                        yield index, self._to_bgr.reformat(frame, format="bgr24").to_ndarray()
                        given, last_given = given + 1, index
                        if given == len(wanted):
                            return
                if not self._restarted:
                    return
                # A decoder that did not give a frame after a fresh start (an open GOP without a recovery
                # point, say): decode again without dropping GOPs, past the frames already given.
        except av.FFmpegError:  # the frames before the rejected packet count as decodable
            self.n_decodable = self.n_decoded if self._ranks is None else int(self._ranks[self._at:].min())

    def _decoded(self, wanted: np.ndarray, drop_gops: bool) -> Iterator:
        """The decoder's frames, given the packets packets_to_decode picks (every packet without
        timestamps or `drop_gops`; without timestamps, none skipped)."""
        codec = self._stream.codec_context
        codec.flush_buffers()
        send, restart = np.ones(self.n_frames, bool), np.zeros(self.n_frames, bool)
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

    def _index(self, frame) -> int:
        if self._rank_of is None:  # counted as the frames come out
            return self.n_decoded
        if frame.pts not in self._rank_of:
            raise VideoError("unreadable", f"{self.path}: a decoded frame's timestamp ({frame.pts}) is no packet's")
        return self._rank_of[frame.pts]

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
