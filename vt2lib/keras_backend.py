"""Which Keras backend a stage runs on: the profile decides, per stage, before keras is imported.

>>> from vt2lib.profiles import load_profile
>>> cfg = load_profile("demo")
>>> cfg.keras_backend, cfg.feature_backend     # training on JAX, the frozen MobileNetV2 on TensorFlow
('jax', 'tensorflow')
"""
from __future__ import annotations

import os
import sys
import warnings

from vt2lib.config import Profile
from vt2lib.jax_cache import use_jax_compilation_cache

KERAS_BACKENDS = ("tensorflow", "jax")


def use_keras_backend(cfg: Profile, stage: str = "training") -> str:
    """Run Keras on the profile's backend for `stage` ("training": keras_backend, "features":
    feature_backend) and return the backend in use.

    Keras fixes its backend when first imported, so this must run before anything imports
    keras (each notebook is its own process; notebooks 02 and 03 call it first, the
    model-building functions call it too). An explicit KERAS_BACKEND in the environment wins;
    a mismatch is warned about, not fatal: the model is plain Keras 3 and runs on either."""
    wanted = {"training": cfg.keras_backend, "features": cfg.feature_backend}[stage]
    if wanted not in KERAS_BACKENDS:
        raise ValueError(f"unknown Keras backend {wanted!r} for {stage}; valid: {', '.join(KERAS_BACKENDS)}")
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", wanted)
    if cfg.train_workers > 1:  # networks side by side share one GPU: each takes what it needs, not 75% of it
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import keras
    used = keras.backend.backend()
    if used == "jax":
        use_jax_compilation_cache()
    if used != "tensorflow" and "tensorflow" not in sys.modules:
        _leave_tensorflow_unimported()
    if used != wanted:
        warnings.warn(f"Keras runs on {used}; profile {cfg.name!r} asks for {wanted} for {stage} "
                      "(KERAS_BACKEND is set, or keras was imported before)", stacklevel=2)
    return used


def _leave_tensorflow_unimported() -> None:
    """Keep Keras on another backend from importing TensorFlow for its type checks.

    Keras asks whether TensorFlow is installed (and imports it to know) when it builds a
    Bidirectional layer, serialises a model or sets a seed, only to test for TensorFlow types that
    no JAX run has. Importing it cost ~2.5 s in each JAX process that builds or loads a model
    (notebooks 03 and 04, side-by-side workers, the tests' smoke runs: a two-epoch demo training
    went from 18.5 to 16.2 s). Keras then treats TensorFlow as absent; code that really uses it
    still imports it on first use (tests/test_model.py checks that JAX runs leave it out)."""
    try:
        from keras.src.utils.module_utils import tensorflow
    except ImportError:  # another Keras 3 layout: it imports TensorFlow as before
        return
    if tensorflow.module is None:
        tensorflow._available = False
