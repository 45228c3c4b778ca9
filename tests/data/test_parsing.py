"""Tests for parse_csv, parse_npz and parse_json."""

import io
import zipfile

import numpy as np
import pytest

from service.data import DatasetError, ParsedDataset, parse_csv, parse_json, parse_npz


def csv_error(text: str | bytes, target: str = "y") -> DatasetError:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(DatasetError) as info:
        parse_csv(data, target)
    return info.value


# ---------------------------------------------------------------- CSV happy paths


def test_csv_target_in_middle_with_string_labels():
    ds = parse_csv(b"a,species,b\n1,setosa,2\n3, versicolor ,4.5\n", "species")
    assert isinstance(ds, ParsedDataset)
    assert ds.X.dtype == np.float32 and ds.X.shape == (2, 2)
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4.5]])
    assert ds.y_raw == ["setosa", "versicolor"]
    assert ds.feature_names == ["a", "b"]
    assert ds.target == "species"


@pytest.mark.parametrize(
    ("text", "expected_x"),
    [
        ("y,a,b\n0,1,2\n1,3,4\n", [[1, 2], [3, 4]]),
        ("a,b,y\n1,2,0\n3,4,1\n", [[1, 2], [3, 4]]),
    ],
)
def test_csv_target_first_or_last(text, expected_x):
    ds = parse_csv(text.encode(), "y")
    np.testing.assert_array_equal(ds.X, expected_x)
    assert ds.y_raw.dtype == np.int64 and ds.y_raw.tolist() == [0, 1]
    assert ds.feature_names == ["a", "b"]


def test_csv_integer_and_float_labels():
    assert parse_csv(b"x,y\n1,3\n2,-4\n", "y").y_raw.tolist() == [3, -4]
    labels = parse_csv(b"x,y\n1,3.5\n2,1e2\n", "y").y_raw
    assert labels.dtype == np.float64 and labels.tolist() == [3.5, 100.0]
    big = parse_csv(b"x,y\n1,3\n2,99999999999999999999\n", "y").y_raw
    assert big.dtype == np.float64 and big.tolist() == [3.0, 1e20]


def test_csv_mixed_labels_become_strings():
    assert parse_csv(b"x,y\n1,1\n2,cat\n", "y").y_raw == ["1", "cat"]


def test_csv_bom_crlf_whitespace_and_blank_trailing_lines():
    data = b"\xef\xbb\xbf a , y \r\n 1.5 , 0 \r\n-2e1,1\r\n\r\n\r\n  \r\n,\r\n"
    ds = parse_csv(data, "y")
    assert ds.feature_names == ["a"]
    np.testing.assert_array_equal(ds.X[:, 0], [1.5, -20.0])
    assert ds.y_raw.tolist() == [0, 1]


def test_csv_quoted_fields():
    ds = parse_csv(b'"a","label"\n"1","x, y"\n2,z\n', "label")
    assert ds.y_raw == ["x, y", "z"]


# ---------------------------------------------------------------- CSV errors


def test_csv_empty_file():
    assert "empty" in csv_error("").message
    assert "empty" in csv_error("\n\n  \n").message
    assert "empty" in csv_error(b"\xef\xbb\xbf").message


def test_csv_no_header():
    err = csv_error("1,2,3\n4,5,6\n7,8,9\n")
    assert "no header" in err.message


def test_csv_duplicate_columns():
    err = csv_error("a,a,y\n1,2,3\n4,5,6\n")
    assert "duplicate" in err.message and "'a'" in err.message
    assert err.column == "a"


def test_csv_empty_column_name():
    assert "column 2 has an empty name" in csv_error("a,,y\n1,2,3\n4,5,6\n").message


def test_csv_target_missing_lists_columns():
    err = csv_error("a,b,c\n1,2,3\n4,5,6\n", target="label")
    assert "'label' not found" in err.message
    assert "'a', 'b', 'c'" in err.message


def test_csv_semicolon_hint():
    assert "comma-separated" in csv_error("a;b;y\n1;2;3\n4;5;6\n").message


def test_csv_only_target_column():
    assert "no feature columns" in csv_error("y\n1\n2\n").message


def test_csv_ragged_row():
    err = csv_error("a,b,y\n1,2,0\n3,4,1\n5,6\n")
    assert err.message == "row 3: expected 3 values, got 2"
    assert err.row == 3


def test_csv_blank_middle_row():
    err = csv_error("a,y\n1,0\n\n2,1\n")
    assert err.message == "row 2 is blank" and err.row == 2


