"""Benchmark: H.264 decoding rate per CPU core at YouTube's 240p, 360p and 720p, to pick yt-dlp's format.

    .venv/bin/python tests/benchmarks/bench_decoding.py --json tests/benchmarks/rates_cpu.json
    .venv/bin/python tests/benchmarks/bench_decoding.py --seconds 20 --core 1     # quicker, a chosen core

Encodes its own test videos with PyAV and libx264 (crf 23, GOP 50, 2 B-frames,
yuv420p, 25 fps) from seeded synthetic footage: a textured scene panned and zoomed, cut into shots,
with moving shapes and grain; one 720p master downscaled to 640x360 and 426x240, plus the 240p video
remuxed with an AAC track. Then, in a child process pinned to one core (cv2.setNumThreads(1)), times
decoding every frame (PyAV, one thread; and OpenCV's `grab()`, 02's decoder before vt2lib.video.decode)
and notebook 02's `extract_keyframes(path, 224)`, which skips the frames no kept one needs, on each file,
3 times: best and median frames/s per core, frames per CPU-second of the child (which a shared core
does not lower) and the file size per minute of video. `--json` adds to a rates file the best rates
(`decode_240p` ...; project_ml20m.py reads the download format's) and the bytes/s of video
(`video_bytes_240p` ...).
Not a test: it prints numbers.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import multiprocessing
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from vt2lib.io import update_json

# cv2 and vt2lib.video (which imports cv2) are imported in the pinned child only: OpenCV sizes its
# decoder threads from the CPUs it may use when it loads.
SIZES = {"240p": (426, 240), "360p": (640, 360), "720p": (1280, 720)}
FPS = 25
X264 = {"crf": "23", "g": "50", "bf": "2"}
ENCODING = "H.264 (libx264 crf 23, GOP 50, 2 B-frames), 25 fps"


def texture(rng, side=3072):
    """A colour scene larger than the frame: smoothed noise at several scales plus sharp-edged shapes."""
    import cv2
    tex = np.zeros((side, side, 3), np.float32)
    for cell, weight in ((256, 1.0), (64, 0.6), (16, 0.35), (4, 0.2)):
        small = rng.random((side // cell, side // cell, 3), dtype=np.float32)
        tex += weight * cv2.resize(small, (side, side), interpolation=cv2.INTER_CUBIC)
    tex = (255 * (tex - tex.min()) / np.ptp(tex)).astype(np.uint8)
    for _ in range(400):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = (int(v) for v in rng.integers(0, side, 2))
        r = int(rng.integers(4, 80))
        if rng.random() < 0.5:
            cv2.rectangle(tex, (x, y), (x + r, y + int(rng.integers(4, 80))), colour, int(rng.choice([-1, 2])))
        else:
            cv2.circle(tex, (x, y), r, colour, int(rng.choice([-1, 3])), lineType=cv2.LINE_AA)
    return tex


def frames(seconds, seed=0):
    """Yield `seconds * FPS` deterministic 1280x720 RGB frames: shots of 1.5-5 s, each a still camera or a
    pan + zoom over the scene from its own start, with five moving shapes and mild grain on top."""
    import cv2
    rng = np.random.default_rng(seed)
    tex = texture(rng)
    w, h = SIZES["720p"]
    # A bank of grain frames: drawing fresh noise per 720p frame would dominate the generation time, and
    # x264's 3 reference frames cannot exploit a period of 8.
    grain = rng.normal(0, 3, (8, h, w, 3)).astype(np.int16)
    shapes = rng.random((5, 7))  # per shape: centre x, y, path radius x, y, speed, phase, size
    colours = [tuple(int(c) for c in rgb) for rgb in rng.integers(0, 256, (5, 3))]
    n, shot_end = seconds * FPS, 0
    for i in range(n):
        if i >= shot_end:  # a cut: new start point, pan velocity, zoom and zoom rate
            shot_end = i + int(rng.integers(int(1.5 * FPS), 5 * FPS))
            x0, y0 = rng.uniform(0, tex.shape[1] - 1.5 * w), rng.uniform(0, tex.shape[0] - 1.5 * h)
            still = rng.random() < 1 / 3  # trailers mix locked-off shots with camera moves
            vx, vy = (0, 0) if still else rng.uniform(-6, 6, 2)
            zoom, dzoom = rng.uniform(0.7, 1.4), 0 if still else rng.uniform(-0.004, 0.004)
            t0 = i
        t = i - t0
        z = zoom + dzoom * t
        m = np.float32([[z, 0, x0 + vx * t], [0, z, y0 + vy * t]])  # output pixel -> scene pixel
        frame = cv2.warpAffine(tex, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)
        for (cx, cy, rx, ry, speed, phase, size), colour in zip(shapes, colours):
            a = 2 * np.pi * (0.1 + 0.4 * speed) * i / FPS + 6 * phase
            centre = (int(w * (0.2 + 0.6 * cx) + 300 * rx * np.cos(a)),
                      int(h * (0.2 + 0.6 * cy) + 200 * ry * np.sin(a)))
            axes = (int(20 + 80 * size), int(10 + 40 * size))
            cv2.ellipse(frame, centre, axes, np.degrees(a), 0, 360, colour, -1, lineType=cv2.LINE_AA)
        yield np.clip(frame + grain[i % len(grain)], 0, 255).astype(np.uint8)


def encode(folder: Path, seconds: int) -> dict[str, Path]:
    """One pass over the frames: the 720p master and its INTER_AREA downscales, each to its own .mp4."""
    import av
    import cv2
    paths = {label: folder / f"{label}.mp4" for label in SIZES}
    outs, streams = {}, {}
    for label, (w, h) in SIZES.items():
        outs[label] = av.open(str(paths[label]), "w")
        s = outs[label].add_stream("libx264", rate=FPS, options=X264)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.thread_type = "FRAME"  # PyAV's default, slice threads, would cut every frame into slices
        streams[label] = s
    for i, master in enumerate(frames(seconds)):
        for label, (w, h) in SIZES.items():
            img = master if label == "720p" else cv2.resize(master, (w, h), interpolation=cv2.INTER_AREA)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            outs[label].mux(streams[label].encode(frame))
    for label in SIZES:
        outs[label].mux(streams[label].encode())
        outs[label].close()
    paths["240p + AAC"] = add_audio(paths["240p"], folder / "240p_aac.mp4", seconds)
    return paths


def add_audio(src: Path, dst: Path, seconds: int, rate=48000) -> Path:
    """`src`'s video packets unchanged plus a 128 kb/s stereo AAC track (tones and noise)."""
    import av
    rng = np.random.default_rng(1)
    t = np.arange(seconds * rate) / rate
    tone = 0.3 * np.sin(2 * np.pi * 220 * t * (1 + 0.5 * np.sin(0.3 * t))) * (0.5 + 0.5 * np.sin(1.7 * t))
    pcm = np.stack([tone, np.roll(tone, 4800)]) + 0.05 * rng.standard_normal((2, t.size))
    pcm = pcm.astype(np.float32)
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream("aac", rate=rate, layout="stereo", bit_rate=128_000)
        for start in range(0, pcm.shape[1], 1024):  # AAC frames are 1024 samples
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[:, start:start + 1024]), format="fltp",
                                               layout="stereo")
            frame.sample_rate, frame.pts = rate, start
            out.mux(aout.encode(frame))
        out.mux(aout.encode())
        for packet in inp.demux(vin):
            if packet.dts is not None:  # the demuxer's final empty packet
                packet.stream = vout
                out.mux(packet)
    return dst


