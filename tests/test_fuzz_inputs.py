"""Bad input files and impossible settings: each a specific error naming the file, column, line or
setting (a ConfigError / InputDataError), or a documented repair — never a traceback of another
kind, a hang, or a silently wrong number. Hypothesis feeds the CSV loaders junk and shuffled data."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench.data.csv import load_csv
from bench.data.errors import DataError
from bench.data.panel import load_panel_csv
from bench.engine.needs import with_needs
from bench.engine.prepare import prepare
from bench.errors import ConfigError, InputDataError
from bench.prep.splits import SeriesTooShortError

from conftest import settings

# a tiny CSV parses in milliseconds: 20 s per example catches a hang without flaking on a busy machine
FUZZ = hsettings(max_examples=60, deadline=20_000, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def write(tmp: Path, name: str, body: bytes) -> Path:
    path = tmp / name
    path.write_bytes(body)
    return path


def dates(n: int) -> list[str]:
    return [str(d) for d in np.datetime64("2020-01-01") + np.arange(n).astype("timedelta64[D]")]


def csv_body(values, header: str = "Date,Close", sep: str = ",") -> bytes:
    rows = [header.replace(",", sep)] + [
        f"{d}{sep}{v}" for d, v in zip(dates(len(values)), values, strict=True)
    ]
    return ("\n".join(rows) + "\n").encode()


def panel_body(values) -> bytes:
    rows = ["unique_id,ds,y"] + [f"a,{d},{v}" for d, v in zip(dates(len(values)), values, strict=True)]
    return ("\n".join(rows) + "\n").encode()


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "header only": (b"Date,Close\n", "only 0 usable value"),
    "binary junk": (bytes(range(256)) * 4, "not valid utf-8"),
    "latin-1 read as utf-8": ("Date,Cl\xf6se\n2024-01-01,1\n".encode("latin-1"), "not valid utf-8"),
    "utf-16 read as utf-8": (csv_body([1, 2, 3]).decode().encode("utf-16"), "encoding"),
    "mixed separators": (b"Date;Close\n2024-01-01;1\n2024-01-02,2\n2024-01-03;5\n", "line 3"),
    "semicolon in a row": (b"Date,Close\n2024-01-01,1\n2024-01-02;2\n2024-01-03,5\n", "line 3"),
    "inf": (csv_body([1, "inf", 5]), "line 3 has the value 'inf'"),
    "-inf": (csv_body([1, 2, "-inf"]), "line 4 has the value '-inf'"),
    "overflow": (csv_body([1, "1e400", 5]), "line 3 has the value '1e400', which is too large"),
    "NUL byte": (b"Date,Close\n2024-01-01,1\x00\n2024-01-02,2\n", "line 2"),
    "duplicate date": (b"Date,Close\n2024-01-01,1\n2024-01-01,2\n2024-01-03,5\n", "lines 2 and 3"),
    "constant": (csv_body([3, 3, 3, 3]), "constant"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_a_data_error_naming_the_file_and_where(tmp_path, case):
    body, words = BAD_FILES[case]
    path = write(tmp_path, "prices.csv", body)
    with pytest.raises(DataError) as err:
        load_csv(str(path), value_col="Close", time_col="Date")
    assert "prices.csv" in str(err.value) and words in str(err.value), str(err.value)


@pytest.mark.parametrize("case", ["empty", "binary junk", "inf", "overflow", "duplicate date"])
def test_the_panel_loader_refuses_the_same_files(tmp_path, case):
    body, words = BAD_FILES[case]
    body = body.replace(b"Date,Close", b"unique_id,ds,y").replace(b"\n20", b"\na,20")
    path = write(tmp_path, "panel.csv", body)
    with pytest.raises(DataError) as err:
        load_panel_csv(str(path))
    assert "panel.csv" in str(err.value) and words.split(" has")[0] in str(err.value), str(err.value)


def test_header_only_panel_says_there_are_no_data_rows(tmp_path):
    with pytest.raises(DataError, match="panel.csv: has a header line .* but no data rows"):
        load_panel_csv(str(write(tmp_path, "panel.csv", b"unique_id,ds,y\n")))


@pytest.mark.parametrize("scale", [1e12, 1e-9])
def test_huge_and_tiny_magnitudes_load_exactly(tmp_path, scale):
    values = np.round(np.random.default_rng(0).uniform(1, 9, 30), 6) * scale
    text = [repr(float(v)) for v in values]
    ds = load_csv(str(write(tmp_path, "m.csv", csv_body(text))), value_col="Close", time_col="Date")
    np.testing.assert_array_equal(ds.y.to_numpy(), [float(t) for t in text])
    coll = load_panel_csv(str(write(tmp_path, "p.csv", panel_body(text))))
    np.testing.assert_array_equal(coll.frame["y"].to_numpy(), [float(t) for t in text])


POSITIVE_ONLY = ["transform.log=true", "transform.boxcox=guerrero", "transform.boxcox=mle"]


def run_settings(path: Path, *more: str):
    base = ["datasets=[csv]", "models=[naive]", f"datasets.csv.path={path}", "datasets.csv.value_col=Close",
            "datasets.csv.time_col=Date", "split.folds=5"]  # fmt: skip
    return settings([*base, *more])


@pytest.mark.parametrize(
    "transform", ["transform.log=true", "transform.boxcox=guerrero", "transform.boxcox=mle"]
)
def test_negative_values_under_log_or_boxcox_stop_before_any_fit_naming_the_date(tmp_path, transform):
    values = 50 + np.cumsum(np.random.default_rng(1).normal(0, 1, 80))
    values[61] = -3.0
    path = write(tmp_path, "neg.csv", csv_body([f"{v:.4f}" for v in values]))
    with pytest.raises(InputDataError) as err:
        prepare(run_settings(path, transform))
    msg = str(err.value)
    assert "'csv'" in msg and dates(80)[61] in msg and transform.split("=")[0] in msg, msg


def test_a_series_too_short_for_every_model_is_an_input_error_naming_each_need(tmp_path):
    values = 50 + np.cumsum(np.random.default_rng(2).normal(0, 1, 60))
    path = write(tmp_path, "short.csv", csv_body([f"{v:.4f}" for v in values]))
    s = run_settings(path, "models=[linear]", "window=200", "baseline=linear")
    with pytest.raises(SeriesTooShortError) as err:
        with_needs(s, prepare(s))
    msg = str(err.value)
    assert "'csv'" in msg and "too short for every model" in msg and "linear needs 202" in msg, msg
    assert "the series has 55" in msg and "window" in msg, msg  # 60 points, 5 origins


def test_a_series_too_short_for_some_models_skips_only_those(tmp_path):
    values = 50 + np.cumsum(np.random.default_rng(2).normal(0, 1, 60))
    path = write(tmp_path, "short.csv", csv_body([f"{v:.4f}" for v in values]))
    s = run_settings(path, "models=[naive,linear]", "window=200")
    (p,) = with_needs(s, prepare(s))
    assert p.ids_for("naive") == ["csv"] and p.ids_for("linear") == []
    assert "linear needs 202 training points" in p.skipped_for("linear")["csv"]


def test_a_series_too_short_for_the_splits_is_still_an_input_error(tmp_path):
    values = 50 + np.cumsum(np.random.default_rng(2).normal(0, 1, 60))
    path = write(tmp_path, "short.csv", csv_body([f"{v:.4f}" for v in values]))
    with pytest.raises(SeriesTooShortError, match="60 observations but"):
        prepare(run_settings(path, "split.folds=70"))


@FUZZ
@given(body=st.binary(max_size=400))
def test_arbitrary_bytes_give_a_dataset_or_a_data_error_naming_the_file(tmp_path, body):
    path = write(tmp_path, "fuzz.csv", body)
    for load in (lambda: load_csv(str(path), value_col=0), lambda: load_panel_csv(str(path), time_col=None)):
        try:
            ds = load()
        except (InputDataError, ConfigError) as exc:
            assert "fuzz.csv" in str(exc) or "encoding" in str(exc), str(exc)
            continue
        y = ds.y.to_numpy() if hasattr(ds, "y") else ds.frame["y"].to_numpy()
        assert len(y) >= 2 and np.all(np.isfinite(y))


CELLS = st.one_of(
    st.floats(-1e12, 1e12, allow_nan=False).map(repr),
    st.sampled_from(
        ["", "nan", "inf", "-inf", "1e400", "abc", "1,5", "1,234.5", "12.3K", "0.5%", " 7 ", "--1"]
    ),
)


@FUZZ
@given(cells=st.lists(CELLS, min_size=0, max_size=12))
def test_any_cells_give_their_exact_numbers_or_an_error_naming_the_line(tmp_path, cells):
    """A value is either read exactly or refused by line; a missing cell is refused by default."""
    path = write(tmp_path, "cells.csv", csv_body(cells) if cells else b"Date,Close\n")
    try:
        ds = load_csv(str(path), value_col="Close", time_col="Date")
    except DataError as exc:
        msg = str(exc)
        assert "cells.csv" in msg and ("line" in msg or "usable value" in msg or "constant" in msg), msg
        return
    y = ds.y.to_numpy()
    assert len(y) == len(cells) >= 2 and np.all(np.isfinite(y))
    plain = [float(c) for c in cells if c.strip().lstrip("-").replace(".", "", 1).replace("e", "").isdigit()]
    assert all(v in y for v in plain)


@FUZZ
@given(
    data=st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), min_size=3, max_size=40,
                  unique=True),
    order=st.randoms(use_true_random=False),
    sep=st.sampled_from([",", ";", "\t"]),
)  # fmt: skip
def test_rows_in_any_order_are_sorted_by_date_with_a_note(tmp_path, data, order, sep):
    """Documented repair: rows out of time order are sorted ascending and the notes say so."""
    rows = list(zip(dates(len(data)), data, strict=True))
    shuffled = rows[:]
    order.shuffle(shuffled)
    body = "\n".join([sep.join(["Date", "Close"])] + [f"{d}{sep}{v!r}" for d, v in shuffled]) + "\n"
    ds = load_csv(str(write(tmp_path, "s.csv", body.encode())), value_col="Close", time_col="Date", sep=sep)
    np.testing.assert_array_equal(ds.y.to_numpy(), data)
    notes = " ".join(ds.notes)  # "sorted ascending by time", or "reversed to ascending" if newest first
    assert ("to ascending time order" in notes or "sorted ascending" in notes) == (shuffled != rows), notes


ALPHABET = string.ascii_letters + string.digits + ",;.\t\n\"' -:/%"


@FUZZ
@given(text=st.text(alphabet=ALPHABET, max_size=300))
def test_csv_like_text_never_escapes_as_another_exception(tmp_path, text):
    path = write(tmp_path, "t.csv", text.encode())
    try:
        load_panel_csv(str(path), id_col=0, time_col=None, value_col=1)
    except (InputDataError, ConfigError) as exc:
        assert "t.csv" in str(exc) or "datasets.panel_csv" in str(exc), str(exc)
