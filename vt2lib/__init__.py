"""vt2lib: the helper library behind the VT2 reproduction notebooks.

Modules, one job each:
- config (profiles), io (atomic writes, validated loaders), paper (published numbers)
- synthetic (the demo dataset), download (ML20M files), youtube (availability, metadata,
  trailers), data (a profile's raw inputs), cleaning (paper 3.1)
- keyframes, features (frozen MobileNetV2 cache), model, training, embeddings
- predictors (baselines, Eq. 1), fm (Bayesian FM: myfm, or fm_gibbs, the JAX sampler),
  item_vectors, evaluation (CV, caching, metrics), table1, fusion, correlation, cold_start (notebook 09)
- plotting, results (figures/tables/metrics), provenance, report, runner (papermill)
"""
__version__ = "0.1.0"
