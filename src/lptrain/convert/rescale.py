"""Exact reparametrizations that move a model into the box of the certificate.

Two moves, both leaving the network function unchanged (docs/certify.md, "Their models,
certified", has the proofs):

* :func:`rescale_into_box` — ReLU-like hidden units (positively homogeneous: relu,
  leaky_relu, identity) computes the same network for ``(θ_in / s, s θ_out)``, ``s > 0``.
  Layer by layer, each such unit takes the least scale that brings its incoming weights and
  bias into ``[-R, R]``; scales are powers of two when that suffices, so every product is
  exact in floating point and the rescaled network gives bit-for-bit the same outputs.
  Output units, other activations, shared or constant weights are not moved: when one of
  those is outside the box no rescaling can help, and the result says which parameter and
  what radius would contain it.
* :func:`scale_box` / :func:`scale_regularizer` — a certificate over ``Φ_R = [-R, R]^N`` of
  a network is a certificate over ``[-1, 1]^N`` of the network whose parameter coefficients
  are multiplied by R (``c·φ = (cR)·(φ/R)``); regularizer weights become ``λR`` (l1) and
  ``λR²`` (l2).

:func:`fold_scalers` writes a range scaling of the data (:class:`lptrain.data.UnitScaler`)
into the first and last layers, so that a model trained on raw data computes the same
predictions from the scaled data the certificate needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lptrain._validation import check_array, check_float
from lptrain.data import UnitScaler
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network, Node, PhiConstraint
from lptrain.nn.regularizers import Regularizer, get_regularizer

__all__ = ["Rescaled", "rescale_into_box", "scale_box", "scale_regularizer", "fold_scalers",
           "HOMOGENEOUS"]

#: Activations with ``a(s t) = s a(t)`` for ``s > 0``.
HOMOGENEOUS: tuple[str, ...] = ("relu", "leaky_relu", "identity")


@dataclass(frozen=True)
class Rescaled:
    """Result of :func:`rescale_into_box`.

    Attributes
    ----------
    params : ndarray (N,)
        The rescaled φ (the given φ when nothing needed to move, or nothing could).
    in_box : bool
        ``max |params| <= radius``.
    changed : bool
        Whether any unit was rescaled.
    exact : bool
        Scales are powers of two: the outputs are bit-for-bit those of the given φ.
    scales : dict
        ``{node id: s}`` for every rescaled unit (incoming divided by s, outgoing times s).
    needed_radius : float
        ``max |params|``: the least box radius that contains the result.
    stuck : tuple of str
        Names of the parameters still outside ``[-radius, radius]`` and why.
    """

    params: np.ndarray
    in_box: bool
    changed: bool
    exact: bool
    scales: dict[int, float]
    needed_radius: float
    stuck: tuple[str, ...]


def _units(net: Network) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
    """``(node, incoming params, outgoing params)`` of the hidden units that can be rescaled:
    homogeneous activation, not an output, incoming weights and bias free parameters (or the
    constant 0) used nowhere else, outgoing weights free parameters used nowhere else."""
    uses: dict[int, list[tuple[str, int, int]]] = {}
    outgoing: dict[int, list[int]] = {}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        for u, p, _ in node.inputs:
            outgoing.setdefault(u, []).append(p)
            if p >= 0:
                uses.setdefault(p, []).append(("edge", v, u))
        if node.bias[0] >= 0:
            uses.setdefault(node.bias[0], []).append(("bias", v, -1))
    found = []
    outs = set(net.outputs)
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        if v in outs or node.activation.name not in HOMOGENEOUS:
            continue
        spec = (*node.inputs, (0, *node.bias))
        if any(p < 0 and c != 0.0 for _, p, c in spec):
            continue
        inc = tuple(sorted({p for _, p, _ in spec if p >= 0}))
        out = outgoing.get(v, [])
        if not inc or not out or any(p < 0 for p in out):
            continue
        ok_in = all(all(w == v for _, w, _ in uses[p]) for p in inc)
        ok_out = all(all(kind == "edge" and src == v for kind, _, src in uses[p]) for p in out)
        if ok_in and ok_out:
            found.append((v, inc, tuple(sorted(set(out)))))
    return found


def _apply(phi: np.ndarray, units: list[tuple[int, tuple[int, ...], tuple[int, ...]]],
           radius: float, power_of_two: bool) -> tuple[np.ndarray, dict[int, float]]:
    cur = phi.copy()
    scales: dict[int, float] = {}
    for v, inc, out in units:  # topological order: upstream scales are already applied
        m = float(np.max(np.abs(cur[list(inc)])))
        if m == 0.0:  # a dead unit outputs a(0) = 0: its outgoing weights do not matter
            cur[list(out)] = 0.0
            scales[v] = 0.0
            continue
        s = m / radius
        if power_of_two:
            s = math.ldexp(1.0, math.ceil(math.log2(s)))
            if s * radius < m:  # log2 rounding
                s *= 2.0
        if s != 1.0:
            cur[list(inc)] = cur[list(inc)] / s
            cur[list(out)] = cur[list(out)] * s
            scales[v] = s
    return cur, scales


def rescale_into_box(network: Network, params: Any, radius: float = 1.0) -> Rescaled:
    """Move φ into ``[-radius, radius]^N`` by rescaling ReLU-like hidden units, the network
    function unchanged (positive homogeneity; module docstring).

    Nothing moves when φ is already inside. Otherwise every eligible unit takes the least
    scale that brings its incoming weights and bias inside (in topological order, so that
    upstream scales enter): the least scales make every later constraint easiest, so when
    this fails no rescaling of these units succeeds. Powers of two are tried first (exact
    in floating point), then exact quotients.

    Examples
    --------
    >>> from lptrain.nn import dense, forward
    >>> net = dense([1, 1, 1])              # h = relu(w x + b), out = v h + c
    >>> phi = np.array([4.0, -2.0, 0.125, 0.5])
    >>> r = rescale_into_box(net, phi)
    >>> r.params.tolist(), r.in_box, r.exact, r.scales
    ([1.0, -0.5, 0.5, 0.5], True, True, {1: 4.0})
    >>> X = np.array([[0.3], [-0.7]])
    >>> bool((forward(net, X, phi[None]) == forward(net, X, r.params[None])).all())
    True
    >>> rescale_into_box(net, [4.0, -2.0, 0.125, 3.0]).stuck
    ('layer2.bias[0] = 3 (an output unit: its weights cannot be rescaled)',)
    """
    R = check_float("box radius", radius, 0.0, lo_open=True)
    phi = check_array("params", params, ndim=1)
    if phi.size != network.N:
        raise InvalidInputError(f"params has {phi.size} entries but the network has "
                                f"N={network.N}")
    if float(np.max(np.abs(phi), initial=0.0)) <= R:
        return Rescaled(phi.copy(), True, False, True, {}, float(np.max(np.abs(phi),
                        initial=0.0)), ())
    units = _units(network)
    for exact in (True, False):
        cur, scales = _apply(phi, units, R, exact)
        if float(np.max(np.abs(cur))) <= R:
            return Rescaled(cur, True, bool(scales), exact, scales,
                            float(np.max(np.abs(cur))), ())
    cur, _ = _apply(phi, units, R, True)
    movable = {p for _, inc, out in units for p in (*inc, *out)}
    outs = set(network.outputs)
    owner: dict[int, int] = {}
    for i, node in enumerate(network.nodes):
        for _, p, _ in (*node.inputs, (0, *node.bias)):
            if p >= 0:
                owner.setdefault(p, network.n_inputs + i)
    names = network.param_names
    stuck = []
    for q in np.flatnonzero(np.abs(cur) > R):
        p = int(q)
        why = ("an output unit: its weights cannot be rescaled" if owner.get(p, -1) in outs
               else "its unit cannot be rescaled (activation, sharing or constants)"
               if p not in movable else "outgoing weight of rescaled units")
        stuck.append(f"{names[p]} = {cur[p]:.6g} ({why})")
    return Rescaled(phi.copy(), False, False, True, {}, float(np.max(np.abs(cur))),
                    tuple(stuck))


def scale_box(network: Network, radius: float) -> Network:
    """The network whose parameter coefficients are multiplied by ``radius``: with
    ``φ' = φ / radius``, ``scale_box(net, R)`` at φ' computes ``net`` at φ, so
    ``min_{φ∈[-R,R]^N} ERM_net = min_{φ'∈[-1,1]^N} ERM_scaled`` (docs/certify.md). A
    constraint ``Aφ <= b`` becomes ``(RA)φ' <= b``.

    Examples
    --------
    >>> from lptrain.nn import dense, forward
    >>> net = dense([1, 2, 1])
    >>> phi = np.array([3.0, -1.0, 0.5, 2.0, -4.0, 1.5, 0.25])
    >>> X = np.array([[0.5], [-0.25]])
    >>> big = scale_box(net, 4.0)
    >>> bool(np.allclose(forward(big, X, phi[None] / 4), forward(net, X, phi[None])))
    True
    """
    R = check_float("box radius", radius, 0.0, lo_open=True)
    if R == 1.0:
        return network

    def w(p: int, c: float) -> float:
        return c * R if p >= 0 else c

    nodes = tuple(Node(tuple((u, p, w(p, c)) for u, p, c in v.inputs),
                       (v.bias[0], w(*v.bias)), v.activation) for v in network.nodes)
    con = network.constraint
    if con is not None:
        con = PhiConstraint(tuple(tuple(a * R for a in row) for row in con.A), con.b, con.tol)
    return replace(network, nodes=nodes, constraint=con)


def scale_regularizer(regularizer: str | Regularizer | None, radius: float
                      ) -> Regularizer | None:
    """``λR(φ)`` written in ``φ' = φ / radius``: ``l1:λ → l1:λR``, ``l2:λ → l2:λR²``.

    Examples
    --------
    >>> scale_regularizer("l1:0.5", 4.0).spec, scale_regularizer("l2:0.5", 4.0).spec
    ('l1:2.0', 'l2:8.0')
    """
    reg = get_regularizer(regularizer)
    if reg is None:
        return None
    R = check_float("box radius", radius, 0.0, lo_open=True)
    return Regularizer(reg.kind, reg.lam * (R if reg.kind == "l1" else R * R))


def _single_use(net: Network) -> dict[int, tuple[str, int, int]]:
    """Where each parameter is used, when every parameter is used exactly once."""
    where: dict[int, tuple[str, int, int]] = {}
    for i, node in enumerate(net.nodes):
        v = net.n_inputs + i
        for u, p, _ in node.inputs:
            if p >= 0:
                if p in where:
                    raise InvalidInputError("folding a data scaling into the weights needs "
                                            f"unshared parameters; parameter {p} is shared")
                where[p] = ("in", v, u)
        if node.bias[0] >= 0:
            where[node.bias[0]] = ("bias", v, -1)
    return where


def fold_scalers(network: Network, params: Any, scaler_x: UnitScaler | None = None,
                 scaler_y: UnitScaler | None = None) -> np.ndarray:
    """φ' such that the network at φ' on scaled data computes the model at φ on raw data,
    scaled: ``f(x_s; φ') = (f(c_x + h_x x_s; φ) - c_y) / h_y``.

    With ``x = c + h x_s`` an edge weight w from input u becomes ``w h_u`` and its node's
    bias gains ``w c_u``; an output o (identity activation) gets weights ``/ h_y`` and bias
    ``(b - c_y) / h_y``. Needs unshared parameters and a bias on those nodes.

    Examples
    --------
    >>> from lptrain.nn import dense, forward
    >>> net = dense([1, 1])                      # f(x) = w x + b
    >>> sx = UnitScaler(np.array([10.0]), np.array([5.0]))   # x in [5, 15]
    >>> sy = UnitScaler(np.array([100.0]), np.array([50.0]))
    >>> phi = fold_scalers(net, [2.0, 70.0], sx, sy)
    >>> phi.tolist(), float(forward(net, sx.transform([[15.0]]), phi[None])[0, 0, 0])
    ([0.2, -0.2], 0.0)
    """
    phi = check_array("params", params, ndim=1).copy()
    if phi.size != network.N:
        raise InvalidInputError(f"params has {phi.size} entries but the network has "
                                f"N={network.N}")
    where = _single_use(network)
    if scaler_x is not None:
        c, h = np.asarray(scaler_x.center), np.asarray(scaler_x.half_range)
        if c.size != network.n:
            raise InvalidInputError(f"scaler_x has {c.size} columns but the network has "
                                    f"n={network.n} inputs")
        shift: dict[int, float] = {}
        for p, (role, v, u) in where.items():
            if role == "in" and u < network.n:
                shift[v] = shift.get(v, 0.0) + phi[p] * c[u]
        for p, (role, _, u) in where.items():
            if role == "in" and u < network.n:
                phi[p] = phi[p] * h[u]
        _add_to_bias(network, phi, shift)
    if scaler_y is not None:
        c, h = np.asarray(scaler_y.center), np.asarray(scaler_y.half_range)
        if c.size != network.m:
            raise InvalidInputError(f"scaler_y has {c.size} columns but the network has "
                                    f"m={network.m} outputs")
        for j, o in enumerate(network.outputs):
            node = network.nodes[o - network.n_inputs] if o >= network.n_inputs else None
            if node is None or node.activation.name != "identity" or node.bias[0] < 0:
                raise InvalidInputError("folding a target scaling needs output units with the "
                                        "identity activation and a bias")
            coef = node.bias[1]
            for p, (role, v, _) in where.items():
                if v == o:
                    phi[p] = (phi[p] - (c[j] / coef if role == "bias" else 0.0)) / h[j]
    return phi


def _add_to_bias(net: Network, phi: np.ndarray, shift: dict[int, float]) -> None:
    for v, amount in shift.items():
        p, coef = net.nodes[v - net.n_inputs].bias
        if amount != 0.0 and p < 0:
            raise InvalidInputError(f"node {v} has no bias parameter to absorb the input "
                                    "scaling's offset")
        if p >= 0:
            phi[p] += amount / coef
