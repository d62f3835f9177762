"""The search inside a refit: seeded, deterministic, refuses the shared settings, finds a minimum."""

from __future__ import annotations

import math

import pytest

from bench.models.tuning import Halving, Search, Searcher, TuneSpec, parse_dim, search

SPACE = {"hidden_size": [8, 16, 32, 64], "lr": {"low": 1e-4, "high": 1e-1, "log": True}}


def bowl(params: list[dict]) -> list[float]:
    """A known minimum: hidden 32, lr 1e-2."""
    return [math.log2(p["hidden_size"] / 32) ** 2 + math.log10(p["lr"] / 1e-2) ** 2 for p in params]


def test_the_search_is_seeded_and_finds_the_bowls_bottom():
    spec = TuneSpec.from_config({"trials": 30, "batch": 5, "space": SPACE}, ["hidden_size", "lr", "epochs"])
    a, b = search(spec, 7, bowl), search(spec, 7, bowl)
    assert a == b and len(a.trials) == 30
    assert a.params["hidden_size"] == 32 and abs(math.log10(a.params["lr"] / 1e-2)) < 0.5
    assert search(spec, 8, bowl).trials != a.trials  # another seed, other candidates


def test_rounds_are_evaluated_side_by_side_and_failures_are_skipped():
    rounds: list[int] = []

    def some_fail(params):
        rounds.append(len(params))
        return [math.nan if p["hidden_size"] == 8 else s for p, s in zip(params, bowl(params), strict=True)]

    got = search(TuneSpec.from_config({"trials": 12, "batch": 5, "space": SPACE}), 0, some_fail)
    assert rounds == [5, 5, 2] and got.params["hidden_size"] != 8
    with pytest.raises(RuntimeError, match="all 3 tuning trials failed"):
        search(TuneSpec.from_config({"trials": 3, "space": SPACE}), 0, lambda ps: [math.inf] * len(ps))


@pytest.mark.parametrize(
    ("node", "says"),
    [
        ({"space": {"window": [10, 20]}}, "tune.space.window cannot be searched"),
        ({"space": {"hiden_size": [8]}}, "tune.space.hiden_size is not a setting of this model"),
        ({"space": {}}, "tune.space is empty"),
        ({"trials": 0, "space": SPACE}, "tune.trials and tune.batch must be >= 1"),
        ({"space": SPACE, "n": 3}, "unknown tune setting n"),
        ({"space": {"lr": {"low": 0, "high": 1, "log": True}}}, "a log range needs low > 0"),
        ({"space": {"lr": 0.1}}, "is not a search dimension"),
    ],
)
def test_a_bad_search_space_is_refused_with_what_is_allowed(node, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(".", r"\.")):
        TuneSpec.from_config(node, ["hidden_size", "lr", "epochs", "window"])


def test_search_schedule_and_dimensions():
    spec = TuneSpec.from_config({"every": 3, "space": SPACE})
    assert [spec.due(k) for k in range(7)] == [True, False, False, True, False, False, True]
    assert [TuneSpec.from_config({"space": SPACE}).due(k) for k in range(3)] == [True, False, False]
    assert parse_dim("epochs", {"low": 20, "high": 150, "int": True}).describe() == "[20, 150] int"
    assert isinstance(Search(((({"a": 1}), 0.5),), 0).params, dict)


def test_halving_rungs_and_their_epoch_caps():
    """Successive halving: all trials at min_epochs, the best 1/eta at eta times that, …, the last
    rung (final or fewer candidates) in full (cap None)."""
    h = Halving(eta=3, min_epochs=1)
    assert h.counts(20) == [20, 7, 3, 1] and [h.cap(r, 4) for r in range(4)] == [1, 3, 9, None]
    h4 = Halving(eta=4, min_epochs=2, final=2)
    assert h4.counts(20) == [20, 5, 2] and [h4.cap(r, 3) for r in range(3)] == [2, 8, None]
    assert h.counts(1) == [1] and h.cap(0, 1) is None  # one trial: trained in full at once
    spec = TuneSpec.from_config({"space": SPACE, "halving": {"eta": 4, "final": 2}})
    assert spec.halving == Halving(4, 1, 2) and TuneSpec.from_config({"space": SPACE}).halving is None


def test_halving_points_cap_the_cheap_rungs_data_never_the_last_rungs():
    spec = TuneSpec.from_config({"space": SPACE, "halving": {"eta": 20, "final": 1, "points": 300}})
    assert spec.rungs() == [20, 1] and [spec.span(r) for r in range(2)] == [300, None]
    assert [spec.epoch_cap(r) for r in range(2)] == [1, None]
    assert TuneSpec.from_config({"space": SPACE, "halving": {"eta": 3}}).span(0) is None
    assert TuneSpec.from_config({"space": SPACE}).span(0) is None  # no halving: all data, in full


@pytest.mark.parametrize(
    ("halving", "says"),
    [
        ({"eta": 1}, "eta >= 2"),
        ({"min_epochs": 0}, "min_epochs >= 1"),
        ({"points": 1}, "points >= 2"),
        ({"rate": 2}, "tune.halving="),
    ],
)
def test_bad_halving_is_refused(halving, says):
    with pytest.raises(ValueError, match=says):
        TuneSpec.from_config({"space": SPACE, "halving": halving})


def test_the_defaults_are_the_first_trial_where_the_space_holds_them():
    spec = TuneSpec.from_config({"trials": 3, "batch": 3, "space": SPACE})
    first = spec.default_trial({"hidden_size": 16, "lr": 5.0, "epochs": 30})  # lr outside its range
    assert first == {"hidden_size": 16}
    searcher = Searcher(spec, 0, first)
    asked = searcher.ask()
    assert asked[0]["hidden_size"] == 16 and 1e-4 <= asked[0]["lr"] <= 1e-1  # the rest sampled
    assert spec.default_trial({"hidden_size": 12}) == {}  # not a choice: nothing forced
