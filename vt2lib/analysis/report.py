"""The reproduction report: every table and figure of the paper, our file, our numbers
beside the published ones, and what differs by design.

    write_report(cfg)   # -> runs/<profile>/REPORT.md

Called by the runner after the last notebook; it only reads what the notebooks saved
(figures/<profile>/, runs/<profile>/metrics.json, provenance.json) and `paper/`; which
items and numbers it lists comes from vt2lib.analysis.outputs.
"""
from __future__ import annotations

from pathlib import Path

from vt2lib.analysis.outputs import ITEMS, NOT_REPRODUCED
from vt2lib.analysis.values import format_number, published_value, scores_as_user_mean
from vt2lib.config import Profile
from vt2lib.io import write_text_atomic
from vt2lib.paper import caveats, paper_settings, plain_value
from vt2lib.provenance import load_provenance, lock_summary
from vt2lib.results import TABLE_FORMATS, load_metrics


# Choices in the code (not profile fields) where we differ from the paper or the authors' code, with the reason.
CODE_CHOICES = (
    "Eq. 2 as printed: k weights the FM and is swept on every fold (the authors' script weighted the content "
    "model with k and swept one fold only).",
    "One set of CV folds for every method. The authors' content-based script used KFold(10, shuffle=True, "
    "random_state=42), but their libFM splits came from an unseeded shuffle and KFold(shuffle=False), so their "
    "two models were not scored on the same folds; ours are, which makes paired tests possible.",
    "Table 3 row (b) regresses on log1p(views, likes, dislikes), so zero counts stay finite (the paper: log).",
    "The frozen MobileNetV2 runs once per keyframe and its features are cached as float16 (the authors ran it "
    "on every sequence in every epoch): the same function, a different cost.",
    "The paper model's rating head learns each movie's mean over all cleaned ratings, as in the authors' code, so "
    "the CV test ratings leak into its embeddings (kept for Table 1's paper rows); a second, leak-free model "
    "without the rating head gives the _leakfree rows beside them, so the leak's effect is measured.",
    "The FM on user and item ids (Table 1, 06, 07, 10) has one prior group for every feature, as the paper's libFM "
    "command line; the FMs with item side features (09, 10; not in the paper) have a prior group each for users, "
    "items and every side block, libFM's -meta grouping. Each row's description says which ran.",
)


def differences(cfg: Profile, prov: dict | None = None) -> list[str]:
    """Every way this run differs from the paper: data, weights actually used, each profile field
    whose value is not the paper's (paper/settings.toml), and the code-level choices."""
    prov = prov or {}
    out = []
    if cfg.ratings_source == "synthetic":
        out.append(f"Ratings, movies and trailers are synthetic (vt2lib.data.synthetic, profile `{cfg.name}`), not "
                   "ML20M: counts and errors are not comparable in value, only in shape and ranking.")
    generated = prov.get("trailers_with_generated_features")
    if generated:
        out.append(f"{generated:,} trailers have MobileNetV2 features generated directly (no video file: the "
                   "scale rehearsal's sizes), not decoded from keyframes; their embeddings carry no image content.")
    w = prov.get("backbone_weights")
    if w and w.split(",")[0] != cfg.backbone_weights:  # "none, BatchNorm calibrated on ..." is what `none` asks for
        out.append(f"The MobileNetV2 backbone used `{w}` weights where the profile asked for "
                   f"`{cfg.backbone_weights}` (02's fallback: `allow_random_backbone_fallback`).")
    resolved = cfg.as_dict()  # `auto` variants by the method they name
    for field, spec in paper_settings().items():
        ours, paper = plain_value(resolved[field]), plain_value(spec["value"])
        if ours != paper:
            out.append(f"`{field}` = `{ours}` (paper: `{paper}`; {spec['source']}).")
    return out + list(CODE_CHOICES)


def _run_name(run: dict | None) -> str:
    """Which run an entry comes from: its start (local time) and its notebooks (`--only 07`)."""
    if not run:
        return "an earlier run (not recorded)"
    started = run.get("started")
    return f"{started[:19].replace('T', ' ')} ({run.get('label', '?')})" if started else run.get("label", "?")


def _count(arts: dict, status: str) -> int:
    return sum(a.get("status") == status for a in arts.values())


