"""The effect of storing MobileNetV2 features as float16 (notebook 02) on the trailer embeddings.

    .venv/bin/python tests/benchmarks/float16_features_effect.py [PROFILE]    # after ./run_all.sh PROFILE --only 01-04

For the trailers whose raw keyframes 02 keeps, the features are computed again in float32 with
the same encoder (same weights and BatchNorm calibration), and both versions go through the
profile's trained S = 10 networks: prints the largest feature difference and, per network, the
largest difference of the 256-d trailer embeddings relative to their spread, and the lowest
cosine similarity of a trailer's two embeddings.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from vt2lib.profiles import load_profile
from vt2lib.data.cleaning import load_clean  # noqa: E402
from vt2lib.embedding.embeddings import sequence_embeddings  # noqa: E402
from vt2lib.embedding.model import embedding_model_of  # noqa: E402
from vt2lib.embedding.training import SequenceData, load_trained_model, sequence_data_for  # noqa: E402
from vt2lib.video.features import FeatureCache, build_frame_encoder, load_features, predict_full_batches  # noqa: E402
from vt2lib.video.keyframes import keyframe_dir, keyframe_path  # noqa: E402
from vt2lib.video.stream import calibration_sample, decode_jobs  # noqa: E402


def main(profile: str = "demo") -> None:
    cfg = load_profile(profile)
    trailers = load_clean(cfg)["trailers"].query("drop_reason == ''")
    jobs = decode_jobs(cfg, trailers)
    encoder, used = build_frame_encoder(cfg, calibration_images=lambda: calibration_sample(
        jobs, min(cfg.sequence_lengths), cfg.n_workers))
    S = cfg.sequence_lengths[0]
    data = sequence_data_for(cfg, S)
    kept = [y for y in data.trailers.youtube_id if keyframe_path(keyframe_dir(cfg), y).is_file()]
    print(f"{profile}: {len(kept)} trailers with kept keyframes; backbone {used}")
    f32 = {y: predict_full_batches(encoder, np.load(keyframe_path(keyframe_dir(cfg), y)), cfg.feature_batch_size)
           for y in kept}
    stored = load_features(cfg)
    worst = max(float(np.abs(np.asarray(stored.of(y), np.float32) - f32[y]).max()) for y in kept)
    print(f"features: largest |float16 - float32| {worst:.2e} (post-ReLU6 averages, in [0, 6])")
    half_data = data.restrict(data.trailers.youtube_id.isin(kept).to_numpy())
    ids = list(half_data.trailers.youtube_id)
    counts = np.array([len(f32[y]) for y in ids])
    cache = FeatureCache(np.concatenate([f32[y] for y in ids]), pd.DataFrame(
        {"youtube_id": ids, "offset": np.r_[0, np.cumsum(counts)[:-1]], "n_keyframes": counts}))
    full_data = SequenceData.build(cache, half_data.trailers.drop(columns=["offset", "n_keyframes"]), S,
                                   cfg.sequence_shift)
    for model in ("paper", "leakfree"):
        net = embedding_model_of(load_trained_model(cfg, S, model))
        half, full = (sequence_embeddings(net, d)["small"] for d in (half_data, full_data))
        cos = (half * full).sum(1) / np.linalg.norm(half, axis=1) / np.linalg.norm(full, axis=1)
        print(f"{model} S={S}: {len(half)} sequence embeddings; largest difference "
              f"{np.abs(half - full).max() / half.std():.2e} of their sd; lowest cosine similarity {cos.min():.6f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
