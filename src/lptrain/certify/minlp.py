"""The same ERM as a global MINLP for SCIP (PySCIPOpt): the baseline users would pick, and
an independent oracle for the soundness tests.

Variables ``φ ∈ [-1, 1]^N``; per data point and node the pre-activation (linear in φ on the
first layer, bilinear ``φ_p z_u`` deeper — SCIP's spatial branch and bound handles the
nonconvex products); each activation as its component models it
(:meth:`~lptrain.components.Activation.scip`: ReLU / leaky ReLU by big-M with one binary
per data point and unit, the M's being the interval bounds of the pre-activation over Φ
(:func:`lptrain.nn.node_intervals`), fixed when the sign is known; smooth activations such
as tanh as expressions); the loss by its component's epigraph (e.g. ``e >= ±(o - y)`` for
abs, ``e_j >= 1 - o_j y_j, e_j >= 0`` for hinge); objective ``(1/D) Σ e`` plus the
regularizer's epigraph. SCIP's bounds use its feasibility
tolerances (1e-6 by default): they are not rigorous in floating point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lptrain.components import (
    ACTIVATIONS,
    LOSSES,
    Loss,
    Regularizer,
    get_activation,
    get_loss,
    get_regularizer,
)
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_data
from lptrain.nn.intervals import node_intervals

__all__ = ["SCIPResult", "solve_erm_scip"]

@dataclass(frozen=True)
class SCIPResult:
    """SCIP's answer: status, primal (best ERM found) and dual bound, gap, time, history
    of ``(seconds, dual bound, primal bound)``, the best φ."""

    status: str
    primal: float
    dual: float
    seconds: float
    phi: np.ndarray
    history: tuple[tuple[float, float, float], ...] = field(default=())

    @property
    def gap(self) -> float:
        """Absolute gap ``primal - dual``."""
        return self.primal - self.dual


def solve_erm_scip(network: Network, loss: str | Loss, X: Any, Y: Any, *,
                   regularizer: str | Regularizer | None = None,
                   time_limit: float | None = 60.0, target_gap: float = 0.0,
                   record: bool = True) -> SCIPResult:
    """Solve ``min_{φ ∈ [-1,1]^N} ERM(φ)`` globally with SCIP (the MINLP of the module
    docstring) until the absolute gap is ``<= target_gap`` or ``time_limit`` seconds.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> r = solve_erm_scip(dense([1, 1], "identity"), "abs", [[1.0], [-1.0]],
    ...                    [[0.5], [-0.5]], time_limit=10)
    >>> r.status, round(r.primal, 6), round(r.dual, 6)
    ('optimal', 0.0, 0.0)
    """
    import pyscipopt as scip

    lo_, reg = get_loss(loss), get_regularizer(regularizer)
    Xa, Ya = check_data(network, X, Y)
    assert Ya is not None
    if not lo_.supports_scip:
        usable = [k for k in LOSSES if get_loss(k).supports_scip]
        raise InvalidInputError(f"the SCIP baseline supports the losses {', '.join(usable)}; "
                                f"got {lo_.spec!r}")
    for node in network.nodes:
        if not node.activation.supports_scip:
            usable = [k for k in ACTIVATIONS if get_activation(k).supports_scip]
            raise InvalidInputError(f"the SCIP baseline supports the activations "
                                    f"{', '.join(usable)}; got {node.activation.spec!r}")
    D = Xa.shape[0]
    box = node_intervals(network, Xa, -np.ones((1, network.N)), np.ones((1, network.N)))
    model = scip.Model()
    model.hideOutput()
    phi = [model.addVar(f"phi{j}", lb=-1.0, ub=1.0) for j in range(network.N)]
    errs = []
    for d in range(D):
        vals: list[Any] = [float(x) for x in Xa[d]]
        for i, node in enumerate(network.nodes):
            v = network.n_inputs + i
            s: Any = 0.0
            for u, p, c in node.inputs:
                s = s + (c * phi[p] if p >= 0 else c) * vals[u]
            bp, bc = node.bias
            s = s + (bc * phi[bp] if bp >= 0 else bc)
            pre_lo, pre_hi = _pre_bounds(network, box, v, d)
            vals.append(node.activation.scip(model, s, pre_lo, pre_hi, f"{d}_{v}"))
        errs.append(lo_.scip(model, [vals[o] for o in network.outputs], Ya[d], f"{d}"))
    terms = [e * (1.0 / D) for e in errs]
    if reg is not None:
        for j, var in enumerate(phi):
            terms.append(reg.lam * reg.scip(model, var, f"{j}"))
    obj = model.addVar("objective", lb=-model.infinity())
    model.addCons(obj >= scip.quicksum(terms))
    model.setObjective(obj, "minimize")
    if time_limit is not None:
        model.setParam("limits/time", float(time_limit))
    model.setParam("limits/absgap", float(target_gap))
    model.setParam("limits/gap", 0.0)
    history: list[tuple[float, float, float]] = []
    if record:
        model.includeEventhdlr(_Recorder(history), "lptrain-history", "records the bounds")
    model.optimize()
    status = str(model.getStatus())
    sol = model.getBestSol() if model.getNSols() else None
    best = np.array([model.getSolVal(sol, p) for p in phi]) if sol is not None else \
        np.full(network.N, np.nan)
    primal = model.getPrimalbound() if sol is not None else np.inf
    history.append((model.getSolvingTime(), model.getDualbound(), primal))
    return SCIPResult(status, float(primal), float(model.getDualbound()),
                      float(model.getSolvingTime()), best, tuple(history))


def _pre_bounds(net: Network, box: list[tuple[np.ndarray, np.ndarray]], v: int, d: int
                ) -> tuple[float, float]:
    """Interval bounds of node v's pre-activation over Φ for data point d (the big-M's),
    from the bounds of its inputs' values."""
    node = net.nodes[v - net.n_inputs]
    lo, hi = 0.0, 0.0
    for u, p, c in node.inputs:
        ul, uh = float(box[u][0][0, d]), float(box[u][1][0, d])
        if p >= 0:
            m = abs(c) * max(abs(ul), abs(uh))
            lo, hi = lo - m, hi + m
        else:
            lo, hi = lo + min(c * ul, c * uh), hi + max(c * ul, c * uh)
    bp, bc = node.bias
    m = abs(bc)
    return (lo - m, hi + m) if bp >= 0 else (lo + bc, hi + bc)


def _recorder_class() -> type:
    import pyscipopt as scip

    class Recorder(scip.Eventhdlr):  # type: ignore[misc]
        def __init__(self, history: list[tuple[float, float, float]]) -> None:
            self.history = history

        def eventinit(self) -> None:
            self.model.catchEvent(scip.SCIP_EVENTTYPE.NODESOLVED, self)
            self.model.catchEvent(scip.SCIP_EVENTTYPE.BESTSOLFOUND, self)

        def eventexit(self) -> None:
            self.model.dropEvent(scip.SCIP_EVENTTYPE.NODESOLVED, self)
            self.model.dropEvent(scip.SCIP_EVENTTYPE.BESTSOLFOUND, self)

        def eventexec(self, event: Any) -> None:
            m = self.model
            point = (m.getSolvingTime(), m.getDualbound(), m.getPrimalbound())
            if not self.history or point[1:] != self.history[-1][1:]:
                self.history.append(point)

    return Recorder


def _Recorder(history: list[tuple[float, float, float]]) -> Any:  # noqa: N802
    return _recorder_class()(history)