def pin(core: int) -> None:
    """Worker initializer: one core, then OpenCV with one thread."""
    os.sched_setaffinity(0, {core})
    import cv2
    cv2.setNumThreads(1)


def measure(path: str, mode: str) -> tuple[int, float, float]:
    """Frames decoded, wall seconds and CPU seconds of one pass over `path` (in the pinned worker)."""
    import cv2
    from vt2lib.video.keyframes import extract_keyframes
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "grab":
        cap = cv2.VideoCapture(path)
        n = 0
        while cap.grab():
            n += 1
        cap.release()
    elif mode == "decode":
        import av
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type, stream.thread_count = "NONE", 1
            n = sum(1 for _ in container.decode(stream))
    else:
        n = extract_keyframes(path, 224)[1].n_frames_decoded
    return n, time.perf_counter() - wall, time.process_time() - cpu


def idlest_core(interval=1.0) -> int:
    """The core with the least busy time over `interval` seconds (/proc/stat), among those allowed."""
    def busy():
        out = {}
        for line in Path("/proc/stat").read_text().splitlines():
            if re.match(r"cpu\d+ ", line):
                name, *ticks = line.split()
                ticks = [int(v) for v in ticks]
                out[int(name[3:])] = sum(ticks) - ticks[3] - ticks[4]  # minus idle and iowait
        return out
    before = busy()
    time.sleep(interval)
    after = busy()
    return min(os.sched_getaffinity(0), key=lambda c: after[c] - before[c])


