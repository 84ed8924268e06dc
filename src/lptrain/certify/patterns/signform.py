"""The sign form of a one-hidden-layer ReLU network (SPEC §9, "rescaling into signs").

A dense network ``f(x) = c + Σ_j a_j σ(w_j · x + b_j)`` with a positively homogeneous
activation σ (ReLU, or leaky ReLU with slope α ∈ [0, 1]: ``σ(st) = s σ(t)`` for ``s >= 0``)
and parameters in the box ``[-1, 1]^N`` satisfies, with ``u_j = (w_j, b_j)`` and
``x̃ = (x, 1)``,

    ``a_j σ(u_j · x̃) = s_j σ(v_j · x̃)``,  ``s_j = sign(a_j)``, ``v_j = |a_j| u_j``.

``|a_j| <= 1`` and ``u_j ∈ [-1, 1]^{n+1}`` put ``v_j`` in ``[-1, 1]^{n+1}``; conversely
every ``v ∈ [-1, 1]^{n+1}`` and sign s is reached by ``(u, a) = (v / ||v||_∞, s ||v||_∞)``
(and ``v = 0`` by ``a = 0``). So over Φ the network class is exactly

    ``{c + Σ_j s_j σ(v_j · x̃) : v_j ∈ [-1, 1]^{n+1}, s_j = ±1, c ∈ [-1, 1]}``,

with no product of parameters left. Units of equal sign are interchangeable, so the search
may fix ``k`` positive and ``h - k`` negative units (``k = 0..h``) and order each group.

**Weight decay.** With the regularizer ``λ ||φ||²`` (``l2:λ``) the same unit contributes
``λ (a_j² + ||u_j||²)``; for a given ``v_j = |a_j| u_j`` the least value over the
representations with ``|a| <= 1`` and ``||u||_∞ <= 1`` is

    ``R(v) = λ · 2 ||v||_2`` if ``||v||_2 <= 1``, else ``λ (1 + ||v||_2²)``

(minimize ``a² + ||v||²/a²`` over ``a ∈ [||v||_∞, 1]``: the unconstrained minimizer
``a² = ||v||_2`` is never below ``||v||_∞²``, so ``a² = min(||v||_2, 1)``). R is convex,
non-decreasing in ``||v||_2``, and ``R(v) >= 2λ ||v||_2`` everywhere (``1 + t² >= 2t``).
The output bias adds ``λ c²``. With ``l1:λ`` the analogous function ``2λ sqrt(||v||_1)``
is not convex; the pattern search does not take ℓ1 (the box search does).

A hidden layer without biases (``x̃ = x``) and an output bias fixed to a constant are
supported; so is a network with one output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lptrain.certify.patterns.cones import QMAX
from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss
from lptrain.nn.regularizers import Regularizer

__all__ = ["SignForm", "sign_form", "to_params", "from_params", "LOSS_CODES"]

#: Losses the pattern search bounds (convex in the network output).
LOSS_CODES = {"abs": 0, "quadratic": 1, "hinge": 2}


@dataclass(frozen=True)
class SignForm:
    """How a network maps onto the sign form, or why it does not.

    Attributes
    ----------
    ok : bool
        True when the pattern search applies; otherwise ``reason`` says why.
    n, h : input dimension and number of hidden units.
    bias : bool
        The hidden units have (free) biases, so ``x̃ = (x, 1)`` and ``q = n + 1``.
    alpha : float
        Leaky-ReLU slope (0 for ReLU).
    c_index : int
        Index of the output bias in φ, or -1 when it is the constant ``c_fixed``.
    w_index, b_index, a_index : arrays
        φ indices of the hidden weights (h, n), biases (h,) (-1 without), output weights (h,).
    lam : float
        Weight of the l2 regularizer (0 without).
    """

    ok: bool
    reason: str
    n: int = 0
    h: int = 0
    bias: bool = True
    alpha: float = 0.0
    c_index: int = -1
    c_fixed: float = 0.0
    w_index: np.ndarray | None = None
    b_index: np.ndarray | None = None
    a_index: np.ndarray | None = None
    lam: float = 0.0

    @property
    def q(self) -> int:
        """Dimension of one unit's parameter v."""
        return self.n + (1 if self.bias else 0)


def _refuse(reason: str) -> SignForm:
    return SignForm(False, reason)


