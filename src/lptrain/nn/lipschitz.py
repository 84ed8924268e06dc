"""The architecture Lipschitz constant (Definition 2.2 / B.1) as §4 derives it.

L is the ∞-norm Lipschitz constant of ``(x, φ, y) ↦ ℓ(f(x, φ), y) + λR(φ)`` over
``[-1, 1]^n × Φ × [-1, 1]^m`` (the data are variables too). The paper's derivation
(``method="paper"``, the default):

* Lemma 4.1 / 4.5: with Δ the maximum in-degree, node values of layer i are bounded by
  ``U_i = Σ_{j=0}^{i} Δ^j`` (``U_0 = 1``: inputs lie in [-1, 1]); the layer of a node is
  the longest path from an input;
* Corollary 4.2: a node computation of layer i is ``w̃_i = 2 Σ_{j=0}^{i} Δ^j``-Lipschitz
  in its inputs and parameters (its gradient has 1-norm ``<= Δ U_{i-1} + Δ + 1 <= 2U_i``);
  1-Lipschitz activations with ``a(0) = 0`` keep both bounds, so the layer factors
  multiply;
* §4.3: ``L = L∞(ℓ) · Π_{i=1}^{k} w̃_i + λ L(R)``, with ``L∞(ℓ)`` over
  ``[-U_k, U_k]^m × [-1, 1]^m`` and ``L(R)`` from Appendix B (λN for ℓ1, 2λN for ℓ2²).

``method="refined"`` propagates per-node value bounds ``B_v`` and sensitivities ``S_v``
instead (actual in-degrees and constant weights, tanh/hard tanh bounded by 1):
``B_v = Σ_e |c_e| B_u + |c_b|``, ``S_v = Σ_e |c_e| S_u + Σ_{param e} |c_e| B_u + |c_b|·[b is
a parameter]``; it is never larger than the paper's constant and is equally sound.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lptrain._validation import check_choice
from lptrain.components import Loss, Regularizer, get_loss, get_regularizer
from lptrain.kernels.margins import node_bounds
from lptrain.nn.architecture import Network

__all__ = ["LipschitzReport", "architecture_lipschitz", "node_bounds"]


@dataclass(frozen=True)
class LipschitzReport:
    """The constants of §4 for one (network, loss, regularizer).

    Attributes
    ----------
    U : tuple
        Value bounds ``U_0 .. U_k`` per layer (Lemma 4.1).
    layer_factors : tuple
        ``w̃_1 .. w̃_k`` (Corollary 4.2; for ``refined``, growth of the sensitivity).
    loss_constant : float
        ``L∞(ℓ)`` over ``[-U_out, U_out]^m × [-1, 1]^m`` (§4.3).
    network_constant : float
        ``Π_i w̃_i``.
    lipschitz : float
        ``L = loss_constant · network_constant + regularizer_constant``.
    """

    method: str
    loss: str
    depth: int
    max_in_degree: int
    U: tuple[float, ...]
    layer_factors: tuple[float, ...]
    output_bound: float
    loss_constant: float
    network_constant: float
    regularizer: str | None
    regularizer_constant: float
    lipschitz: float

    @property
    def w_tilde(self) -> tuple[float, ...]:
        """Alias of :attr:`layer_factors` in the paper's notation."""
        return self.layer_factors

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (integers stay integers)."""
        d = asdict(self)
        d["U"], d["layer_factors"] = list(self.U), list(self.layer_factors)
        return d


def _check_loss_theory(loss: Loss) -> None:
    if not loss.in_theory:
        raise loss.outside_theory()


def architecture_lipschitz(network: Network, loss: str | Loss,
                           regularizer: str | Regularizer | None = None, *,
                           method: str = "paper") -> LipschitzReport:
    """Architecture Lipschitz constant L of Definition 2.2 (B.1 with a regularizer).

    Raises OutsideTheoryError for a component the theory does not cover (step
    activation, Hamming loss; for ``paper`` also a weight coefficient outside [-1, 1]).

    Examples
    --------
    >>> from lptrain.nn.builders import dense
    >>> r = architecture_lipschitz(dense([2, 3, 1]), "abs")
    >>> r.U, r.layer_factors, r.loss_constant, r.lipschitz
    ((1, 4, 13), (8, 26), 2.0, 416.0)
    >>> architecture_lipschitz(dense([2, 3, 1]), "abs", method="refined").lipschitz
    50.0
    """
    lo, reg = get_loss(loss), get_regularizer(regularizer)
    mode = check_choice("method", method, ("paper", "refined"))
    _check_loss_theory(lo)
    if mode == "paper":
        network.check_theory()
        delta, k = network.max_in_degree, network.depth
        U = tuple(sum(delta**j for j in range(i + 1)) for i in range(k + 1))
        factors: tuple[float, ...] = tuple(2 * U[i] for i in range(1, k + 1))
        out_bound: float = U[k]
        loss_c = lo.lipschitz(network.m, float(out_bound))
    else:
        network.check_theory(weights=False)
        B, S = _bounds_and_sensitivities(network)
        layers = np.asarray(network.layers)
        U = tuple(float(B[layers == i].max()) for i in range(network.depth + 1))
        prefix = np.maximum.accumulate(
            [max(1.0, float(S[layers == i].max())) for i in range(network.depth + 1)])
        factors = tuple(float(prefix[i] / prefix[i - 1]) for i in range(1, len(prefix)))
        out_bound = float(max(B[o] for o in network.outputs))
        loss_c = lo.lipschitz_refined(network.m, out_bound)
    net_c = float(math.prod(factors))
    reg_c = reg.lipschitz(network.N) if reg is not None else 0.0
    return LipschitzReport(
        method=mode, loss=lo.name, depth=network.depth, max_in_degree=network.max_in_degree,
        U=U, layer_factors=factors, output_bound=out_bound, loss_constant=loss_c,
        network_constant=net_c, regularizer=reg.spec if reg is not None else None,
        regularizer_constant=reg_c, lipschitz=loss_c * net_c + reg_c)


def _bounds_and_sensitivities(net: Network) -> tuple[np.ndarray, np.ndarray]:
    B = node_bounds(net)
    S = np.ones(net.n_nodes)
    for i, v in enumerate(net.nodes):
        bp, bc = v.bias
        s = sum(abs(c) * S[u] + (abs(c) * B[u] if p >= 0 else 0.0) for u, p, c in v.inputs)
        S[net.n_inputs + i] = s + (abs(bc) if bp >= 0 else 0.0)
    return B, S
