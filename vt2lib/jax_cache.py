"""XLA's persistent compilation cache, for every stage that runs JAX (Keras on JAX, the FM sampler).

On a CPU much of a small run is compiling: JAX compiles each model's train, test and predict
steps, and each weight initialiser, on first use; with its programs cached, smoke's notebook 03
takes about half the time (RESULTS.md). JAX keys a cached program by the program itself, the
JAX version, the device and the compiler flags, so a cached program is the one a fresh compile
gives, and a changed model is compiled anew.

Folder: `<output root>/runs/jax_compilation_cache`, shared by the profiles; JAX_COMPILATION_CACHE_DIR
in the environment wins (the tests give their many output folders one cache).

>>> import jax
>>> folder = use_jax_compilation_cache()
>>> folder.name, jax.config.jax_compilation_cache_dir == str(folder)
('jax_compilation_cache...', True)
"""
from __future__ import annotations

import os
from pathlib import Path

from vt2lib.config import runs_root

# JAX caches only compiles longer than 1 s by default; a model's initialisers take ~0.2 s each,
# and a notebook that loads four trained models compiles dozens of them.
MIN_COMPILE_SECONDS = 0.05


def use_jax_compilation_cache() -> Path:
    """Point JAX at the cache folder (before the first compile; later calls change nothing)."""
    import jax
    folder = Path(os.environ.get("JAX_COMPILATION_CACHE_DIR") or runs_root() / "jax_compilation_cache")
    jax.config.update("jax_compilation_cache_dir", str(folder))
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    return folder
