"""LPTrainer: estimator manners, exactness against brute force, labels, scaling, errors."""

from __future__ import annotations

import numpy as np
import pytest

from lptrain.discretize import to_grid
from lptrain.errors import InvalidInputError, NotFittedError
from lptrain.model_io import load_model
from lptrain.nn import dense, empirical_risk, grid_argmin, parse_arch
from lptrain.trainer import LPTrainer

NP = {"backend": "numpy"}


def _line_data(D=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (D, 1))
    y = np.clip(0.5 * X[:, 0] - 0.25 + 0.1 * rng.normal(size=D), -1, 1)
    return X, y


# ----- exactness: the fit is the brute-force optimum over the φ-grid ---------------------


@pytest.mark.parametrize("solver", ["structured", "highs"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_matches_brute_force_over_the_grid(solver, seed):
    rng = np.random.default_rng(seed)
    arch, loss, bits = [("1-1", "abs", 2), ("2-1", "quadratic", 1), ("1-1-1", "abs", 1)][seed]
    net = parse_arch(arch)
    D = 5
    X = rng.uniform(-1, 1, (D, net.n))
    y = rng.uniform(-1, 1, D)
    model = LPTrainer(arch, loss, bits=bits, solver=solver, **NP).fit(X, y)
    brute = grid_argmin(net, loss, to_grid(X, bits), to_grid(y[:, None], bits), bits,
                        backend="numpy")
    assert model.lp_objective_ == pytest.approx(brute.value, abs=1e-9)
    # the returned φ attains the optimum on the discretized data ...
    disc = empirical_risk(net, loss, to_grid(X, bits), to_grid(y[:, None], bits),
                          model.params_[None], backend="numpy")[0]
    assert disc == pytest.approx(brute.value, abs=1e-9)
    # ... and erm_ is its risk on the true data; the a-priori bounds hold
    true = empirical_risk(net, loss, X, y[:, None], model.params_[None], backend="numpy")[0]
    assert model.erm_ == pytest.approx(true, abs=1e-12)
    assert model.lower_bound_ == pytest.approx(model.lp_objective_ - model.epsilon_)
    assert model.lower_bound_kind_ == "a-priori"
    assert model.erm_ <= model.lp_objective_ + model.epsilon_ + 1e-9
    assert model.certificate_.certificate.verified


def test_both_solvers_agree_and_regularizer_is_used():
    X, y = _line_data(6)
    a = LPTrainer("1-1", "abs", bits=2, regularizer="l1:0.1", **NP).fit(X, y)
    b = LPTrainer("1-1", "abs", bits=2, regularizer="l1:0.1", solver="highs", **NP).fit(X, y)
    assert a.lp_objective_ == pytest.approx(b.lp_objective_, abs=1e-9)
    net = dense([1, 1])
    brute = grid_argmin(net, "abs", to_grid(X, 2), to_grid(y[:, None], 2), 2,
                        regularizer="l1:0.1", backend="numpy")
    assert a.lp_objective_ == pytest.approx(brute.value, abs=1e-9)


# ----- estimator manners --------------------------------------------------------------------


def test_constructor_stores_only_and_params_round_trip():
    model = LPTrainer("bogus", loss="nope", bits=-3, solver="??")  # no validation here
    assert model.get_params()["network"] == "bogus"
    assert model.set_params(bits=2, network="1-1") is model
    assert (model.bits, model.network) == (2, "1-1")
    with pytest.raises(InvalidInputError, match="'colour' is not a parameter of LPTrainer"):
        model.set_params(colour=1)
    assert repr(LPTrainer("1-1", "abs", bits=2)) == "LPTrainer(network='1-1', loss='abs', bits=2)"


def test_fit_validates_constructor_parameters():
    X, y = _line_data(4)
    with pytest.raises(InvalidInputError, match="solver must be one of"):
        LPTrainer("1-1", "abs", bits=2, solver="simplex").fit(X, y)
    with pytest.raises(InvalidInputError, match="give exactly one of bits and eps"):
        LPTrainer("1-1", "abs").fit(X, y)
    with pytest.raises(InvalidInputError, match="loss must be one of"):
        LPTrainer("1-1", "logcosh", bits=2).fit(X, y)


def test_sklearn_clone_pipeline_and_cross_validation():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    model = LPTrainer("1-1", "abs", bits=2, **NP)
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert is_regressor(model) and is_classifier(LPTrainer("1-1", "hinge"))
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 10, (12, 1))
    y = 0.05 * X[:, 0] - 0.2
    pipe = make_pipeline(MinMaxScaler(feature_range=(-1, 1)), model)
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert sklearn.__version__


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
        LPTrainer("1-1", "abs", bits=2).predict([[0.0]])


# ----- data checks ------------------------------------------------------------------------


@pytest.mark.parametrize("X, y, message", [
    (np.zeros((4, 3)), np.zeros(4), "X has 3 columns but the network has 2 inputs (n=2)"),
    ([[0.0, np.nan], [0.0, 0.0]], [0.0, 0.0], "X contains NaN in row 0 (column 1)"),
    (np.zeros((0, 2)), np.zeros(0), "X is empty (shape (0, 2))"),
    (np.zeros((3, 2)), np.zeros(4), "y has 4 rows but X has 3"),
    (np.zeros((3, 2)), [0.0, np.inf, 0.0], "y contains inf in entry 1"),
    (np.zeros((2, 2)), np.zeros((2, 2)), "y has 2 columns but the network has 1 output (m=1)"),
])
def test_malformed_data(X, y, message):
    with pytest.raises(InvalidInputError) as info:
        LPTrainer("2-1", "abs", bits=1, **NP).fit(X, y)
    assert message in str(info.value)


def test_data_outside_the_box_is_refused_with_a_hint():
    with pytest.raises(InvalidInputError) as info:
        LPTrainer("1-1", "abs", bits=1, **NP).fit([[0.5], [2.0]], [0.0, 0.0])
    msg = str(info.value)
    assert "X must lie in [-1, 1]" in msg and "row 1 (column 0) is 2.0" in msg
    assert "scale=True" in msg and "--scale" in msg
    with pytest.raises(InvalidInputError, match="y must lie in"):
        LPTrainer("1-1", "abs", bits=1, **NP).fit([[0.5], [0.0]], [0.0, -3.0])


def test_scaling_is_stored_and_applied():
    X = np.array([[10.0], [20.0], [30.0], [40.0]])
    y = np.array([100.0, 200.0, 300.0, 400.0])
    model = LPTrainer("1-1", "abs", bits=2, scale=True, **NP).fit(X, y)
    assert model.scaler_x_ is not None and model.scaler_y_ is not None
    pred = model.predict(X)
    assert pred.shape == (4,)
    # the LP fit in scaled units, mapped back: identity-like slope on the 2-bit grid
    Xs = model.scaler_x_.transform(X)
    raw = model.decision_function(X)
    np.testing.assert_allclose(pred, model.scaler_y_.inverse_transform(raw)[:, 0])
    np.testing.assert_allclose(raw[:, 0], Xs[:, 0] * model.params_[0] + model.params_[1])
    assert model.score(X, y) == pytest.approx(
        1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def test_several_outputs():
    X = np.array([[-1.0], [-0.5], [0.0], [0.5]])  # on the 3-bit grid, as are the targets
    Y = np.column_stack([0.5 * X[:, 0], -0.5 * X[:, 0]])
    model = LPTrainer("1-2", "abs", bits=3, **NP).fit(X, Y)
    assert model.predict(X).shape == (4, 2)
    np.testing.assert_allclose(model.predict(X), Y, atol=1e-12)
    assert model.score(X, Y) == 1.0 and model.lp_objective_ == pytest.approx(0.0)


# ----- classification ------------------------------------------------------------------------


def test_hinge_with_two_class_labels():
    X = np.array([[-0.9], [-0.6], [0.6], [0.9]])
    y = np.array(["no", "no", "yes", "yes"])
    model = LPTrainer("1-1", "hinge", bits=3, **NP).fit(X, y)
    assert model.classes_.tolist() == ["no", "yes"]
    assert model.labels_.scheme == "sign"
    out = model.decision_function(X)[:, 0]
    assert model.predict(X).tolist() == np.where(out >= 0, "yes", "no").tolist()
    assert model.predict(X).tolist() == y.tolist() and model.score(X, y) == 1.0
    # labels are encoded as -1/+1 before discretization: +1 rounds down to 1 - 2/K;
    # the LP value is the brute-force minimum of the hinge loss over the φ-grid
    from lptrain.discretize import grid_points, to_grid

    Xt = to_grid(X, 3)[:, 0]
    Yt = to_grid(np.array([-1.0, -1.0, 1.0, 1.0]), 3)
    assert Yt[2] == 1 - 2 / 8
    P = grid_points(2, 3)  # (w, b): f(x) = w x + b
    z = P[:, :1] * Xt[None, :] + P[:, 1:]
    brute = np.maximum(1.0 - z * Yt[None, :], 0.0).mean(axis=1).min()
    assert model.certificate_.lp_value == pytest.approx(brute, abs=1e-12)


def test_hinge_one_vs_rest_and_cross_entropy_onehot():
    X = np.array([[-0.8], [-0.7], [0.0], [0.1], [0.7], [0.9]])
    y = np.array([0, 0, 1, 1, 2, 2])
    hinge = LPTrainer("1-3", "hinge", bits=1, **NP).fit(X, y)
    assert hinge.labels_.scheme == "pm_onehot" and hinge.classes_.tolist() == [0, 1, 2]
    ce = LPTrainer("1-3", "cross_entropy", bits=1, **NP).fit(X, y)
    assert ce.labels_.scheme == "onehot"
    assert set(ce.predict(X).tolist()) <= {0, 1, 2}
    with pytest.raises(InvalidInputError, match="y has 3 classes but the network has m=2"):
        LPTrainer("1-2", "cross_entropy", bits=1, **NP).fit(X, y)
    with pytest.raises(InvalidInputError, match="cross_entropy needs one network output per"):
        LPTrainer("1-1", "cross_entropy", bits=1, **NP).fit(X, y)
    with pytest.raises(InvalidInputError, match="the hinge loss with one output needs exactly 2"):
        LPTrainer("1-1", "hinge", bits=1, **NP).fit(X, y)


# ----- polytope reuse, files ---------------------------------------------------------------


def test_given_polytope_is_checked_and_reused(tmp_path):
    from lptrain.erm import ERMPolytope

    X, y = _line_data(4)
    poly = ERMPolytope.build(dense([1, 1]), "abs", samples=4, bits=2, backend="numpy")
    model = LPTrainer("1-1", "abs", polytope=poly, solver="highs", **NP).fit(X, y)
    assert model.polytope_ is poly and model.certificate_.solver == "highs"
    with pytest.raises(InvalidInputError, match="built for D=4 samples but the data has 3 rows"):
        LPTrainer("1-1", "abs", polytope=poly, **NP).fit(X[:3], y[:3])
    with pytest.raises(InvalidInputError, match="built for loss 'abs'"):
        LPTrainer("1-1", "quadratic", polytope=poly, **NP).fit(X, y)
    with pytest.raises(InvalidInputError, match="different network"):
        LPTrainer("1-1-1", "abs", polytope=poly, **NP).fit(X, y)
    with pytest.raises(InvalidInputError, match="has bits=2 but bits=3"):
        LPTrainer("1-1", "abs", bits=3, polytope=poly, **NP).fit(X, y)
    path = poly.save(tmp_path / "poly.npz")
    again = LPTrainer("1-1", "abs", polytope=path, solver="highs", **NP).fit(X, y)
    assert again.lp_objective_ == pytest.approx(model.lp_objective_)


def test_save_and_load_round_trip(tmp_path):
    X = np.array([[1.0, 5.0], [2.0, 3.0], [4.0, 1.0], [3.0, 0.0]])
    y = np.array(["a", "b", "b", "a"])
    model = LPTrainer("2-1", "hinge", bits=1, scale=True, **NP).fit(
        X, y, feature_names=["u", "v"], target_names=["label"])
    path = model.save(tmp_path / "m.json")
    mf = load_model(path)
    assert mf.feature_names == ("u", "v") and mf.labels.classes == ("a", "b")
    assert mf.training["lp_objective"] == model.lp_objective_
    assert mf.training["lower_bound_kind"] == "a-priori" and mf.training["units"] == "scaled"
    assert mf.predict(X).tolist() == model.predict(X).tolist()
    back = LPTrainer.load(path)
    assert back.predict(X).tolist() == model.predict(X).tolist()
    assert back.erm_ == model.erm_ and back.classes_.tolist() == ["a", "b"]
