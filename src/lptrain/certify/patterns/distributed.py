"""The pattern search's bounding on a Dask cluster.

The problem data are scattered once to every worker (``broadcast=True``); each batch of
nodes is cut into one chunk per worker thread, bounded there by the same compiled kernel
(:func:`~lptrain.certify.patterns.relaxation.bound_nodes`) and gathered. The search itself
(queue, incumbent, threshold) stays on the client, so the result is the one of the local
run: every node's bound is computed by the same code on the same data. Only node
descriptions (a few cuts per unit) and their results travel per batch.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import numpy as np

from lptrain.certify.distributed import connect
from lptrain.certify.patterns.relaxation import bound_nodes

__all__ = ["dask_pattern_bounder"]

_CACHE: dict[str, Any] = {}
_LOCK = threading.Lock()


def _bound_chunk(payload: dict[str, Any], signs: np.ndarray, normals: np.ndarray,
                 nr: np.ndarray, pairs: np.ndarray, max_iter: int, pg: np.ndarray,
                 pc: np.ndarray, thr: float) -> tuple[np.ndarray, ...]:
    pb = payload
    return bound_nodes(pb["Xt"], pb["y"], pb["loss"], pb["alpha"], signs, pb["c_free"],
                       pb["c_lo"], pb["c_hi"], pb["c_fixed"], pb["lam"], normals, nr, pairs,
                       pb["k_ord"], max_iter, pg, pc, thr, pb["refine"])


def dask_pattern_bounder(problem: Any, cluster: Any) -> Any:
    """A batch bounder for :class:`~lptrain.certify.patterns.search.PatternSearch` that
    runs on ``cluster`` (a scheduler address, a ``distributed.Client`` or a cluster)."""
    client = connect(cluster)
    payload = {"Xt": problem.Xt, "y": problem.y, "loss": problem.loss,
               "alpha": problem.alpha, "c_free": problem.c_free, "c_lo": problem.c_lo,
               "c_hi": problem.c_hi, "c_fixed": problem.c_fixed, "lam": problem.lam,
               "k_ord": problem.k_ord, "refine": problem.refine}
    key = hashlib.sha256(problem.Xt.tobytes() + problem.y.tobytes()).hexdigest()[:16]
    with _LOCK:
        future = _CACHE.get(key)
        if future is None:
            future = client.scatter(payload, broadcast=True)
            _CACHE.clear()
            _CACHE[key] = future
    threads = max(sum(client.nthreads().values()), 1)

    def run(signs: np.ndarray, normals: np.ndarray, nr: np.ndarray, pairs: np.ndarray,
            max_iter: int, pg: np.ndarray, pc: np.ndarray, thr: float
            ) -> tuple[np.ndarray, ...]:
        B = signs.shape[0]
        k = max(1, min(threads, B))
        cuts = np.linspace(0, B, k + 1).astype(int)
        futs = [client.submit(_bound_chunk, future, signs[a:b], normals[a:b], nr[a:b],
                              pairs[a:b], max_iter, pg[a:b], pc[a:b], thr, pure=False)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
        parts = client.gather(futs)
        return tuple(np.concatenate([pt[i] for pt in parts]) for i in range(10))

    run.client = client  # type: ignore[attr-defined]
    return run
