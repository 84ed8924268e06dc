"""``LPRegressor`` and ``LPClassifier``: scikit-learn estimators in the manner of
``MLPRegressor`` / ``MLPClassifier`` (needs scikit-learn: ``pip install 'lptrain[sklearn]'``).

The architecture is ``dense([n, *hidden_layer_sizes, m])`` with n and m taken from the data
at ``fit``; the data are scaled onto [-1, 1] by their range (``scale=True``, stored and
applied by ``predict``). Training runs one of the two paths of
:mod:`lptrain.estimators.paths`: with ``bits`` (or ``eps``) the face LP of §3 on that grid,
followed by the branch and bound to ``target_gap``; by default (no grid) a local search
gives a start and the continuous certificate — branch and bound over ``[-1, 1]^N`` on the
data — returns its best point and a certified lower bound on the global optimum.

**What the defaults certify.** ``target_gap=0.01`` with a deterministic budget
(``max_open=20_000`` open boxes, no clock): the same data give the same model on every
machine. Small problems reach the gap; larger ones stop at the budget ("node limit") with
a sound but possibly weak lower bound — ``gap_`` says how far the model can be from the
global optimum either way. Raise ``max_open`` (and set ``time_limit``) for more.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from lptrain.data import UnitScaler
from lptrain.errors import InvalidInputError
from lptrain.estimators.common import NotFittedError, encode_labels, set_fitted
from lptrain.estimators.paths import FitOptions, fit_problem
from lptrain.estimators.report import data_units, training_report
from lptrain.nn import Network, dense, forward, get_loss

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d, validate_data
except ImportError as exc:  # pragma: no cover - the extra is documented
    raise ImportError("LPRegressor and LPClassifier need scikit-learn, which is not "
                      "installed: pip install scikit-learn (or pip install "
                      "'lptrain[sklearn]')") from exc

__all__ = ["LPRegressor", "LPClassifier"]


class _LPEstimator(BaseEstimator):  # type: ignore[misc]
    """Shared fit machinery of :class:`LPRegressor` and :class:`LPClassifier`."""

    _loss_kind = ""

    def _regularizer(self) -> str | None:
        alpha = float(self.alpha)
        if not (np.isfinite(alpha) and alpha >= 0):
            raise InvalidInputError(f"alpha must be a finite number >= 0; got {self.alpha!r}")
        if self.penalty not in ("l1", "l2"):
            raise InvalidInputError(f"penalty must be 'l1' or 'l2'; got {self.penalty!r}")
        return f"{self.penalty}:{alpha!r}" if alpha > 0 else None

    def _network_for(self, n: int, m: int) -> Network:
        hidden = self.hidden_layer_sizes
        sizes = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        if any(not isinstance(h, (int, np.integer)) or isinstance(h, bool) or h < 1
               for h in sizes):
            raise InvalidInputError(f"hidden_layer_sizes must be positive integers, e.g. (3,) "
                                    f"or () for a linear model; got {hidden!r}")
        return dense([n, *(int(h) for h in sizes), m], self.activation)

    def _options(self) -> FitOptions:
        return FitOptions(bits=self.bits, eps=self.eps, regularizer=self._regularizer(),
                          solver=self.solver, backend=self.backend,
                          progress=bool(self.verbose), target_gap=self.target_gap,
                          time_limit=self.time_limit, default_time_limit=None,
                          lipschitz=self.lipschitz, cluster=self.cluster,
                          local_search=bool(self.local_search),
                          random_state=self.random_state, max_open=int(self.max_open))

    def _scale_x(self, X: np.ndarray) -> np.ndarray:
        if self.scale:
            self.scaler_x_: UnitScaler | None = UnitScaler.fit(X)
            return self.scaler_x_.transform(X)
        self.scaler_x_ = None
        return _in_box("X", X)

    def _train(self, Xs: np.ndarray, Ys: np.ndarray, m: int, t0: float) -> None:
        loss = get_loss(self.loss)
        if self.target_gap is None and self.bits is None and self.eps is None:
            raise InvalidInputError("give target_gap (certified training without a grid) or "
                                    "bits/eps (the face LP of §3)")
        net = self._network_for(Xs.shape[1], m)
        res = fit_problem(net, loss, Xs, Ys, self._options())
        set_fitted(self, res)
        self.network_, self.loss_, self.regularizer_ = net, loss.name, self._regularizer()
        self.n_samples_ = Xs.shape[0]
        self.seconds_["total"] = time.perf_counter() - t0
        self.data_units_ = data_units(
            loss.name, self.scaler_y_, {"erm": self.erm_, "lower_bound": self.lower_bound_,
                                        "gap": self.gap_, "lp_objective": self.lp_objective_,
                                        "epsilon": self.epsilon_},
            classifier=self.labels_ is not None)

    def _outputs(self, X: Any) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call "
                                 "fit(X, y) first")
        Xa = validate_data(self, X, reset=False, dtype=np.float64)
        if self.scaler_x_ is not None:
            Xa = self.scaler_x_.transform(Xa)
        return forward(self.network_, Xa, self.params_[None, :])[0]

    def training_report(self) -> dict[str, Any]:
        """The training summary as plain JSON values (:func:`lptrain.estimators.report.
        training_report`)."""
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet")
        return training_report(self)


def _in_box(name: str, A: np.ndarray) -> np.ndarray:
    from lptrain._validation import check_unit_box

    return check_unit_box(name, A, "pass scale=True to map each column onto [-1, 1]")


_DOC_COMMON = """
    hidden_layer_sizes : tuple of int, default (2,)
        Widths of the hidden layers (``()``: a linear model).
    activation : str, default "relu"
        Hidden activation: relu, leaky_relu[:slope], tanh, hard_tanh, elu[:alpha], identity.
    target_gap : float or None, default 0.01
        Stop once ``ERM(params_) - lower bound <= target_gap``.
    time_limit : float or None, default None
        Seconds for the branch and bound (None: no clock; ``max_open`` bounds the work).
    max_open : int, default 200
        The branch and bound stops once this many boxes are open ("node limit"): a budget
        that does not depend on the machine's speed.
    bits, eps : optional
        Train on the §3 grid (face LP) first; see :class:`lptrain.estimators.LPTrainer`.
    alpha : float, default 0.0
        Weight λ of the regularizer ``λR(φ)`` (Appendix B), ``penalty`` "l2" (``Σφ²``,
        weight decay) or "l1" (``Σ|φ|``); it enters the certified objective.
    scale : bool, default True
        Map X (and regression targets) onto [-1, 1] by their range (stored; ``predict``
        applies it). The certified numbers are in the scaled units; ``data_units_``
        converts them.
    solver, lipschitz, backend, cluster
        As for :class:`lptrain.estimators.LPTrainer`.
    local_search : bool, default True
        Start the branch and bound from a local minimum (L-BFGS-B, seeded by
        ``random_state``); the certificate does not depend on it.
    random_state : int, Generator or None
    verbose : bool, default False
        Progress bars."""


class LPRegressor(RegressorMixin, _LPEstimator):  # type: ignore[misc]
    __doc__ = f"""Certified regression with a ReLU network, in the manner of ``MLPRegressor``.

    Parameters
    ----------
    loss : {{"quadratic", "abs"}}, default "quadratic"{_DOC_COMMON}

    Attributes
    ----------
    params_, erm_, lower_bound_, gap_, lower_bound_kind_, method_, params_source_,
    a_posteriori_, certificate_, lp_objective_, epsilon_, data_units_, network_,
    scaler_x_, scaler_y_, n_features_in_ : as for :class:`lptrain.estimators.LPTrainer`.

    Examples
    --------
    >>> X = np.linspace(0, 10, 30)[:, None]; y = np.abs(X[:, 0] - 4.0)
    >>> reg = LPRegressor(hidden_layer_sizes=(1,), loss="abs", random_state=0,
    ...                   backend="numpy").fit(X, y)
    >>> reg.gap_ <= 0.01, reg.score(X, y) > 0.6, reg.predict([[4.0]]).shape
    (True, True, (1,))
    """

    def __init__(self, hidden_layer_sizes: Any = (2,), activation: str = "relu",
                 loss: str = "quadratic", *, target_gap: float | None = 0.01,
                 time_limit: float | None = None, max_open: int = 200,
                 bits: int | None = None, eps: float | None = None, alpha: float = 0.0,
                 penalty: str = "l2", scale: bool = True, solver: str = "structured",
                 lipschitz: str = "paper", backend: str = "auto", cluster: Any = None,
                 local_search: bool = True, random_state: Any = None,
                 verbose: bool = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.target_gap = target_gap
        self.time_limit = time_limit
        self.max_open = max_open
        self.bits = bits
        self.eps = eps
        self.alpha = alpha
        self.penalty = penalty
        self.scale = scale
        self.solver = solver
        self.lipschitz = lipschitz
        self.backend = backend
        self.cluster = cluster
        self.local_search = local_search
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def fit(self, X: Any, y: Any) -> LPRegressor:
        """Train on X (D, n) and targets y (D,) or (D, m); returns self."""
        t0 = time.perf_counter()
        if get_loss(self.loss).name not in ("abs", "quadratic"):
            raise InvalidInputError(f"LPRegressor's loss must be 'quadratic' or 'abs'; got "
                                    f"{self.loss!r} (use LPClassifier for classification)")
        Xa, ya = validate_data(self, X, y, multi_output=True, y_numeric=True,
                               dtype=np.float64)
        Y = np.asarray(ya, dtype=np.float64).reshape(Xa.shape[0], -1)
        self._y_ndim = np.ndim(ya)
        self.labels_ = None
        Xs = self._scale_x(Xa)
        if self.scale:
            self.scaler_y_: UnitScaler | None = UnitScaler.fit(Y)
            Ys = self.scaler_y_.transform(Y)
        else:
            self.scaler_y_ = None
            Ys = _in_box("y", Y)
        self._train(Xs, Ys, Y.shape[1], t0)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets in the data's units: (D,) for one target, else (D, m)."""
        out = self._outputs(X)
        if self.scaler_y_ is not None:
            out = self.scaler_y_.inverse_transform(out)
        return out[:, 0] if out.shape[1] == 1 and self._y_ndim == 1 else out


