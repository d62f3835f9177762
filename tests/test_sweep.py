"""The sweep report, gathered from job dirs on disk (as a multirun under any launcher leaves them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from omegaconf import OmegaConf

from bench.report.__main__ import main as report_main
from bench.report.sweep import SweepReport, render_sweep
from bench.report.sweep_files import EXACT, NO_RESULTS, is_sweep_dir, override_key, read_jobs, swept_keys

from conftest import ROOT, compose

SHARED = ["datasets=[sine,rw]", "models=[naive,lstm]", "split.folds=3"]


def metric_rows(diff: int, window: int) -> list[dict]:
    """Made-up numbers with a shape a test can check: diff=1 removes the lstm's +1 lag on rw."""
    rows = []
    for dataset in ("sine", "rw"):
        naive = dict(rel_mse=1.0, dm_pvalue=float("nan"), best_shift=1, lagging=True)
        rows.append(dict(dataset=dataset, model="naive", **naive, verdict_text="naive: the yardstick"))
        rel = 0.5 + 0.1 * (1 - diff) + window / 100 + (0.3 if dataset == "rw" else 0.0)
        lag = dataset == "rw" and diff == 0
        lstm = dict(rel_mse=rel, dm_pvalue=0.01 * window, best_shift=int(lag), lagging=lag)
        rows.append(dict(dataset=dataset, model="lstm", **lstm, verdict_text=f"lstm: rel {rel:.3f}"))
    return rows


def write_job(sweep: Path, num: int, overrides: list[str], rows: list[dict] | None, error: str | None = None,
              log: str = "") -> Path:  # fmt: skip
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"job": {"num": num}}}))
    (job / ".hydra" / "config.yaml").write_text("window: 5\n")
    (job / "run.log").write_text(log)
    if error is not None:
        (job / "error.txt").write_text(error)
    if rows is not None:
        pd.DataFrame(rows).to_csv(job / "metrics.csv", index=False)
        (job / "report.md").write_text(f"# job {num}\n")
        pipeline = "diff → scale(standard)" if "transform.diff=1" in overrides else "scale(standard)"
        info = {"config": {"models": {"naive": {}, "lstm": {}}, "datasets": {"sine": {}, "rw": {}}},
                "datasets": {d: {"pipeline": pipeline} for d in ("sine", "rw")}}  # fmt: skip
        (job / "run.json").write_text(json.dumps(info))
    return job


@pytest.fixture
def sweep(tmp_path) -> Path:
    """diff 0/1 × window 5/10, like `-m transform.diff=0,1 window=5,10`, plus two failed jobs."""
    root = tmp_path / "sweep"
    root.mkdir()
    task = [*SHARED, "transform.diff=0,1", "window=5,10"]
    (root / "multirun.yaml").write_text(
        yaml.safe_dump({"hydra": {"overrides": {"task": task, "hydra": ["hydra/launcher=joblib"]}}})
    )
    num = 0
    for diff in (0, 1):
        for window in (5, 10):
            write_job(root, num, [*SHARED, f"transform.diff={diff}", f"window={window}"],
                      metric_rows(diff, window))  # fmt: skip
            num += 1
    write_job(root, 4, [*SHARED, "transform.diff=2", "window=5"], None,
              error="dataset 'rw': 3 origins need\n 40 observations.")  # fmt: skip
    write_job(root, 5, [*SHARED, "transform.diff=2", "window=10"], None)
    return root


def test_sweep_metrics_hold_every_row_with_a_job_column_and_one_column_per_swept_key(sweep):
    render_sweep(sweep)
    m = pd.read_csv(sweep / "metrics.csv")
    assert list(m.columns[:3]) == ["job", "transform.diff", "window"]
    assert "datasets" not in m.columns and "split.folds" not in m.columns  # shared, not swept
    assert len(m) == 4 * 4 and sorted(m["job"].unique()) == [0, 1, 2, 3]  # failed jobs have no rows
    one = m[(m["job"] == 3) & (m["dataset"] == "rw") & (m["model"] == "lstm")].iloc[0]
    assert (one["transform.diff"], one["window"]) == (1, 10)
    assert one["rel_mse"] == pytest.approx(0.5 + 0.1 + 0.3)
    jobs = pd.read_csv(sweep / "jobs.csv")
    assert list(jobs["status"]) == ["ok"] * 4 + ["failed"] * 2


