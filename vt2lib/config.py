"""Run configuration: the typed `Profile` every setting lives in, and the names the stages share.

>>> Profile(name="mine", n_folds=3).n_folds
3
>>> model_name(20, "leakfree")
's20_leakfree'
>>> Profile(name="mine").variant("fusion_variant"), Profile(name="mine", trailer_source="none").variant("fusion_variant")
('emb512_s10', 'metadata')

The named profiles (smoke, demo, scale, ml20m) and `load_profile`, which also reads a user's TOML/YAML file, are
in vt2lib.profiles. The outputs of a profile go to `runs/<name>/` (executed notebooks, metrics, the report) and
its figures and tables to `figures/<name>/`; the artifacts one stage leaves for another are shared by every
profile, one folder per key (vt2lib.store). A derived profile (a file's `base`, or overrides: `demo+top_k=20`)
reads the data folder of the one it derives from while their data agree. VT2_OUTPUT_ROOT moves it all.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vt2lib.profile_checks import AUTO, VARIANT_FIELDS, ProfileError, auto_variants, profile_problems

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# ML20M's 20 genre labels, in the order of the genre head's outputs.
GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
          "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
          "(no genres listed)")


def output_root() -> Path:
    """Where data/, runs/ and figures/ go: the repository, or VT2_OUTPUT_ROOT (tests use a temp folder)."""
    return Path(os.environ.get("VT2_OUTPUT_ROOT", PROJECT_ROOT))


SOURCE_FIELDS = ("ratings_source", "movielens_dir", "download_ml20m", "youtube_mapping", "trailer_source",
                 "availability_file", "check_availability", "metadata_file", "data_dir")
SYNTHETIC_FIELDS = ("seed", "synth_n_movies", "synth_n_users", "synth_ratings_per_user", "synth_trailer_seconds",
                    "synth_frame_size", "synth_generator", "synth_n_videos")


def data_values(p) -> dict:
    """What a profile's raw data are (the store's raw key; a derived profile's data_from): its sources,
    and the generator's settings where the data are synthetic."""
    synthetic = p.ratings_source == "synthetic" or p.trailer_source == "synthetic"
    return {f: getattr(p, f) for f in SOURCE_FIELDS + (SYNTHETIC_FIELDS if synthetic else ())}


