"""The frozen MobileNetV2 feature cache: each keyframe's feature vector, computed once.

The authors freeze the ImageNet MobileNetV2 (`trainable = False`) but run it on every frame
of every sequence in every epoch. A frozen layer is a fixed function, so we compute
`frame_encoder(keyframe)` once per keyframe and train on sequences of cached vectors; the
result is the same function as the end-to-end model (tests/test_model.py checks it).

    encoder, weights_used = build_frame_encoder(cfg)      # uint8 (H, W, 3) -> (1280,)
    feats = predict_full_batches(encoder, keyframes, cfg.feature_batch_size)
    cache = consolidate_features(per_trailer_dir, youtube_ids, cache_dir)   # one memory-mapped array
    cache = load_features(cfg)                              # a later notebook (DataError if stale)

Notebook 02 computes the features while it decodes (vt2lib.video.stream): raw keyframes are
not kept, except for a sample.
    cache.features   # (n_keyframes_total, 1280) float16, memory-mapped
    cache.index      # youtube_id, offset, n_keyframes
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vt2lib.config import Profile
from vt2lib.data.download import DownloadError
from vt2lib.io import atomic_path, write_parquet_atomic
from vt2lib.keras_backend import use_keras_backend
from vt2lib.store import Store

FEATURE_DTYPE = np.float16  # halves the cache; features are post-ReLU6 averages in [0, 6]


RESIDUAL_BRANCH_GAIN = 0.3  # random-init residual branches scaled down, so the backbone is not chaotic


def calibrate_batchnorm(backbone, images: np.ndarray) -> None:
    """Set every BatchNorm's moving mean/variance to the statistics of its inputs on `images`.

    A randomly initialised MobileNetV2 shrinks activations by ~10x per block (1e-11 at the
    output, zero in float16), so its features carry nothing. One forward pass in training
    mode with momentum 0 normalises each layer by its batch statistics and stores exactly
    those as the moving statistics (data-dependent init). Pretrained weights are never calibrated.

    Normalised to unit variance, the 10 random residual blocks are chaotic: a 1e-3 relative
    change of the conv weights (TF32 rounding on a GPU) changed the features by 16-45%, which
    is why the cached and end-to-end paths disagreed on an H200 (max abs 0.062) while they
    agree on CPUs. Scaling each residual branch by RESIDUAL_BRANCH_GAIN before the pass (as
    zero-init residual schemes do) brings that to ~1% (tests/test_model.py checks it).
    """
    import keras
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(images.astype("float32"))
    names = {layer.name for layer in backbone.layers}
    for layer in backbone.layers:  # block_N_project_BN ends a residual branch where block_N_add exists
        if layer.name.endswith("_project_BN") and layer.name.replace("_project_BN", "_add") in names:
            layer.gamma.assign(layer.gamma * RESIDUAL_BRANCH_GAIN)
    bns = [layer for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.momentum = 0.0
    backbone(x, training=True)
    for bn, m in zip(bns, momenta):
        bn.momentum = m


def imagenet_weights_error(cfg: Profile, error: Exception) -> DownloadError:
    """Keras could not fetch MobileNetV2's ImageNet weights: which file, from where, where to put it."""
    import os
    rows = cfg.image_size if cfg.image_size in (96, 128, 160, 192, 224) else 224  # Keras's choice of weights
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(cfg.backbone_alpha)}_{rows}_no_top.h5"
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
    return DownloadError(f"could not fetch MobileNetV2's ImageNet weights {name} from Keras's storage "
                         f"({type(error).__name__}: {error}): no network? Place {name} in {home} by hand, "
                         "or set backbone_weights to a local .h5 file.")


def build_frame_encoder(cfg: Profile, weights: str | None = None, calibration_images=None):
    """MobileNetV2 (no top) + global average pooling over uint8 RGB keyframes.

    Returns (model, weights_used). A random-init backbone has its BatchNorm statistics
    calibrated on `calibration_images` (an array, or a function returning one; see
    calibrate_batchnorm). Preprocessing (scale to [-1, 1]) is inside the model, so
    the cached and the end-to-end paths share it. `imagenet` weights are downloaded and
    cached by Keras on first use; offline, profiles with allow_random_backbone_fallback fall
    back to random init with a visible warning, others fail.
    """
    use_keras_backend(cfg, "features")
    import keras
    weights = weights or cfg.backbone_weights
    size = cfg.image_size
    keras_weights = {"imagenet": "imagenet", "none": None}.get(weights, weights)
    if keras_weights not in ("imagenet", None) and not Path(keras_weights).is_file():
        raise FileNotFoundError(f"backbone weights file {keras_weights} does not exist")

    def make(w):
        keras.utils.set_random_seed(cfg.seed)  # a random-init backbone must be the same in every run
        return keras.applications.MobileNetV2(include_top=False, weights=w, alpha=cfg.backbone_alpha,
                                              input_shape=(size, size, 3), pooling="avg")
    if cfg.mixed_precision:  # float16 compute on GPUs with tensor cores; features are stored as float16 anyway
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        backbone = make(keras_weights)
        used = weights
    except Exception as e:  # noqa: BLE001 - offline download failures come in many types
        if keras_weights != "imagenet":
            raise
        if not cfg.allow_random_backbone_fallback:
            raise imagenet_weights_error(cfg, e) from None
        warnings.warn(f"ImageNet weights for MobileNetV2 could not be loaded ({e}); using a RANDOM-INIT "
                      "backbone. Embeddings will not carry ImageNet semantics.", stacklevel=2)
        backbone = make(None)
        used = "none (random init: imagenet download failed)"
    if used.startswith("none") and calibration_images is not None:
        if callable(calibration_images):  # decoded only when needed (a random-init backbone)
            calibration_images = calibration_images()
        calibrate_batchnorm(backbone, calibration_images)
        used += f", BatchNorm calibrated on {len(calibration_images)} keyframes"
    backbone.trainable = False
    inp = keras.Input((size, size, 3), dtype="uint8", name="keyframe")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1.0)(keras.ops.cast(inp, "float32"))
    out = keras.ops.cast(backbone(x, training=False), "float32")
    model = keras.Model(inp, out, name="frame_encoder")
    if cfg.mixed_precision:
        keras.mixed_precision.set_global_policy("float32")  # only the frozen backbone runs in float16
    return model, used


