"""Bounding on every core, or on a Dask cluster.

:func:`make_bounder` returns the bounding callable the branch and bound uses:

* ``cluster=None`` (default): in process; the generated kernel runs ``prange`` over the
  boxes of a batch on every core of the machine;
* ``cluster="tcp://host:8786"`` (a scheduler address) or a ``distributed.Client``: the data
  are scattered once to every worker (``broadcast=True``); each batch of boxes is cut into
  one chunk per worker thread, bounded there by the same kernel, and gathered. The search
  itself (queue, incumbent, threshold) stays on the client, so the result is the same as
  the local run: each box's bound is computed by the same code on the same data.

Only boxes (``2N`` floats each) and their results travel per batch; the data travel once.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from lptrain.certify.bounds import BoxBounder, BoxBounds
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.losses import Loss, get_loss
from lptrain.nn.regularizers import Regularizer, get_regularizer

__all__ = ["DaskBounder", "make_bounder", "connect"]

_WORKER_CACHE: dict[str, BoxBounder] = {}
_WORKER_LOCK = threading.Lock()


def connect(cluster: Any) -> Any:
    """A ``distributed.Client`` for a scheduler address, a Client (returned as is) or a
    cluster object (e.g. ``LocalCluster``)."""
    try:
        import distributed
    except ImportError:  # pragma: no cover - dask is an optional dependency
        raise InvalidInputError("cluster= needs dask: pip install 'lptrain[dask]'") from None
    if isinstance(cluster, distributed.Client):
        return cluster
    if isinstance(cluster, str) or hasattr(cluster, "scheduler_address"):
        return distributed.Client(cluster)
    raise InvalidInputError(f"cluster must be a scheduler address (e.g. 'tcp://host:8786'), a "
                            f"distributed.Client or a cluster object; got {cluster!r}")


def _worker_bounder(payload: dict[str, Any]) -> BoxBounder:
    key = payload["key"]
    with _WORKER_LOCK:
        b = _WORKER_CACHE.get(key)
        if b is None:
            b = BoxBounder(Network.from_dict(payload["network"]), payload["loss"],
                           payload["X"], payload["Y"], payload["regularizer"],
                           backend=payload["backend"])
            _WORKER_CACHE.clear()  # one data set per worker at a time: memory stays bounded
            _WORKER_CACHE[key] = b
    return b


def _bound_chunk(payload: dict[str, Any], lo: np.ndarray, hi: np.ndarray, cand: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = _worker_bounder(payload)(lo, hi, cand)
    return b.lower, b.value, b.split


class DaskBounder:
    """Bound batches of boxes on the workers of a Dask cluster (see the module docstring)."""

    def __init__(self, client: Any, network: Network, loss: str | Loss, X: np.ndarray,
                 Y: np.ndarray, regularizer: str | Regularizer | None = None, *,
                 backend: str = "auto", min_chunk: int = 256) -> None:
        import hashlib

        reg = get_regularizer(regularizer)
        self.client = client
        self.min_chunk = int(min_chunk)
        digest = hashlib.sha256(np.ascontiguousarray(X).tobytes()
                                + np.ascontiguousarray(Y).tobytes()).hexdigest()[:16]
        payload = {"network": network.to_dict(), "loss": get_loss(loss).name,
                   "X": np.ascontiguousarray(X), "Y": np.ascontiguousarray(Y),
                   "regularizer": None if reg is None else reg.spec, "backend": backend,
                   "key": f"{network.fingerprint}-{get_loss(loss).name}-{digest}-"
                          f"{None if reg is None else reg.spec}"}
        # A one-element list: scattering a dict would key each value by its dict key.
        self._payload = client.scatter([payload], broadcast=True)[0]
        info = client.scheduler_info()["workers"]
        self.n_workers = max(1, len(info))
        self.slots = max(1, sum(int(w.get("nthreads", 1)) for w in info.values()))

    def __call__(self, lo: np.ndarray, hi: np.ndarray, cand: np.ndarray | None = None
                 ) -> BoxBounds:
        """Bound the boxes ``[lo, hi]`` on the workers; ``cand`` defaults to the centres."""
        if cand is None:
            cand = 0.5 * (lo + hi)
        B = lo.shape[0]
        chunks = int(max(1, min(self.slots, B // self.min_chunk)))
        cuts = np.linspace(0, B, chunks + 1).astype(np.int64)
        futures = [self.client.submit(_bound_chunk, self._payload, lo[a:b], hi[a:b],
                                      cand[a:b], pure=False)
                   for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
        parts = self.client.gather(futures)
        if not parts:
            return BoxBounds(np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))
        return BoxBounds(*(np.concatenate([p[k] for p in parts]) for k in range(3)))


def make_bounder(network: Network, loss: str | Loss, X: Any, Y: Any,
                 regularizer: str | Regularizer | None = None, *, cluster: Any = None,
                 backend: str = "auto") -> BoxBounder | DaskBounder:
    """The bounding callable ``(lo, hi, cand) -> BoxBounds`` for local or Dask execution.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> b = make_bounder(dense([1, 1]), "abs", [[0.5]], [[0.0]], backend="numpy")
    >>> type(b).__name__
    'BoxBounder'
    """
    local = BoxBounder(network, loss, X, Y, regularizer, backend=backend)
    if cluster is None:
        return local
    return DaskBounder(connect(cluster), network, loss, local.X, local.Y, regularizer,
                       backend=backend)