def test_csv_text_cells_make_a_column_categorical():
    parsed = parse_csv(b"x,petal_width,y\n1,2,a\n1,2,b\n3,abc,c\n", "y")
    kinds = [(c.name, c.kind, c.levels) for c in parsed.columns]
    assert kinds == [("x", "numeric", None), ("petal_width", "categorical", ("2", "abc"))]
    assert parsed.X[:, 1].tolist() == [0.0, 0.0, 1.0]  # codes into the sorted levels


def test_csv_reports_earliest_gap_across_columns():
    err = csv_error("a,b,y\n1,2,0\n1,,0\n,2,1\n")
    assert err.row == 2 and err.column == "b"


def test_csv_empty_feature_cell():
    err = csv_error("a,b,y\n1,2,0\n3, ,1\n")
    assert err.message.startswith("row 2, column 'b': empty cell (upload with impute=mean")


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_csv_nan_inf_feature(bad):
    err = csv_error(f"x,y\n1,0\n2,0\n3,1\n4,0\n{bad},1\n")
    assert err.message.startswith(f"row 5, column 'x': {bad} is not allowed (upload with impute")
    assert (err.row, err.column) == (5, "x")


def test_csv_float32_overflow():
    err = csv_error("x,y\n1,0\n1e39,1\n")
    assert "row 2, column 'x'" in err.message and "out of range" in err.message


def test_csv_empty_target_cell():
    err = csv_error("a,y\n1,0\n2, \n")
    assert err.message == "row 2, column 'y': empty target value"


def test_csv_nan_in_numeric_target():
    err = csv_error("a,y\n1,0.5\n2,nan\n")
    assert err.message == "row 2, column 'y': nan is not allowed"


@pytest.mark.parametrize("text", ["a,y\n", "a,y\n1,0\n", "a,y\n1,0\n\n\n"])
def test_csv_too_few_rows(text):
    assert "at least 2 data rows" in csv_error(text).message


def test_csv_non_utf8():
    err = csv_error(b"a,y\n1,\xff\xfe\n2,1\n")
    assert "not UTF-8" in err.message


def test_csv_binary_garbage():
    garbage = bytes(range(256)) * 4
    assert "UTF-8" in csv_error(garbage).message
    assert "binary" in csv_error(b"a,y\n1,\x00\n2,1\n").message


def test_csv_error_is_exception_with_dict():
    err = csv_error("x,y\n1,0\n,1\n")
    assert isinstance(err, Exception)
    assert err.to_dict() == {"detail": err.message, "row": 2, "column": "x"}


