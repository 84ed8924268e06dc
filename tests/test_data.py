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
