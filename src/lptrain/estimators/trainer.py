"""``LPTrainer``: the estimator with a fixed architecture (the first one; kept, documented).

``fit(X, y)`` checks and (when asked) scales the data into the box ``[-1, 1]`` (§3),
encodes class labels, and trains on one of the two paths of :mod:`lptrain.estimators.paths`:
the face LP of Main Theorem 3.1 on the grid of ``bits``/``eps`` (the certificate: v̂,
``ERM(φ̃)``, ε and ``v̂ - ε``, Lemma 3.4; plus an a-posteriori bound with ``target_gap``), or,
with ``target_gap`` alone, the continuous certificate (branch and bound on the data; its
best point becomes the model).

With ``scale=True`` the inputs (and, for regression, the targets) are mapped affinely onto
[-1, 1]; the maps are stored and :meth:`LPTrainer.predict` applies them, so predictions
are in the caller's units while the risk, ε and the bounds are in the scaled units
(``data_units_`` converts them back, :func:`lptrain.estimators.report.data_units`).

:class:`~lptrain.estimators.LPRegressor` and :class:`~lptrain.estimators.LPClassifier`
are the scikit-learn estimators proper (architecture from ``hidden_layer_sizes`` and the
data); ``LPTrainer`` takes the architecture itself, which fixes the number of inputs.
"""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._validation import check_array, check_choice, check_float, check_unit_box
from lptrain.data import LabelEncoder, UnitScaler
from lptrain.errors import InvalidInputError
from lptrain.estimators.common import (
    CLASSIFICATION_LOSSES,
    NotFittedError,
    encode_labels,
    set_fitted,
    solver_names,
)
from lptrain.estimators.paths import FitOptions, fit_problem
from lptrain.estimators.report import data_units, training_report
from lptrain.model_io import ModelFile, load_model, save_model
from lptrain.nn import Network, forward, get_loss, parse_arch
from lptrain.nn.losses import Loss

__all__ = ["LPTrainer"]

_SCALE_HINT = ("pass scale=True (lptrain train --scale) to map each column onto [-1, 1]; "
               "the scaling is stored and applied by predict")


