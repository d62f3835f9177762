"""The `debug` group (conf/debug/): `debug=fast` shrinks a run; `debug=true` is now `traceback=true`."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import FAST_NEURAL, ROOT, settings

NETS = ["lstm", "rnn_tata", "lstm_sales", "gru_global"]


def sizes(s, name: str) -> dict:
    return {k: s.model(name).params[k] for k in FAST_NEURAL}


def test_debug_fast_shrinks_every_net_one_seed_and_few_origins():
    base = [f"models=[naive,{','.join(NETS)}]", "datasets=[sine]"]
    full, fast = settings(base), settings([*base, "debug=fast"])
    assert FAST_NEURAL == {"epochs": 2, "hidden_size": 4, "batch_size": 32}
    for name in NETS:
        assert sizes(fast, name) == FAST_NEURAL, name
        assert all(full.model(name).params[k] > v for k, v in FAST_NEURAL.items()), name
    assert (fast.seeds, fast.datasets[0].split.folds) == ((0,), 3)
    assert (full.seeds, full.datasets[0].split.folds) == ((0, 1, 2), 100)
    # Nothing else moves: the non-net model and every other net setting are the full run's.
    assert fast.model("naive") == full.model("naive")
    for name in NETS:
        rest = {k: v for k, v in fast.model(name).params.items() if k not in FAST_NEURAL}
        assert rest == {k: v for k, v in full.model(name).params.items() if k not in FAST_NEURAL}


def test_what_the_command_line_says_beats_debug_fast():
    s = settings(["models=[lstm]", "datasets=[sine]", "debug=fast", "models.lstm.epochs=5", "split.folds=7"])
    assert sizes(s, "lstm") == {**FAST_NEURAL, "epochs": 5} and s.datasets[0].split.folds == 7


def test_an_experiments_nets_shrink_under_debug_fast():
    s = settings(["+experiment=m3_makridakis_source_nets", "debug=fast"])
    assert sizes(s, "rnn") == sizes(s, "lstm") == FAST_NEURAL
    assert settings(["+experiment=m3_makridakis_source_nets"]).model("lstm").params["epochs"] == 500


def test_the_old_debug_flag_becomes_traceback_and_plus_debug_the_group_choice(capsys):
    from bench.run import renamed_debug_flag

    args = ["debug=True", "+debug=fast", "debug=fast", "models=[naive]", "debug=false"]
    assert renamed_debug_flag(args) == ["traceback=true", "debug=fast", "debug=fast", "models=[naive]",
                                        "traceback=false"]  # fmt: skip
    assert capsys.readouterr().err.count("is now traceback=") == 2


def test_debug_true_still_shows_the_traceback_and_says_it_is_now_traceback_true(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    args = ["datasets=[sine]", "models=[naive]", "split.folds=0", "debug=true", f"hydra.run.dir={tmp_path}"]
    cmd = [sys.executable, "-m", "bench.run", *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
    assert "ConfigError: split.folds=0 is out of range" in proc.stderr
    assert "lagbench: debug=true is now traceback=true (debug=fast is the quick-check preset)" in proc.stderr


def test_debug_fast_shrinks_the_tuned_nets_searches_too():
    base = ["models=[lstm_auto]", "datasets=[sine]"]
    full, fast = (settings(o).model("lstm_auto").params["tune"] for o in (base, [*base, "debug=fast"]))
    assert (full["trials"], full["batch"], full["space"]["epochs"]) == (20, 10, [30, 100])
    assert (fast["trials"], fast["batch"], fast["space"]["epochs"]) == (4, 2, [2, 3])
    assert fast["space"]["hidden_size"] == full["space"]["hidden_size"]
