"""CSV input, scaling into [-1, 1] and class labels."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.data import LabelEncoder, UnitScaler, load_csv
from lptrain.errors import FileFormatError, InvalidInputError


def _write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_csv_default_and_named_target(tmp_path):
    p = _write(tmp_path, "x1,x2,y\n0.1,0.2,0.3\n-0.5,1,-1\n")
    ds = load_csv(p)
    assert ds.X.shape == (2, 2) and ds.y.shape == (2, 1)
    assert ds.feature_names == ("x1", "x2") and ds.target_names == ("y",)
    ds2 = load_csv(p, target="x1")
    assert ds2.feature_names == ("x2", "y")
    np.testing.assert_array_equal(ds2.y.ravel(), [0.1, -0.5])
    ds3 = load_csv(p, n_targets=2)
    assert ds3.X.shape == (2, 1) and ds3.y.shape == (2, 2)


def test_load_csv_string_labels(tmp_path):
    p = _write(tmp_path, "a,label\n0.5,cat\n0.1,dog\n")
    ds = load_csv(p)
    assert ds.y.dtype.kind == "U" and ds.y.ravel().tolist() == ["cat", "dog"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "is empty"),
        ("a,b\n", "has a header but no data rows"),
        ("a,b\n1,2\n3\n", r"data row 2 \(line 3\) has 1 columns but the header has 2"),
        ("a,b\n1,2\nzz,4\n", r"data row 2, column 'a': cannot parse 'zz' as a number"),
    ],
)
def test_load_csv_malformed(tmp_path, text, match):
    with pytest.raises(FileFormatError, match=match):
        load_csv(_write(tmp_path, text))


def test_load_csv_nan_missing_and_bad_target(tmp_path):
    p = _write(tmp_path, "a,b,y\n1,2,3\n1,nan,3\n")
    with pytest.raises(InvalidInputError, match=r"contains NaN in row 1 \(column 1\)"):
        load_csv(p)
    with pytest.raises(FileFormatError, match="does not exist"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(InvalidInputError, match="target 'zz' is not a column"):
        load_csv(_write(tmp_path, "a,y\n1,2\n", "e.csv"), target="zz")


def test_unit_scaler_maps_range_onto_box_and_round_trips():
    rng = np.random.default_rng(3)
    A = rng.uniform(-50, 80, size=(40, 3))
    A[:, 2] = 7.0  # constant column
    s = UnitScaler.fit(A)
    T = s.transform(A)
    assert T.min() >= -1 and T.max() <= 1
    np.testing.assert_allclose(T[:, :2].min(axis=0), -1)
    np.testing.assert_allclose(T[:, :2].max(axis=0), 1)
    np.testing.assert_array_equal(T[:, 2], 0.0)
    np.testing.assert_allclose(s.inverse_transform(T), A, rtol=1e-12, atol=1e-12)
    s2 = UnitScaler.from_dict(s.to_dict())
    np.testing.assert_array_equal(s2.transform(A), T)


def test_label_encoder_schemes():
    labels = np.array([3, 1, 2, 3])
    oh = LabelEncoder.fit(labels, "onehot")
    E = oh.encode(labels)
    assert E.shape == (4, 3) and E.sum(axis=1).tolist() == [1, 1, 1, 1]
    assert oh.decode(E).tolist() == labels.tolist()
    pm = LabelEncoder.fit(labels, "pm_onehot")
    assert set(np.unique(pm.encode(labels))) == {-1.0, 1.0}
    with pytest.raises(InvalidInputError, match="needs exactly 2"):
        LabelEncoder.fit(labels, "sign")
    with pytest.raises(InvalidInputError, match="label 9, which is not one of the classes"):
        oh.encode(np.array([9]))
    with pytest.raises(InvalidInputError, match="single class"):
        LabelEncoder.fit(np.array([1, 1]), "onehot")


@pytest.mark.parametrize(("text", "kwargs", "error", "match"), [
    ("a,a,y\n1,2,3\n", {}, FileFormatError, "the header names column 'a' twice"),
    ("a,,y\n1,2,3\n", {}, FileFormatError, "column 1 of the header row has no name"),
    ("0.5,1,2\n3,4,5\n", {}, FileFormatError, r"the first row \(0.5,1,2\) is all numbers"),
    ("a,b,y\n1,,3\n", {}, FileFormatError, "data row 1, column 'b' is empty"),
    ("a,b,y\n1,2,\n", {}, FileFormatError, "data row 1, column 'y' is empty"),
    ("a,b,y\n1+2j,2,3\n", {}, FileFormatError, "complex numbers are not supported"),
    ("a;b;y\n1;2;3\n", {}, FileFormatError, "has a single column"),
    ("a,b,y\n1,2,3\n", {"target": ["y", "y"]}, InvalidInputError, "a second time"),
    ("a,b,y\n1,2,3\n", {"n_targets": 3}, InvalidInputError, r"must be an integer in \[1, 2\]"),
    ("a,b,y\n1,2,3\n", {"features": ["a", "c"]}, InvalidInputError, "has no column 'c'"),
    ("a,b,y\n1,2,3\n", {"header": "maybe"}, InvalidInputError, "header must be one of"),
])
def test_header_and_cell_problems_are_refused(tmp_path, text, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_csv(_write(tmp_path, text), **kwargs)


def test_header_modes_keep_every_row(tmp_path):
    p = _write(tmp_path, "0.5,1,2\n3,4,5\n")
    ds = load_csv(p, header="no")
    assert ds.X.shape == (2, 2) and ds.feature_names == ("col0", "col1")
    assert load_csv(p, header="yes").X.shape == (1, 2)
    assert load_csv(_write(tmp_path, "\ufeffa,y\n1,2\n", "b.csv")).feature_names == ("a",)
    ds = load_csv(_write(tmp_path, "y,b,a\n3,2,1\n", "c.csv"), target="y", features=["a", "b"])
    assert ds.X.tolist() == [[1.0, 2.0]] and ds.feature_names == ("a", "b")


def test_unit_scaler_near_the_float_limit_and_overflow():
    A = np.array([[1e308], [-1e308], [1.7e308]])
    s = UnitScaler.fit(A)
    assert np.isfinite(s.half_range).all() and np.isfinite(s.center).all()
    # center 0.35e308, half range 1.35e308: 1e308 maps to 0.65 / 1.35 = 13/27
    assert s.transform(A).ravel().tolist() == pytest.approx([13 / 27, -1.0, 1.0], rel=1e-12)
    tiny = UnitScaler.fit(np.array([[0.0], [1e-300]]))
    with pytest.raises(InvalidInputError, match="too far outside the range the scaler was "
                                                "fitted on"):
        tiny.transform(np.array([[1e300]]))


def test_label_encodings_from_files_are_checked():
    assert LabelEncoder.from_dict({"classes": ["a", "b"], "scheme": "sign"}).n_outputs == 1
    for bad in ({"classes": ["b", "a"], "scheme": "sign"},
                {"classes": ["a", "b", "c"], "scheme": "sign"},
                {"classes": ["a", 1], "scheme": "onehot"},
                {"classes": ["a", "b"], "scheme": "magic"}):
        with pytest.raises(InvalidInputError):
            LabelEncoder.from_dict(bad)


def test_complex_input_and_the_box_tolerance():
    from lptrain._validation import check_array, clip_to_unit_box

    with pytest.raises(InvalidInputError, match="X holds complex numbers"):
        check_array("X", np.array([[1 + 2j]]))
    clipped, note = clip_to_unit_box("X", np.array([[1.0 + 5e-13, -0.5]]))
    assert clipped.tolist() == [[1.0, -0.5]] and "clipped onto the box" in note
    assert clip_to_unit_box("X", np.array([[0.5]]))[1] is None
    with pytest.raises(InvalidInputError, match="entry at row 0 \\(column 0\\) is 1.000001"):
        clip_to_unit_box("X", np.array([[1.000001]]))
