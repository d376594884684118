"""The embedding network of paper Fig. 3, in plain Keras 3 (runs on TensorFlow or JAX).

    train_model, embed_model = build_models(cfg, feature_dim=1280, seq_len=10, n_trailers=T)
    emb512, emb256 = embed_model.predict(x)      # x: (batch, S, feature_dim) cached features
    e2e = build_end_to_end(frame_encoder, embed_model, seq_len=10)   # (batch, S, H, W, 3) uint8

Backbone: 2 bidirectional LSTM layers (cfg.lstm_units per direction; the first returns
sequences) -> Dense 512 -> Dense 256; the two Dense outputs are the sequence embeddings.
Training-only heads on the 256-d layer: rating (64-32-1, MSE), genre (128-64-20 sigmoid,
binary CE), trailer id (64-T softmax, cross-entropy on integer ids = categorical CE on
one-hot ids). Where the paper is silent we follow the authors' code: dropout 0.2 inside the
LSTMs, ELU activations and L2 (cfg.l2, 0.01 in the authors' code) on the dense layers.
"""
from __future__ import annotations

from vt2lib.config import GENRES, Profile
from vt2lib.keras_backend import use_keras_backend

HEAD_NAMES = ("rating", "genre", "trailer_id")
LSTM_DROPOUT = 0.2   # authors' code


def _dense(keras, units, name, l2, activation="elu"):
    return keras.layers.Dense(units, activation=activation, kernel_regularizer=keras.regularizers.L2(l2),
                              name=name)


def build_sequence_backbone(cfg: Profile, feature_dim: int, seq_len: int):
    """(batch, S, feature_dim) -> [(batch, 512), (batch, 256)]."""
    import keras
    inp = keras.Input((seq_len, feature_dim), name="keyframe_features")
    lstm = dict(dropout=LSTM_DROPOUT, unroll=cfg.lstm_unroll)
    x = keras.layers.Bidirectional(keras.layers.LSTM(cfg.lstm_units, return_sequences=True, **lstm),
                                   name="bilstm_1")(inp)
    x = keras.layers.Bidirectional(keras.layers.LSTM(cfg.lstm_units, **lstm), name="bilstm_2")(x)
    big, small = cfg.embedding_sizes
    e_big = _dense(keras, big, "embedding_big", cfg.l2)(x)
    e_small = _dense(keras, small, "embedding_small", cfg.l2)(e_big)
    return keras.Model(inp, [e_big, e_small], name="embedding_network")


def build_models(cfg: Profile, feature_dim: int, seq_len: int, n_trailers: int, name: str = "embedding_training"):
    """Return (training model with the cfg.heads, embedding model without heads); compiled."""
    use_keras_backend(cfg)
    import keras
    unknown = set(cfg.heads) - set(HEAD_NAMES)
    if unknown or not cfg.heads:
        raise ValueError(f"heads must be a non-empty subset of {HEAD_NAMES}, got {cfg.heads}")
    backbone = build_sequence_backbone(cfg, feature_dim, seq_len)
    inp = keras.Input((seq_len, feature_dim), name="keyframe_features")
    _, e_small = backbone(inp)  # nested, so the heads can be dropped by taking this layer
    outputs = {}
    if "rating" in cfg.heads:
        h = _dense(keras, 64, "rating_64", cfg.l2)(e_small)
        h = _dense(keras, 32, "rating_32", cfg.l2)(h)
        outputs["rating"] = keras.layers.Dense(1, name="rating")(h)
    if "genre" in cfg.heads:
        h = _dense(keras, 128, "genre_128", cfg.l2)(e_small)
        h = _dense(keras, 64, "genre_64", cfg.l2)(h)
        outputs["genre"] = keras.layers.Dense(len(GENRES), activation="sigmoid", name="genre")(h)
    if "trailer_id" in cfg.heads:
        h = _dense(keras, 64, "trailer_id_64", cfg.l2)(e_small)
        outputs["trailer_id"] = keras.layers.Dense(n_trailers, activation="softmax", name="trailer_id")(h)
    model = keras.Model(inp, outputs, name=name)
    compile_training(model, cfg)
    return model, backbone


# each head's loss (Keras's name) and the metrics its validation reports
HEAD_LOSSES = {"rating": "mse", "genre": "binary_crossentropy", "trailer_id": "sparse_categorical_crossentropy"}


def head_metrics(keras, head: str) -> list:
    return {"rating": lambda: [keras.metrics.RootMeanSquaredError(name="rmse")],
            "genre": lambda: [keras.metrics.AUC(name="auc")],
            "trailer_id": lambda: [keras.metrics.SparseCategoricalAccuracy(name="top1"),
                                   keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5")]}[head]()


def compile_training(model, cfg: Profile) -> None:
    """Adam at cfg.learning_rate; each of cfg.heads with its loss, weight and metrics."""
    import keras
    weights = dict(zip(HEAD_NAMES, cfg.loss_weights))
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss={h: HEAD_LOSSES[h] for h in cfg.heads},
                  loss_weights={h: weights[h] for h in cfg.heads},
                  metrics={h: head_metrics(keras, h) for h in cfg.heads})


def embedding_model_of(train_model):
    """The backbone inside a (possibly reloaded) training model: the heads removed."""
    return train_model.get_layer("embedding_network")


def build_end_to_end(frame_encoder, embed_model, seq_len: int):
    """TimeDistributed(frozen MobileNetV2) over raw keyframes, then the same sequence backbone.

    For fidelity checks and the speed benchmark; the default path trains on cached features.
    """
    import keras
    size = frame_encoder.input_shape[1]
    inp = keras.Input((seq_len, size, size, 3), dtype="uint8", name="keyframes")
    feats = keras.layers.TimeDistributed(frame_encoder, name="frozen_mobilenetv2")(inp)
    return keras.Model(inp, embed_model(feats), name="end_to_end")