# ---------------------------------------------------------------- NPZ


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def npz_error(data: bytes, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        parse_npz(data, **kwargs)
    return info.value


def test_npz_happy_path_numeric_labels():
    X = np.arange(12, dtype=np.int64).reshape(4, 3)
    ds = parse_npz(npz_bytes(X=X, y=np.array([0.5, 1.5, 2.5, 3.5])))
    assert ds.X.dtype == np.float32 and ds.X.shape == (4, 3)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.feature_names == ["x0", "x1", "x2"] and ds.target == "y"
    np.testing.assert_array_equal(ds.y_raw, [0.5, 1.5, 2.5, 3.5])


def test_npz_string_labels_column_y_and_bool_x():
    X = np.array([[True, False], [False, True], [True, True]])
    ds = parse_npz(npz_bytes(X=X, y=np.array([["a"], ["b"], ["a"]])))
    assert ds.X.dtype == np.float32
    assert ds.y_raw.shape == (3,) and list(ds.y_raw) == ["a", "b", "a"]


def test_npz_images_keep_shape_and_no_feature_names():
    X = np.zeros((5, 4, 4, 3), dtype=np.uint8)
    ds = parse_npz(npz_bytes(X=X, y=np.arange(5)))
    assert ds.X.shape == (5, 4, 4, 3) and ds.feature_names == []


def test_npz_compressed_ok():
    buf = io.BytesIO()
    np.savez_compressed(buf, X=np.ones((3, 2)), y=np.array([1, 2, 3]))
    assert parse_npz(buf.getvalue()).X.shape == (3, 2)


def test_npz_object_array_rejected():
    y = np.array([{"a": 1}, None, 3], dtype=object)
    err = npz_error(npz_bytes(X=np.ones((3, 2)), y=y))
    assert "object" in err.message


def test_npz_object_array_rejected_by_np_load_too(monkeypatch):
    # Even without the header pre-check, allow_pickle=False must turn into DatasetError.
    import service.data.npz_parser as npz_parser

    real = npz_parser.check_array_header

    def only_x(zf, member, name):
        return real(zf, member, name) if name == "X" else None

    monkeypatch.setattr(npz_parser, "check_array_header", only_x)
    y = np.array([[1], "x", None], dtype=object)
    assert "object" in npz_error(npz_bytes(X=np.ones((3, 2)), y=y)).message


def test_npz_missing_member():
    err = npz_error(npz_bytes(X=np.ones((3, 2)), labels=np.arange(3)))
    assert "missing array 'y'" in err.message and "'X', 'labels'" in err.message
    err = npz_error(npz_bytes(data=np.ones((3, 2)), y=np.arange(3)))
    assert "missing array 'X'" in err.message


def test_npz_length_mismatch():
    err = npz_error(npz_bytes(X=np.ones((3, 2)), y=np.arange(4)))
    assert err.message == "X has 3 rows but y has 4 labels"


@pytest.mark.parametrize(
    ("X", "y", "fragment"),
    [
        (np.ones(3), np.arange(3), "at least 2 dimensions"),
        (np.array([["a", "b"], ["c", "d"]]), np.arange(2), "must be numeric"),
        (np.ones((1, 2)), np.arange(1), "at least 2 samples"),
        (np.ones((3, 0)), np.arange(3), "no features"),
        (np.ones((3, 2)), np.ones((3, 2)), "y must be 1-D"),
        (np.ones((3, 2)), np.array([b"a", b"b", b"c"]), "decode bytes"),
        (np.ones((3, 2)), np.array([1.0, np.inf, 2.0]), "y[1]: inf is not allowed"),
        (np.ones((3, 2)), np.array(["a", " ", "b"]), "y[1]: empty label"),
    ],
)
def test_npz_invalid_arrays(X, y, fragment):
    assert fragment in npz_error(npz_bytes(X=X, y=y)).message


def test_npz_non_finite_x():
    X = np.ones((3, 2))
    X[2, 1] = np.nan
    err = npz_error(npz_bytes(X=X, y=np.arange(3)))
    assert err.message == "X[2, 1]: nan is not allowed" and err.row == 2
    X[2, 1] = 1e300
    assert "out of range for float32" in npz_error(npz_bytes(X=X, y=np.arange(3))).message


def test_npz_not_a_zip():
    assert "not a valid .npz" in npz_error(b"hello, world").message
    buf = io.BytesIO()
    np.save(buf, np.ones(3))
    assert "single .npy" in npz_error(buf.getvalue()).message


def test_npz_zip_bomb_refused_by_max_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("X.npy", b"\0" * (4 * 1024 * 1024))
        zf.writestr("y.npy", b"\0" * 16)
    data = buf.getvalue()
    assert len(data) < 64 * 1024
    err = npz_error(data, max_bytes=1024 * 1024)
    assert "more than the limit" in err.message


def test_npz_zip_bomb_refused_by_ratio(monkeypatch):
    import service.data.zip_guard as zip_guard

    monkeypatch.setattr(zip_guard, "RATIO_FLOOR_BYTES", 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("X.npy", b"\0" * (8 * 1024 * 1024))
        zf.writestr("y.npy", b"\0")
    assert "compression ratio" in npz_error(buf.getvalue()).message


def test_npz_header_shape_larger_than_member_refused():
    real = io.BytesIO()
    np.save(real, np.ones((2, 2)))
    # a valid .npy header claiming a huge shape, with almost no data behind it
    hdr = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**4)}
    fake = io.BytesIO()
    np.lib.format.write_array_header_1_0(fake, hdr)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", fake.getvalue() + b"\0" * 64)
        zf.writestr("y.npy", real.getvalue())
    err = npz_error(buf.getvalue())
    assert "declares shape" in err.message


# ---------------------------------------------------------------- JSON


def json_error(obj) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        parse_json(obj)
    return info.value


def test_json_happy_path():
    ds = parse_json({"X": [[1, 2.5], [3, 4]], "y": ["a", "b"], "feature_names": ["p", "q"]})
    assert ds.X.dtype == np.float32
    np.testing.assert_array_equal(ds.X, [[1, 2.5], [3, 4]])
    assert ds.y_raw == ["a", "b"] and ds.feature_names == ["p", "q"] and ds.target == "y"


def test_json_defaults_and_target_name():
    ds = parse_json({"X": [[1, 2], [3, 4], [5, 6]], "y": [1, 2, 3.5], "target": "price"})
    assert ds.feature_names == ["x0", "x1"] and ds.target == "price"
    assert ds.y_raw == [1, 2, 3.5]