@dataclass
class FeatureCache:
    features: np.ndarray      # (n_keyframes_total, feature_dim)
    index: pd.DataFrame       # youtube_id, offset, n_keyframes

    @property
    def feature_dim(self) -> int:
        return int(self.features.shape[1])

    def of(self, youtube_id: str) -> np.ndarray:
        row = self.index.loc[self.index.youtube_id == youtube_id].iloc[0]
        return self.features[row.offset: row.offset + row.n_keyframes]


def predict_full_batches(encoder, images: np.ndarray, batch_size: int) -> np.ndarray:
    """The encoder on zero-padded full batches (the padding rows are dropped): one input shape,
    so the backend compiles once. One predict_on_batch call per batch: predict() sets up a
    dataset and retraces on every call, which took more than twice as long on the demo (RESULTS.md)."""
    pad = -len(images) % batch_size
    if pad:
        images = np.concatenate([images, np.zeros((pad, *images.shape[1:]), images.dtype)])
    out = [np.asarray(encoder.predict_on_batch(images[k: k + batch_size])) for k in range(0, len(images), batch_size)]
    return np.concatenate(out)[: len(images) - pad]


def consolidate_features(per_trailer: Path, youtube_ids, cache_dir: Path) -> FeatureCache:
    """The per-trailer feature files of `youtube_ids` as one memory-mapped array and its index.

    A rerun that finds the same index keeps the consolidated file (GBs on ml20m)."""
    cache_dir, ids = Path(cache_dir), sorted(set(youtube_ids))
    paths = [Path(per_trailer) / f"{y}.npy" for y in ids]
    shapes = [np.load(p, mmap_mode="r").shape for p in paths]  # the headers only
    counts = np.array([shape[0] for shape in shapes], np.int64)
    index = pd.DataFrame({"youtube_id": ids, "offset": np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
                          "n_keyframes": counts})
    all_path, index_path = cache_dir / "features.npy", cache_dir / "features_index.parquet"
    if all_path.is_file() and index_path.is_file() and pd.read_parquet(index_path).equals(index):
        return load_feature_cache(cache_dir)
    shape = (int(counts.sum()), shapes[0][1] if shapes else 0)
    # written part after part through a file, not a memory map: the ~5 GB of ml20m never count
    # towards the process's resident memory (a written memory map does, until it is unmapped)
    with atomic_path(all_path) as tmp, open(tmp, "wb") as f:
        np.lib.format.write_array_header_2_0(f, {"descr": np.lib.format.dtype_to_descr(np.dtype(FEATURE_DTYPE)),
                                                 "fortran_order": False, "shape": shape})
        for p in paths:
            f.write(np.ascontiguousarray(np.load(p), FEATURE_DTYPE).tobytes())
    write_parquet_atomic(index, index_path)
    return load_feature_cache(cache_dir)


def load_feature_cache(cache_dir: Path) -> FeatureCache:
    """The consolidated features, memory-mapped once per process and file version: every caller
    (both sequence lengths, the frozen means) shares one mapping. A file mapped twice counts
    twice towards the resident memory: scale's 04 peaked at 23 GiB with three mappings."""
    path = Path(cache_dir) / "features.npy"
    stat = path.stat()
    return FeatureCache(_mapped(str(path.resolve()), stat.st_size, stat.st_mtime_ns),
                        pd.read_parquet(Path(cache_dir) / "features_index.parquet"))


@functools.lru_cache(maxsize=2)
def _mapped(path: str, size: int, mtime_ns: int) -> np.ndarray:
    """One read-only mapping per (file, size, mtime): a rewritten file (atomic replace) is mapped anew."""
    return np.load(path, mmap_mode="r")


def load_features(cfg: Profile) -> FeatureCache:
    return load_feature_cache(Store(cfg).require("features"))
