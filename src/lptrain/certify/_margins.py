"""Static rounding margins of the affine box bounds.

Every quantity the bounding kernel computes for a box inside ``[-1, 1]^N`` and data in
``[-1, 1]`` is bounded by a static magnitude: for node v, ``T_v`` bounds
``|c_v| + Σ_j |a_vj| + e_v`` of its affine form (inputs: 1; an affine node:
``T_s = Σ |c_e| T_u + |c_b|`` because a parameter weight has ``|W0| + |W1| <= |c|``; an
activation: ``T_v <= 3 T_s + 1``, since the relaxation's slope lies in [0, 1] and its offsets
are bounded by ``2 T_s + 1`` for every 1-Lipschitz activation with ``a(0) = 0``, and by 1
for the step). A floating-point sum or product of k such terms differs from the exact one
by at most ``γ_k Σ|terms|`` with ``γ_k = k u / (1 - k u)``, ``u = 2^-53``, whatever the
association order (fast-math reassociation and fused multiply-adds included). Hence:

* each node adds ``node_slack[v] = 8 (deg_v + 10) u T_s`` to its error radius, which
  covers the rounding of its own centre, coefficients and radius and that of its ranges;
* each activation adds ``act_slack[v]`` for the rounding of the relaxation (slope, offsets;
  tanh/ELU values from libm are accurate to a few ulps: 4x more);
* the sums over the data and the final combination lose at most
  ``margin(D) = 4 u (N + 3)(D + N + 8m + 32) T_loss`` on the mean, where ``T_loss`` bounds
  every per-point term of the loss minorant (and of the regularizer).

The margins are static literals in the generated code: they cost nothing at run time. They
are about 1e-12 for the networks of the benchmarks, far below any gap one asks for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss
from lptrain.nn.regularizers import Regularizer

__all__ = ["StaticMargins", "static_margins"]

_U = 2.0**-53


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
            total += regularizer.lam * N * 3.0
        return 4.0 * _U * (N + 3) * (D + N + 8 * m + 32) * total


def static_margins(net: Network, loss: Loss) -> StaticMargins:
    """Magnitude bounds ``T_v`` and the slacks of :class:`StaticMargins` (module docstring)."""
    T = np.ones(net.n_nodes)
    node_slack: dict[int, float] = {}
    act_slack: dict[int, float] = {}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        ts = sum(abs(c) * T[u] for u, _, c in node.inputs) + abs(node.bias[1])
        deg = len(node.inputs) + 1
        node_slack[v] = float(8.0 * (deg + 10) * _U * ts)
        name = node.activation.name
        if name == "identity":
            T[v] = ts
            act_slack[v] = 0.0
        else:
            T[v] = 1.0 if name == "step" else 3.0 * ts + 1.0
            act_slack[v] = float(80.0 * _U * (T[v] + 1.0)
                                  * (4.0 if not node.activation.exact else 1.0))
    To = np.asarray([T[o] for o in net.outputs])
    m = net.m
    t_loss = {
        "abs": float((To + 1.0).sum()),
        "quadratic": float((3.0 * (To + 1.0) ** 2).sum()),
        "hinge": float(1.0 + To.sum()),
        "cross_entropy": 4.0 * (m + 1) * m * (float(To.max()) + math.log(m) + 1.0),
        "hamming": float(m),
    }[loss.name]
    return StaticMargins(tuple(float(t) for t in T), node_slack, act_slack, t_loss,
                         net.N, m)