def test_sweep_report_has_a_table_per_dataset_with_swept_values_as_columns(sweep):
    text = render_sweep(sweep).read_text()
    assert "`transform.diff=0,1` `window=5,10`" in text and "`hydra/launcher=joblib`" in text
    assert "| swept | `transform.diff`, `window` |" in text
    rw = text.split("## rw")[1].split("## ")[0]
    header = rw.strip().splitlines()[0]
    assert header == ("| model | transform.diff=0, window=5 | transform.diff=0, window=10 "
                      "| transform.diff=1, window=5 | transform.diff=1, window=10 |")  # fmt: skip
    rows = {line.split(" | ")[0].strip("| "): line for line in rw.splitlines() if line.startswith("| ")}
    assert list(rows) == ["model", "*pipeline*", "naive", "lstm"]  # config order, not alphabetical
    lstm = [c.strip() for c in rows["lstm"].strip("|").split("|")][1:]
    # diff=0 lags (+1, lagging), diff=1 does not (+0); the lowest MSE / naive is bold
    assert lstm[0] == "0.950 · p 0.050 · +1 · *lagging*"
    assert lstm[2] == "**0.850** · p 0.050 · +0"
    assert "**" not in rows["naive"]  # the same everywhere: nothing to pick
    assert "diff → scale(standard)" in rows["*pipeline*"]


def test_best_configuration_per_model_and_links_to_every_job(sweep):
    text = render_sweep(sweep).read_text()
    sine = text.split("## sine")[1].split("## ")[0]
    assert "- lstm: transform.diff=1, window=5 (job 2) — MSE / naive 0.550, DM p 0.050, best shift +0" in sine
    assert "- naive: the same in every configuration (MSE / naive 1.000)" in sine
    for n in range(4):
        assert f"[{n}/report.md]({n}/report.md)" in text
    assert "| 4 | transform.diff=2, window=5 | failed | — |" in text


def test_failed_jobs_show_their_error_or_point_to_their_log(sweep):
    (sweep / "5" / "run.log").write_text("")  # an empty log is no pointer
    text = render_sweep(sweep).read_text()
    failed = text.split("## Failed jobs")[1]
    assert "- job 4 (transform.diff=2, window=5): dataset 'rw': 3 origins need 40 observations." in failed
    assert f"- job 5 (transform.diff=2, window=10): {NO_RESULTS}" in failed
    (sweep / "5" / "run.log").write_text("Traceback ...\n")
    assert "see the job's log, `5/run.log`" in render_sweep(sweep).read_text()


def test_a_sweep_where_every_job_failed_still_gets_a_report(tmp_path):
    write_job(tmp_path, 0, ["window=5"], None, error="boom")
    write_job(tmp_path, 1, ["window=10"], None, error="bang")
    text = render_sweep(tmp_path).read_text()
    assert "0 with results, 2 failed" in text and "- job 1 (window=10): bang" in text
    assert "job" in pd.read_csv(tmp_path / "metrics.csv").columns


def test_a_collection_shows_its_aggregate_and_its_series_rows_are_gathered(tmp_path):
    for num, (avg, lag) in enumerate([(0.8, 0.6), (0.7, 0.2)]):
        agg = dict(dataset="m3", unique_id=float("nan"), model="lstm", kind="collection", n_series=40,
                   rel_mse=float("nan"), avg_rel_mse=avg, share_dm_beats=0.25, share_lagging=lag)  # fmt: skip
        job = write_job(tmp_path, num, [f"transform.diff={num}"], [agg])
        series = pd.DataFrame({"dataset": "m3", "unique_id": ["N1", "N2"], "model": "lstm", "rel_mse": 1.0})
        series.to_csv(job / "metrics_by_series.csv", index=False)
    text = render_sweep(tmp_path).read_text()
    m3 = text.split("## m3")[1]
    assert "A collection of 40 series" in m3
    assert "| lstm | 0.800 · DM better 25% · lagging 60% | **0.700** · DM better 25% · lagging 20% |" in m3
    assert "- lstm: transform.diff=1 (job 1) — AvgRelMSE 0.700" in m3
    by_series = pd.read_csv(tmp_path / "metrics_by_series.csv")
    assert list(by_series.columns[:2]) == ["job", "transform.diff"] and len(by_series) == 4