def sign_form(network: Network, loss: Loss, regularizer: Regularizer | None) -> SignForm:
    """Check that ``network`` is a dense one-hidden-layer ReLU / leaky-ReLU network with
    one output whose parameters are free in ``[-1, 1]^N`` (hidden biases free or absent,
    output bias free or constant), with a loss of :data:`LOSS_CODES` and no regularizer or
    ``l2``; return the index maps, or ``ok=False`` with the reason.

    Examples
    --------
    >>> from lptrain.nn import dense, get_loss
    >>> sf = sign_form(dense([2, 3, 1]), get_loss("abs"), None)
    >>> sf.ok, sf.h, sf.q, sf.c_index
    (True, 3, 3, 12)
    >>> sign_form(dense([2, 3, 1], "tanh"), get_loss("abs"), None).reason
    "hidden activation 'tanh' is not positively homogeneous (relu or leaky_relu)"
    """
    if loss.name not in LOSS_CODES:
        return _refuse(f"loss {loss.name!r} (the pattern search takes "
                       f"{', '.join(LOSS_CODES)})")
    if regularizer is not None and regularizer.kind != "l2":
        return _refuse("an l1 regularizer has no convex sign form")
    if network.constraint is not None:
        return _refuse("a constraint A phi <= b")
    n = network.n_inputs
    if network.depth != 2 or network.m != 1:
        return _refuse(f"depth {network.depth} with {network.m} outputs (one hidden layer "
                       "and one output only)")
    hidden = [network.nodes[i] for i in range(len(network.nodes) - 1)]
    out = network.nodes[-1]
    if network.outputs != (n + len(hidden),) or out.activation.name != "identity":
        return _refuse("the output node must be the last node, with identity activation")
    acts = {v.activation.spec for v in hidden}
    if len(acts) != 1 or hidden[0].activation.name not in ("relu", "leaky_relu"):
        name = hidden[0].activation.name if hidden else "none"
        return _refuse(f"hidden activation {name!r} is not positively homogeneous "
                       "(relu or leaky_relu)")
    alpha = hidden[0].activation.alpha if hidden[0].activation.name == "leaky_relu" else 0.0
    h = len(hidden)
    W = np.full((h, n), -1, dtype=np.int64)
    B = np.full(h, -1, dtype=np.int64)
    used: list[int] = []
    for j, v in enumerate(hidden):
        if sorted(u for u, _, _ in v.inputs) != list(range(n)):
            return _refuse("hidden units must read every input once (a dense layer)")
        for u, p, coef in v.inputs:
            if p < 0 or coef != 1.0:
                return _refuse("hidden weights must be free parameters with coefficient 1")
            W[j, u] = p
        bp, bc = v.bias
        if bp >= 0 and bc == 1.0:
            B[j] = bp
        elif bp >= 0 or bc != 0.0:
            return _refuse("hidden biases must be free (coefficient 1) or absent")
    bias = bool((B >= 0).all())
    if not bias and (B >= 0).any():
        return _refuse("either every hidden unit has a bias or none has")
    if n + int(bias) > QMAX:
        return _refuse(f"{n} inputs{' plus a bias' if bias else ''}: the cone bounds "
                       f"enumerate the vertices of each unit's region in at most {QMAX} "
                       "dimensions")
    A = np.full(h, -1, dtype=np.int64)
    if sorted(u for u, _, _ in out.inputs) != list(range(n, n + h)):
        return _refuse("the output must read every hidden unit once")
    for u, p, coef in out.inputs:
        if p < 0 or coef != 1.0:
            return _refuse("output weights must be free parameters with coefficient 1")
        A[u - n] = p
    cp, cc = out.bias
    if cp >= 0 and cc != 1.0:
        return _refuse("the output bias must have coefficient 1")
    used = [*W.ravel().tolist(), *B[B >= 0].tolist(), *A.tolist()] + ([cp] if cp >= 0 else [])
    if sorted(used) != list(range(network.N)):
        return _refuse("every parameter must appear exactly once (no shared weights)")
    return SignForm(True, "", n, h, bias, float(alpha), int(cp), float(cc) if cp < 0 else 0.0,
                    W, B if bias else None, A, regularizer.lam if regularizer else 0.0)


def to_params(sf: SignForm, c: float, V: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Network parameters φ ∈ [-1, 1]^N of a sign-form point (c, V (h, q), signs (h,)).

    Without a regularizer each unit is scaled so that ``max |u| = 1`` and ``a = s ||v||_∞``;
    with ``l2`` the balanced representation ``a² = min(||v||_2, 1)`` attains ``R(v)``.

    Examples
    --------
    >>> from lptrain.nn import dense, get_loss, forward
    >>> net = dense([1, 2, 1])
    >>> sf = sign_form(net, get_loss("abs"), None)
    >>> V = np.array([[0.5, -0.25], [0.2, 0.1]]); s = np.array([1.0, -1.0])
    >>> phi = to_params(sf, 0.1, V, s)
    >>> x = np.array([[0.7]])
    >>> direct = 0.1 + 1.0 * max(0.5 * 0.7 - 0.25, 0) - max(0.2 * 0.7 + 0.1, 0)
    >>> bool(abs(forward(net, x, phi, backend="numpy")[0, 0, 0] - direct) < 1e-15)
    True
    """
    assert sf.w_index is not None and sf.a_index is not None
    N = int(sf.w_index.size + sf.a_index.size + (sf.h if sf.bias else 0)
            + (1 if sf.c_index >= 0 else 0))
    phi = np.zeros(N)
    V = np.asarray(V, dtype=np.float64).reshape(sf.h, sf.q)
    for j in range(sf.h):
        v = V[j]
        if sf.lam > 0.0:
            mag = float(np.sqrt(min(float(np.linalg.norm(v)), 1.0)))
            mag = max(mag, float(np.abs(v).max()))  # keeps u inside the box
        else:
            mag = float(np.abs(v).max())
        u = v / mag if mag > 0.0 else np.zeros_like(v)
        phi[sf.w_index[j]] = np.clip(u[: sf.n], -1.0, 1.0)
        if sf.bias:
            assert sf.b_index is not None
            phi[sf.b_index[j]] = float(np.clip(u[sf.n], -1.0, 1.0))
        phi[sf.a_index[j]] = float(signs[j]) * min(mag, 1.0)
    if sf.c_index >= 0:
        phi[sf.c_index] = float(np.clip(c, -1.0, 1.0))
    return phi


def from_params(sf: SignForm, phi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(c, V (h, q), signs (h,))`` of network parameters (the inverse map; a unit with
    ``a = 0`` gets ``v = 0`` and sign +1)."""
    assert sf.w_index is not None and sf.a_index is not None
    phi = np.asarray(phi, dtype=np.float64)
    a = phi[sf.a_index]
    U = phi[sf.w_index]
    if sf.bias:
        assert sf.b_index is not None
        U = np.column_stack([U, phi[sf.b_index]])
    V = np.abs(a)[:, None] * U
    signs = np.where(a < 0, -1.0, 1.0)
    c = float(phi[sf.c_index]) if sf.c_index >= 0 else sf.c_fixed
    return c, V, signs
