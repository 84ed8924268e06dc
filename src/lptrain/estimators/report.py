"""The training summary of a fitted estimator (the keys of ``lptrain train --json`` and of a
model file's ``training`` record), and the same numbers in the data's own units.

**Units.** The risk, bounds and gaps are computed on the data the network sees. Inputs
scaled onto [-1, 1] change nothing in them (the loss compares outputs with targets). A
regression target scaled as ``y_s = (y - c) / h`` (one common h for every target column)
changes the loss exactly by a constant factor: ``|z_s - y_s| = |z - y| / h`` and
``(z_s - y_s)² = (z - y)² / h²``. So every risk, bound and gap converts to the data's
units by multiplying with ``h`` (``abs``) or ``h²`` (``quadratic``) — the lower bound too,
since ``min_φ h·R(φ) = h·min_φ R(φ)``. With a regularizer ``λR(φ)`` the whole regularized
objective is multiplied: in the data's units its weight is ``λh`` (``λh²``). Classification
losses (hinge, cross-entropy) act on encoded labels, which are not scaled: their values
have no data units and are reported as they are; so are targets scaled by different
factors per column (no single factor exists).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lptrain._jsonable import to_jsonable
from lptrain.data import UnitScaler

__all__ = ["data_units", "training_report"]

_POWER = {"abs": 1, "quadratic": 2}
_CONVERTED = ("erm", "lower_bound", "gap", "lp_objective", "epsilon", "target_gap",
              "a_priori_lower_bound", "best_value", "best_gap", "params_value")


def data_units(loss: str, scaler_y: UnitScaler | None, values: dict[str, Any],
               classifier: bool = False) -> dict[str, Any]:
    """``values`` (risks, bounds, gaps in the units the network sees) in the data's units,
    with the factor and how it was obtained (module docstring).

    Examples
    --------
    >>> s = UnitScaler(np.array([150.0]), np.array([100.0]))    # y in [50, 250]
    >>> d = data_units("abs", s, {"erm": 0.25, "lower_bound": 0.2, "gap": 0.05})
    >>> d["factor"], d["erm"], d["lower_bound"], d["gap"]
    (100.0, 25.0, 20.0, 5.0)
    >>> data_units("quadratic", s, {"erm": 0.01})["erm"]
    100.0
    >>> data_units("hinge", None, {"erm": 0.3}, classifier=True)["factor"] is None
    True
    """
    if classifier or loss not in _POWER:
        return {"factor": None, "note": f"the {loss} loss acts on encoded labels, not on "
                "scaled targets: its values have no data units and are reported as they are"}
    if scaler_y is None:
        return {"factor": 1.0, "note": "the targets were not scaled: the values are in the "
                "data's units", **{k: v for k, v in values.items() if k in _CONVERTED}}
    h = np.asarray(scaler_y.half_range, dtype=np.float64).ravel()
    if not np.all(h == h[0]):
        return {"factor": None, "note": "the target columns were scaled by different factors "
                f"{h.tolist()}: no single conversion to the data's units exists"}
    p = _POWER[loss]
    factor = float(h[0]) ** p
    out: dict[str, Any] = {"factor": factor, "note": (
        f"y was scaled as (y - c)/h with h = {float(h[0]):.6g}; the {loss} loss scales by "
        f"h{'²' if p == 2 else ''}: data-unit value = scaled value × {factor:.6g} (a "
        "regularizer's weight is multiplied by the same factor)")}
    for key, val in values.items():
        if key in _CONVERTED and isinstance(val, (int, float)) and val is not None:
            out[key] = float(val) * factor
    return out


def _face_part(model: Any) -> dict[str, Any]:
    sol, poly = model.certificate_, model.polytope_
    if sol is None:
        return {"lp_objective": None, "epsilon": None, "guarantee": None, "bits": None,
                "lipschitz": None, "lipschitz_method": None, "upper_bound": None,
                "certificate": None, "sizes": {}, "solver": None, "phi_index": None}
    cert: Any = getattr(sol, "certificate", None)
    return {
        "lp_objective": model.lp_objective_, "epsilon": model.epsilon_,
        "guarantee": getattr(sol, "guarantee", 2.0 * model.epsilon_),
        "solver": getattr(sol, "solver", None),
        "certificate": cert.to_dict() if cert is not None else None,
        "sizes": dict(getattr(sol, "sizes", {}) or {}),
        "bits": int(poly.bits),
        "lipschitz": float(getattr(poly.lipschitz, "lipschitz", poly.lipschitz)),
        "lipschitz_method": getattr(poly.lipschitz, "method", None),
        "upper_bound": getattr(sol, "upper_bound", None),
        # the grid point of φ̃; None when the branch and bound replaced the parameters
        "phi_index": (int(getattr(sol, "phi_index", -1))
                      if model.params_source_ == "face LP" else None),
    }


def training_report(model: Any) -> dict[str, Any]:
    """The training summary of a fitted estimator as plain JSON-able values.

    Keys: ``method`` (``"face LP"`` or ``"branch and bound"``), ``params``, ``erm``,
    ``lower_bound``, ``lower_bound_kind``, ``gap``, ``params_source``, ``seconds``, ``n``,
    ``m``, ``N``, ``D``, ``loss``, ``regularizer``, ``network_kind``, ``units``, ``scaled``,
    ``data_units`` (:func:`data_units`), ``classes`` (classifiers); the face LP's
    ``lp_objective``, ``epsilon``, ``guarantee``, ``solver``, ``certificate``, ``sizes``,
    ``bits``, ``lipschitz``, ``lipschitz_method``, ``upper_bound`` (v̂ + ε), ``phi_index``
    (None without a grid); with a branch and bound also ``target_gap``, ``a_posteriori``,
    ``a_priori_lower_bound`` (grid only) and ``history`` (seconds, lower bound, best value).

    Examples
    --------
    >>> from lptrain.estimators import LPTrainer
    >>> model = LPTrainer("1-1", "abs", bits=2, backend="numpy").fit([[0.5], [-0.5]], [0.5, 0])
    >>> r = training_report(model)
    >>> r["lp_objective"], r["epsilon"], r["lower_bound"], r["lower_bound_kind"], r["units"]
    (0.25, 4.0, -3.75, 'a-priori', 'data')
    """
    net = model.network_
    D = int(model.n_samples_)
    face_seconds = dict(getattr(model.certificate_, "seconds", {}) or {})
    sec = dict(model.seconds_)
    seconds = {"total": sec.get("total"), "polytope": sec.get("polytope"),
               "face": sec.get("face_and_solve"), "solve": face_seconds.get("solve"),
               "verify": face_seconds.get("verify"), "local_search": sec.get("local_search")}
    report: dict[str, Any] = {
        "method": model.method_,
        "params": model.params_.tolist(),
        "erm": model.erm_,
        "lower_bound": model.lower_bound_,
        "lower_bound_kind": model.lower_bound_kind_,
        **_face_part(model),
        "seconds": seconds,
        "n": net.n, "m": net.m, "N": net.N, "D": D,
        "loss": model.loss_,
        "regularizer": model.regularizer_,
        "network_kind": net.kind,
        "units": "scaled" if (model.scaler_x_ is not None or model.scaler_y_ is not None)
                 else "data",
        "scaled": {"X": model.scaler_x_ is not None, "y": model.scaler_y_ is not None},
        "gap": model.gap_,
        "params_source": model.params_source_,
    }
    if model.labels_ is not None:
        report["classes"] = list(model.labels_.classes)
    post = model.a_posteriori_
    if post is not None:
        report["target_gap"] = post.target_gap
        if model.certificate_ is not None:
            report["a_priori_lower_bound"] = model.certificate_.lower_bound
        report["a_posteriori"] = {k: v for k, v in post.to_dict().items() if k != "history"}
        report["history"] = [list(h) for h in post.history]
        report["seconds"]["certify"] = post.seconds
    report["data_units"] = data_units(model.loss_, model.scaler_y_, report,
                                      classifier=model.labels_ is not None)
    return to_jsonable(report)  # type: ignore[no-any-return]
