import pytest

from bench.errors import ConfigError
from bench.parse import parse_split
from bench.prep.splits import SeriesTooShortError, rolling_origin
from bench.settings import SplitSettings


def _idx(s: slice) -> set[int]:
    return set(range(s.start, s.stop))


def test_expanding_origins_end_on_last_observation_and_never_overlap_targets():
    splits = list(rolling_origin(50, SplitSettings(folds=5, horizon=1, step=1)))
    assert [s.fold for s in splits] == [0, 1, 2, 3, 4]
    assert [s.test.start for s in splits] == [45, 46, 47, 48, 49]
    assert splits[-1].test.stop == 50
    for s in splits:
        assert s.train.start == 0
        assert max(_idx(s.train)) < min(_idx(s.test))
        assert s.origin == s.test.start - 1


def test_last_folds_observations_are_the_one_step_targets():
    splits = list(rolling_origin(30, SplitSettings(folds=7)))
    assert sorted(i for s in splits for i in _idx(s.test)) == list(range(23, 30))


def test_sliding_window_keeps_train_size_and_step():
    spec = SplitSettings(folds=4, horizon=3, step=2, kind="sliding", train_size=10)
    splits = list(rolling_origin(40, spec, min_train=5))
    assert [s.origin for s in splits] == [30, 32, 34, 36]
    for s in splits:
        assert s.train.stop - s.train.start == 10
        assert s.test.stop - s.test.start == 3
        assert not _idx(s.train) & _idx(s.test)
    assert splits[-1].test.stop == 40


def test_too_short_series_names_the_required_length():
    with pytest.raises(SeriesTooShortError, match="has 20 observations but 33 are needed"):
        list(rolling_origin(20, SplitSettings(folds=10, horizon=2, step=1), min_train=22))


@pytest.mark.parametrize(
    "node, words",
    [
        ({"folds": 0}, "split.folds=0 is out of range"),
        ({"horizon": 0}, "split.horizon=0 is out of range"),
        ({"step": 0}, "split.step=0 is out of range"),
        ({"kind": "rolling"}, "split.kind=rolling is not allowed; choose one of: expanding, sliding"),
        ({"kind": "sliding"}, "split.kind=sliding needs split.train_size"),
    ],
)
def test_bad_split_settings_are_refused_once_by_the_parser(node, words):
    with pytest.raises(ConfigError, match=words):
        parse_split(node)


def test_a_sliding_window_shorter_than_the_training_floor_is_a_data_error():
    with pytest.raises(SeriesTooShortError, match="split.train_size=10 is below the 30 training points"):
        list(rolling_origin(100, SplitSettings(kind="sliding", train_size=10), min_train=30))