def test_swept_keys_are_the_overrides_that_differ_between_jobs(tmp_path):
    assert override_key("+models.lstm.dropout=0.1") == ("models.lstm.dropout", "0.1")
    assert override_key("~split.train_size") == ("split.train_size", "(deleted)")
    assert override_key("datasets.csv.path=a=b.csv") == ("datasets.csv.path", "a=b.csv")
    write_job(tmp_path, 0, ["seeds=[0]", "models=[naive,lstm]"], metric_rows(1, 5))
    write_job(tmp_path, 1, ["seeds=[0]", "models=[naive,gru]", "+models.gru.dropout=0.1"], metric_rows(1, 5))
    assert swept_keys(read_jobs(tmp_path)) == ["models", "models.gru.dropout"]


def test_job_number_comes_from_hydra_not_the_dir_name(tmp_path):
    job = write_job(tmp_path, 7, ["window=5"], metric_rows(0, 5))
    job.rename(tmp_path / "window=5")
    (only,) = read_jobs(tmp_path)
    assert only.num == 7 and only.dir.name == "window=5"


def test_report_cli_detects_a_sweep_and_rerenders_it(sweep, tmp_path, capsys):
    assert is_sweep_dir(sweep) and not is_sweep_dir(tmp_path / "nothing")
    (sweep / "multirun.yaml").unlink()  # numbered job dirs alone make a sweep dir
    assert is_sweep_dir(sweep)
    assert report_main([str(sweep)]) == 0
    assert f"sweep report: {sweep / 'report.md'}" in capsys.readouterr().out
    assert "not recorded (no multirun.yaml)" in (sweep / "report.md").read_text()
    declared = {"hydra": {"sweeper": {"params": {"window": "5,10"}}}}
    (sweep / "multirun.yaml").write_text(yaml.safe_dump(declared))
    render_sweep(sweep)
    assert "| sweep | `window=5,10` |" in (sweep / "report.md").read_text()  # declared in the config
    (tmp_path / "empty").mkdir()
    assert report_main([str(tmp_path / "empty")]) == 2
    assert "neither forecasts.parquet" in capsys.readouterr().err


def test_the_callback_renders_from_the_sweep_dir_and_fails_when_a_job_failed(sweep, tmp_path, capsys):
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}})
    with pytest.raises(SystemExit) as exit_:
        SweepReport().on_multirun_end(cfg)
    assert exit_.value.code == 1 and (sweep / "report.md").exists()
    out, err = capsys.readouterr()
    assert "sweep report:" in out and "2 sweep job(s) left no results (job 4, 5)" in err
    SweepReport(fail_on_job_error=False).on_multirun_end(cfg)  # reported, not fatal
    good = tmp_path / "good"
    write_job(good, 0, ["window=5"], metric_rows(0, 5))
    SweepReport().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(good)}}}))
    assert (good / "report.md").exists()


def test_the_config_registers_the_sweep_callback():
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from conftest import CONF

    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = hydra_compose(config_name="config", return_hydra_config=True)
    assert cfg.hydra.callbacks.sweep_report._target_ == "bench.report.sweep.SweepReport"
    assert compose().window == 20  # the callback block changes nothing for the run itself


@pytest.mark.slow
def test_a_real_multirun_leaves_an_aggregated_report(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    args = ["-m", "datasets=[sine]", "models=[naive,linear]", "window=5,10", "split.folds=3", "n_jobs=1"]
    proc = subprocess.run([sys.executable, "-m", "bench.run", *args, f"hydra.sweep.dir={tmp_path}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"sweep report: {tmp_path / 'report.md'}" in proc.stdout
    m = pd.read_csv(tmp_path / "metrics.csv")
    assert sorted(m["window"].unique()) == [5, 10] and set(m["model"]) == {"naive", "linear"}
    for job in (0, 1):
        own = pd.read_csv(tmp_path / str(job) / "metrics.csv", **EXACT)
        mine = m[m["job"] == job].drop(columns=["job", "window"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, own, check_dtype=False)
    text = (tmp_path / "report.md").read_text()
    assert "| model | window=5 | window=10 |" in text and "[1/report.md](1/report.md)" in text
    assert "- linear: window=" in text
