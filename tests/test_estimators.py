"""LPRegressor / LPClassifier: scikit-learn's own estimator checks, the API details the
issue names, certified training without a grid, and the data-unit conversion."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lptrain import errors
from lptrain.nn import dense, empirical_risk

sklearn = pytest.importorskip("sklearn")

from sklearn.exceptions import NotFittedError as SklearnNotFitted  # noqa: E402

from lptrain.estimators import LPClassifier, LPRegressor, LPTrainer  # noqa: E402

NP = {"backend": "numpy"}

#: scikit-learn checks expected to fail, each because its expectation contradicts the
#: theory. Empty: none does (see docs/usage.md, "scikit-learn").
EXPECTED_FAILED: dict[str, str] = {}


@pytest.mark.parametrize("estimator", [LPRegressor(), LPClassifier()],
                         ids=["LPRegressor", "LPClassifier"])
def test_check_estimator_passes_with_default_arguments(estimator, monkeypatch):
    from sklearn.utils.estimator_checks import check_estimator

    # The numpy kernels: the checks build some twenty architectures, and compiling numba
    # kernels for each would dominate the run (the results are the same, docs/networks.md).
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED,
                                  on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert not failed
    passed = sum(r["status"] == "passed" for r in results)
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert passed >= 45 and skipped <= {"check_array_api_input",  # needs SCIPY_ARRAY_API
                                        "check_regressor_data_not_an_array",  # needs pandas
                                        "check_classifier_data_not_an_array"}


def _blobs(D=60, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 0.5], [1.0, 4.0]])[:k]
    y = np.arange(D) % k
    return centres[y] + rng.normal(scale=0.6, size=(D, 2)), y


def test_api_details():
    X, y = _blobs(40, 2)
    for est in (LPRegressor(), LPClassifier()):
        with pytest.raises(SklearnNotFitted) as info:
            est.predict(X)
        assert isinstance(info.value, errors.NotFittedError)  # both trees
    with pytest.raises(errors.NotFittedError, match="not fitted yet"):
        LPTrainer("1-1", "abs", bits=2).predict([[0.0]])
    clf = LPClassifier(random_state=0, **NP).fit(X, y)
    assert clf.decision_function(X).shape == (40,)  # binary: one score per sample
    assert ((clf.decision_function(X) > 0) == (clf.predict(X) == clf.classes_[1])).all()
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.classes_[proba.argmax(axis=1)] == clf.predict(X)).all()
    hinge = LPClassifier(loss="hinge", random_state=0, **NP).fit(X, y)
    assert not hasattr(hinge, "predict_proba") and hinge.decision_function(X).shape == (40,)
    assert hinge.network_.m == 1
    reg = LPRegressor(random_state=0, **NP)
    assert not hasattr(reg, "decision_function") and not hasattr(reg, "predict_proba")
    X3, y3 = _blobs(45, 3)
    multi = LPClassifier(random_state=0, **NP).fit(X3, y3)
    assert multi.decision_function(X3).shape == (45, 3) and multi.network_.m == 3
    with pytest.raises(ValueError, match="Unknown label type"):
        LPClassifier(**NP).fit(X, np.linspace(0, 1, 40))
    with pytest.raises(ValueError, match="hidden_layer_sizes must be positive integers"):
        LPRegressor(hidden_layer_sizes=(0,), **NP).fit(X, y)
    with pytest.raises(ValueError, match="give target_gap"):
        LPRegressor(target_gap=None, **NP).fit(X, y)


def test_architecture_comes_from_the_data():
    X, y = _blobs(30, 3)
    reg = LPRegressor(hidden_layer_sizes=(2, 2), random_state=0, **NP)
    reg.fit(X, np.column_stack([X[:, 0] - X[:, 1], X[:, 0]]))
    assert reg.network_ == dense([2, 2, 2, 2]) and reg.predict(X).shape == (30, 2)
    assert reg.n_features_in_ == 2 and reg.method_ == "branch and bound"
    lin = LPRegressor(hidden_layer_sizes=(), random_state=0, **NP).fit(X, X[:, 0])
    assert lin.network_ == dense([2, 1]) and lin.predict(X).shape == (30,)


def test_certified_training_without_a_grid_is_sound_and_deterministic():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 10, (40, 1))
    y = np.abs(X[:, 0] - 4) + rng.normal(scale=0.2, size=40)
    est = LPRegressor(hidden_layer_sizes=(1,), loss="abs", target_gap=0.01, max_open=200_000,
                      random_state=0, **NP).fit(X, y)
    post = est.a_posteriori_
    assert post.status == "target reached" and est.gap_ <= 0.01 + 1e-12
    Xs, Ys = est.scaler_x_.transform(X), est.scaler_y_.transform(y[:, None])
    # the lower bound is below the ERM of every sampled network in the box ...
    pts = rng.uniform(-1, 1, (20000, est.network_.N))
    risk = empirical_risk(est.network_, "abs", Xs, Ys, pts, backend="numpy")
    assert est.lower_bound_ <= risk.min()
    # ... and erm_ is the ERM of params_
    assert est.erm_ == pytest.approx(empirical_risk(est.network_, "abs", Xs, Ys,
                                                    est.params_[None], backend="numpy")[0])
    again = LPRegressor(hidden_layer_sizes=(1,), loss="abs", target_gap=0.01,
                        max_open=200_000, random_state=0, **NP).fit(X, y)
    np.testing.assert_array_equal(again.params_, est.params_)


def test_data_units_recompute_the_risk_in_the_data():
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 10, (30, 1))
    y = 200 + 30 * np.sin(X[:, 0])
    for loss, power in (("abs", 1), ("quadratic", 2)):
        est = LPRegressor(hidden_layer_sizes=(2,), loss=loss, random_state=0, **NP).fit(X, y)
        err = est.predict(X) - y
        direct = np.mean(np.abs(err)) if loss == "abs" else np.mean(err ** 2)
        du = est.data_units_
        assert du["factor"] == pytest.approx(est.scaler_y_.half_range[0] ** power)
        assert du["erm"] == pytest.approx(direct, rel=1e-9)
        assert du["lower_bound"] == pytest.approx(est.lower_bound_ * du["factor"])
        assert du["gap"] == pytest.approx(du["erm"] - du["lower_bound"])
    clf = LPClassifier(random_state=0, **NP).fit(*_blobs(30, 2))
    assert clf.data_units_["factor"] is None and "no data units" in clf.data_units_["note"]
    report = est.training_report()
    assert report["data_units"]["erm"] == pytest.approx(direct, rel=1e-9)
    assert report["method"] == "branch and bound" and report["lp_objective"] is None


def test_lptrainer_without_a_grid_and_the_error_without_either():
    X = np.linspace(-1, 1, 15)[:, None]
    y = np.maximum(X[:, 0], 0) - 0.3
    free = LPTrainer("1-1-1", "abs", target_gap=5e-3, **NP).fit(X, y)
    assert free.method_ == "branch and bound" and free.gap_ <= 5e-3 + 1e-12
    assert free.certificate_ is None and free.epsilon_ is None
    with pytest.raises(ValueError, match="or target_gap alone"):
        LPTrainer("1-1-1", "abs", **NP).fit(X, y)


def test_sklearn_tools_work():
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _blobs(45, 3)
    scores = cross_val_score(make_pipeline(StandardScaler(), LPClassifier(random_state=0, **NP)),
                             X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    assert clone(LPRegressor(alpha=0.1)).get_params()["alpha"] == 0.1
