"""Counting a sweep's tries: the SPA test over each model's K configurations, from the jobs' files.

"The best of eight LSTM configurations beats naive, DM p = 0.03" is data snooping: with eight tries
on the same origins one clears 5 % by luck far more often than 5 % of the time. For every model run
in two or more jobs, this reads the jobs' ``forecasts.parquet`` (never in-memory state: jobs may have
run anywhere), lines up each configuration's forecasts (seeds averaged) with the baseline's on the
rows all share, and asks Hansen's SPA test whether *any* configuration beats the baseline
(``bench.scoring.multiple``). Jobs whose truth differs on those rows (another dataset seed, say)
are not tries on the same data and are left out.

With ``split.select_origins: N`` each model's configuration is also picked on the first N origins of
every series (lowest MSE ratio; AvgRelMSE over a collection's series) and scored on the remaining
origins only: a held-out number that the choice of configuration has not seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bench.report.sweep_files import Job
from bench.scoring import multiple as mu
from bench.scoring.aggregate import avg_rel_mse
from bench.scoring.lag import diebold_mariano
from bench.scoring.verdict import BEATS, NO_BETTER, WORSE, p_text, spa_rejects, tries_sentence, verdict
from bench.settings import ScoringSettings, Settings

WORDS = {BEATS: "beats", NO_BETTER: "no better than", WORSE: "worse than"}
COLUMNS = ["dataset", "unique_id", "model", "seed", "cutoff", "ds", "h", "y", "y_hat"]


def sweep_scoring(jobs: Sequence[Job]) -> tuple[ScoringSettings, dict[str, int | None]]:
    """The scoring settings and each dataset's ``split.select_origins``, from the first job that
    recorded its settings (``run.json``); the defaults when none did."""
    for j in jobs:
        if j.ok and isinstance(j.info.get("settings"), dict):
            st = Settings.from_dict(j.info["settings"])
            return st.scoring, {d.name: d.split.select_origins for d in st.datasets}
    return ScoringSettings(), {}


def read_forecasts(job: Job) -> pd.DataFrame | None:
    path = job.dir / "forecasts.parquet"
    if not job.ok or not path.exists():
        return None
    fc = pd.read_parquet(path)
    fc = fc if "unique_id" in fc else fc.assign(unique_id=fc["dataset"])
    return fc[[c for c in COLUMNS if c in fc]].dropna(subset=["y", "y_hat"])


def counted_tries(jobs: Sequence[Job]) -> pd.DataFrame:
    """One row per dataset × model run in two or more jobs (the baseline aside): how many
    configurations, the SPA p-value over them (a collection: the share of series where SPA rejects
    at alpha) and, with ``select_origins``, the held-out score of the configuration picked early."""
    sc, select = sweep_scoring(jobs)
    fcs = {j.num: f for j in jobs if (f := read_forecasts(j)) is not None and len(f)}
    out = []
    datasets = list(dict.fromkeys(d for f in fcs.values() for d in f["dataset"].unique()))
    for ds_name in datasets:
        per_job = {n: f[f["dataset"] == ds_name] for n, f in fcs.items()}
        per_job = {n: f for n, f in per_job.items() if len(f)}
        base = next(
            (f[f["model"] == sc.baseline] for f in per_job.values() if (f["model"] == sc.baseline).any()),
            None,
        )
        if base is None:
            continue
        models = pd.Series([m for f in per_job.values() for m in f["model"].unique() if m != sc.baseline])
        for model, count in models.value_counts(sort=False).items():
            if count >= 2:
                out.append(model_tries(ds_name, model, per_job, base, sc, select.get(ds_name)))
    return pd.DataFrame(out)


def same_truth(base: pd.DataFrame, rows: pd.DataFrame) -> bool:
    """The job's truth equals the baseline job's on every key both have (same data, same origins)."""
    keys = ["unique_id", "cutoff", "ds", "h"]
    both = base.drop_duplicates(keys).merge(rows.drop_duplicates(keys), on=keys, suffixes=("_b", ""))
    return bool(len(both)) and np.allclose(both["y_b"].to_numpy(float), both["y"].to_numpy(float))


def model_tries(
    ds_name: str, model: str, per_job: dict[int, pd.DataFrame], base: pd.DataFrame, sc: ScoringSettings,
    select: int | None,
) -> dict:  # fmt: skip
    """SPA over one model's configurations on one dataset (every series of it), plus the held-out pick."""
    frames, left_out = [base], []
    for num, f in per_job.items():
        rows = f[f["model"] == model]
        if len(rows) and same_truth(base, rows):
            frames.append(rows.assign(model=f"job {num}"))
        elif len(rows):
            left_out.append(num)
    fc = pd.concat(frames, ignore_index=True)
    per_series = []
    for uid, g in fc.groupby("unique_id", sort=False):
        a = mu.align(g)
        if a is not None and sc.baseline in a.models:
            per_series.append(series_tries(a, sc, select, key=f"{ds_name}\0{uid}\0{model}"))
    rec: dict = dict(dataset=ds_name, model=model, configurations=len(frames) - 1, series=len(per_series),
                     jobs_left_out=" ".join(map(str, left_out)))  # fmt: skip
    spa = np.array([s["spa_pvalue"] for s in per_series], dtype=float)
    rec["spa_pvalue"] = float(spa[0]) if len(spa) == 1 else math.nan
    rec["share_spa_beats"] = float(np.mean([spa_rejects(p, sc.alpha) for p in spa])) if len(spa) else math.nan
    if len(per_series) == 1:
        rec.update(rows=per_series[0]["rows"], block=per_series[0]["block"])
    rec.update(held_out(per_series, sc.alpha, select))
    return rec


