"""The panel CSV loader: many series in one long file, each checked on its own, every error named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench.data.csv import parse_number, parse_values
from bench.data.errors import DataError
from bench.data.panel import load_panel_csv
from bench.data.shipped import shipped_path
from bench.data.validate import Where
from bench.engine.prepare import load
from bench.errors import ConfigError

from conftest import settings


def write(tmp_path: Path, text: str, name: str = "panel.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def message(excinfo: pytest.ExceptionInfo) -> str:
    return " ".join(str(excinfo.value).split())


def test_shipped_example_has_three_quarterly_series_of_different_lengths():
    c = load_panel_csv(str(shipped_path("panel_macro.csv")))
    assert c.ids == ["cpi", "realgdp", "unemp"]
    assert c.meta["n_obs"].to_dict() == {"cpi": 79, "realgdp": 119, "unemp": 59}
    assert c.frame["y"].dtype == np.float64 and c.freq.startswith("QS")  # QS-OCT (pandas 2), QS-JAN (3)
    assert c.frame.sort_values(["unique_id", "ds"]).index.equals(c.frame.index)
    gdp = dict((d.uid, d) for d in c.series())["realgdp"]
    assert gdp.y.index[0] == pd.Timestamp("1980-01-01") and gdp.y.iloc[0] == 5908.467


def test_config_needs_a_path_and_loads_the_example_with_it():
    with pytest.raises(ConfigError, match=r"datasets\.panel_csv\.path"):
        settings(["datasets=[panel_csv]"])
    s = settings(["datasets=[panel_csv]", f"datasets.panel_csv.path={shipped_path('panel_macro.csv')}"])
    assert load(s.datasets[0]).ids == ["cpi", "realgdp", "unemp"]


def test_rows_in_any_order_are_grouped_and_sorted_per_series(tmp_path):
    text = "id,date,v\nB,2024-01-03,30\nA,2024-01-02,2\nB,2024-01-01,10\nA,2024-01-01,1\nB,2024-01-02,20\n"
    c = load_panel_csv(write(tmp_path, text), id_col="id", time_col="date", value_col="v")
    assert c.frame["unique_id"].tolist() == ["A", "A", "B", "B", "B"]
    assert c.frame["y"].tolist() == [1.0, 2.0, 10.0, 20.0, 30.0]
    assert any("sorted ascending" in n for n in c.notes)


def test_investing_formats_locale_and_encoding_parse_as_in_the_single_series_loader(tmp_path):
    text = "代码;日期;收盘\n001;02.01.2024;1.234,5\n001;03.01.2024;1.240,0\n"
    text += "002;02.01.2024;2,1K\n002;03.01.2024;3,5K\n"
    path = write(tmp_path, text, encoding="gbk")
    c = load_panel_csv(
        path, id_col="代码", time_col="日期", value_col="收盘", sep=";", decimal=",",
        date_format="%d.%m.%Y", encoding="gbk",
    )  # fmt: skip
    assert c.ids == ["001", "002"]  # ids stay text
    assert c.frame["y"].tolist() == [1234.5, 1240.0, 2100.0, 3500.0]
    assert any("suffixes expanded" in n for n in c.notes)
    with pytest.raises(DataError) as err:
        load_panel_csv(path, id_col="代码", time_col="日期", value_col="收盘", sep=";", decimal=",")
    assert "datasets.panel_csv.encoding" in message(err)


def test_empty_file_is_named(tmp_path):
    with pytest.raises(DataError) as err:
        load_panel_csv(write(tmp_path, ""))
    assert "panel.csv: the file is empty" in message(err)


def test_header_only_says_there_are_no_data_rows(tmp_path):
    with pytest.raises(DataError) as err:
        load_panel_csv(write(tmp_path, "unique_id,ds,y\n\n"))
    assert "panel.csv: has a header line ('unique_id', 'ds', 'y') but no data rows" in message(err)


def test_missing_column_suggests_the_closest_name(tmp_path):
    path = write(tmp_path, "series_id,ds,y\nA,2024-01-01,1\n")
    with pytest.raises(DataError) as err:
        load_panel_csv(path, id_col="series")
    msg = message(err)
    assert "has no column 'series' (did you mean 'series_id'?)" in msg and "datasets.panel_csv.id_col" in msg


def test_unparsable_number_names_file_column_line_and_value(tmp_path):
    path = write(tmp_path, "unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,2\nB,2024-01-01,abc\n")
    with pytest.raises(DataError) as err:
        load_panel_csv(path, name="mine")
    msg = message(err)
    assert "panel.csv, column 'y': line 4 has the value 'abc'" in msg and "datasets.mine.decimal" in msg


def test_duplicate_timestamp_within_a_series_names_the_series_and_both_lines(tmp_path):
    text = "unique_id,ds,y\nA,2024-01-01,1\nB,2024-01-01,5\nA,2024-01-02,2\nA,2024-01-01,3\n"
    with pytest.raises(DataError) as err:
        load_panel_csv(write(tmp_path, text))
    msg = message(err)
    assert "series 'A'" in msg and "2024-01-01 appears more than once (lines 2 and 5" in msg


def test_missing_values_are_handled_per_series_never_across_them(tmp_path):
    text = "unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,9\nB,2024-01-01,\nB,2024-01-02,4\nB,2024-01-03,6\n"
    path = write(tmp_path, text)
    with pytest.raises(DataError) as err:
        load_panel_csv(path)
    msg = message(err)
    assert "series 'B'" in msg and "line 4" in msg and "datasets.panel_csv.missing=ffill" in msg
    c = load_panel_csv(path, missing="ffill")
    b = dict((d.uid, d) for d in c.series())["B"]
    assert b.y.tolist() == [4.0, 6.0]  # B's leading gap is not filled with A's last value (9)
    assert "series 'B'" in " ".join(c.notes) and "could not be forward-filled" in c.meta.loc["B", "notes"]


def test_short_series_are_dropped_under_min_len_with_a_count(tmp_path):
    rows = [f"L,2024-01-{d:02d},{d}" for d in range(1, 11)] + ["S,2024-01-01,1", "S,2024-01-02,3"]
    path = write(tmp_path, "unique_id,ds,y\n" + "\n".join(rows) + "\n")
    c = load_panel_csv(path, min_len=5)
    assert c.ids == ["L"] and any("1 series shorter than min_len=5 dropped: 'S' (2)" in n for n in c.notes)
    with pytest.raises(DataError, match="all 2 series are shorter than datasets.panel_csv.min_len=20"):
        load_panel_csv(path, min_len=20)
    with pytest.raises(ConfigError, match="datasets.panel_csv.min_len must be a whole number >= 2"):
        load_panel_csv(path, min_len=0)


def test_without_a_time_column_rows_keep_file_order_per_series(tmp_path):
    path = write(tmp_path, "unique_id,y\nA,3\nB,1\nA,1\nB,2\nA,2\n")
    c = load_panel_csv(path, time_col=None)
    assert c.frame["y"].tolist() == [3.0, 1.0, 2.0, 1.0, 2.0] and c.frame["ds"].tolist() == [0, 1, 2, 0, 1]


def test_a_row_without_id_and_a_constant_series_are_named(tmp_path):
    with pytest.raises(DataError, match="line 3 has no series id"):
        load_panel_csv(write(tmp_path, "unique_id,ds,y\nA,2024-01-01,1\n ,2024-01-02,2\n"))
    with pytest.raises(DataError, match="series 'C'.*all 2 values equal 5"):
        load_panel_csv(
            write(
                tmp_path, "unique_id,ds,y\nA,2024-01-01,1\nA,2024-01-02,2\nC,2024-01-01,5\nC,2024-01-02,5\n"
            )
        )
    with pytest.raises(ConfigError, match="same column twice"):
        load_panel_csv(write(tmp_path, "unique_id,ds,y\nA,2024-01-01,1\n"), value_col="unique_id")


@hsettings(max_examples=60, deadline=None)
# bounded: a value rounded up past 1.8e308 (e.g. "1.798e+308") is refused as overflowing
@given(st.lists(st.floats(-1e307, 1e307, allow_nan=False, width=64), min_size=1, max_size=20))
def test_vectorised_plain_numbers_equal_the_cell_by_cell_parser(xs):
    forms = (repr, lambda v: f"{v:.3e}", lambda v: f"{v:,.2f}", lambda v: f"{v:.0f}")  # plain and grouped
    cells = [f(x) for x in xs for f in forms]
    where = Where("f.csv", "y", np.arange(len(cells)) + 2)
    values, _ = parse_values(pd.Series(cells), where, ".", ",")
    np.testing.assert_array_equal(values, [parse_number(c, ".", ",")[0] for c in cells])
