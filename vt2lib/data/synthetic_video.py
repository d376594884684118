"""The synthetic trailers' pictures: what carries genre, franchise and identity signal.

- background: a two-colour gradient from the movie's genres (each genre owns a hue),
  brightness from its item bias;
- a franchise emblem (rectangles at fixed places) shared by all parts of a saga;
- a per-movie pattern of moving discs (identity);
- optionally an uploader's end screen, the same for every trailer that has one.

>>> frame_palette(np.eye(20)[[0]].sum(0)).shape      # three BGR colours from the genres
(3, 3)
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vt2lib.config import GENRES
from vt2lib.io import atomic_path


def frame_palette(genre_vec: np.ndarray) -> np.ndarray:
    """Genre-dependent colours (BGR): each genre owns a hue; a movie mixes its genres' hues."""
    hues = (np.arange(len(GENRES)) * 37) % 180
    active = np.flatnonzero(genre_vec) if genre_vec.any() else np.array([len(GENRES) - 1])
    cols = []
    for g in active[:3]:
        hsv = np.uint8([[[hues[g], 200, 200]]])
        cols.append(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32))
    while len(cols) < 3:
        cols.append(cols[-1] * 0.6)
    return np.stack(cols)


def render_trailer(spec: dict) -> str:
    """Encode one synthetic trailer video; returns the file path. Runs in a worker process."""
    rng = np.random.default_rng(spec["seed"])
    w, h = spec["frame_size"]
    fps, seconds = spec["fps"], spec["seconds"]
    palette = np.asarray(spec["palette"], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # Background: a two-colour gradient from the genres, brightness from the item bias.
    t = (xx / w)[..., None]
    background = (1 - t) * palette[0] + t * palette[1]
    background *= spec["brightness"]
    # Drawn in uint8 with the colours truncated as the float frame's final cast truncated them:
    # the same bytes as drawing in float32 and casting each frame, without the per-frame casts.
    background = np.clip(background, 0, 255).astype(np.uint8)
    franchise_rng = np.random.default_rng(spec["franchise_seed"])
    emblem_pos = franchise_rng.uniform(0.2, 0.8, (3, 2)) * [w, h]
    emblem_col = franchise_rng.uniform(40, 255, (3, 3)).astype(np.float32).astype(np.uint8).tolist()
    identity = rng.uniform(0, 1, (4, 5))  # per movie: (x, y, radius, speed, phase) of 4 discs
    disc_col = (palette[2] * 1.2 % 255).astype(np.uint8).tolist()
    n_frames = int(round(seconds * fps))
    end_frames = int(round(spec["end_screen_seconds"] * fps))
    scene_len = max(1, int(fps * rng.uniform(3, 6)))
    for k in range(3):  # franchise emblem: rectangles at fixed places, drawn once
        x, y = emblem_pos[k]
        cv2.rectangle(background, (int(x - w * 0.08), int(y - h * 0.08)),
                      (int(x + w * 0.08), int(y + h * 0.08)), emblem_col[k], -1)
    # identity: discs moving along a scene path; every frame's centres at once (frames x discs)
    f = np.arange(n_frames)[:, None]
    x, y, r, speed, phase = identity.T
    shift = ((f // scene_len) * 0.37) % 1.0
    cx = (((x + shift + speed * 0.02 * (f % scene_len)) % 1.0) * w).astype(int)
    cy = (((y + 0.1 * np.sin(phase * 6.28 + f / fps)) % 1.0) * h).astype(int)
    radius = (2 + r * h * 0.15).astype(int).tolist()
    end_screen = np.full((h, w, 3), 30, np.uint8)  # an uploader's end screen: the same for every such trailer
    cv2.rectangle(end_screen, (w // 8, h // 4), (w - w // 8, h - h // 4), (235, 235, 235), -1)
    cv2.circle(end_screen, (w // 2, h // 2), h // 8, (0, 0, 200), -1)
    path = Path(spec["path"])
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*spec["fourcc"]), fps, (w, h))
        if not writer.isOpened():
            raise RuntimeError(f"OpenCV cannot write {spec['fourcc']} video {tmp}")
        for centres_x, centres_y in zip(cx.tolist(), cy.tolist()):
            frame = background.copy()
            for a, b, rad in zip(centres_x, centres_y, radius):
                cv2.circle(frame, (a, b), rad, disc_col, -1)
            writer.write(frame)
        for _ in range(end_frames):
            writer.write(end_screen)
        writer.release()
        # OpenCV's writer only prints a failed frame (a full disk): a short file must not pass as a trailer
        check = cv2.VideoCapture(str(tmp))
        written = int(check.get(cv2.CAP_PROP_FRAME_COUNT))
        check.release()
        if written != n_frames + end_frames:
            raise OSError(f"synthetic trailer {path}: the file holds {written} of its {n_frames + end_frames} "
                          "frames (disk full?)")
    return str(path)
