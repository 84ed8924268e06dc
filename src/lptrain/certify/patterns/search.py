"""Branch and bound over activation patterns (the pattern search).

The search works on the sign form (:mod:`lptrain.certify.patterns.signform`). Its roots are
the ``h + 1`` sign classes (k positive units, ``h - k`` negative, units of one sign ordered
by their bias — or first weight — so that each class is searched once, not ``k!(h-k)!``
times). A node constrains each unit's parameters to a region ``P_j`` (the box cut by
half-spaces ``±x̃_d · v_j >= 0``: fixed signs of pre-activations); its lower bound is the
certified relaxation bound of :mod:`lptrain.certify.patterns.relaxation`, and it is split
on the (unit, data point) whose relaxation error is largest at the relaxation's solution:
one child with ``x̃_d · v_j >= 0``, one with ``<= 0``. Their union is the node, so

**invariant** (what makes the result a proof): every point of a root lies in an open node,
in a node dropped with bound ``>= threshold`` or closed as exact (``floor`` keeps the least
such bound), or in a node whose ordering constraints admit no point. Hence
``min(best, floor, least open bound)`` is a lower bound of the minimum at any moment.

**Orbital branching** (the hull-only search, ``PatternProblem.orbits``): the unit-hull
bound drops the bias ordering, so there the units of one sign are not ordered; instead a
split of unit j on point d, when other units of j's sign have exactly j's cuts (the orbit
O: the same region, so swapping any two of them maps the node onto itself and keeps the
risk), gives the children "``x̃_d · v_j >= 0``" and "``x̃_d · v_k <= 0`` for every k in
O". A point of the node with some unit of O active at d becomes, after swapping that unit
with j, a point of the first child with the same risk; every other point is in the
second. So the invariant holds up to a permutation of units of one sign — every point
of a root *or a permutation of it* lies in such a node — and the lower bound is the same
statement about the minimum. The relaxation's bias ordering would contradict those swaps,
so with orbital branching the nodes the relaxation decides are bounded without it.

**Lazy certificates** (the hull-only search, ``PatternProblem.hull_lazy``): a node whose
master's value is below the threshold is split whatever its certificate says, so it may
be left uncertified. Its bound is then its parent's (its region is a subset of the
parent's, so that bound holds for it) and the queue orders it by its master's value (a
``key``, never used as a bound); it keeps its multipliers and is certified at them when
it reaches the threshold unsplit (then dropped only if the certificate reaches it too),
or to raise the reported bound. The invariant and the lower bound speak of bounds, not
keys.

Every bounded node also yields a candidate (the relaxation's solution, a network), whose
true risk is an upper bound; the best candidates are improved by solving the exact convex
problem of their activation pattern (a node with every sign fixed is exact).
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from lptrain.certify.patterns.cones import QMAX, RMAX
from lptrain.certify.patterns.hull import applies as hull_applies
from lptrain.certify.patterns.hull import certify_node, hull_bound, hull_node, region_facets
from lptrain.certify.patterns.relaxation import EXACT, INFEASIBLE, PRUNED, bound_nodes
from lptrain.certify.patterns.signform import LOSS_CODES, SignForm

__all__ = ["PatternProblem", "PatternSearch"]

#: the hull-only search's settings, which ``PatternProblem.from_signform`` sets for two
#: inputs and three or more units (every other problem keeps the fields' defaults):
#: the 3-D hull, in-out share 0.5, lazy share 2, at most 10 Kelley rounds a node
HULL_ONLY_3D: Mapping[str, Any] = MappingProxyType(
    {"hull_3d": True, "hull_stab": 0.5, "hull_lazy": 2.0, "hull_rounds": 10})

#: the lazy nodes' stored multipliers take at most this much memory (then nodes are
#: certified when bounded, as without ``hull_lazy``)
_MU_BYTES = 1 << 28


@dataclass(frozen=True)
class PatternProblem:
    """The data of a sign-form ERM: ``Xt`` (D, q) data with a column of ones when the
    units have biases, labels ``y`` (D,), the loss code, leaky slope, output bias range
    and weight-decay λ."""

    Xt: np.ndarray
    y: np.ndarray
    loss: int
    alpha: float
    h: int
    c_free: bool
    c_lo: float
    c_hi: float
    c_fixed: float
    lam: float
    #: envelope-facet passes per node after the chord pass (relaxation.node_bound)
    refine: int = 1
    #: Kelley rounds of the unit-hull bound (hull.py) on nodes the relaxation does not
    #: prune; 0 turns it off (it applies to the absolute loss without weight decay;
    #: ``from_signform`` sets 10 for the hull-only search of two inputs, HULL_ONLY_3D)
    hull_rounds: int = 30
    #: the unit-hull bound for two inputs too (q = 3; ``from_signform`` turns it on for
    #: three or more units, it was measured slower on 2-2-1, see docs/patterns.md); one
    #: input (q = 2) takes it whenever ``hull_rounds > 0``
    hull_3d: bool = False
    #: bound and split nodes by the unit-hull bound alone (its mixture says where to
    #: split), the relaxation only where it cannot decide (wherever the bound applies)
    hull_branch: bool = True
    #: q = 3: when the walk over the arrangement finds no new row, walk again from this
    #: many of the unit's latest rows (-1: sweep every loop, exact but ~0.2 s per unit at
    #: D = 1000); only the final certificate needs every loop
    hull_restarts: int = 4
    #: in-out separation of the unit-hull bound's Kelley rounds: price at this mix of the
    #: best multipliers so far and the master's (0: Kelley's plain rounds)
    hull_stab: float = 0.0
    #: orbital branching in the hull-only search: a split of a unit whose region equals
    #: that of other units of its sign gives the children "this unit active" and "all of
    #: them inactive" (module docstring); the relaxation's bias ordering is then dropped
    orbits: bool = True
    #: lazy certificates in the hull-only search: a node whose master's value is below
    #: the threshold is split whatever its certificate says, so when that value is at
    #: most this share of the target gap above its parent's bound it is not certified
    #: when bounded; it keeps its parent's bound, waits in the queue at its master's
    #: value, and is certified only if it reaches the threshold before it is split (to
    #: drop it) or to raise the reported lower bound (``hull_lift``); 0 turns it off
    #: (``from_signform`` sets 2 for two inputs and three or more units)
    hull_lazy: float = 0.0
    #: after each batch, certify up to this many waiting nodes with the least bounds, when
    #: they hold the lower bound down (the reported bound then keeps up with the search)
    hull_lift: int = 4

    @classmethod
    def from_signform(cls, sf: SignForm, loss: str, X: np.ndarray, Y: np.ndarray
                      ) -> PatternProblem:
        D = X.shape[0]
        Xt = np.column_stack([X, np.ones(D)]) if sf.bias else np.array(X, dtype=np.float64)
        # two inputs and three or more units: the hull-only search with in-out rounds
        # (2-3-1 to gap 0.01 in 523 s, where the relaxation was at 0.013 after 600 s);
        # two units keep the relaxation (22 s against 34 s; docs/patterns.md). Its
        # nodes stop after 10 Kelley rounds, not 30: more nodes, each far cheaper
        # (2-3-1 at D = 1000: 42 s against 58 s; docs/patterns.md, step 3b)
        three = Xt.shape[1] == 3 and sf.h >= 3
        return cls(np.ascontiguousarray(Xt, dtype=np.float64),
                   np.ascontiguousarray(Y[:, 0], dtype=np.float64), LOSS_CODES[loss],
                   sf.alpha, sf.h, sf.c_index >= 0, -1.0, 1.0, sf.c_fixed, sf.lam,
                   **(HULL_ONLY_3D if three else {}))

    @property
    def q(self) -> int:
        return int(self.Xt.shape[1])

    @property
    def k_ord(self) -> int:
        """The coordinate that orders units of equal sign (the bias when there is one)."""
        return self.q - 1


@dataclass
class _Node:
    lb: float
    root: int
    cons: tuple[np.ndarray, ...]
    unit: int
    point: int
    g: np.ndarray  # the affine minorant const + g·θ its bound proved (children reuse it)
    const: float
    #: the unit-hull bound's last vertices (h, q), or its mixtures' support (h, k, q)
    hull_v: np.ndarray | None = None
    #: the units the "inactive" child cuts: ``unit`` and the units interchangeable with it
    #: (same sign, same cuts); empty means ``(unit,)``
    orbit: tuple[int, ...] = ()
    #: a lazy node's multipliers, not yet certified (``PatternProblem.hull_lazy``; stored
    #: rounded to float32, which certify_node clips back into the box): ``lb`` is then
    #: the parent's bound and ``key`` the master's value
    mu: np.ndarray | None = None
    #: where it waits in the queue (best first): its bound, or a lazy node's master value
    key: float = -np.inf


class PatternSearch:
    """Best-first branch and bound over activation patterns, in batches.

    The interface is the one the certificate driver uses for the box search:
    :meth:`step`, :meth:`lower_bound`, :attr:`best`, :attr:`best_point` (sign form θ),
    :attr:`best_signs`, :attr:`nodes`, :attr:`rounds`, :attr:`done`, :attr:`at_node_limit`.

    Parameters
    ----------
    problem : PatternProblem
    threshold : callable ``() -> float``
        Nodes whose bound reaches it are dropped (``best - target gap``).
    batch : int
        Nodes expanded per step (each gives two children, bounded in parallel).
    max_open : int
        At this many open nodes :attr:`at_node_limit` turns true (memory stays bounded).
    bounder : callable, optional
        Replaces the in-process batch bounding (e.g. a Dask one); same signature as
        :func:`~lptrain.certify.patterns.relaxation.bound_nodes` minus the problem data.
    """

    def __init__(self, problem: PatternProblem, threshold: Any, *, batch: int = 16,
                 max_open: int = 500_000, max_iter: int = 60, bounder: Any = None) -> None:
        if problem.q > QMAX:
            raise ValueError(f"the pattern search takes at most {QMAX - 1} inputs")
        self.problem = problem
        self.threshold = threshold
        self.batch = int(batch)
        self.max_open = int(max_open)
        self.max_iter = int(max_iter)
        self._bounder = bounder
        h = problem.h
        self.roots = [np.array([1.0] * k + [-1.0] * (h - k)) for k in range(h, -1, -1)]
        self._pairs = []
        for sg in self.roots:
            pr = [(j, j + 1) for j in range(h - 1) if sg[j] == sg[j + 1]]
            arr = np.full((max(h - 1, 1), 2), -1, dtype=np.int64)
            if pr:
                arr[: len(pr)] = pr
            self._pairs.append(arr)
        self.heap: list[tuple[float, int, _Node]] = []
        self._count = itertools.count()
        self.best = np.inf
        self.best_point = np.full(self.p, np.nan)
        self.best_signs = self.roots[0].copy()
        self.floor = np.inf
        self.nodes = 0
        self.rounds = 0
        self.exact_nodes = 0
        self.pruned_early = 0  # children pruned by their parent's minorant, no LP solved
        self.iterations = 0
        self.hull_calls = 0
        self.hull_pruned = 0
        self.deferred = 0  # lazy nodes (certificate left for later)
        self.late = 0  # lazy nodes certified when they reached the threshold
        self.lifted = 0  # lazy nodes certified to raise the lower bound
        self._mu_bytes = 0
        self._least: float | None = None
        self._started = False
        #: the two best candidates of the last batch (θ, value, signs), for polishing
        self.last_candidates: list[tuple[np.ndarray, float, np.ndarray]] = []

    @property
    def p(self) -> int:
        """Dimension of θ = (c, v_1, ..., v_h)."""
        return (1 if self.problem.c_free else 0) + self.problem.h * self.problem.q

    # ----- state -----------------------------------------------------------------------
    def lower_bound(self) -> float:
        """A lower bound of the sign-form minimum (valid at any moment); never below 0,
        since every loss and regularizer the search takes is nonnegative."""
        if not self._started:
            return -np.inf
        if self._least is None:  # the queue moved: its least bound (not its least key)
            self._least = min((n.lb for _, _, n in self.heap), default=np.inf)
        return max(0.0, float(min(self.best, self.floor, self._least)))

    @property
    def done(self) -> bool:
        return self._started and not self.heap

    @property
    def at_node_limit(self) -> bool:
        return len(self.heap) >= self.max_open

    @property
    def queue(self) -> list[tuple[float, int, _Node]]:
        return self.heap

    def offer(self, theta: np.ndarray, value: float, signs: np.ndarray) -> None:
        """Record an outside candidate (sign form θ with its unit signs)."""
        if value < self.best:
            self.best = float(value)
            self.best_point = np.asarray(theta, dtype=np.float64).copy()
            self.best_signs = np.asarray(signs, dtype=np.float64).copy()

    # ----- one batch -------------------------------------------------------------------
    def step(self, stop: Any = None) -> None:
        """Bound the roots (first call) or expand one batch of open nodes. ``stop``
        (callable, optional): hull-only nodes not yet started when it turns true are
        queued again unbounded, with their parent's bound (a time limit is then overrun
        by one node, not a batch)."""
        q, h = self.problem.q, self.problem.h
        if not self._started:
            self._started = True
            empty = tuple(np.zeros((0, q)) for _ in range(h))
            none = np.zeros(self.p)
            self._bound([(-np.inf, r, empty, none, -np.inf, None, -np.inf)
                         for r in range(len(self.roots))])
            self._lift()
            return
        thr = self.threshold()
        items: list[tuple[Any, ...]] = []
        late: list[_Node] = []  # lazy nodes that reached the threshold: certify them
        while self.heap and len(items) + 2 * len(late) < 2 * self.batch:
            key, _, node = self._pop()
            if node.lb >= thr:
                self.floor = min(self.floor, node.lb)
            elif node.mu is not None and key >= thr:
                late.append(node)
            else:
                items.extend(self._children(node))
        if late:
            self.late += len(late)
            thr = self.threshold()
            for node in self._certify_lazy(late):
                if node.lb >= thr:
                    self.hull_pruned += 1
                    self.floor = min(self.floor, node.lb)
                else:
                    items.extend(self._children(node))
        self.rounds += 1
        if items:
            self._bound(items, stop)
        if stop is None or not stop():
            self._lift()

    def _children(self, node: _Node) -> list[tuple[Any, ...]]:
        """The items that bound a node's two children (the node itself when it was queued
        unbounded by a stop)."""
        if node.unit < 0:  # queued unbounded by a stop: bound it now
            return [(node.lb, node.root, node.cons, node.g, node.const, node.hull_v,
                     node.key)]
        xd = self.problem.Xt[node.point]
        out = []
        for sgn in (1.0, -1.0):
            cons = list(node.cons)
            # orbital branching: "unit active" for one unit of the orbit (any unit
            # active there can be swapped into it), "inactive" for all of them
            for j in (node.unit,) if sgn > 0 or not node.orbit else node.orbit:
                cons[j] = np.vstack([cons[j], sgn * xd[None, :]])
            out.append((node.lb, node.root, tuple(cons), node.g, node.const, node.hull_v,
                        node.key))
        return out

    def _push(self, node: _Node, key: float) -> None:
        node.key = key
        heapq.heappush(self.heap, (key, next(self._count), node))
        if node.mu is not None:
            self._mu_bytes += node.mu.nbytes
        self._least = None

    def _pop(self) -> tuple[float, int, _Node]:
        entry = heapq.heappop(self.heap)
        if entry[2].mu is not None:
            self._mu_bytes -= entry[2].mu.nbytes
        self._least = None
        return entry

    def _certify_lazy(self, nodes: list[_Node]) -> list[_Node]:
        """Certify lazy nodes at their stored multipliers (on threads); their bounds rise
        to the certificate (never fall) and they are lazy no more."""
        pb = self.problem

        def one(node: _Node) -> float:
            assert node.mu is not None
            normals, nr = _pack(node.cons, pb.q)
            return certify_node(pb, self.roots[node.root], normals, nr, node.mu)

        certs = list(_pool().map(one, nodes)) if len(nodes) > 1 else [one(nodes[0])]
        for node, c in zip(nodes, certs, strict=True):
            node.lb = max(node.lb, c)
            node.mu = None
        return nodes

    def _lift(self) -> None:
        """Certify up to ``hull_lift`` lazy nodes with the least bounds, when they are
        below every certified node's (so the reported lower bound is theirs)."""
        k = self.problem.hull_lift
        if k <= 0 or self._mu_bytes == 0:
            return
        cert = min((n.lb for _, _, n in self.heap if n.mu is None), default=np.inf)
        cert = min(cert, self.floor, self.best)
        waiting = [n for _, _, n in self.heap if n.mu is not None and n.lb < cert]
        if not waiting:
            return
        low = heapq.nsmallest(k, waiting, key=lambda n: n.lb)
        self._mu_bytes -= sum(n.mu.nbytes for n in low if n.mu is not None)
        self._certify_lazy(low)  # they stay queued, at their keys
        self.lifted += len(low)
        self._least = None

    def _bound(self, items: list[tuple[Any, ...]], stop: Any = None) -> None:
        pb = self.problem
        B, h, q = len(items), pb.h, pb.q
        normals = np.zeros((B, h, RMAX, q))
        nr = np.zeros((B, h), dtype=np.int64)
        signs = np.empty((B, h))
        pairs = np.empty((B, max(h - 1, 1), 2), dtype=np.int64)
        usable = np.ones((B, h), dtype=bool)
        parent_g = np.zeros((B, self.p))
        parent_c = np.full(B, -np.inf)
        for b, (_, root, cons, pg, pc, _, _) in enumerate(items):
            parent_g[b] = pg
            parent_c[b] = pc
            signs[b] = self.roots[root]
            # orbital branching swaps units, which an ordering of them would contradict
            pairs[b] = -1 if self._orbital() else self._pairs[root]
            normals[b], nr[b] = _pack(cons, q)
            usable[b] = nr[b] < RMAX
        thr = self.threshold()
        use_hull = self._use_hull()
        # the unit-hull bound first on children whose parent left vertices to start from:
        # a child it prunes needs no relaxation
        pre = np.full(B, -np.inf)
        pre_v: list[np.ndarray | None] = [None] * B
        done = np.zeros(B, dtype=bool)
        self.last_candidates = []
        if use_hull and pb.hull_branch:
            done = self._bound_by_hull(items, signs, normals, nr, usable, thr, stop)
        elif use_hull:
            for b, item in enumerate(items):
                if item[5] is not None and item[0] < thr:
                    pre[b], pre_v[b] = self._hull(signs[b], normals[b], nr[b], thr,
                                                  item[5][:, None, :])
        pre[done] = np.inf  # handled: bounded and pushed, or dropped
        todo = np.flatnonzero(pre < thr)
        for dropped in np.flatnonzero((pre >= thr) & ~done):
            self.nodes += 1
            self.hull_pruned += 1
            self.floor = min(self.floor, max(float(pre[dropped]), items[dropped][0]))
        if todo.size == 0:
            return
        items = [items[b] for b in todo]
        signs, normals, nr, pairs = signs[todo], normals[todo], nr[todo], pairs[todo]
        usable, parent_g, parent_c = usable[todo], parent_g[todo], parent_c[todo]
        pre, pre_v = pre[todo], [pre_v[b] for b in todo]
        B = len(items)
        run = self._bounder if self._bounder is not None else _local_bounder(pb)
        out = run(signs, normals, nr, pairs, self.max_iter, parent_g, parent_c, thr)
        lb, theta, value, bj, bd, status, keep, iters, g_node, c_node = out
        self.nodes += B
        self.iterations += int(iters.sum())
        k = int(np.argmin(value))
        if value[k] < self.best:
            self.offer(theta[k], float(value[k]), signs[k])
        top = np.argsort(value)[:2]
        self.last_candidates = sorted(
            self.last_candidates + [(theta[i].copy(), float(value[i]), signs[i].copy())
                                    for i in top if np.isfinite(value[i])],
            key=lambda t: t[1])[:2]
        thr = self.threshold()
        off = 1 if pb.c_free else 0
        for b, (parent_lb, root, cons, _, _, _, _) in enumerate(items):
            if status[b] == INFEASIBLE:
                continue
            if status[b] == PRUNED:
                self.pruned_early += 1
            bound = max(float(lb[b]), parent_lb, float(pre[b]))
            hull_v = pre_v[b]
            if use_hull and hull_v is None and status[b] != EXACT and bound < thr:
                hb, hull_v = self._hull(signs[b], normals[b], nr[b], thr,
                                        theta[b, off:].reshape(h, 1, q))
                if hb > bound:
                    bound = hb
                    if bound >= thr:
                        self.hull_pruned += 1
            if status[b] == EXACT or bound >= thr or bj[b] < 0 or not usable[b, bj[b]]:
                if status[b] == EXACT:
                    self.exact_nodes += 1
                self.floor = min(self.floor, bound)
                continue
            kept = tuple(cons[j][keep[b, j, : min(cons[j].shape[0], RMAX)]]
                         if cons[j].shape[0] <= RMAX else cons[j] for j in range(h))
            node = _Node(bound, root, kept, int(bj[b]), int(bd[b]), g_node[b].copy(),
                         float(c_node[b]), hull_v)
            self._push(node, bound)

    def _use_hull(self) -> bool:
        pb = self.problem
        return pb.hull_rounds > 0 and hull_applies(pb.loss, pb.lam, pb.q, pb.hull_3d)

    def _orbital(self) -> bool:
        """Whether splits are orbital (the hull-only search with ``orbits``)."""
        return self.problem.orbits and self.problem.hull_branch and self._use_hull()

    def _bound_by_hull(self, items: list[tuple[Any, ...]], signs: np.ndarray,
                       normals: np.ndarray, nr: np.ndarray, usable: np.ndarray, thr: float,
                       stop: Any = None) -> np.ndarray:
        """Bound and split nodes by the unit-hull bound alone: the certified bound, the
        candidate network of the master's mixture, and the (unit, point) where the mixture
        is furthest from one unit. The nodes of a batch are bounded on threads (the sweeps
        and HiGHS release the GIL). Returns which items it handled; the others (no such
        point, yet not tight) go to the relaxation."""
        pb = self.problem
        h, q = pb.h, pb.q
        B = len(items)
        done = np.zeros(B, dtype=bool)
        corners = _start_points(q)
        # lazy: only where the certificate would raise the parent's bound by at most a
        # share of the target gap (the reported bound lags by no more than that)
        gap = self.best - thr if np.isfinite(self.best) and np.isfinite(thr) else 0.0
        defer = (pb.hull_lazy * max(gap, 0.0)
                 if pb.hull_lazy > 0.0 and self._mu_bytes < _MU_BYTES else -1.0)

        def one(b: int) -> Any:
            if stop is not None and stop():
                return None
            hv = items[b][5]
            starts = np.broadcast_to(corners, (h, *corners.shape))
            if hv is not None:
                hv = hv[:, None, :] if hv.ndim == 2 else hv
                starts = np.concatenate([hv, starts], axis=1)
            return hull_node(pb, signs[b], normals[b], nr[b], thr, starts,
                             rounds=pb.hull_rounds, full=True, floor=items[b][0],
                             restarts=pb.hull_restarts, stab=pb.hull_stab, defer=defer)

        workers = min(B, max(os.cpu_count() or 1, 1))
        results = list(_pool().map(one, range(B))) if workers > 1 else [one(b) for b in range(B)]
        cands: list[tuple[np.ndarray, float, np.ndarray]] = []
        for b, (parent_lb, root, cons, _, _, _, _) in enumerate(items):
            r = results[b]
            if r is None:  # stopped before it started: open again, the parent's bound
                node = _Node(parent_lb, root, cons, -1, -1, items[b][3], items[b][4],
                             items[b][5])
                self._push(node, max(parent_lb, items[b][6]))
                done[b] = True
                continue
            self.hull_calls += 1
            self.nodes += 1
            if r.theta is not None and np.isfinite(r.value):
                cands.append((r.theta, r.value, signs[b]))
                if r.value < self.best:
                    self.offer(r.theta, r.value, signs[b])
            bound = max(r.bound, parent_lb)
            thr = self.threshold()
            if bound >= thr:
                self.hull_pruned += 1
                self.floor = min(self.floor, bound)
                done[b] = True
                continue
            if r.unit < 0:
                if r.value - bound <= 1e-9 * max(1.0, abs(r.value)):
                    self.exact_nodes += 1
                    self.floor = min(self.floor, bound)
                    done[b] = True
                continue  # not tight and no split point: the relaxation decides
            if not usable[b, r.unit]:
                self.floor = min(self.floor, bound)
                done[b] = True
                continue
            facets = region_facets(normals[b], nr[b], q)
            kept = tuple(cons[j][facets[j, : cons[j].shape[0]]] if cons[j].shape[0] <= RMAX
                         else cons[j] for j in range(h))
            orbit = _orbit(kept, signs[b], r.unit) if self._orbital() else ()
            lazy = r.mu is not None and bound < thr
            node = _Node(bound, root, kept, r.unit, r.point, np.zeros(self.p), -np.inf,
                         r.support if r.support is not None else r.verts.copy(), orbit,
                         r.mu.astype(np.float32) if lazy else None)
            self.deferred += lazy
            self._push(node, max(bound, r.mval) if lazy else bound)
            done[b] = True
        cands.sort(key=lambda t: t[1])
        self.last_candidates = cands[:2]
        return done

    def _hull(self, signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, thr: float,
              starts: np.ndarray) -> tuple[float, np.ndarray]:
        """The certified unit-hull bound of one node (-inf when it cannot reach thr)."""
        starts = np.nan_to_num(starts)
        bound, verts, _ = hull_bound(self.problem, signs, normals, nr, thr, starts,
                                     rounds=self.problem.hull_rounds)
        self.hull_calls += 1
        return bound, verts