class LPTrainer:
    """Train a neural network by linear programming (Bienstock, Muñoz, Pokutta, §3), or by
    certified branch and bound without a grid.

    Parameters
    ----------
    network : str or Network, default "2-3-1"
        Architecture (``--arch`` shorthand such as ``"1-2-1"`` or ``"conv1d:8-c2k3-1"``) or
        a :class:`~lptrain.nn.Network`.
    loss : str, default "abs"
        ``abs``, ``quadratic``, ``hinge`` or ``cross_entropy`` (§4.3).
    bits, eps : int or float
        The grid of §3.1: bits per coordinate, or the accuracy ε (bits = ⌈log2(2L/ε)⌉).
        At most one; with neither (and no ``polytope``) ``target_gap`` alone trains
        without a grid.
    regularizer : str, optional
        ``"l1:λ"`` or ``"l2:λ"`` (Appendix B).
    activation : str, default "relu"
        Hidden activation when ``network`` is a string.
    solver : {"structured", "highs", "lazy"}, default "structured"
        How to solve the face (grid path).
    scale : bool, default False
        Map X (and regression targets) onto [-1, 1]; otherwise data outside is refused.
    polytope : ERMPolytope or path, optional
        A polytope defined or built beforehand (``lptrain build``); its network, loss,
        samples and bits must match.
    max_memory : int or str, optional
        Size guard for building the LP (bytes or e.g. ``"4GiB"``).
    backend : {"auto", "numba", "numpy"}
        Evaluation kernels.
    progress : bool, optional
        Progress bars (default: on a terminal, for work longer than a second or two).
    verify : bool, default True
        Check the face solver's certificate independently.
    target_gap : float, optional
        Branch and bound over the continuous box Φ on the actual data
        (:func:`lptrain.certify.certify_erm`) until ``ERM(params_) - lower bound <=
        target_gap`` or ``time_limit``: after the face solve (a-posteriori bound, better
        parameters kept) or, without a grid, as the training itself.
    time_limit : float, optional
        Seconds for each stage (face solve; branch and bound, default 60 s there).
    cluster : str or distributed.Client, optional
        Dask scheduler for the branch and bound (and ``solver="lazy"``).
    lipschitz : {"paper", "refined"}, default "paper"
        The architecture Lipschitz constant that sets ε (docs/networks.md).
    random_state : int, Generator or None
        Seed of the local search that starts the branch and bound without a grid.

    Attributes
    ----------
    params_ : ndarray (N,)
        The trained free parameters (grid values in [-1, 1] from the face LP, or the branch
        and bound's best point).
    method_ : str
        ``"face LP"`` or ``"branch and bound"`` (no grid).
    certificate_ : FaceSolution or None
        The face solution with its certificate (None without a grid).
    lp_objective_, epsilon_ : float or None
        Face-LP optimum v̂ on the discretized data and ε (None without a grid).
    erm_, lower_bound_, gap_ : float
        ERM of ``params_`` on the data, the certified lower bound on the global ERM optimum
        over ``[-1, 1]^N``, and ``erm_ - lower_bound_`` (units of the data the network sees).
    lower_bound_kind_ : str
        ``"a-priori"`` (Lemma 3.4 with the worst-case ε) or ``"a-posteriori"`` (branch and
        bound on the data): whichever bound is larger.
    data_units_ : dict
        The same numbers in the data's own units when the targets were scaled (abs: times
        h, quadratic: times h²; classification losses have none), with the factor.
    a_posteriori_ : ERMCertificate or None
        The branch-and-bound certificate, with its bound ``history``.
    params_source_ : str
        ``"face LP"``, ``"branch and bound"`` or ``"local search"``.
    network_, polytope_ : Network, ERMPolytope or None
    n_features_in_, n_samples_ : int
    classes_ : ndarray
        Class labels (classification losses with label targets only).
    scaler_x_, scaler_y_ : UnitScaler or None
    labels_ : LabelEncoder or None
    training_ : dict
        The stored training record (models read by :meth:`load` only).

    Examples
    --------
    >>> X = np.array([[-0.5], [0.0], [0.5], [1.0]])
    >>> y = np.array([-0.5, 0.0, 0.5, 1.0])
    >>> model = LPTrainer("1-1", "abs", bits=2, backend="numpy").fit(X, y)
    >>> model.params_.tolist(), model.lp_objective_, model.erm_, model.epsilon_
    ([0.5, 0.0], 0.1875, 0.25, 4.0)
    >>> model.predict(X).tolist()
    [-0.25, 0.0, 0.25, 0.5]
    >>> free = LPTrainer("1-1", "abs", target_gap=1e-3, backend="numpy").fit(X, y)
    >>> free.method_, free.gap_ <= 1e-3, round(free.erm_, 6)
    ('branch and bound', True, 0.0)
    """

    training_: dict[str, Any]
    # fitted attributes (set by fit or load; see the Attributes section)
    params_: np.ndarray
    erm_: float
    lower_bound_: float
    gap_: float
    lower_bound_kind_: str
    method_: str
    params_source_: str
    lp_objective_: Any  # float; None without a grid
    epsilon_: Any  # float; None without a grid
    certificate_: Any
    polytope_: Any
    a_posteriori_: Any
    seconds_: dict[str, float]

    def __init__(
        self,
        network: str | Network = "2-3-1",
        loss: str = "abs",
        *,
        bits: int | None = None,
        eps: float | None = None,
        regularizer: str | None = None,
        activation: str = "relu",
        solver: str = "structured",
        scale: bool = False,
        polytope: Any = None,
        max_memory: int | str | None = None,
        backend: str = "auto",
        progress: bool | None = None,
        verify: bool = True,
        target_gap: float | None = None,
        time_limit: float | None = None,
        lipschitz: str = "paper",
        cluster: Any = None,
        random_state: Any = None,
    ) -> None:
        self.network = network
        self.loss = loss
        self.bits = bits
        self.eps = eps
        self.regularizer = regularizer
        self.activation = activation
        self.solver = solver
        self.scale = scale
        self.polytope = polytope
        self.max_memory = max_memory
        self.backend = backend
        self.progress = progress
        self.verify = verify
        self.target_gap = target_gap
        self.time_limit = time_limit
        self.lipschitz = lipschitz
        self.cluster = cluster
        self.random_state = random_state

    # ----- scikit-learn protocol ---------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> LPTrainer:
        """Set constructor parameters (scikit-learn ``set_params``); returns self."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise InvalidInputError(
                    f"{key!r} is not a parameter of LPTrainer; valid parameters: {valid}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        shown = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if k in ("network", "loss") or v is not defaults.get(k) and v != defaults.get(k)]
        return f"LPTrainer({', '.join(shown)})"

    def _is_classifier(self) -> bool:
        try:
            return get_loss(self.loss).name in CLASSIFICATION_LOSSES
        except InvalidInputError:
            return False

    @property
    def _estimator_type(self) -> str:
        return "classifier" if self._is_classifier() else "regressor"

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        clf = self._is_classifier()
        return Tags(estimator_type=self._estimator_type, target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags() if clf else None,
                    regressor_tags=None if clf else RegressorTags())

    # ----- fit -------------------------------------------------------------------------------
    def _network(self) -> Network:
        if isinstance(self.network, Network):
            return self.network
        if isinstance(self.network, str):
            return parse_arch(self.network, self.activation)
        raise InvalidInputError(
            f"network must be an architecture string such as '2-3-1' or a Network; "
            f"got {self.network!r}")

    def _prepare_x(self, X: Any, net: Network) -> np.ndarray:
        Xa = check_array("X", X, ndim=2)
        if Xa.shape[1] != net.n:
            raise InvalidInputError(
                f"X has {Xa.shape[1]} column{'s' if Xa.shape[1] != 1 else ''} but the network "
                f"has {net.n} input{'s' if net.n != 1 else ''} (n={net.n})")
        if self.scale:
            self.scaler_x_: UnitScaler | None = UnitScaler.fit(Xa)
            return self.scaler_x_.transform(Xa)
        self.scaler_x_ = None
        return check_unit_box("X", Xa, _SCALE_HINT)

    def _prepare_y(self, y: Any, net: Network, loss: Loss, D: int) -> np.ndarray:
        raw = np.asarray(y)
        if raw.ndim == 0:
            raise InvalidInputError(f"y must hold one target row per data point; got {raw!r}")
        if raw.shape[0] != D:
            raise InvalidInputError(f"y has {raw.shape[0]} rows but X has {D} (one target "
                                    "row per data point)")
        self.scaler_y_: UnitScaler | None = None
        self.labels_: LabelEncoder | None = None
        # Classification losses take 1-D targets as class labels; (D, m) targets are used
        # as they are (already encoded, in [-1, 1]).
        if loss.name in CLASSIFICATION_LOSSES and (raw.ndim == 1 or raw.shape[1] == 1):
            enc = encode_labels(raw.reshape(D), loss, net.m)
            self.labels_ = enc
            self.classes_ = np.asarray(enc.classes)
            return enc.encode(raw.reshape(D))
        Y = check_array("y", raw, ndim=(1, 2))
        Y = Y.reshape(D, -1)
        if Y.shape[1] != net.m:
            raise InvalidInputError(
                f"y has {Y.shape[1]} column{'s' if Y.shape[1] != 1 else ''} but the network "
                f"has {net.m} output{'s' if net.m != 1 else ''} (m={net.m})")
        if self.scale:
            self.scaler_y_ = UnitScaler.fit(Y)
            return self.scaler_y_.transform(Y)
        return check_unit_box("y", Y, _SCALE_HINT)

    def _options(self) -> FitOptions:
        return FitOptions(bits=self.bits, eps=self.eps, regularizer=self.regularizer,
                          solver=self.solver, polytope=self.polytope,
                          max_memory=self.max_memory, backend=self.backend,
                          progress=self.progress, verify=self.verify,
                          target_gap=self.target_gap, time_limit=self.time_limit,
                          lipschitz=self.lipschitz, cluster=self.cluster,
                          random_state=self.random_state)

    def fit(self, X: Any, y: Any, *, feature_names: Any = None,
            target_names: Any = None) -> LPTrainer:
        """Train on data X (D, n) and targets y (D,) or (D, m); returns self.

        ``feature_names`` / ``target_names`` are kept for the model file (optional).
        """
        t0 = time.perf_counter()
        check_choice("solver", self.solver, solver_names())
        if self.target_gap is not None:  # fail before the expensive stages
            check_float("target_gap", self.target_gap, 0.0, lo_open=True)
        if self.time_limit is not None:
            check_float("time_limit", self.time_limit, 0.0, lo_open=True)
        net = self._network()
        loss = get_loss(self.loss)
        Xs = self._prepare_x(X, net)
        D = Xs.shape[0]
        self.__dict__.pop("classes_", None)
        if feature_names is None and hasattr(X, "columns"):  # a pandas DataFrame
            feature_names = [str(c) for c in X.columns]
        Ys = self._prepare_y(y, net, loss, D)
        res = fit_problem(net, loss, Xs, Ys, self._options())
        set_fitted(self, res)
        self.network_, self.loss_, self.regularizer_ = net, loss.name, self.regularizer
        self.n_features_in_, self.n_samples_ = net.n, D
        self.feature_names_ = tuple(str(f) for f in feature_names) if feature_names else None
        self.target_names_ = tuple(str(t) for t in target_names) if target_names else None
        self.seconds_["total"] = time.perf_counter() - t0
        self.data_units_ = data_units(
            loss.name, self.scaler_y_, {"erm": self.erm_, "lower_bound": self.lower_bound_,
                                        "gap": self.gap_, "lp_objective": self.lp_objective_,
                                        "epsilon": self.epsilon_},
            classifier=self.labels_ is not None)
        return self

    # ----- predict / score -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("this LPTrainer is not fitted yet; call fit(X, y) first")

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw network outputs (D, m) on X in the caller's units (scaling applied)."""
        self._check_fitted()
        Xa = check_array("X", X, ndim=2)
        if Xa.shape[1] != self.n_features_in_:
            n = self.n_features_in_
            raise InvalidInputError(
                f"X has {Xa.shape[1]} column{'s' if Xa.shape[1] != 1 else ''} but the network "
                f"has {n} input{'s' if n != 1 else ''} (n={n})")
        if self.scaler_x_ is not None:
            Xa = self.scaler_x_.transform(Xa)
        return forward(self.network_, Xa, self.params_[None, :])[0]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for X: class labels (classifiers), or targets in the caller's units
        (shape (D,) when the network has one output, else (D, m))."""
        out = self.decision_function(X)
        if self.labels_ is not None:
            return self.labels_.decode(out)
        if self.scaler_y_ is not None:
            out = self.scaler_y_.inverse_transform(out)
        return out[:, 0] if out.shape[1] == 1 else out

    def score(self, X: Any, y: Any) -> float:
        """Accuracy for classifiers, R² (averaged over outputs) for regression (scikit-learn
        conventions)."""
        pred = self.predict(X)
        if self.labels_ is not None:
            return float(np.mean(pred == np.asarray(y).reshape(pred.shape)))
        Y = check_array("y", y, ndim=(1, 2)).reshape(len(pred), -1)
        P = np.asarray(pred, dtype=np.float64).reshape(Y.shape)
        ss_res = ((Y - P) ** 2).sum(axis=0)
        ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0),
                          np.where(ss_res > 0, 0.0, 1.0))
        return float(r2.mean())

    # ----- files -------------------------------------------------------------------------
    def to_model_file(self) -> ModelFile:
        """The trained model as a :class:`~lptrain.model_io.ModelFile`."""
        self._check_fitted()
        training = (training_report(self) if hasattr(self, "method_")
                    else dict(getattr(self, "training_", {})))
        return ModelFile(self.network_, self.params_, self.loss_, self.feature_names_,
                         self.target_names_, self.scaler_x_, self.scaler_y_, self.labels_,
                         training)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model file (``lptrain predict`` reads it); the certificate summary is
        stored under ``training``."""
        return save_model(path, self.to_model_file())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LPTrainer:
        """A fitted LPTrainer (for predict/score) from a model file; ``training_`` holds the
        stored certificate summary and ``certificate_`` is None."""
        mf = load_model(path)
        tr = mf.training
        self = cls(mf.network, mf.loss, bits=tr.get("bits"), scale=mf.scaler_x is not None,
                   regularizer=tr.get("regularizer"), solver=tr.get("solver") or "structured")
        self.network_, self.params_, self.loss_ = mf.network, mf.params, mf.loss
        self.scaler_x_, self.scaler_y_, self.labels_ = mf.scaler_x, mf.scaler_y, mf.labels
        self.feature_names_, self.target_names_ = mf.feature_names, mf.target_names
        self.n_features_in_ = mf.network.n
        self.certificate_ = None
        self.training_ = dict(tr)
        for key in ("lp_objective", "erm", "lower_bound", "epsilon", "gap"):
            if isinstance(tr.get(key), (int, float)):
                setattr(self, f"{key}_", float(tr[key]))
        if mf.labels is not None:
            self.classes_ = np.asarray(mf.labels.classes)
        return self