def _run_tables(prov: dict) -> list[str]:
    """Per notebook, from its own latest run (a run of `--only 07` replaces 07's row alone): when
    that run started, wall time, peak memory, bytes written, what it computed and what it reused."""
    written, notebooks, skipped = prov.get("bytes_written", {}), prov.get("notebooks", {}), prov.get("skipped", {})
    latest, arts = prov.get("run"), prov.get("artifacts", {})
    lines = ["## Time, memory, disk and artifacts per notebook", ""]
    if latest:
        lines += [f"Each row is that notebook's latest run. The latest run, {_run_name(latest)}, computed "
                  f"{_count(arts, 'computed')} and reused {_count(arts, 'reused')} artifacts.", ""]
    lines += ["| notebook | its latest run | wall time (s) | peak RSS (GiB) | written (MB) | computed | reused |",
              "|---|---|---|---|---|---|---|"]
    for nb in sorted({*notebooks, *skipped}):
        if nb in skipped:
            lines.append(f"| {nb} | skipped: {skipped[nb]} | | | | | |")
            continue
        v = notebooks[nb]
        counts = (_count(v["artifacts"], "computed"), _count(v["artifacts"], "reused")) if "artifacts" in v \
            else ("n/a", "n/a")
        lines.append(f"| {nb} | {_run_name(v.get('run'))} | {v.get('seconds', 'n/a')} | {v.get('peak_rss_gib', 'n/a')} "
                     f"| {written.get(nb, 0) / 1e6:,.1f} | {counts[0]} | {counts[1]} |")
    if prov.get("videos_bytes") is not None:
        lines.append(f"\nTrailer videos on disk after 02: {prov['videos_bytes'] / 1e9:.3g} GB (keep_videos).")
    lines += ["", "## Artifacts per notebook, from its latest run", ""]
    for nb, v in sorted(notebooks.items()):
        if "artifacts" not in v:  # a run recorded before per-notebook logs
            continue
        own = v["artifacts"]
        lines += [f"### {nb}: {_count(own, 'computed')} computed, {_count(own, 'reused')} reused; "
                  f"run of {_run_name(v.get('run'))}", ""]
        lines += ["| artifact | status | key |", "|---|---|---|"] if own else ["(asked for no artifact)"]
        lines += [f"| {name} | {a['status']} | `{a['key']}` |" for name, a in sorted(own.items())] + [""]
    return lines + [""]


def derived_from(cfg: Profile) -> list[str]:
    """A derived profile's lines: its base, the fields it changes, and where the rest is reported."""
    import dataclasses

    from vt2lib.profiles import PROFILES
    base = PROFILES.get(cfg.base)
    if base is None:
        return []
    fields = [f.name for f in dataclasses.fields(cfg) if f.name not in ("name", "base", "data_from")]
    shown = lambda v: repr(v) if isinstance(v, str) else plain_value(v)  # noqa: E731 - "none" the text, none the unset
    changed = [f"`{f}` = {shown(getattr(cfg, f))} (base: {shown(getattr(base, f))})" for f in fields
               if getattr(cfg, f) != getattr(base, f)]
    return [f"- derived from profile `{cfg.base}`, changing {', '.join(changed) or 'no field'}; it reuses every "
            f"artifact these fields do not enter. The items of notebooks not run under `{cfg.name}` are in "
            f"`{cfg.base}`'s report, once it has run: `../{cfg.base}/REPORT.md`"]


def _shown(metrics: dict, metric: str, absent: str = "") -> str:
    """A number as the report's items show it: a Table 1 row that scores as the user mean says so, and a
    missing one why it may be missing (`absent`)."""
    value = metrics.get(metric)
    if value is None:
        return f"n/a ({absent})" if absent else "n/a"
    method = metric.split("_median_", 1)[1] if metric.startswith(("rmse_median_", "mae_median_")) else None
    return format_number(value) + (" (= user mean)" if method and scores_as_user_mean(metrics, method) else "")


def _absent(item, n, skipped: dict) -> str:
    """Why `n` may be n/a: its own reason, or that the notebook recording it was skipped, and why."""
    by = item.recorder(n)
    return n.absent or (f"{by} skipped: {skipped[by]}" if by in skipped else "")


def _item_state(cfg: Profile, item, skipped: dict, ran: set) -> tuple[str, list]:
    """An item's "our file" cell and the numbers to list under it: those of the notebooks that ran under this
    profile (a skipped one's too, n/a with its reason). A derived profile (`--set top_k=3 --only 05`) runs
    what it is asked to: an item none of whose notebooks ran is one row, not a column of n/a, and Table 1,
    whose file 06 writes, lists the rows 05 recorded when only 05 ran (and 06's when only 06 did)."""
    numbers = [n for n in item.numbers(cfg) if n.report and (item.recorder(n) in ran or item.recorder(n) in skipped)]
    kept = {*cfg.figure_formats, *TABLE_FORMATS}  # a figure left in a format no longer asked for is not this run's
    files = sorted(p.name for name in item.files for p in cfg.figures_dir.glob(f"{name}.*") if p.suffix[1:] in kept) \
        if cfg.figures_dir.is_dir() else []
    if files:
        return ", ".join(files), numbers
    if item.notebook in skipped:
        return f"**skipped** ({skipped[item.notebook]})", numbers
    if item.notebook in ran:
        return ("not drawn (figure_formats = [])" if not cfg.figure_formats else "**not produced**"), numbers
    if not numbers:
        return "**not run** under this profile", []
    by = sorted({item.recorder(n) for n in numbers})
    return f"**not run** under this profile ({item.notebook} writes it); the numbers {', '.join(by)} recorded:", numbers


