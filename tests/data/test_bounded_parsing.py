"""Parsers refuse oversized data early, bound their memory, and turn every odd input
(huge integers, deep nesting, unpaired surrogates, cut-off headers) into DatasetError."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from service.data import DatasetError, encode_target, format_instances, parse_csv, parse_json
from service.data import npz_parser as npz_module
from service.data.dataset import Limits
from service.data.errors import DatasetTooLarge
from service.data.json_parser import MAX_DIMS
from service.data.npz_file import import_npz_file
from service.data.npz_parser import parse_npz
from service.data.values import number_problem, show

HUGE = int("9" * 400)


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def raises(fn, *args, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        fn(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------- huge integers, deep nesting


def test_huge_integer_is_a_problem_not_an_overflow():
    assert "out of range for float32" in number_problem(HUGE)
    assert "out of range for float32" in number_problem(-HUGE)
    assert show(10**2000) == "an integer of about 2001 digits"
    err = raises(format_instances, [[1.0, HUGE]], 2)
    assert err.message.startswith("instances[0][1]: ") and err.row == 0


def test_json_huge_integers_in_x_and_y():
    err = raises(parse_json, {"X": [[1, 2], [HUGE, 3]], "y": [0, 1]})
    assert err.message.startswith("X[1][0]: ") and "out of range" in err.message
    for label in (HUGE, -HUGE, 2**63):
        err = raises(parse_json, {"X": [[1], [2]], "y": [0, label]})
        assert err.message.startswith("y[1]: ") and "out of range for a label" in err.message
    assert parse_json({"X": [[1], [2]], "y": [0, 2**63 - 1]}).y_raw == [0, 2**63 - 1]


def nested(depth: int) -> list:
    node: object = 1.0
    for _ in range(depth - 1):
        node = [node]
    return [node, node]


def test_json_nesting_depth_limit():
    assert parse_json({"X": nested(MAX_DIMS), "y": [0, 1]}).X.ndim == MAX_DIMS
    for depth in (MAX_DIMS + 1, 500):
        err = raises(parse_json, {"X": nested(depth), "y": [0, 1]})
        assert f"more than {MAX_DIMS} levels" in err.message


# ---------------------------------------------------------------- text that is not UTF-8


def test_json_strings_must_be_valid_unicode():
    err = raises(parse_json, {"X": [[1], [2], [3]], "y": ["a", "b\ud800", "a"]})
    assert err.message.startswith("y[1]: ") and "\\ud800" in err.message and err.row == 1
    err = raises(parse_json, {"X": [[1, 2], [3, 4]], "y": [0, 1], "feature_names": ["a", "\udc00"]})
    assert err.message.startswith("feature_names[1]: ")
    err = raises(parse_json, {"X": [[1], [2]], "y": [0, 1], "target": "t\udfff"})
    assert err.message.startswith("target: ")
    err.message.encode("utf-8")  # the message itself can be sent


def test_encode_target_refuses_unpaired_surrogates():
    err = raises(encode_target, ["a", "b", "\ud800", "a"])
    assert err.message.startswith("y[2]: ") and err.row == 2
    assert encode_target(["a", "\U0001f600", "a"]).classes == ["a", "\U0001f600"]


@pytest.mark.parametrize("code", [0xD800, 0xDFFF, 0x110000])
def test_npz_labels_must_be_valid_unicode(code):
    y = np.array([ord("a"), ord("b"), code, ord("a")], dtype=np.uint32).view("<U1")
    err = raises(parse_npz, npz_bytes(X=np.ones((4, 2)), y=y))
    assert err.message.startswith("y[2]: ") and err.row == 2
    assert parse_npz(npz_bytes(X=np.ones((2, 1)), y=np.array(["é", "\U0001f600"]))).X.shape


# ---------------------------------------------------------------- malformed .npy headers


def archive(x_member: bytes, y: np.ndarray | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", x_member)
        out = io.BytesIO()
        np.save(out, np.arange(3) if y is None else y)
        zf.writestr("y.npy", out.getvalue())
    return buf.getvalue()


@pytest.mark.parametrize(
    "member",
    [
        b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order'",  # tokenize.TokenError
        b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order': Fa",
        b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    \n",
        b"\x93NUMPY\x09\x00",
        b"\x93NUM",
    ],
)
def test_broken_npy_header_is_dataset_error(member, tmp_path: Path):
    err = raises(parse_npz, archive(member))
    assert "array 'X' is not a valid .npy array" in err.message
    path = tmp_path / "up.npz"
    path.write_bytes(archive(member))
    err = raises(import_npz_file, path, tmp_path / "ds")
    assert "array 'X' is not a valid .npy array" in err.message


def test_npy_data_shorter_than_its_header_says(tmp_path: Path):
    full = io.BytesIO()
    np.save(full, np.ones((300, 4)))
    cut = full.getvalue()[:-8]  # the last value is missing
    err = raises(parse_npz, archive(cut, np.arange(300)))
    assert "declares shape (300, 4)" in err.message
    path = tmp_path / "up.npz"
    path.write_bytes(archive(cut, np.arange(300)))
    assert "declares shape" in raises(import_npz_file, path, tmp_path / "ds").message


# ---------------------------------------------------------------- the large-file NPZ path


@pytest.mark.parametrize(
    ("X", "fragment"),
    [
        (np.ones((300, 4, 0)), "X has no features: shape (300, 4, 0)"),
        (np.ones((300, 0)), "X has no features: shape (300, 0)"),
        (np.ones(300), "got shape (300,)"),
        (np.ones((1, 3)), "need at least 2 samples, got 1"),
        (np.array([[1.0, 2.0], [1e39, 0.0]]), "X[1, 0]: 1e+39 is out of range for float32"),
        (np.array([[1.0, 2.0], [0.0, np.inf]]), "X[1, 1]: inf is not allowed"),
    ],
)
def test_file_import_checks_the_real_shape(X, fragment, tmp_path: Path):
    path = tmp_path / "up.npz"
    path.write_bytes(npz_bytes(X=X, y=np.arange(len(X))))
    err = raises(import_npz_file, path, tmp_path / "ds")
    assert fragment in err.message


def test_file_import_refuses_limits_and_labels_before_extracting(tmp_path: Path, monkeypatch):
    import service.data.npz_file as npz_file

    def no_extraction(*args):
        raise AssertionError("X was decompressed")

    monkeypatch.setattr(npz_file, "_extract_features", no_extraction)
    path = tmp_path / "up.npz"
    path.write_bytes(npz_bytes(X=np.ones((50, 6)), y=np.arange(50)))
    err = raises(import_npz_file, path, tmp_path / "ds", limits=Limits(max_rows=49))
    assert "the dataset has 50 rows; the limit is 49" in err.message
    err = raises(import_npz_file, path, tmp_path / "ds", limits=Limits(max_columns=5))
    assert "6 features per row; the limit is 5" in err.message
    path.write_bytes(npz_bytes(X=np.ones((4, 2)), y=np.array(["\ud800", "c", "\ud800", "c"])))
    assert raises(import_npz_file, path, tmp_path / "ds").message.startswith("y[0]: ")
    assert not (tmp_path / "ds").exists()


# ---------------------------------------------------------------- limits while parsing


def test_npz_limits_come_from_the_header(monkeypatch):
    def no_load(data):
        raise AssertionError("arrays were loaded")

    monkeypatch.setattr(npz_module, "_load", no_load)
    data = npz_bytes(X=np.zeros((100, 2, 3), dtype=np.int8), y=np.arange(100))
    err = raises(parse_npz, data, limits=Limits(max_rows=99))
    assert "100 rows; the limit is 99" in err.message
    err = raises(parse_npz, data, limits=Limits(max_columns=5))
    assert "6 features per row; the limit is 5" in err.message
    # int8 X would become 100 x 6 x 4 = 2400 bytes of float32
    with pytest.raises(DatasetTooLarge, match="2400 bytes"):
        parse_npz(data, limits=Limits(max_bytes=2399))


def test_npz_expanded_size_limit_is_too_large():
    data = npz_bytes(X=np.zeros((1000, 10)), y=np.arange(1000))
    with pytest.raises(DatasetTooLarge, match="more than the limit of 10000 bytes"):
        parse_npz(data, max_bytes=10_000)


def test_json_limits_are_checked_before_the_values():
    bad_first_row = [["x", 1]] + [[1, 2]] * 9  # a value error that a full parse would hit
    body = {"X": bad_first_row, "y": [0, 1] * 5}
    assert "10 rows; the limit is 9" in raises(parse_json, body, Limits(max_rows=9)).message
    err = raises(parse_json, body, Limits(max_columns=1))
    assert "2 features per row; the limit is 1" in err.message
    with pytest.raises(DatasetTooLarge):
        parse_json(body, Limits(max_bytes=79))
    assert parse_json({"X": [[1, 2]] * 10, "y": [0, 1] * 5}, Limits(10, 2, 80)).X.shape == (10, 2)


def csv_text(rows: int, features: int = 2) -> bytes:
    header = ",".join(f"f{j}" for j in range(features)) + ",t\n"
    return (header + "".join(f"{'1,' * features}{i % 2}\n" for i in range(rows))).encode()


def test_csv_row_limit_refuses_before_reading_on():
    data = csv_text(100) + b"this row is broken\n"
    err = raises(parse_csv, data, "t", limits=Limits(max_rows=50))
    assert err.message == "row 51: the dataset has at least 51 rows; the limit is 50"
    assert err.row == 51
    assert parse_csv(csv_text(50), "t", limits=Limits(max_rows=50)).X.shape == (50, 2)


def test_csv_column_limit_is_checked_at_the_header():
    data = csv_text(10, features=4).replace(b"\n1,", b"\nx,", 1)
    err = raises(parse_csv, data, "t", limits=Limits(max_columns=3))
    assert err.message == "the dataset has 4 features per row; the limit is 3"


def test_csv_parsed_size_limit_is_too_large():
    with pytest.raises(DatasetTooLarge) as info:
        parse_csv(csv_text(100) + b"broken\n", "t", limits=Limits(max_bytes=400))
    assert info.value.message.startswith("row 51: the parsed features take at least 408 bytes")
    assert parse_csv(csv_text(50), "t", limits=Limits(max_bytes=400)).X.shape == (50, 2)


# ---------------------------------------------------------------- CSV streaming


def test_csv_peak_memory_is_a_small_multiple_of_the_upload():
    rng = np.random.default_rng(0)
    cells = rng.integers(0, 10, size=(200_000, 4))
    lines = ["a,b,c,t"] + [f"{a},{b},{c},{t % 2}" for a, b, c, t in cells.tolist()]
    data = ("\n".join(lines) + "\n").encode()
    del lines, cells
    tracemalloc.start()
    try:
        ds = parse_csv(data, "t")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ds.X.shape == (200_000, 3) and ds.y_raw.dtype == np.int64
    assert peak < 4 * len(data), f"peak {peak} bytes for a {len(data)}-byte upload"


def test_csv_labels_become_text_late_and_keep_their_spelling():
    rows = [f"{i},0{i % 3}" for i in range(9000)] + ["9000,cat"]
    ds = parse_csv(("x,t\n" + "\n".join(rows) + "\n").encode(), "t")
    assert ds.y_raw[:3] == ["00", "01", "02"] and ds.y_raw[-1] == "cat" and len(ds.y_raw) == 9001
    assert ds.y_raw[0] is ds.y_raw[3]  # one object per distinct label


def test_csv_labels_turn_float_after_a_block_of_ints():
    rows = [f"{i},{i % 2}" for i in range(9000)] + ["9000,0.5"]
    y = parse_csv(("x,t\n" + "\n".join(rows) + "\n").encode(), "t").y_raw
    assert y.dtype == np.float64 and y[:4].tolist() == [0.0, 1.0, 0.0, 1.0] and y[-1] == 0.5


def test_csv_non_finite_label_after_blocks_is_named_with_its_text():
    rows = [f"{i},{i}.5" for i in range(9000)] + ["9000,1e999"]
    err = raises(parse_csv, ("x,t\n" + "\n".join(rows) + "\n").encode(), "t")
    assert err.message == "row 9001, column 't': '1e999' is out of range" and err.row == 9001


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,t\n1,x\n2,\nz,x\n", "row 2, column 't': empty target value"),
        ("a,t\n1,x\nz,\n3,x\n", "row 2, column 't': empty target value"),
        ("a,t\n1,x\nz,x\n3\n", "row 3: expected 2 values, got 1"),
        ("a,t\n1,x\n2,x\n\n4,x\n", "row 3 is blank"),
        ("a,t\n1,x\n2,x\n\n4\n", "row 3 is blank"),
        ("a,t\n1,x\nnan,x\n3\n", "row 3: expected 2 values, got 1"),  # gaps: at the end
        ("a,t\n1,x\nnan,x\n3,y\n", "row 2, column 'a': nan is not allowed"),
    ],
)
def test_csv_reports_the_earliest_row(text, message):
    assert raises(parse_csv, text.encode(), "t").message.startswith(message)


def test_csv_odd_line_endings_and_quoted_line_breaks():
    ds = parse_csv(b"a,t\r1,x\r2,y\r", "t")
    assert ds.X[:, 0].tolist() == [1, 2] and ds.y_raw == ["x", "y"]
    ds = parse_csv(b'a,t\n1,"x\ny"\n2,"z"\n', "t")
    assert ds.y_raw == ["x\ny", "z"]


def test_csv_invalid_utf8_offset_counts_from_the_file_start():
    data = b"a,t\n" + b"1,x\n" * 300_000 + b"2,\xff\n"
    err = raises(parse_csv, data, "t")
    assert f"invalid byte 0xff at offset {len(data) - 2}" in err.message


def test_value_range_keeps_nan_from_any_block():
    from service.data.summary import value_range

    X = np.zeros((10, 3), dtype=np.float32)
    X[7, 1] = np.nan
    assert np.isnan(value_range(X, chunk_bytes=12)["min"])
    X[7, 1] = 2.5
    assert value_range(X, chunk_bytes=12) == {"min": 0.0, "max": 2.5, "integral": False}
    assert value_range(np.zeros((3, 0)))["integral"] is True


def test_file_import_finds_nan_in_a_later_block(tmp_path: Path, monkeypatch):
    import service.data.summary as summary

    monkeypatch.setattr(summary, "CHUNK_BYTES", 1024)
    X = np.zeros((300, 4), dtype=np.float32)
    X[250, 2] = np.nan
    path = tmp_path / "up.npz"
    path.write_bytes(npz_bytes(X=X, y=np.arange(300)))
    err = raises(import_npz_file, path, tmp_path / "ds")
    assert err.message.startswith("X[250, ...]: non-finite") and err.row == 250