def data_settings(p) -> str:  # a digest of data_values: what a derived profile's data_from holds
    return hashlib.sha256(repr(sorted(data_values(p).items())).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Profile:
    name: str
    base: str = ""                        # the named profile this one derives from ("" = a named profile)
    data_from: str = ""                   # "<folder>@<data_settings>" of the profile it derives from (data_path)
    seed: int = 42                        # one seed for every random choice of a run

    # --- data sources ---
    ratings_source: str = "synthetic"     # synthetic | movielens (a folder with ratings.csv, movies.csv)
    movielens_dir: str | None = None      # MovieLens folder; None + ml20m download -> data_dir/ml-20m
    download_ml20m: bool = False          # fetch ml-20m.zip + ml-20m-youtube.zip from GroupLens if missing
    youtube_mapping: str | None = None    # ml-youtube.csv (movieId -> YouTube id); None -> data_dir default
    trailer_source: str = "synthetic"     # synthetic | youtube | none (rating-only analyses)
    availability_file: str | None = None  # authors' status file (youtube_id,movielens_id,title,status_code)
    check_availability: bool = False      # query YouTube oEmbed for ids missing from the status file
    metadata_file: str | None = None      # YouTube API export or yt-dlp metadata table (CSV)
    data_dir: str = ""                    # where downloads / synthetic data live ("" -> data/<name>)

    # --- synthetic generator (ignored for real data) ---
    synth_n_movies: int = 150
    synth_n_users: int = 700
    synth_ratings_per_user: float = 45.0  # mean of a log-normal activity distribution
    synth_trailer_seconds: tuple[int, int] = (25, 45)
    synth_frame_size: tuple[int, int] = (128, 96)  # (width, height) of the encoded videos
    synth_generator: str = "demo"         # demo (planted defects, every usable trailer a video) | scale (ML20M sizes)
    synth_n_videos: int = 300             # scale: movies that get a real video file (the rest have none)
    synth_direct_features: bool = False   # scale: trailers without a video file get features generated directly

    # --- cleaning (paper 3.1) ---
    max_trailer_seconds: float = 600.0    # longer videos are not trailers
    min_user_ratings: int = 5             # N in paper 3.1.2
    keep_movies_without_trailer: bool = False  # a trailer without keyframes (02) keeps its movie (no trailer vector)

    # --- keyframes and sequences (paper 2.3) ---
    keyframe_rule: str = "per_second"     # per_second (frame round(k*fps)) | every_nth (every Nth frame)
    keyframe_every_n: int = 25            # N for every_nth; the paper's "every 25th frame"
    image_size: int = 224                 # keyframes are resized to image_size x image_size
    resize_mode: str = "stretch"          # stretch (paper) | center_crop
    sequence_lengths: tuple[int, ...] = (10, 20)  # S, keyframes per sequence
    sequence_shift: int = 5               # keyframes between the starts of two sequences
    n_workers: int = 2                    # processes for keyframe extraction, synthetic videos and myfm folds
    # yt-dlp's format chain: the smallest H.264 stream that covers 224x224 (YouTube's 240p video-only avc1), else
    # any H.264 >= 224 px high, any codec >= 224, anything with video (RESULTS.md: decoding rates per resolution)
    download_format: str = "wv[vcodec^=avc1][height>=224]/wv*[vcodec^=avc1][height>=224]/wv*[height>=224]/wv*"
    download_threads: int = 4             # 02: videos fetched at once, each thread a paced YouTube session
    video_window: int = 64                # 02: videos on disk at once at most, those being fetched included
    keep_keyframes: str = "sample"        # raw keyframes 02 stores: sample (the strip's, the PCA groups') | all
    keep_videos: bool = True              # false: 02 deletes each video once its features are stored
    fetch_trailers: bool = True           # false: 02 fetches nothing (a GPU box after 02 ran elsewhere)

    # --- frozen MobileNetV2 backbone ---
    backbone_weights: str = "imagenet"    # imagenet | none (random init) | path to a .h5 file
    backbone_alpha: float = 1.0           # MobileNetV2 width multiplier
    allow_random_backbone_fallback: bool = False  # offline: random init with a warning instead of failing
    feature_batch_size: int = 64          # keyframes per MobileNetV2 batch
    mixed_precision: bool = False         # float16 backbone inference (GPU)
    keras_backend: str = "tensorflow"     # tensorflow | jax: training and embeddings (KERAS_BACKEND wins)
    feature_backend: str = "tensorflow"   # tensorflow | jax: the frozen MobileNetV2 pass of notebook 02

    # --- embedding network training (paper 3.2) ---
    lstm_units: int = 256                 # per direction
    embedding_sizes: tuple[int, int] = (512, 256)
    heads: tuple[str, ...] = ("rating", "genre", "trailer_id")   # the paper's model (its rating target leaks)
    leakfree_heads: tuple[str, ...] = ("genre", "trailer_id")    # the leak-free model: no rating head
    analysis_embeddings: str = "leakfree"  # embeddings notebooks 08 and 09 use: leakfree | paper
    unseen_trailer_share: float = 0.2     # trailers each genre-diagnostic network never sees (AUC on unseen trailers)
    unseen_trailer_splits: int = 5        # disjoint held-out sets, one diagnostic network each; their AUC is pooled
    loss_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # rating, genre, trailer_id
    learning_rate: float = 3e-4
    l2: float = 0.01                      # L2 on the dense layers (authors' code)
    batch_size: int = 32
    max_epochs: int = 16
    patience: int = 2
    val_share: float = 0.15               # share of each trailer's sequences held out (its tail)
    train_workers: int = 1                # 03's units (a tower pair, a network) trained side by side, a process each
    train_towers: bool = False            # 03: paper + leak-free model of one S as towers of one model, one step
    lstm_unroll: bool = False             # unroll the LSTMs' S time steps (no loop: a GPU step's latency); same maths
    max_steps_per_epoch: int | None = None  # a rehearsal: training batches (and validation batches of that size) per epoch

    # --- rating prediction (paper 2.3.1, 3.3) ---
    n_folds: int = 10
    fold_seed: int = 42                   # KFold(random_state=42) as the authors
    evaluate_folds: int | None = None     # predict only the first k of the n_folds folds (a rehearsal); None = all
    similarity: str = "cosine01"          # cosine01 = (cos+1)/2 (paper) | cosine (authors' raw cosine)
    top_k: int | None = None              # only the k most similar rated items (None = all)
    fm_rank: int = 32
    fm_iters: int = 100
    fm_init_stdev: float = 0.1
    fm_backend: str = "auto"              # myfm (CPU reference) | jax (vt2lib.rating.fm_gibbs) | auto (jax on a GPU or for libfm, else myfm)
    fm_flavour: str = "libfm"             # libfm (libFM's priors and prediction, the paper's; jax only) | myfm (myFM's)
    fusion_k_step: float = 0.05
    figure_formats: tuple[str, ...] = ("png", "pdf")  # files per figure (png: shown in the notebook); () none
    # Variant fields name a content method (Profile.variant resolves them); `auto`: the paper's trailer
    # variant where the profile has trailers, genres (metadata) without (profile_checks.auto_variants)
    fusion_variant: str = AUTO            # content model of Figs 7-8 (every variant is swept too); auto: emb512_s10
    fusion_val_share: float = 0.1         # inner validation share of each fold's training part (choosing k)

    # --- beyond the paper: cold start and FM side features (notebook 09) ---
    cold_n_ratings: tuple[int, ...] = (1, 3, 5)  # training ratings a "new" test movie keeps
    cold_start_folds: int | None = None   # 09 predicts at most the first k folds of each setting (None = all)
    cold_shared_fit: bool = False         # 09: the few-ratings settings share a fit, each on a group of the new movies
    side_embedding_variant: str = AUTO    # trailer embedding used as FM item side features; auto: emb256_s10
    side_pca_dim: int | None = 32                # PCA-reduce it first (None = all dimensions)
    # chains averaged per FM with side features (09) and per FM row ranked (10): new movies' side weights mix
    # slowly (RESULTS.md: on the demo one chain's fold RMSE moves by sd 0.03 for new movies, 0.001 warm)
    fm_side_chains: int = 2
    # --- ranking (beyond the paper: notebook 10) ---
    ranking_users: int | None = None      # a seeded sample of the test users with a hit, per fold (None = all)
    ranking_folds: int | None = None      # rank on the first k folds of each setting (None = all)
    ranking_positives: tuple[float, ...] = (0.5, 4.0)  # EASE/ALS: ratings >= this are interactions; grids per fold
    ease_l2: tuple[float, ...] = (50.0, 200.0, 800.0, 3200.0)  # EASE's ridge (Steck 2019: 500 on ML20M)
    als_factors: int = 64
    als_iterations: int = 15
    als_l2: tuple[float, ...] = (1.0, 10.0, 100.0)
    als_alpha: tuple[float, ...] = (1.0, 10.0)         # implicit's confidence alpha x: 1 weighs rated as unrated
    content_map_l2: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0)  # vectors -> ALS factors ridge, x the movie count
    # --- correlation (paper 3.5) ---
    popularity_percentile_filter: float = 10.0  # keep trailers above this percentile of views/likes/dislikes
    correlation_variant: str = AUTO       # the trailer embedding regressed on (Table 3, row 1); auto: emb256_s10
    cv_folds_r2: int = 10

    # --- PCA figures (paper Figs 9-11): group -> title patterns (regex, case-insensitive) ---
    pca_groups: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "fig09_pca_harry_potter": (r"^Harry Potter",),
        "fig10_pca_lord_of_the_rings": (r"^Lord of the Rings",),
        "fig11_pca_star_wars": (r"^Star Wars: Episode",),
    })
    pca_references: tuple[str, ...] = (r"^Toy Story \(1995\)", r"^Home Alone \(1990\)")
    pca_sequence_length: int = 20

    def __post_init__(self):
        for problem in profile_problems(self):
            raise ProfileError(f"profile {self.name!r}: {problem}")

    # ---------------------------------------------------------------- derived paths
    @property
    def output_root(self) -> Path:
        return output_root()

    @property
    def data_path(self) -> Path:
        """data_dir, else data/<name>, or the folder of the profile it derives from while their data agree."""
        if self.data_dir:
            return Path(self.data_dir)
        folder, _, settings = self.data_from.partition("@")
        return self.output_root / "data" / (folder if folder and settings == data_settings(self) else self.name)

    @property
    def run_dir(self) -> Path:
        return runs_root(self.output_root) / self.name

    @property
    def figures_dir(self) -> Path:
        return self.output_root / "figures" / self.name

    def variant(self, field: str) -> str | None:
        """The content method a variant field names, `auto` resolved (None: Table 3 without trailers)."""
        if field not in VARIANT_FIELDS:
            raise ValueError(f"{field!r} is not a variant field; variant fields: {', '.join(VARIANT_FIELDS)}")
        value = getattr(self, field)
        return auto_variants(self)[field] if value == AUTO else value

    def as_dict(self) -> dict[str, Any]:
        """The profile as resolved (provenance): variant fields by the method they name."""
        return dataclasses.asdict(self) | {f: self.variant(f) for f in VARIANT_FIELDS}