def series_tries(a: mu.Aligned, sc: ScoringSettings, select: int | None, key: str) -> dict:
    """One series: SPA over the configurations, and per configuration its selection-part ratio and
    held-out ratio and DM test (when ``select`` leaves origins on both sides)."""
    se = mu.squared_error(a)
    configs = [c for c in se.columns if c != sc.baseline]
    base = se[sc.baseline].to_numpy()
    block = mu.block_length(
        base[:, None] - se[configs].to_numpy(), mu.dependence_span(a.keys), sc.spa.block_length
    )
    out = dict(
        spa_pvalue=mu.spa_pvalue(base, se[configs].to_numpy(), block, sc.spa, key),
        rows=len(base),
        block=block,
    )
    if select is None:
        return out
    origins = np.sort(a.keys["cutoff"].unique())
    if len(origins) <= select:
        return out
    early = a.keys["cutoff"].isin(origins[:select]).to_numpy()
    h = int(a.keys["h"].min())
    diag = ~early & (a.keys["h"] == h).to_numpy()
    out["later_origins"] = len(origins) - select
    for c in configs:
        err = se[c].to_numpy()
        dm = diebold_mariano(err[diag], base[diag], h=h)
        out[c] = dict(pick=_ratio(err[early], base[early]), later=_ratio(err[~early], base[~early]),
                      dm_stat=dm.stat, dm_pvalue=dm.pvalue)  # fmt: skip
    return out


def _ratio(err: np.ndarray, base: np.ndarray) -> float:
    den = float(np.mean(base))
    return float(np.mean(err)) / den if den > 0 else math.nan


def held_out(per_series: list[dict], alpha: float, select: int | None) -> dict:
    """Pick the configuration on the first origins (its ratio, or the geometric mean of ratios over
    a collection's series) and report it on the later ones only."""
    usable = [s for s in per_series if "later_origins" in s]
    if select is None or not usable:
        return dict(select_origins=select)
    configs = [c for c in usable[0] if c.startswith("job ")]
    pick_score = {c: avg_rel_mse(pd.Series([s[c]["pick"] for s in usable if c in s]))[0] for c in configs}
    finite = {c: v for c, v in pick_score.items() if np.isfinite(v)}
    if not finite:
        return dict(select_origins=select)
    picked = min(finite, key=lambda c: (finite[c], int(c.split()[1])))
    later = [s[picked] for s in usable if picked in s]
    beats = [verdict(r["dm_stat"], r["dm_pvalue"], alpha) == BEATS for r in later]
    return dict(
        select_origins=select, picked_job=int(picked.split()[1]), later_origins=usable[0]["later_origins"],
        heldout_score=avg_rel_mse(pd.Series([r["later"] for r in later]))[0],
        heldout_dm_stat=later[0]["dm_stat"] if len(later) == 1 else math.nan,
        heldout_dm_pvalue=later[0]["dm_pvalue"] if len(later) == 1 else math.nan,
        heldout_share_dm_beats=float(np.mean(beats)) if beats else math.nan,
    )  # fmt: skip


def tries_lines(
    model: str, best: pd.Series, t: pd.Series | None, labels: dict, sc: ScoringSettings, collection: bool
) -> list[str]:
    """The sweep report's lines for one model: the best configuration's DM p beside the SPA p over
    all its configurations (a collection: the shares of series), then the held-out pick."""
    if t is None or not t["configurations"] >= 2:
        return []
    k, base, label = int(t["configurations"]), sc.baseline, labels.get(int(best["job"]), f"job {best['job']}")
    if collection:
        share = best.get("share_dm_beats")
        share_txt = "—" if pd.isna(share) else f"{share:.0%}"
        spa, level = f"{t['share_spa_beats']:.0%}", f"{sc.alpha / 2:.1%}"
        text = (f"- {model}: {k} configurations tried against {base} on {int(t['series'])} series: the best "
                f"({label}) beats {base} by its own DM test on {share_txt} of them; counting the {k} tries "
                f"(SPA, one-sided p < {level}) some configuration beats {base} on {spa}.")  # fmt: skip
    else:
        stat, p = float(best.get("dm_stat", math.nan)), float(best.get("dm_pvalue", math.nan))
        who = label if np.isfinite(stat) and stat < 0 else None
        sentence = tries_sentence(
            k,
            who,
            p,
            float(t["spa_pvalue"]),
            baseline=base,
            alpha=sc.alpha,
            what="configuration",
            reps=sc.spa.reps,
        )
        text = f"- {model}: {sentence}"
    out = [text]
    if pd.notna(t.get("picked_job", math.nan)):
        what = "AvgRelMSE" if collection else "MSE / naive"
        job = int(t["picked_job"])
        pick, first, later = labels.get(job, f"job {job}"), int(t["select_origins"]), int(t["later_origins"])
        line = (f"- {model}, picked on the first {first} origins: {pick} (job {job}); "
                f"on the other {later} origins {what} {t['heldout_score']:.3f}")  # fmt: skip
        if collection:
            line += f", beats {base} by DM on {t['heldout_share_dm_beats']:.0%} of the series"
        else:
            said = verdict(float(t["heldout_dm_stat"]), float(t["heldout_dm_pvalue"]), sc.alpha)
            line += f", DM p = {p_text(float(t['heldout_dm_pvalue']))}: {WORDS[said]} {base}"
        out.append(line + " (held out: the pick has not seen these origins).")
    return out
