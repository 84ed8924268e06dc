"""Static magnitudes and rounding slacks of the interval and affine bounds.

Every quantity a bounding kernel computes for parameters in ``[-1, 1]^N`` and data in
``[-1, 1]`` is bounded by a static magnitude, computed here from the network and the
components' own magnitude methods; the slacks are static literals in the generated code.

**Interval bounds** (:func:`node_slack`, :func:`loss_slack`): with ``B_v`` the value bounds
of :func:`node_bounds`, node v's bounds are widened by ``2.5 (k + 3) u S_v`` (k terms,
``S_v = Σ |c_e| B_u + |c_b|``, u = 2^-53), which covers the rounding of the bounds and of
any evaluation order (fused multiply-adds included); an inexact activation (libm) by
``16 u max(1, S_v)`` more; the loss by :meth:`Loss.interval_slack`.

**Affine bounds** (:func:`static_margins`): for node v, ``T_v`` bounds
``|c_v| + Σ_j |a_vj| + e_v`` of its affine form (inputs: 1; an affine node:
``T_s = Σ |c_e| T_u + |c_b|`` because a parameter weight has ``|W0| + |W1| <= |c|``; an
activation: :meth:`Activation.relax_magnitude`, e.g. ``3 T_s + 1`` when the relaxation's
slope lies in [0, 1] and its offsets within ``2 T_s + 1``). A floating-point sum or
product of k such terms differs from the exact one by at most ``γ_k Σ|terms|`` with
``γ_k = k u / (1 - k u)`` whatever the association order (fast-math reassociation and
fused multiply-adds included). Hence:

* each node adds ``node_slack[v] = 8 (deg_v + 10) u T_s`` to its error radius (rounding
  of its own centre, coefficients and radius and of its ranges);
* each activation adds ``act_slack[v] = 80 u (T_v + 1)`` for the rounding of the
  relaxation, 4x more for an inexact one;
* the sums over the data and the final combination lose at most
  ``margin(D) = 4 u (N + 3)(D + N + 8m + 32) T_loss`` on the mean, where ``T_loss``
  (:meth:`Loss.minorant_magnitude`, plus :meth:`Regularizer.minorant_magnitude`) bounds
  every per-point term of the loss minorant.

They are about 1e-12 for the networks of the benchmarks, far below any gap one asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain.components import Loss, Regularizer

__all__ = ["StaticMargins", "static_margins", "node_bounds", "node_slack", "loss_slack",
           "loss_magnitude", "output_bounds"]

_U = 2.0**-53


def node_bounds(net: Any) -> np.ndarray:
    """Bound ``B_v >= |z_v|`` of every node over ``x ∈ [-1,1]^n``, ``φ ∈ [-1,1]^N``
    (``B_v = value_bound(Σ_e |c_e| B_u + |c_b|)`` of the node's activation).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> node_bounds(dense([2, 3, 1], activation="tanh")).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 4.0]
    """
    B = np.ones(net.n_nodes)
    for i, v in enumerate(net.nodes):
        b = sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(v.bias[1])
        B[net.n_inputs + i] = v.activation.value_bound(b)
    return B


def node_slack(net: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per computed node: slack of the affine sum and of the activation value."""
    B = node_bounds(net)
    slack = np.zeros(len(net.nodes))
    act = np.zeros(len(net.nodes))
    for i, v in enumerate(net.nodes):
        s = sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(v.bias[1])
        slack[i] = 2.5 * (len(v.inputs) + 3) * _U * s
        if not v.activation.exact:
            act[i] = 16.0 * _U * max(1.0, s)
    return slack, act


def output_bounds(net: Any) -> list[float]:
    """``B_o`` of the outputs, widened by 1e-12 relative."""
    B = node_bounds(net)
    return [float(B[o] * (1.0 + 1e-12)) for o in net.outputs]


def loss_magnitude(net: Any, loss: Loss) -> float:
    """Static bound of ``|ℓ(f(x, φ), y)|`` over the unit box."""
    return loss.magnitude(output_bounds(net))


def loss_slack(net: Any, loss: Loss) -> float:
    """Rounding slack added to the interval bounds of the loss."""
    return loss.interval_slack(output_bounds(net))


@dataclass(frozen=True)
class StaticMargins:
    """Static slacks (by node id) and the final margin of one (network, loss)."""

    magnitude: tuple[float, ...]
    node_slack: dict[int, float]
    act_slack: dict[int, float]
    loss_magnitude: float
    n_params: int
    n_outputs: int
    #: Relative widening of a box's radius (covers the rounding of centre and radius).
    radius_slack: float = 4.0 * _U

    def margin(self, D: int, regularizer: Regularizer | None = None) -> float:
        """Absolute margin subtracted from the bound of the mean risk over D points.

        Examples
        --------
        >>> from lptrain.nn import dense, get_loss
        >>> m = static_margins(dense([2, 1, 1]), get_loss("abs"))
        >>> 0 < m.margin(1000) < 1e-10
        True
        """
        N, m = self.n_params, self.n_outputs
        total = self.loss_magnitude
        if regularizer is not None:
            total += regularizer.minorant_magnitude(N)
        return 4.0 * _U * (N + 3) * (D + N + 8 * m + 32) * total


def static_margins(net: Any, loss: Loss) -> StaticMargins:
    """Magnitude bounds ``T_v`` and the slacks of :class:`StaticMargins` (module docstring)."""
    T = np.ones(net.n_nodes)
    node_s: dict[int, float] = {}
    act_s: dict[int, float] = {}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        ts = sum(abs(c) * T[u] for u, _, c in node.inputs) + abs(node.bias[1])
        deg = len(node.inputs) + 1
        node_s[v] = float(8.0 * (deg + 10) * _U * ts)
        act = node.activation
        T[v] = act.relax_magnitude(ts)
        act_s[v] = 0.0 if act.passthrough else float(
            80.0 * _U * (T[v] + 1.0) * (1.0 if act.exact else 4.0))
    t_loss = loss.minorant_magnitude([float(T[o]) for o in net.outputs])
    return StaticMargins(tuple(float(t) for t in T), node_s, act_s, float(t_loss), net.N,
                         net.m)
