"""The user CSV loader: messy real-world formats parse exactly; each bad input has its message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra.utils import instantiate

from bench.data.csv import load_csv, parse_number
from bench.data.errors import DataError
from bench.errors import ConfigError

from conftest import SHARED_DATA, compose

FIXTURES = Path(__file__).parent / "data"
ZH = FIXTURES / "investing_zh.csv"
ZH_DATES = "%Y年%m月%d日"
ZH_DAYS = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"])
TATA = SHARED_DATA / "tata" / "NSE-TATAGLOBAL.csv"


def write(tmp_path: Path, text: str, name: str = "prices.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def message(excinfo: pytest.ExceptionInfo) -> str:
    return " ".join(str(excinfo.value).split())


# --- the investing.com-style fixture -----------------------------------------------------------


def test_investing_zh_close_is_sorted_ascending_with_thousands_separators():
    ds = load_csv(ZH, value_col="收盘", time_col="日期", date_format=ZH_DATES)
    assert list(ds.y.index) == list(ZH_DAYS)
    assert ds.y.tolist() == [1239.6, 1240.0, 1225.1, 1234.5, 1240.2, 1251.0]
    assert ds.y.dtype == np.float64 and ds.y.index.is_monotonic_increasing
    assert any("newest first" in n for n in ds.notes)
    # the weekend between 5 and 8 January is a normal trading gap, not worth a warning
    assert not any("gap" in n for n in ds.notes)


def test_investing_zh_volume_suffixes_expand_exactly_and_dash_is_missing():
    ds = load_csv(ZH, value_col="交易量", time_col="日期", date_format=ZH_DATES, missing="drop")
    expected = [1_050_000.0, 2_100_000_000.0, 12_300.0, 4_500_000.0, 980_500.0]
    assert ds.y.tolist() == expected
    assert pd.Timestamp("2024-01-03") not in ds.y.index
    assert "1 missing value(s) dropped" in ds.notes
    assert any("suffixes expanded" in n for n in ds.notes)


def test_investing_zh_percent_column_keeps_percent_units():
    ds = load_csv(ZH, value_col="涨跌幅", time_col="日期", date_format=ZH_DATES)
    assert ds.y.tolist() == [3.19, 0.03, -1.2, 0.77, 0.46, 0.87]
    assert any("percent" in n for n in ds.notes)


def test_columns_by_zero_based_position_match_columns_by_name():
    by_name = load_csv(ZH, value_col="开盘", time_col="日期", date_format=ZH_DATES)
    by_pos = load_csv(ZH, value_col=2, time_col=0, date_format=ZH_DATES)
    pd.testing.assert_series_equal(by_name.y, by_pos.y)


# --- other formats -------------------------------------------------------------------------------


def test_european_decimal_comma_and_semicolon_separator(tmp_path):
    path = write(tmp_path, "Datum;Schluss\n03.01.2024;1.234,5\n02.01.2024;1.230,25\n")
    ds = load_csv(path, "Schluss", "Datum", sep=";", decimal=",", date_format="%d.%m.%Y")
    assert ds.y.tolist() == [1230.25, 1234.5]
    assert ds.y.index[0] == pd.Timestamp("2024-01-02")


def test_iso_dates_are_inferred_and_the_inferred_format_is_noted(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,10\n2024-01-03,11\n2024-01-04,12.5\n")
    ds = load_csv(path, "Close", "Date")
    assert ds.y.tolist() == [10.0, 11.0, 12.5]
    assert ds.freq == "D"
    assert any("%Y-%m-%d" in n for n in ds.notes)


def test_unordered_rows_are_sorted_and_that_is_noted(tmp_path):
    path = write(tmp_path, "d,v\n2024-01-03,3\n2024-01-01,1\n2024-01-02,2\n2024-01-04,4\n")
    ds = load_csv(path, "v", "d")
    assert ds.y.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert any("sorted ascending" in n for n in ds.notes)


def test_without_time_column_rows_keep_file_order(tmp_path):
    path = write(tmp_path, "v\n3\n1\n2\n")
    ds = load_csv(path, "v")
    assert isinstance(ds.y.index, pd.RangeIndex) and ds.y.tolist() == [3.0, 1.0, 2.0]


def test_a_gap_far_beyond_the_median_spacing_is_a_note_not_an_error(tmp_path):
    days = list(pd.bdate_range("2024-01-01", periods=30))
    days = days[:10] + [d + pd.Timedelta(days=30) for d in days[10:]]
    body = "".join(f"{d:%Y-%m-%d},{100 + i}\n" for i, d in enumerate(days))
    ds = load_csv(write(tmp_path, "d,v\n" + body), "v", "d")
    gaps = [n for n in ds.notes if n.startswith("gap of")]
    assert gaps == ["gap of 33 days between 2024-01-12 and 2024-02-14 (median spacing 1 day)"]


def test_other_encodings_need_the_encoding_option(tmp_path):
    path = write(tmp_path, "日期,收盘\n2024-01-02,1\n2024-01-03,2\n", encoding="gbk")
    with pytest.raises(DataError) as err:
        load_csv(path, "收盘", "日期")
    assert "prices.csv" in message(err) and "datasets.csv.encoding" in message(err)
    assert load_csv(path, "收盘", "日期", encoding="gbk").y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.5", 1234.5),
        ("1,23,456.7", 123456.7),  # Indian grouping
        ("12.3K", 12300.0),
        ("4.5m", 4_500_000.0),
        ("2.1B", 2_100_000_000.0),
        ("3.5万", 35_000.0),
        ("-0.77%", -0.77),
        ("\u22123.25", -3.25),  # Unicode minus
        ("$1,000", 1000.0),
        (" 7 ", 7.0),
        ("1e3", 1000.0),
    ],
)
def test_parse_number_known_formats(text, value):
    assert parse_number(text)[0] == value


@pytest.mark.parametrize("text", ["abc", "1,5", "12,34.5", "1.2.3", "K", "5 apples", "0x1F"])
def test_parse_number_rejects_unknown_formats(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_clashing_separators_are_config_errors(tmp_path):
    path = write(tmp_path, "v\n1\n2\n")
    with pytest.raises(ConfigError):
        load_csv(path, "v", decimal=",", thousands=",")
    with pytest.raises(ConfigError):
        load_csv(path, "v", decimal=",")


# --- one specific message per bad input ---------------------------------------------------------


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DataError) as err:
        load_csv(tmp_path / "nope.csv", "Open", "Date")
    assert "nope.csv" in message(err) and "does not exist" in message(err)


def test_missing_column_lists_the_columns_and_suggests_the_closest():
    with pytest.raises(DataError) as err:
        load_csv(ZH, value_col="收", time_col="日期")
    msg = message(err)
    assert "investing_zh.csv has no column '收'" in msg
    assert "0: '日期', 1: '收盘', 2: '开盘'" in msg and "6: '涨跌幅'" in msg
    assert "did you mean '收盘'" in msg and "datasets.csv.value_col" in msg


def test_column_position_out_of_range():
    with pytest.raises(DataError) as err:
        load_csv(ZH, value_col=9)
    assert "no column at position 9" in message(err)


def test_wrong_separator_gets_a_hint(tmp_path):
    path = write(tmp_path, "Date;Close\n2024-01-02;1\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    assert "datasets.csv.sep=';'" in message(err)


def test_a_row_with_too_many_fields_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,10\n2024-01-03,1,234.5\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    assert "prices.csv: cannot be split into columns" in message(err)
    assert "line 3" in message(err) and "quoted" in message(err)


def test_non_numeric_value_names_file_column_line_and_value(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,10\n2024-01-03,n.v.\n2024-01-04,12\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    msg = message(err)
    assert "prices.csv, column 'Close': line 3 has the value 'n.v.'" in msg
    assert "not a number in any known format" in msg


def test_decimal_comma_without_the_option_is_not_silently_misread(tmp_path):
    path = write(tmp_path, 'Date,Close\n2024-01-02,"1,5"\n2024-01-03,"2,5"\n')
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    assert "line 2 has the value '1,5'" in message(err) and "decimal" in message(err)


def test_unparseable_date_names_line_value_and_format(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,10\n2024-13-45,11\n2024-01-04,12\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date", date_format="%Y-%m-%d")
    msg = message(err)
    assert "prices.csv, column 'Date': line 3 has the date '2024-13-45'" in msg
    assert "'%Y-%m-%d'" in msg and "datasets.csv.date_format" in msg


def test_empty_date_cell_is_reported(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,10\n,11\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    assert "line 3 has no date" in message(err)


def test_duplicate_timestamps_name_the_date_and_both_lines(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-03,12\n2024-01-02,11\n2024-01-03,13\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    msg = message(err)
    assert "prices.csv" in msg and "2024-01-03 appears more than once (lines 2 and 4" in msg


MISSING = "Date,Close\n2024-01-01,10\n2024-01-02,\n2024-01-03,NaN\n2024-01-04,16\n2024-01-05,17\n"


def test_missing_values_error_by_default_with_count_and_first_row(tmp_path):
    with pytest.raises(DataError) as err:
        load_csv(write(tmp_path, MISSING), "Close", "Date")
    msg = message(err)
    assert "prices.csv, column 'Close': 2 missing value(s), the first at line 3 (date 2024-01-02)" in msg
    assert "missing=ffill" in msg


@pytest.mark.parametrize(
    ("policy", "values", "note"),
    [
        ("ffill", [10, 10, 10, 16, 17], "2 missing value(s) forward-filled"),
        ("interpolate", [10, 12, 14, 16, 17], "2 missing value(s) linearly interpolated"),
        ("drop", [10, 16, 17], "2 missing value(s) dropped"),
    ],
)
def test_missing_value_policies_repair_and_count(tmp_path, policy, values, note):
    ds = load_csv(write(tmp_path, MISSING), "Close", "Date", missing=policy)
    assert ds.y.tolist() == [float(v) for v in values]
    assert note in ds.notes


def test_leading_missing_values_cannot_be_forward_filled_and_are_dropped(tmp_path):
    path = write(tmp_path, "i,v\n1,\n2,-\n3,3\n4,\n5,5\n")
    ds = load_csv(path, "v", missing="ffill")
    assert ds.y.tolist() == [3.0, 3.0, 5.0]
    assert "1 missing value(s) forward-filled" in ds.notes
    assert any("edge" in n and "2" in n for n in ds.notes)


def test_unknown_missing_policy_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        load_csv(write(tmp_path, MISSING), "Close", "Date", missing="zero")


def test_constant_series_is_rejected(tmp_path):
    path = write(tmp_path, "Date,Close\n2024-01-02,5\n2024-01-03,5\n2024-01-04,5.0\n")
    with pytest.raises(DataError) as err:
        load_csv(path, "Close", "Date")
    assert "prices.csv, column 'Close': all 3 values equal 5" in message(err)


@pytest.mark.parametrize("body", ["Date,Close\n", "Date,Close\n2024-01-02,5\n"])
def test_fewer_than_two_values_is_rejected(tmp_path, body):
    with pytest.raises(DataError) as err:
        load_csv(write(tmp_path, body), "Close", "Date")
    assert "prices.csv, column 'Close': only" in message(err) and "at least 2" in message(err)


# --- configuration and the real reference export -----------------------------------------------


def test_csv_yaml_instantiates_from_command_line_overrides():
    cfg = compose(
        [
            "datasets=[csv]",
            f"datasets.csv.path={ZH}",
            # Hydra's override grammar needs quotes around non-ASCII text
            "datasets.csv.time_col='日期'",
            "datasets.csv.value_col='收盘'",
            f"datasets.csv.date_format='{ZH_DATES}'",
        ]
    )
    ds = instantiate(cfg.datasets.csv)
    assert ds.y.iloc[-1] == 1251.0 and len(ds.y) == 6


@pytest.mark.skipif(not TATA.exists(), reason="reference export ../shared/data/tata not present")
def test_real_tata_export_loads_ascending():
    ds = load_csv(TATA, value_col="Open", time_col="Date")
    assert len(ds.y) == 2035
    assert ds.y.index[0] == pd.Timestamp("2010-07-21")
    assert ds.y.index.is_monotonic_increasing and ds.y.index.is_unique
    assert np.isfinite(ds.y.to_numpy()).all()
    assert any("newest first" in n for n in ds.notes)
