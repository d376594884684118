"""vt2lib: the helper library behind the VT2 reproduction notebooks, laid out as the pipeline.

- bottom: config (`Profile`, the names stages share), profiles (the named profiles and
  `load_profile`), profile_checks (the allowed values), io (atomic writes, validated loaders),
  artifact_specs (what each artifact is made from: its key's fields and inputs), store (every
  artifact one stage leaves for another, keyed by what produced it, shared by every profile),
  run_log (which
  artifacts each notebook's latest run computed or reused), paper
  (published numbers), results (figures, tables, recorded numbers), provenance, progress (tqdm
  that stays quiet under papermill), keras_backend (which Keras backend a process uses),
  jax_cache (JAX's persistent compilation cache), workers (tasks in worker processes that an
  error or Ctrl-C stops cleanly)
- data/: download (ML20M files), youtube (availability, metadata, trailers), youtube_api (the
  Data API: availability and metadata 50 videos a request), youtube_limits (YouTube's per-session
  pace, refusals waited out), synthetic,
  synthetic_scale, synthetic_ratings, synthetic_common and synthetic_video (the demo and scale datasets), raw (a
  profile's raw inputs), cleaning (paper 3.1), genres, titles (movies picked by title)
- video/: decode (only the frames the keyframes need), keyframes (paper 2.3), features (frozen
  MobileNetV2), pipeline (fetch and decode, at most video_window videos held), trailer_files (what 02
  stores per trailer, the feature writer), stream (02's one pass: fetch, decode, features, kept keyframes)
- embedding/: model, training, epochs (batches and per-epoch state), towers (networks trained
  as towers of one model), side_by_side (networks in processes side by side), validation,
  embeddings (sequence, trailer and frozen-feature means, PCA figures)
- rating/: predictors (baselines, Eq. 1), evaluation (CV, metrics, paired tests), fold_runner
  (a method's folds, in forked workers for myfm: a task per fold and chain), monte_carlo
  (the spread of averaged chains, the permutation control), fm (Bayesian
  FM: myfm, or fm_gibbs + fm_data + fm_state, the JAX sampler), item_vectors, frozen_mean (the
  untrained baseline), methods (the registry), cold_start, cold_settings (09's settings: a fit each, or the
  few-ratings ones sharing one, each on a group of the new movies)
- ranking/ (top-N, notebook 10): metrics (Recall@K, NDCG@K under random ties), scorers (each
  rating predictor's scores of users x movies), trained (EASE and ALS, trained for top-N, their
  hyper-parameters chosen on an inner split), content_map (item vectors mapped to ALS factors:
  a content ranker for new movies), paired (paired tests over users), runs (the settings, tables)
- analysis/: table1, fusion, correlation, plotting, outputs (the declaration of every item and
  number), values (a number as shown, its published value), summary (each notebook's closing "What this
  shows", from its numbers), report
- runner: runs the notebooks (papermill)

Imports point down this list; the rating side reads embeddings as stored artifacts and never
imports video or embedding code (tests/test_layout.py, which also checks that this index names
every module).
"""
__version__ = "0.1.0"