def cpu_model() -> str:
    info = dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in
                                                        Path("/proc/cpuinfo").read_text().splitlines()))
    return f"{info['model name']} (family {info['cpu family']}, model {info['model']})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of each test video")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--core", type=int, help="core to pin to (default: the idlest over 1 s)")
    parser.add_argument("--json", help="write the rates to this JSON file")
    args = parser.parse_args()
    import av
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        paths = encode(Path(tmp), args.seconds)
        x264 = re.search(rb"x264 - core \d+( r\d+ \w+)?", paths["240p"].read_bytes()).group().decode()
        print(f"PyAV {av.__version__}, FFmpeg {av.ffmpeg_version_info}, {x264}; "
              f"encoded in {time.perf_counter() - start:.0f} s")
        core = idlest_core() if args.core is None else args.core
        runs = {(label, mode): [] for label in paths for mode in ("grab", "decode", "extract")}
        with concurrent.futures.ProcessPoolExecutor(1, multiprocessing.get_context("spawn"), initializer=pin,
                                                    initargs=(core,)) as pool:
            for label, path in paths.items():  # warm-up: codec loading and the page cache
                pool.submit(measure, str(path), "decode").result()
            for _ in range(args.repeats):  # rounds, so that a busy spell on the core hits every file alike
                for (label, mode), out in runs.items():
                    out.append(pool.submit(measure, str(paths[label]), mode).result())
        bytes_per_s = {label: p.stat().st_size / args.seconds for label, p in paths.items()}
    n_expected = args.seconds * FPS
    assert all(n == n_expected for out in runs.values() for n, _, _ in out), "a video lost frames"

    def rates(label, mode, clock=1):  # clock 1: wall time; 2: the child's CPU time, blind to a shared core
        return [run[0] / run[clock] for run in runs[label, mode]]

    cpu_share = min(cpu / wall for out in runs.values() for _, wall, cpu in out)
    print(f"\n{cpu_model()}, core {core} pinned, {args.seconds} s videos, best / median of {args.repeats}\n")
    print("| video | MB per minute | OpenCV grab(), frames/s/core | every frame (PyAV), frames/s/core "
          "| extract_keyframes 224, frames/s/core | extract_keyframes, frames per CPU-s |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (w, h) in {**SIZES, "240p + AAC": SIZES["240p"]}.items():
        cells = [f"{max(r):,.0f} / {statistics.median(r):,.0f}" for r in (
            rates(label, "grab"), rates(label, "decode"), rates(label, "extract"))]
        print(f"| {w}x{h} {label} | {bytes_per_s[label] * 60 / 1e6:.1f} | {cells[0]} | {cells[1]} | {cells[2]} "
              f"| {max(rates(label, 'extract', 2)):,.0f} |")
    print(f"\nlowest CPU time / wall time of a run: {cpu_share:.2f} (below ~0.95: the core was shared)")
    print(f"total {time.perf_counter() - start:.0f} s")

    if args.json:
        day = datetime.date.today().isoformat()
        where = f"measured: {cpu_model()}, 1 core pinned, bench_decoding.py, {day}"
        out = {}
        for label, (w, h) in SIZES.items():
            extract, decode = rates(label, "extract"), rates(label, "decode")
            out[f"decode_{label}"] = {
                "value": max(extract), "unit": "frames/s per core", "where": where,
                "note": f"{w}x{h} {ENCODING}, extract_keyframes to 224x224 (skipping the frames no keyframe needs); "
                        f"best of {args.repeats}",
                "median": statistics.median(extract), "decode_only": max(decode),
                "opencv_grab": max(rates(label, "grab")),
                "per_cpu_second": max(rates(label, "extract", 2))}
        for label, (w, h) in SIZES.items():
            out[f"video_bytes_{label}"] = {
                "value": bytes_per_s[label], "unit": "bytes/s of video",
                "where": f"measured: synthetic content, bench_decoding.py, {day}",
                "note": f"{w}x{h} {ENCODING}, {x264}, on synthetic content (panned textures, cuts, grain), mp4, "
                        f"no audio; not YouTube's bitrate"}
        for name, entry in out.items():
            update_json(args.json, name, entry)
        print(f"added to {args.json}")


if __name__ == "__main__":
    main()
