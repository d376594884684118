"""vt2lib: the helper library behind the VT2 reproduction notebooks, laid out as the pipeline.

- bottom: config (profiles; profile_checks: the allowed values), io (atomic writes, validated loaders), store (every artifact one
  stage leaves for another, keyed by what produced it), paper (published numbers), results
  (figures, tables, recorded numbers), provenance
- data/: download (ML20M files), youtube (availability, metadata, trailers), synthetic (+
  synthetic_video: the demo dataset), raw (a profile's raw inputs), cleaning (paper 3.1), genres
- video/: keyframes (paper 2.3), features (frozen MobileNetV2 cache)
- embedding/: model, training, validation, embeddings (sequence and trailer embeddings, PCA)
- rating/: predictors (baselines, Eq. 1), evaluation (CV, metrics), fm (Bayesian FM: myfm, or
  fm_gibbs + fm_data, the JAX sampler), item_vectors, methods (the registry), cold_start
- analysis/: table1, fusion, correlation, plotting, outputs (the declaration of every item and
  number), report
- runner: runs the notebooks (papermill)

Imports point down this list; the rating side reads embeddings as stored artifacts and never
imports video or embedding code (tests/test_layout.py).
"""
__version__ = "0.1.0"
