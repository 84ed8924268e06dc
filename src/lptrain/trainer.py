"""``LPTrainer``: a scikit-learn style estimator that trains a network by linear programming.

``fit(X, y)`` runs the pipeline of the paper on the data: check and (when asked) scale the
data into the box ``[-1, 1]`` (§3), encode class labels, define or build the
data-independent polytope of Main Theorem 3.1 for ``D = len(X)`` samples, take the face of
the data (Lemma 3.6), solve it, and keep the solution with its certificate: the face-LP
value ``v̂``, the true empirical risk of the returned parameters, ``ε`` and the certified
lower bound ``v̂ - ε`` on the global ERM optimum (Lemma 3.4).

With ``scale=True`` the inputs (and, for regression, the targets) are mapped affinely onto
[-1, 1]; the maps are stored and :meth:`LPTrainer.predict` applies them, so predictions
are in the caller's units while the risk, ε and the bounds are in the scaled units.
"""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._trainer_support import check_polytope, training_report
from lptrain._validation import check_array, check_choice, check_float, check_unit_box
from lptrain.data import LabelEncoder, UnitScaler
from lptrain.errors import InvalidInputError, NotFittedError
from lptrain.model_io import ModelFile, load_model, save_model
from lptrain.nn import Network, forward, get_loss, parse_arch
from lptrain.nn.losses import Loss

__all__ = ["LPTrainer", "CLASSIFICATION_LOSSES", "solver_names", "training_report"]

#: Face solvers that need the materialized polytope (ERMPolytope.build); the others run on
#: a defined one. The names accepted are those of ``lptrain.erm.SOLVERS``.
_MATERIALIZED = frozenset({"highs"})
#: Losses whose 1-D targets are class labels.
CLASSIFICATION_LOSSES: tuple[str, ...] = ("hinge", "cross_entropy")
_SCALE_HINT = ("pass scale=True (lptrain train --scale) to map each column onto [-1, 1]; "
               "the scaling is stored and applied by predict")


def solver_names() -> tuple[str, ...]:
    """The face solvers available (``lptrain.erm.SOLVERS``), e.g. ``("highs", "structured")``.

    Examples
    --------
    >>> "structured" in solver_names()
    True
    """
    from lptrain.erm import SOLVERS

    return tuple(SOLVERS)


