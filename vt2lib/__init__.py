"""vt2lib: the helper library behind the VT2 reproduction notebooks.

Modules, one job each: config (profiles), io (atomic writes, validated loaders), synthetic
(the demo dataset), download (ML20M files), youtube (availability, metadata, trailers),
data (the profile's raw inputs), cleaning (paper 3.1), keyframes, features (frozen
MobileNetV2), model, training, embeddings, folds, predictors, fm, metrics, fusion,
correlation, plotting, results (figures/tables/metrics/provenance), paper (published numbers).
"""
__version__ = "0.1.0"