# The embedding models trained per sequence length (notebook 03): the paper's heads, and the
# leak-free heads (no rating head: its target is the mean of the ratings the CV later tests on).
MODELS = ("paper", "leakfree")


def model_name(seq_len: int, model: str = "paper") -> str:
    """How files and variants name an embedding model: s10 (the paper's), s10_leakfree, ..."""
    return f"s{seq_len}" + ("" if model == "paper" else f"_{model}")


# 03's genre diagnostic: one genre-only network per held-out trailer split, named genre_unseen0, ...
DIAGNOSTIC = "genre_unseen"


def diagnostic_models(cfg: Profile) -> tuple[str, ...]:
    """The diagnostic networks of a profile, one per disjoint set of unseen trailers."""
    return tuple(f"{DIAGNOSTIC}{j}" for j in range(cfg.unseen_trailer_splits))


def diagnostic_split(cfg: Profile, model: str) -> int | None:
    """Which held-out split a diagnostic network leaves out (None: not one of the profile's diagnostics)."""
    return {m: j for j, m in enumerate(diagnostic_models(cfg))}.get(model)


def network(cfg: Profile, name: str) -> tuple[int, str]:
    """(S, model) of a network the profile trains, by its name (model/<name>, embeddings/<name>): looked
    up among the profile's networks, never parsed."""
    known = {model_name(S, m): (S, m) for S in cfg.sequence_lengths for m in (*MODELS, *diagnostic_models(cfg))}
    if name not in known:
        raise ValueError(f"unknown network {name!r} for profile {cfg.name!r}; its networks: {', '.join(known)}")
    return known[name]


