"""Support for :mod:`lptrain.trainer`: checking a given polytope against the problem, and
the training summary (the keys of ``lptrain train --json`` and of a model file's
``training`` record), assembled in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lptrain.errors import InvalidInputError
from lptrain.nn import Network, get_loss
from lptrain.nn.losses import Loss

if TYPE_CHECKING:
    from lptrain.trainer import LPTrainer

__all__ = ["check_polytope", "training_report"]


def check_polytope(poly: Any, net: Network, loss: Loss, D: int, bits: int | None,
                    eps: float | None, regularizer: str | None) -> None:
    """Refuse a given polytope that does not fit the problem, naming the mismatch.

    Examples
    --------
    >>> from lptrain.erm import ERMPolytope
    >>> from lptrain.nn import dense
    >>> poly = ERMPolytope.define(dense([1, 1]), "abs", samples=3, bits=2)
    >>> check_polytope(poly, dense([1, 1]), get_loss("abs"), 4, None, None, None)
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: the polytope was built for D=3 samples but the data \
has 4 rows; build one with --samples 4
    """
    p_net = getattr(poly, "network", None)
    if p_net is not None and p_net != net:
        raise InvalidInputError(
            f"the polytope was built for a different network ({p_net!r}); this problem has "
            f"{net!r}")
    p_loss = getattr(poly, "loss", None)
    p_loss = getattr(p_loss, "name", p_loss)
    if p_loss is not None and get_loss(p_loss).name != loss.name:
        raise InvalidInputError(
            f"the polytope was built for loss {p_loss!r}; this problem uses {loss.name!r}")
    if int(poly.samples) != D:
        raise InvalidInputError(
            f"the polytope was built for D={poly.samples} samples but the data has {D} rows; "
            f"build one with --samples {D}")
    if bits is not None and int(poly.bits) != int(bits):
        raise InvalidInputError(
            f"the polytope has bits={poly.bits} but bits={bits} was asked for; leave bits "
            "unset to use the polytope's grid")
    if eps is not None and float(poly.epsilon) > float(eps):
        raise InvalidInputError(
            f"the polytope's grid gives eps={poly.epsilon:g}, more than the eps={eps:g} asked "
            "for; leave eps unset to use the polytope's grid")
    p_reg = getattr(poly, "regularizer", None)
    p_reg = getattr(p_reg, "spec", p_reg)
    if regularizer is not None and p_reg != regularizer:
        raise InvalidInputError(
            f"the polytope was built with regularizer {p_reg!r}; this problem uses "
            f"{regularizer!r}")


def training_report(model: LPTrainer) -> dict[str, Any]:
    """The training summary of a fitted LPTrainer as plain JSON-able values: the keys of
    ``lptrain train --json`` and of a model file's ``training`` record.

    Keys: ``params``, ``lp_objective``, ``erm``, ``epsilon``, ``lower_bound``,
    ``lower_bound_kind``, ``gap``, ``guarantee``, ``solver``, ``seconds``, ``certificate``,
    ``sizes``, ``bits``, ``lipschitz``, ``n``, ``m``, ``N``, ``D``, ``loss``,
    ``regularizer``, ``units``, ``params_source`` and ``classes`` (classifiers); with a
    ``target_gap`` also ``a_posteriori`` (the branch-and-bound certificate),
    ``a_priori_lower_bound`` and ``history`` (seconds, lower bound, best value).

    Examples
    --------
    >>> from lptrain.trainer import LPTrainer
    >>> model = LPTrainer("1-1", "abs", bits=2, backend="numpy").fit([[0.5], [-0.5]], [0.5, 0])
    >>> r = training_report(model)
    >>> r["lp_objective"], r["epsilon"], r["lower_bound"], r["lower_bound_kind"], r["units"]
    (0.25, 4.0, -3.75, 'a-priori', 'data')
    """
    from lptrain.cli._common import to_jsonable

    sol = model.certificate_
    poly = model.polytope_
    net = model.network_
    cert: Any = getattr(sol, "certificate", None)
    face_seconds = dict(getattr(sol, "seconds", {}) or {})
    seconds = {"polytope": model.seconds_["polytope"],
               "solve": face_seconds.get("solve"), "verify": face_seconds.get("verify"),
               "face": model.seconds_["face_and_solve"], "total": model.seconds_["total"]}
    report: dict[str, Any] = {
        "params": model.params_.tolist(),
        "lp_objective": model.lp_objective_,
        "erm": model.erm_,
        "epsilon": model.epsilon_,
        "lower_bound": model.lower_bound_,
        "lower_bound_kind": model.lower_bound_kind_,
        "guarantee": getattr(sol, "guarantee", 2.0 * model.epsilon_),
        "solver": getattr(sol, "solver", model.solver),
        "seconds": seconds,
        "certificate": cert.to_dict() if cert is not None else None,
        "sizes": dict(getattr(sol, "sizes", {}) or {}),
        "bits": int(poly.bits),
        "lipschitz": float(getattr(poly.lipschitz, "lipschitz", poly.lipschitz)),
        "lipschitz_method": getattr(poly.lipschitz, "method", None),
        "upper_bound": getattr(sol, "upper_bound", None),
        "n": net.n, "m": net.m, "N": net.N, "D": int(poly.samples),
        "loss": model.loss_,
        "regularizer": model.regularizer,
        "network_kind": net.kind,
        "units": "scaled" if model.scale else "data",
        "scaled": {"X": model.scaler_x_ is not None, "y": model.scaler_y_ is not None},
        "phi_index": int(getattr(sol, "phi_index", -1)),
    }
    if model.labels_ is not None:
        report["classes"] = list(model.labels_.classes)
    report["gap"] = model.gap_
    report["params_source"] = model.params_source_
    post = model.a_posteriori_
    if post is not None:
        report["target_gap"] = model.target_gap
        report["a_priori_lower_bound"] = sol.lower_bound
        report["a_posteriori"] = {k: v for k, v in post.to_dict().items() if k != "history"}
        report["history"] = [list(h) for h in post.history]
        report["seconds"]["certify"] = post.seconds
    return to_jsonable(report)  # type: ignore[no-any-return]