def _orbit(cons: tuple[np.ndarray, ...], signs: np.ndarray, unit: int) -> tuple[int, ...]:
    """The units interchangeable with ``unit``: its sign and exactly its set of cuts (so
    exactly its region), ``unit`` first; ``()`` when it has no such partner."""
    mine = {tuple(r) for r in cons[unit]}
    orbit = [unit] + [k for k in range(signs.shape[0])
                      if k != unit and signs[k] == signs[unit]
                      and cons[k].shape == cons[unit].shape
                      and {tuple(r) for r in cons[k]} == mine]
    return tuple(orbit) if len(orbit) > 1 else ()


def _pack(cons: tuple[np.ndarray, ...], q: int) -> tuple[np.ndarray, np.ndarray]:
    """A node's cuts as ``normals`` (h, RMAX, q) and counts ``nr`` (h,) (the last RMAX
    cuts of a unit that has more: a larger region, so still a lower bound)."""
    h = len(cons)
    normals = np.zeros((h, RMAX, q))
    nr = np.zeros(h, dtype=np.int64)
    for j, c in enumerate(cons):
        c = c[-RMAX:]
        nr[j] = c.shape[0]
        normals[j, : c.shape[0]] = c
    return normals, nr


def _start_points(q: int) -> np.ndarray:
    """Kelley's first rows: the box corners and the points ±e_i of every unit."""
    if q == 2:
        return np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0],
                         [0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])
    grid = np.array(list(itertools.product((1.0, -1.0), repeat=q)))
    axes = np.concatenate([np.eye(q), -np.eye(q)])
    return np.concatenate([grid, axes])