class LPTrainer:
    """Train a neural network by linear programming (Bienstock, Muñoz, Pokutta, §3).

    Parameters
    ----------
    network : str or Network, default "2-3-1"
        Architecture (``--arch`` shorthand such as ``"1-2-1"`` or ``"conv1d:8-c2k3-1"``) or
        a :class:`~lptrain.nn.Network`.
    loss : str, default "abs"
        ``abs``, ``quadratic``, ``hinge`` or ``cross_entropy`` (§4.3).
    bits, eps : int or float
        The grid of §3.1: bits per coordinate, or the accuracy ε (bits = ⌈log2(2L/ε)⌉).
        Exactly one, unless ``polytope`` is given (its grid is used).
    regularizer : str, optional
        ``"l1:λ"`` or ``"l2:λ"`` (Appendix B).
    activation : str, default "relu"
        Hidden activation when ``network`` is a string.
    solver : {"structured", "highs"}, default "structured"
        How to solve the face: the structure-aware solver on the unmaterialized polytope,
        or HiGHS on the materialized LP (small problems only).
    scale : bool, default False
        Map X (and regression targets) onto [-1, 1]; otherwise data outside is refused.
    polytope : ERMPolytope or path, optional
        A polytope defined or built beforehand (``lptrain build``); its network, loss,
        samples and bits must match.
    max_memory : int or str, optional
        Size guard for building the LP (bytes or e.g. ``"4GiB"``).
    backend : {"auto", "numba", "numpy"}
        Evaluation kernels for the polytope build.
    progress : bool, optional
        Progress bars (default: on a terminal, for work longer than a second or two).
    verify : bool, default True
        Check the solver's certificate independently.
    target_gap : float, optional
        When set, after the face solve a branch and bound over the continuous box Φ on the
        actual (undiscretized) data certifies a lower bound on the global ERM optimum
        (a-posteriori, :func:`lptrain.certify.certify_erm`) and stops once
        ``ERM(params_) - lower bound <= target_gap`` or at ``time_limit``. If it finds
        parameters better than the face's φ̃ they become ``params_``.
    time_limit : float, optional
        Seconds for each stage (face solve; branch and bound, default 60 s there).
    cluster : str or distributed.Client, optional
        Dask scheduler for the branch and bound (and ``solver="lazy"``); default: this
        machine's cores.
    lipschitz : {"paper", "refined"}, default "paper"
        The architecture Lipschitz constant that sets ε: the paper's §4 constant or the
        refined one (never larger, equally sound; docs/networks.md).

    Attributes
    ----------
    params_ : ndarray (N,)
        The trained free parameters φ̃ (grid values in [-1, 1]).
    certificate_ : FaceSolution
        The face solution with its certificate (``lp_value``, ``erm``, ``lower_bound``...).
    lp_objective_, erm_, lower_bound_, epsilon_ : float
        Face-LP optimum v̂ on the discretized data, ERM of ``params_`` on the data, the
        certified lower bound on the global ERM optimum, and ε (scaled units).
    lower_bound_kind_ : str
        ``"a-priori"`` (Lemma 3.4 with the worst-case ε) or ``"a-posteriori"`` (branch and
        bound on the data, with ``target_gap``): whichever bound is larger.
    gap_ : float
        ``erm_ - lower_bound_``: how far ``params_`` can be from the global optimum.
    a_posteriori_ : ERMCertificate or None
        The branch-and-bound certificate (``target_gap`` set), with its bound ``history``.
    params_source_ : str
        ``"face LP"`` or ``"branch and bound"`` (when it found better parameters).
    network_, polytope_ : Network, ERMPolytope
    n_features_in_ : int
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
    """

    training_: dict[str, Any]

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
            return self._encode_labels(raw.reshape(D), net, loss)
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

    def _encode_labels(self, lab: np.ndarray, net: Network, loss: Loss) -> np.ndarray:
        if lab.dtype.kind == "f" and not np.isfinite(lab).all():
            i = int(np.flatnonzero(~np.isfinite(lab))[0])
            raise InvalidInputError(f"y contains {lab[i]!r} in row {i}")
        k = len(np.unique(lab))
        if loss.name == "hinge":
            scheme = "sign" if net.m == 1 else "pm_onehot"
        else:
            scheme = "onehot"
            if net.m == 1:
                raise InvalidInputError(
                    "cross_entropy needs one network output per class (m = number of "
                    f"classes); the network has m=1 and y has {k} classes")
        enc = LabelEncoder.fit(lab, scheme)
        if scheme != "sign" and net.m != len(enc.classes):
            raise InvalidInputError(
                f"y has {len(enc.classes)} classes but the network has m={net.m} outputs; "
                f"{loss.name} with class labels needs one output per class (or m=1 with 2 "
                "classes for hinge)")
        self.labels_ = enc
        self.classes_ = np.asarray(enc.classes)
        return enc.encode(lab)

    def _polytope(self, net: Network, loss: Loss, D: int) -> Any:
        from lptrain.erm import ERMPolytope

        poly = self.polytope
        if poly is not None:
            if isinstance(poly, (str, os.PathLike)):
                poly = ERMPolytope.load(Path(poly), max_memory=self.max_memory)
            check_polytope(poly, net, loss, D, self.bits, self.eps, self.regularizer)
            return poly
        if (self.bits is None) == (self.eps is None):
            raise InvalidInputError("give exactly one of bits and eps (e.g. bits=3); "
                                    f"got bits={self.bits!r}, eps={self.eps!r}")
        common: dict[str, Any] = {"samples": D, "bits": self.bits, "eps": self.eps,
                  "regularizer": self.regularizer, "backend": self.backend,
                  "lipschitz_method": self.lipschitz}
        if self.solver in _MATERIALIZED:
            return ERMPolytope.build(net, loss.name, **common, max_memory=self.max_memory,
                                     progress=self.progress)
        return ERMPolytope.define(net, loss.name, **common)

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
        poly = self._polytope(net, loss, D)
        t1 = time.perf_counter()
        face = poly.face(Xs, Ys)
        extra: dict[str, Any] = {}
        if self.cluster is not None and self.solver == "lazy":
            extra["cluster"] = self.cluster
        sol = face.solve(self.solver, time_limit=self.time_limit, progress=self.progress,
                         verify=self.verify, **extra)
        t2 = time.perf_counter()
        self.a_posteriori_ = (None if self.target_gap is None
                              else self._certify(net, loss, Xs, Ys, sol.phi))
        self.network_ = net
        self.loss_ = loss.name
        self.polytope_ = poly
        self.certificate_ = sol
        self.params_ = np.asarray(sol.phi, dtype=np.float64)
        self.lp_objective_ = float(sol.lp_value)
        self.erm_ = float(sol.erm)
        self.lower_bound_ = float(sol.lower_bound)
        self.lower_bound_kind_ = str(sol.lower_bound_kind)
        self.params_source_ = "face LP"
        cert = self.a_posteriori_
        if cert is not None:
            if cert.best_value < self.erm_:
                self.params_ = np.asarray(cert.phi, dtype=np.float64)
                self.erm_ = float(cert.best_value)
                self.params_source_ = "branch and bound"
            if cert.lower_bound > self.lower_bound_:
                self.lower_bound_ = float(cert.lower_bound)
                self.lower_bound_kind_ = "a-posteriori"
        self.gap_ = self.erm_ - self.lower_bound_
        self.epsilon_ = float(sol.epsilon)
        self.n_features_in_ = net.n
        self.feature_names_ = tuple(str(f) for f in feature_names) if feature_names else None
        self.target_names_ = tuple(str(t) for t in target_names) if target_names else None
        self.seconds_ = {"polytope": t1 - t0, "face_and_solve": t2 - t1,
                         "certify": cert.seconds if cert is not None else 0.0,
                         "total": time.perf_counter() - t0}
        return self

    def _certify(self, net: Network, loss: Loss, Xs: np.ndarray, Ys: np.ndarray,
                 phi: np.ndarray) -> Any:
        """The a-posteriori certificate: branch and bound over Φ on the actual data."""
        from lptrain.certify import certify_erm

        gap = check_float("target_gap", self.target_gap, 0.0, lo_open=True)
        limit = 60.0 if self.time_limit is None else check_float(
            "time_limit", self.time_limit, 0.0, lo_open=True)
        return certify_erm(net, loss.name, Xs, Ys, initial=phi, regularizer=self.regularizer,
                           target_gap=gap, time_limit=limit, progress=self.progress,
                           cluster=self.cluster, backend=self.backend)

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
        training = (training_report(self) if getattr(self, "certificate_", None) is not None
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
                   regularizer=tr.get("regularizer"), solver=tr.get("solver", "structured"))
        self.network_, self.params_, self.loss_ = mf.network, mf.params, mf.loss
        self.scaler_x_, self.scaler_y_, self.labels_ = mf.scaler_x, mf.scaler_y, mf.labels
        self.feature_names_, self.target_names_ = mf.feature_names, mf.target_names
        self.n_features_in_ = mf.network.n
        self.certificate_ = None
        self.training_ = dict(tr)
        for key in ("lp_objective", "erm", "lower_bound", "epsilon"):
            if isinstance(tr.get(key), (int, float)):
                setattr(self, f"{key}_", float(tr[key]))
        if mf.labels is not None:
            self.classes_ = np.asarray(mf.labels.classes)
        return self