def test_json_nested_3d():
    ds = parse_json({"X": [[[1], [2]], [[3], [4]]], "y": [0, 1]})
    assert ds.X.shape == (2, 2, 1) and ds.feature_names == []


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "expected a JSON object"),
        ({"y": [1, 2]}, "missing field 'X'"),
        ({"X": [[1], [2]]}, "missing field 'y'"),
        ({"X": "abc", "y": [1, 2]}, "X must be a list of rows"),
        ({"X": [[1]], "y": [1]}, "at least 2 rows"),
        ({"X": [1, 2], "y": [1, 2]}, "X must be a list of rows"),
        ({"X": [[1, 2], [3]], "y": [1, 2]}, "X[1]: expected 2 values, got 1"),
        ({"X": [[1, 2], 3], "y": [1, 2]}, "X[1]: expected a list of 2 values, got 3"),
        ({"X": [[], []], "y": [1, 2]}, "X[0]: must not be empty"),
        ({"X": [[1, None], [3, 4]], "y": [1, 2]}, "X[0][1]: empty cell (upload with impute"),
        ({"X": [[[1], [2]], [[3], True]], "y": [1, 2]}, "X[1][1]: expected a list"),
        ({"X": [[1, 2], [float("nan"), 4]], "y": [1, 2]}, "X[1][0]: nan is not allowed"),
        ({"X": [[1, 2], [3, float("inf")]], "y": [1, 2]}, "X[1][1]: inf is not allowed"),
        ({"X": [[1, 2], [3, 1e39]], "y": [1, 2]}, "out of range for float32"),
        ({"X": [[1], [2]], "y": [1, 2, 3]}, "X has 2 rows but y has 3 labels"),
        ({"X": [[1], [2]], "y": "ab"}, "y must be a list"),
        ({"X": [[1], [2]], "y": [1, None]}, "y[1]: null is not a valid label"),
        ({"X": [[1], [2]], "y": [True, False]}, "y[0]: true is not a valid label"),
        ({"X": [[1], [2]], "y": [1, float("nan")]}, "y[1]: nan is not allowed"),
        ({"X": [[1], [2]], "y": ["a", ""]}, "y[1]: empty label"),
        ({"X": [[1], [2]], "y": [1, 2], "feature_names": ["a", "b"]}, "has 2 names"),
        ({"X": [[1, 2], [3, 4]], "y": [1, 2], "feature_names": ["a", "a"]}, "duplicate"),
        ({"X": [[1], [2]], "y": [1, 2], "feature_names": [1]}, "non-empty strings"),
        ({"X": [[1], [2]], "y": [1, 2], "target": 5}, "target must be"),
    ],
)
def test_json_errors(obj, message):
    assert message in json_error(obj).message


def test_json_error_row_is_zero_based_index():
    err = json_error({"X": [[1, 2], [3, 4], [5, None]], "y": [1, 2, 3]})
    assert err.message.startswith("X[2][1]: empty cell") and err.row == 2


def test_json_table_text_and_booleans_are_categorical():
    parsed = parse_json({"X": [[1, True, "a"], [3, False, "4"], [2, True, "a"]], "y": [1, 2, 1]})
    assert [(c.kind, c.levels) for c in parsed.columns] == [
        ("numeric", None),
        ("categorical", ("false", "true")),
        ("categorical", ("4", "a")),
    ]


def test_dataset_error_pickles_with_location():
    import pickle

    err = pickle.loads(pickle.dumps(DatasetError("bad", row=3, column="x")))
    assert (err.message, err.row, err.column, str(err)) == ("bad", 3, "x", "bad")


def test_npz_encrypted_or_unsupported_member_is_dataset_error(monkeypatch):
    import service.data.zip_guard as zip_guard

    data = npz_bytes(X=np.ones((3, 2)), y=np.arange(3))

    def boom(*args, **kwargs):
        raise NotImplementedError("That compression method is not supported")

    monkeypatch.setattr(zip_guard.zipfile.ZipFile, "open", boom)
    err = npz_error(data)
    assert "not a valid .npy array" in err.message


def test_csv_malformed_quoting_reports_file_line():
    err = csv_error('a,y\n1,0\n"2"x,1\n')
    assert err.message.startswith("line 3: malformed CSV")


def test_csv_impute_keeps_gaps_for_training():
    """Gaps stay NaN in the stored X; the job fits mean or median on its training rows."""
    data = b"a,b,t\n1,,x\n3,NA,y\n5,4,x\n7,nan,y\n9,inf,x\n"
    mean = parse_csv(data, "t", impute="mean")
    assert np.isnan(mean.X[:, 1]).tolist() == [True, True, False, True, True]
    assert mean.X[:, 0].tolist() == [1, 3, 5, 7, 9] and mean.impute == "mean"
    assert [(c.kind, c.missing) for c in mean.columns] == [("numeric", 0), ("numeric", 4)]
    with pytest.raises(DatasetError, match="no values to impute"):
        parse_csv(b"a,b,t\n1,,x\n3,,y\n", "t", impute="mean")
    text = parse_csv(b"a,t\n1,x\nabc,y\n", "t", impute="mean")
    assert text.columns[0].kind == "categorical"