_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1),
                                   thread_name_prefix="lptrain-patterns")
    return _POOL


def _local_bounder(pb: PatternProblem, threads: int | None = None) -> Any:
    """Bound a batch on every core: the kernel releases the GIL, so sub-batches run on
    threads."""
    workers = max(1, threads if threads is not None else (os.cpu_count() or 1))

    def one(signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray,
            max_iter: int, pg: np.ndarray, pc: np.ndarray, thr: float
            ) -> tuple[np.ndarray, ...]:
        return bound_nodes(pb.Xt, pb.y, pb.loss, pb.alpha, signs, pb.c_free, pb.c_lo,
                           pb.c_hi, pb.c_fixed, pb.lam, normals, nr, pairs, pb.k_ord,
                           max_iter, pg, pc, thr, pb.refine)

    def run(signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray,
            max_iter: int, pg: np.ndarray, pc: np.ndarray, thr: float
            ) -> tuple[np.ndarray, ...]:
        B = signs.shape[0]
        k = min(workers, B)
        if k <= 1:
            return one(signs, normals, nr, pairs, max_iter, pg, pc, thr)
        cuts = np.linspace(0, B, k + 1).astype(int)
        futs = [_pool().submit(one, signs[a:b], normals[a:b], nr[a:b], pairs[a:b], max_iter,
                               pg[a:b], pc[a:b], thr)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        parts = [f.result() for f in futs]
        return tuple(np.concatenate([pt[i] for pt in parts]) for i in range(10))
    return run
