"""The embedding network: shapes, head removal, masking, cached == end-to-end, resume, determinism."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import IN_PROCESS_KERAS
from vt2lib.config import GENRES
from vt2lib.profiles import load_profile

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def cfg(eager_tensorflow):
    return dataclasses.replace(load_profile("smoke"), lstm_units=8, max_epochs=3, patience=5, **IN_PROCESS_KERAS)


def test_shapes_and_head_removal(cfg):
    from vt2lib.embedding.model import build_models, embedding_model_of
    model, backbone = build_models(cfg, feature_dim=12, seq_len=10, n_trailers=7)
    assert {k: tuple(v.shape) for k, v in model.output.items()} == {
        "rating": (None, 1), "genre": (None, len(GENRES)), "trailer_id": (None, 7)}
    embed = embedding_model_of(model)
    assert [tuple(o.shape) for o in embed.outputs] == [(None, 512), (None, 256)]
    assert not any(n.startswith(("rating", "genre", "trailer_id")) for n in (layer.name for layer in embed.layers))
    big, small = embed.predict(np.zeros((2, 10, 12), np.float32), verbose=0)
    assert big.shape == (2, 512) and small.shape == (2, 256)
    with pytest.raises(ValueError, match="heads"):
        build_models(dataclasses.replace(cfg, heads=("rating", "cast")), 12, 10, 7)
    leak_free, _ = build_models(dataclasses.replace(cfg, heads=("genre", "trailer_id")), 12, 10, 7)
    assert set(leak_free.output) == {"genre", "trailer_id"}


def test_unrolled_lstms_compute_the_same_network(cfg):
    """lstm_unroll (ml20m: a GPU step's latency) changes how the S steps run, not what they compute:
    the same initial weights give the same outputs, and one training step the same weights."""
    from vt2lib.embedding.epochs import set_determinism
    from vt2lib.embedding.model import build_models
    x = np.random.default_rng(0).normal(size=(4, 10, 12)).astype(np.float32)
    y = {"rating": np.full((4, 1), 3.0, np.float32), "genre": np.zeros((4, len(GENRES)), np.float32),
         "trailer_id": np.arange(4)}
    models = []
    for unroll in (False, True):
        set_determinism(0)
        model, _ = build_models(dataclasses.replace(cfg, lstm_unroll=unroll), 12, 10, 7)
        before = model.predict(x, verbose=0)
        model.train_on_batch(x, y)
        models.append((before, model.get_weights()))
    (a, wa), (b, wb) = models
    for head in a:
        np.testing.assert_allclose(a[head], b[head], atol=1e-5)
    assert max(float(np.abs(p - q).max()) for p, q in zip(wa, wb)) < 1e-5


def _toy_data(n_trailers=6, n_key=40, dim=12, seed=0):
    from towers_on_jax import toy_data
    return toy_data(n_trailers, n_key, dim, seed, seq_len=10)


def test_validation_split_shares_no_keyframes():
    data = _toy_data()
    train, val = data.split(0.2)
    assert len(val) and len(train) and not set(train) & set(val)
    for t in range(data.n_trailers):
        tr = data.seq_offset[train][data.seq_trailer[train] == t]
        va = data.seq_offset[val][data.seq_trailer[val] == t]
        assert tr.max() + data.seq_len <= va.min()  # no keyframe in both
    assert set(data.seq_trailer[train]) == set(range(data.n_trailers))  # every trailer trains the id head


def test_genre_loss_is_masked_for_movies_without_genres(cfg):
    from vt2lib.embedding.model import build_models
    from vt2lib.embedding.epochs import sequence_batches
    data = _toy_data()
    assert data.genre_mask.tolist() == [1, 1, 0, 1, 1, 1]
    model, _ = build_models(dataclasses.replace(cfg, heads=("genre",), l2=0.0), 12, 10, data.n_trailers)
    idx = np.flatnonzero(data.seq_trailer == 2)  # the movie without genres
    x, y, w = sequence_batches(keras)(data, idx, ("genre",), 64)[0]
    assert np.all(w["genre"] == 0)
    base = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)["loss"]
    y2 = {"genre": np.ones_like(y["genre"])}  # any label: it must not matter
    assert model.evaluate(x, y2, sample_weight=w, verbose=0, return_dict=True)["loss"] == pytest.approx(base)
    assert base == pytest.approx(0.0, abs=1e-6)


def test_resume_equals_uninterrupted_and_is_deterministic(cfg, tmp_path):
    from vt2lib.embedding.training import train
    data = _toy_data()
    split = data.split(0.2)
    full = train(cfg, data, split, tmp_path / "a", progress=False)
    again = train(cfg, data, split, tmp_path / "b", progress=False)
    train(cfg, data, split, tmp_path / "c", stop_after_epoch=1, progress=False)  # "interrupted"
    resumed = train(cfg, data, split, tmp_path / "c", progress=False)
    for a, b, c in zip(full.model.get_weights(), again.model.get_weights(), resumed.model.get_weights()):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert len(resumed.history) == len(full.history) == 3
    assert (tmp_path / "a" / "final.keras").is_file()


def test_cached_features_equal_end_to_end(cfg):
    """Frozen backbone once per keyframe + sequence model == TimeDistributed(backbone) end to end."""
    from vt2lib.embedding.model import build_end_to_end, build_sequence_backbone
    from vt2lib.video.features import build_frame_encoder
    keras.utils.set_random_seed(0)
    frames = np.random.default_rng(0).integers(0, 256, (2, 10, cfg.image_size, cfg.image_size, 3), dtype=np.uint8)
    encoder, used = build_frame_encoder(cfg, calibration_images=frames.reshape(-1, *frames.shape[2:]))
    assert used.startswith("none") and "calibrated" in used
    feats = encoder.predict(frames.reshape(-1, *frames.shape[2:]), verbose=0)
    assert feats.std() > 1e-3  # calibrated random backbone: features carry signal
    seq_model = build_sequence_backbone(cfg, feats.shape[1], 10)
    cached = seq_model.predict(feats.reshape(2, 10, -1), verbose=0)
    e2e = build_end_to_end(encoder, seq_model, 10).predict(frames, verbose=0)
    for c, e in zip(cached, e2e):
        np.testing.assert_allclose(c, e, rtol=1e-4, atol=1e-5)
    half = seq_model.predict(feats.astype(np.float16).astype(np.float32).reshape(2, 10, -1), verbose=0)
    np.testing.assert_allclose(half[1], e2e[1], atol=2e-2)  # the float16 cache changes little


def test_random_backbone_is_not_chaotic(cfg):
    """The offline random-init backbone must not amplify rounding: a 1e-3 relative change of every
    conv weight (the size of TF32 rounding on a GPU) moves the features by < 5% of their range.
    Without the residual-branch scaling this was 16-45%, and the H200 saw cached != end-to-end."""
    from vt2lib.video.features import build_frame_encoder
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (64, cfg.image_size, cfg.image_size, 3), dtype=np.uint8)
    encoder, _ = build_frame_encoder(cfg, calibration_images=frames)
    before = encoder.predict(frames[:20], verbose=0)
    backbone = next(layer for layer in encoder.layers if isinstance(layer, keras.Model))
    for layer in backbone.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            layer.set_weights([w * (1 + 1e-3 * rng.standard_normal(w.shape)).astype(np.float32)
                               for w in layer.get_weights()])
    after = encoder.predict(frames[:20], verbose=0)
    assert np.abs(after - before).max() < 0.05 * np.abs(before).max()
    assert before.std(0).mean() > 0.02  # still different features for different images


@pytest.mark.parametrize("seq_len", [10, 20])
def test_every_trailer_keeps_a_training_window(seq_len):
    """Short trailers (1-8 windows) at S = 10 and S = 20: each keeps >= 1 training window, and a
    validation window never shares a keyframe with a training window of its trailer."""
    from vt2lib.embedding.training import SequenceData
    from vt2lib.video.features import FeatureCache
    from vt2lib.video.keyframes import sequence_starts
    shift = 5
    n_windows = np.arange(1, 9)
    n_keyframes = seq_len + (n_windows - 1) * shift
    ids = [f"t{k}" for k in range(len(n_windows))]
    index = pd.DataFrame({"youtube_id": ids, "offset": np.r_[0, np.cumsum(n_keyframes)[:-1]], "n_keyframes": n_keyframes})
    trailers = pd.DataFrame({"youtube_id": ids, "movieId": range(len(ids)), "genres": "Drama", "mean_rating": 3.0})
    data = SequenceData.build(FeatureCache(np.zeros((n_keyframes.sum(), 4), np.float32), index), trailers, seq_len, shift)
    assert [len(sequence_starts(n, seq_len, shift)) for n in n_keyframes] == n_windows.tolist()
    train, val = data.split(0.5)
    assert set(data.seq_trailer[train]) == set(range(len(ids)))
    assert len(val) > 0
    for t in set(data.seq_trailer[val]):
        last_train = data.seq_offset[train][data.seq_trailer[train] == t].max()
        assert last_train + seq_len <= data.seq_offset[val][data.seq_trailer[val] == t].min()


def test_leakfree_model_never_sees_evaluation_ratings(cfg):
    """Changing movies' ratings (as a changed test fold would) changes the paper model's rating
    targets and training key, but neither the targets nor the key of the leak-free model."""
    from vt2lib.embedding.training import model_config, training_key
    data = _toy_data()
    other = dataclasses.replace(data, trailers=data.trailers.assign(mean_rating=data.trailers.mean_rating + 1.0))
    split = data.split(0.2)
    idx = np.arange(len(data.seq_offset))
    paper, leakfree = model_config(cfg, "paper"), model_config(cfg, "leakfree")
    assert "rating" in paper.heads and "rating" not in leakfree.heads
    assert training_key(paper, data, split) != training_key(paper, other, split)
    assert training_key(leakfree, data, split) == training_key(leakfree, other, split)
    a, b = data.targets(idx, leakfree.heads)[0], other.targets(idx, leakfree.heads)[0]
    assert a.keys() == b.keys() == {"genre", "trailer_id"}
    assert all(np.array_equal(a[k], b[k]) for k in a)
    with pytest.raises(ValueError, match="rating head"):
        model_config(dataclasses.replace(cfg, leakfree_heads=("rating", "genre")), "leakfree")


def test_changed_heads_retrain_instead_of_reusing_the_checkpoint(cfg, tmp_path):
    from vt2lib.embedding.training import train
    data = _toy_data()
    split = data.split(0.2)
    first = train(dataclasses.replace(cfg, max_epochs=1), data, split, tmp_path, progress=False)
    assert set(first.model.output) == {"rating", "genre", "trailer_id"}
    second = train(dataclasses.replace(cfg, max_epochs=1, heads=("genre",)), data, split, tmp_path, progress=False)
    assert set(second.model.output) == {"genre"}  # not the finished model with the old heads


def test_a_jax_process_never_imports_tensorflow(tmp_path):
    """Building, saving, loading and seeding a model on JAX leaves TensorFlow unimported
    (keras_backend._leave_tensorflow_unimported: Keras would import it for type checks)."""
    import os
    import subprocess
    import sys
    code = ("import sys, keras\n"
            "from vt2lib.profiles import load_profile\n"
            "from vt2lib.embedding.model import build_models\n"
            "model, _ = build_models(load_profile('smoke'), 8, 4, 3)\n"
            "model.save(sys.argv[1]); keras.saving.load_model(sys.argv[1]); keras.utils.set_random_seed(1)\n"
            "print(keras.backend.backend(), 'tensorflow' in sys.modules)\n")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.keras")], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[-2:] == ["jax", "False"]


def test_validation_numbers_in_chunks_equal_one_pass(cfg, monkeypatch):
    """03's validation numbers are predicted in chunks (memory at ML20M's size): the same numbers
    as one pass, and top-1/top-5 as a full sort of the trailer-id scores gives them."""
    from vt2lib.embedding import validation
    from vt2lib.embedding.model import build_models
    data = _toy_data()
    model, _ = build_models(cfg, 12, 10, data.n_trailers)
    idx = np.arange(len(data.seq_offset))
    whole = validation.evaluate_heads(model, data, idx, cfg.heads)
    monkeypatch.setattr(validation, "EVALUATION_CHUNK", 7)
    assert validation.evaluate_heads(model, data, idx, cfg.heads) == pytest.approx(whole)
    p = model.predict(data.windows(idx), verbose=0)["trailer_id"]
    ranked = np.argsort(-p, axis=1, kind="stable")
    truth = data.seq_trailer[idx]
    assert whole["id_top1"] == pytest.approx(np.mean(ranked[:, 0] == truth))
    assert whole["id_top5"] == pytest.approx(np.mean((ranked[:, :5] == truth[:, None]).any(1)))


def test_a_network_whose_best_epoch_is_the_last_is_flagged_not_converged():
    """03 and the report name the networks that ran out of epochs still improving, and the field to raise."""
    import pandas as pd

    from vt2lib.embedding.training import TrainResult, convergence_table, not_converged_note
    run = lambda best, epochs: TrainResult(None, pd.DataFrame({"seconds": [1.0] * epochs}), best, 1.0)  # noqa: E731
    c = dataclasses.replace(load_profile("smoke"), max_epochs=10)
    table = convergence_table(c, {("paper", 10): run(10, 10), ("leakfree", 10): run(6, 8), ("paper", 20): run(9, 10)})
    assert table.converged.tolist() == [False, True, True]
    assert table.loc[("leakfree", 10), "epochs run"] == 8
    note = not_converged_note(c, table)
    assert note.startswith("1 of 3 networks had not converged") and "(s10)" in note and "`max_epochs`" in note
    assert not_converged_note(c, table[table.converged]) is None