def _is_cross_entropy(est: Any) -> bool:
    try:
        return get_loss(est.loss).name == "cross_entropy"
    except InvalidInputError:
        return False


class LPClassifier(ClassifierMixin, _LPEstimator):  # type: ignore[misc]
    __doc__ = f"""Certified classification with a ReLU network, in the manner of
    ``MLPClassifier``.

    With cross-entropy the network has one output per class (two for a binary problem) and
    ``predict_proba`` is their softmax; with the hinge loss a binary problem has one output
    (labels ±1) and k classes k outputs (the hinge loss's multi-class form, see
    :mod:`lptrain.nn.losses`). ``decision_function`` gives the outputs, for a binary
    problem one score per sample (> 0: ``classes_[1]``).

    Parameters
    ----------
    loss : {{"cross_entropy", "hinge"}}, default "cross_entropy"{_DOC_COMMON}

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [3.0, 4.0], [4.0, 3.0]])
    >>> clf = LPClassifier(hidden_layer_sizes=(), random_state=0, backend="numpy")
    >>> clf.fit(X, ["a", "a", "b", "b"]).predict([[0.5, 0.5], [3.5, 3.5]]).tolist()
    ['a', 'b']
    >>> clf.predict_proba([[0.5, 0.5]]).shape, clf.decision_function(X).shape
    ((1, 2), (4,))
    """

    def __init__(self, hidden_layer_sizes: Any = (2,), activation: str = "relu",
                 loss: str = "cross_entropy", *, target_gap: float | None = 0.01,
                 time_limit: float | None = None, max_open: int = 200,
                 bits: int | None = None, eps: float | None = None, alpha: float = 0.0,
                 penalty: str = "l2", scale: bool = True, solver: str = "structured",
                 lipschitz: str = "paper", backend: str = "auto", cluster: Any = None,
                 local_search: bool = True, random_state: Any = None,
                 verbose: bool = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.target_gap = target_gap
        self.time_limit = time_limit
        self.max_open = max_open
        self.bits = bits
        self.eps = eps
        self.alpha = alpha
        self.penalty = penalty
        self.scale = scale
        self.solver = solver
        self.lipschitz = lipschitz
        self.backend = backend
        self.cluster = cluster
        self.local_search = local_search
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, y: Any) -> LPClassifier:
        """Train on X (D, n) and class labels y (D,); returns self."""
        t0 = time.perf_counter()
        loss = get_loss(self.loss)
        if loss.name not in ("cross_entropy", "hinge"):
            raise InvalidInputError(f"LPClassifier's loss must be 'cross_entropy' or 'hinge'; "
                                    f"got {self.loss!r} (use LPRegressor for regression)")
        Xa, ya = validate_data(self, X, y, dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            ya = column_or_1d(ya, warn=True)
        check_classification_targets(ya)
        found = np.unique(ya)
        if found.size < 2:
            raise InvalidInputError(f"y has one class ({found[0]!r}); a classifier needs at "
                                    "least 2")
        enc = encode_labels(np.asarray(ya), loss, None)
        self.labels_ = enc
        self.classes_ = np.asarray(enc.classes)
        self.scaler_y_ = None
        Xs = self._scale_x(Xa)
        self._train(Xs, enc.encode(ya), enc.n_outputs, t0)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Network outputs (D, k); for two classes one score (D,), > 0 for ``classes_[1]``
        (cross-entropy: the logit difference ``z_1 - z_0``)."""
        out = self._outputs(X)
        if len(self.classes_) == 2:
            return out[:, 0] if out.shape[1] == 1 else out[:, 1] - out[:, 0]
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (D,)."""
        out = self._outputs(X)
        return self.labels_.decode(out)  # type: ignore[union-attr]

    @available_if(_is_cross_entropy)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (D, k): the softmax of the outputs (cross-entropy only)."""
        return np.exp(self.predict_log_proba(X))

    @available_if(_is_cross_entropy)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithms of :meth:`predict_proba` (a log-softmax, computed stably)."""
        out = self._outputs(X)
        shifted = out - out.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