def model_heads(cfg: Profile, model: str) -> tuple[str, ...]:
    """The heads an embedding model trains (genre_unseen<j>: 03's genre diagnostic, genre only)."""
    if model == "paper":
        return tuple(cfg.heads)
    if model == "leakfree":
        if "rating" in cfg.leakfree_heads:
            raise ValueError(f"leakfree_heads {cfg.leakfree_heads} must not contain the rating head")
        return tuple(cfg.leakfree_heads)
    if diagnostic_split(cfg, model) is not None:
        return ("genre",)
    raise ValueError(f"unknown embedding model {model!r}; valid: {', '.join(MODELS)}, {DIAGNOSTIC}<split>")


ML20M_FOLDER = "ml-20m"  # the folder of ML20M's zip (GroupLens), under data_path when downloaded


def movielens_folder(cfg: Profile) -> Path:
    """The MovieLens folder a profile reads: movielens_dir, or the download folder under data_path."""
    return Path(cfg.movielens_dir) if cfg.movielens_dir else cfg.data_path / ML20M_FOLDER


def input_files(cfg: Profile) -> dict[str, Path]:
    """The real input files a profile reads (none for synthetic data: its settings define it)."""
    files = {}
    if cfg.ratings_source == "movielens":
        files |= {n: movielens_folder(cfg) / f"{n}.csv" for n in ("ratings", "movies", "genome-scores")}
    if cfg.trailer_source == "youtube":
        files["youtube_mapping"] = Path(cfg.youtube_mapping or cfg.data_path / "ml-youtube.csv")
    # given files count without trailers too: the mapping and availability filter the movies 01 keeps
    for name in ("youtube_mapping", "availability_file", "metadata_file"):
        if getattr(cfg, name) and cfg.ratings_source == "movielens":
            files[name] = Path(getattr(cfg, name))
    return files


def trailer_dir(cfg: Profile) -> Path:
    """Where the trailer videos are (downloaded, or written by the generator)."""
    return cfg.data_path / "trailers"


def runs_root(root: Path | None = None) -> Path:
    """The folder of every profile's run folder (and of what the profiles share, e.g. JAX's cache)."""
    return (root or output_root()) / "runs"

