"""Which Keras backend a stage runs on: the profile decides, per stage, before keras is imported.

>>> from vt2lib.config import load_profile
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
    import keras
    used = keras.backend.backend()
    if used == "jax":
        use_jax_compilation_cache()
    if used != wanted:
        warnings.warn(f"Keras runs on {used}; profile {cfg.name!r} asks for {wanted} for {stage} "
                      "(KERAS_BACKEND is set, or keras was imported before)", stacklevel=2)
    return used