def _networks(cfg: Profile, prov: dict) -> str:
    """The header's Keras line: 03's training backend and 02's feature backend, as far as they ran."""
    ran = prov.get("notebooks", {})
    features = f"02's MobileNetV2 features on {cfg.feature_backend}" if "02_keyframes" in ran else ""
    if prov.get("keras_backend") and "03_train_embedding" in ran:
        return f"Keras backend {prov['keras_backend']} for 03's networks" + (f" ({features})" if features else "")
    return f"{features}; no network trained under this profile" if features else "no network run under this profile"


def _backbone(prov: dict) -> str:
    """02 records the weights where it computes features: a run that reused every stored feature has none."""
    if prov.get("backbone_weights"):
        return prov["backbone_weights"]
    return ("as stored with the reused features (02 computed none in this profile's runs)"
            if "02_keyframes" in prov.get("notebooks", {}) else "none (02 did not run under this profile)")


def _findings(cfg: Profile, prov: dict) -> list[str]:
    """Each notebook's closing "What this shows" (vt2lib.analysis.summary), for the notebooks that ran,
    without the caveats the report opens with. A summary that fails (an odd saved table) is named, and the
    report goes on."""
    from vt2lib.analysis.summary import what_this_shows
    lines = ["## What each notebook shows", ""]
    for nb in sorted(prov.get("notebooks", {})):
        try:
            shown = what_this_shows(cfg, nb, with_caveats=False)
        except Exception as e:  # noqa: BLE001 - the report is written after the run: it must not fail on one summary
            shown = [f"(its summary failed: {type(e).__name__}: {e})"]
        lines += [f"**{nb}**", ""] + [f"- {t}" for t in shown] + [""] if shown else []
    return lines + ([] if len(lines) > 2 else ["(no notebook recorded a finding)", ""])


def write_report(cfg: Profile) -> Path:
    metrics, prov = load_metrics(cfg), load_provenance(cfg)
    lines = [f"# Reproduction report: profile `{cfg.name}`", ""] + derived_from(cfg)
    lines += [f"- **read with care**: {c}" for c in caveats(cfg)]  # what every number below rests on
    env = prov.get("environment", {})
    lines += [f"- git commit: `{prov.get('git_commit', 'unknown')}`",
              f"- device: {env.get('device', 'unknown')}, Python {env.get('python', '?')}, "
              + _networks(cfg, prov),
              f"- backbone weights used: {_backbone(prov)}",
              # the run's, from provenance.json; a run recorded before the lock: this interpreter's
              f"- Package versions: {env.get('requirements_lock') or lock_summary()}",
              # relative to the report: a report is shared, and its reader's folders are not ours
              "- full provenance (profile as resolved, package versions, input checksums): "
              "`provenance.json`, beside this report", ""]
    skipped = prov.get("skipped", {})  # notebooks whose input the profile cannot have (vt2lib.runner.skip_reason)
    lines += [f"- **skipped**: {nb}, {why}" for nb, why in sorted(skipped.items())] + ([""] if skipped else [])
    if metrics.get("networks_not_converged"):  # 03: best epoch = max_epochs, early stopping never fired
        lines += [f"- **not converged**: {metrics['networks_not_converged']} of {metrics.get('networks_trained', '?')} "
                  f"embedding networks had their best epoch at the last (max_epochs = {cfg.max_epochs}); raise "
                  "`max_epochs` (03's table names them).", ""]
    lines += _findings(cfg, prov)
    lines += ["## Paper items", "", "| item | notebook | our file | number | ours | paper |",
              "|---|---|---|---|---|---|"]
    ran = set(prov.get("notebooks", {}))
    for item in ITEMS:
        produced, numbers = _item_state(cfg, item, skipped, ran)
        rows = [(n.label, _shown(metrics, n.metric, _absent(item, n, skipped)),
                 format_number(published_value(n.published)) if n.published else "")
                for n in numbers] or [("", "", "")]
        for k, row in enumerate(rows):
            lead = (item.item if item.item != "—" else item.what, item.notebook, produced) if k == 0 else ("", "", "")
            lines.append(f"| {' | '.join(lead + row)} |")
    lines += ["", NOT_REPRODUCED, ""]
    lines += ["## What differs by design", ""]
    lines += [f"- {d}" for d in differences(cfg, prov)] + [""]
    lines += _run_tables(prov)
    lines += ["## All recorded numbers", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {format_number(v)} |" for k, v in sorted(metrics.items())]
    path = cfg.run_dir / "REPORT.md"
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
