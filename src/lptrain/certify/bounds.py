"""Sound lower bounds of the empirical risk over boxes of parameters (the bounding step of
the branch and bound; SPEC §4 "an a-posteriori bound computed on the actual data").

For a box ``[lo, hi]`` write ``φ_j = c_j + r_j ε_j`` with ``ε ∈ [-1, 1]^N``. Node by node
and data point by data point the kernel keeps an *affine form* enclosing the node value:

* an affine node ``Σ w z_u + b`` is exact when its inputs are data; a product of a parameter
  weight ``W0 + W1 ε_p`` with a form keeps its first-order part and bounds the products
  ``ε_p ε_j`` (of size ``r_p r_j``) in the error radius;
* an activation on the form's range ``[l, u]`` is replaced by a slope λ and offsets with
  ``λx + β_lo <= a(x) <= λx + β_hi``: the component's own
  :meth:`~lptrain.components.Activation.relax` (ReLU / leaky ReLU: the chord; convex ones
  such as ELU: chord above, a tangent below; tanh and hard tanh: the chord slope and the
  extremes of ``a(x) - λx``; step: the interval);
* the loss of data point d is bounded below by an affine function of ε, the loss's
  :meth:`~lptrain.components.Loss.minorant`: ``|t| >= σ t`` (σ the chord slope of ``|.|``
  over t's range), ``t² >= 2 t_0 t - t_0²``, ``max(t_j, 0) >= λ_j t_j`` per hinge output,
  tangents of the smooth convex losses, cross-entropy (convex when ``Σ y >= 0``) by its
  tangent, Hamming by its interval bound.

These minorants are summed over the data **before** minimizing over the box, so first-order
terms of different data points cancel (near a minimum the sum of slopes is near zero), and
the minimum of the summed affine function over the box is exact: ``K - Σ_j |G_j| - E``.
The slack of this bound is second order in the box size except for the data points whose
pre-activations or residuals change sign inside the box, a fraction that also shrinks with
the box: so the slack is ``O(h²)`` where interval arithmetic's is ``O(h)``. The interval
bound of the loss from the same ranges is computed too, and the larger of the two is kept.
A regularizer adds its own minorant (the chord slope of ``|φ_j|``, the tangent of ``φ_j²``).

Floating point: every bound is lowered by the static margins of
:mod:`lptrain.kernels.margins` (rounding of every operation, whatever the summation order),
so the result is below the exact-arithmetic minimum of the risk over the box. Boxes must lie
in ``[-1, 1]^N`` and the data in ``[-1, 1]`` (the paper's normalization), which the margins
assume.

The same pass evaluates the risk at one candidate point per box (the upper-bound candidate)
and picks a split coordinate: the one whose coefficients ``Σ_d |G_dj|`` are largest.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain import kernels
from lptrain._validation import check_array, check_unit_box
from lptrain.certify._affine_numpy import numpy_bounds
from lptrain.components import Loss, Regularizer, get_loss, get_regularizer
from lptrain.errors import InvalidInputError
from lptrain.kernels.margins import StaticMargins, static_margins
from lptrain.nn.architecture import Network
from lptrain.nn.evaluate import check_data, regularizer_weights, resolve_backend
from lptrain.nn.intervals import check_boxes

__all__ = ["BoxBounds", "BoxBounder", "box_bounds"]

# Boxes × data cells per numpy block (each cell holds a few forms of N + 2 floats).
_NUMPY_CELLS = 2**20
_KERNEL_LOCK = threading.Lock()
# Below this many boxes × data points a batch runs on the serial kernel.
_SERIAL_CELLS = 200_000


@dataclass(frozen=True)
class BoxBounds:
    """Bounds of the regularized empirical risk over B boxes.

    Attributes
    ----------
    lower : (B,)
        Certified lower bound of the risk over each box (exact arithmetic, rounding margin
        included).
    value : (B,)
        Risk at the box's candidate point (an upper bound of the box's minimum).
    split : (B,) int
        Suggested coordinate to split (-1 when every coordinate is a point).
    """

    lower: np.ndarray
    value: np.ndarray
    split: np.ndarray


class BoxBounder:
    """Prepared bounding of one data set: validated data, margins and the compiled kernel.

    Parameters
    ----------
    network, loss, X, Y, regularizer
        The regularized ERM ``(1/D) Σ_d ℓ(f(x_d, φ), y_d) + λR(φ)``; X and Y in [-1, 1].
    backend : {"auto", "numba", "numpy"}
    parallel : bool
        Run the kernel on every core (numba threads) or on one thread (e.g. inside Dask
        worker threads that are the parallelism).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> net = dense([1, 1], "identity")
    >>> bounder = BoxBounder(net, "abs", [[0.5], [-0.5]], [[0.0], [0.0]], backend="numpy")
    >>> b = bounder(np.array([[-0.1, -0.1]]), np.array([[0.1, 0.1]]))
    >>> bool(b.lower[0] <= b.value[0]), float(b.value[0])
    (True, 0.0)
    """

    def __init__(self, network: Network, loss: str | Loss, X: Any, Y: Any,
                 regularizer: str | Regularizer | None = None, *, backend: str = "auto",
                 parallel: bool = True) -> None:
        self.network = network
        self.loss = get_loss(loss)
        self.regularizer = get_regularizer(regularizer)
        Xa, Ya = check_data(network, X, Y)
        assert Ya is not None
        self.X = check_unit_box("X", Xa, "scale the data into [-1, 1] first")
        self.Y = check_unit_box("Y", Ya, "scale the labels into [-1, 1] first")
        self.backend = resolve_backend(backend)
        self.parallel = bool(parallel)
        self.margins: StaticMargins = static_margins(network, self.loss)
        self.margin = self.margins.margin(self.X.shape[0], self.regularizer)
        self.lam = regularizer_weights(self.regularizer)
        self._kernel: Any = None
        if self.backend == "numba":
            mod = kernels.compile_source(kernels.affine_source(network, self.loss,
                                                               self.margins))
            self._kernel = mod.bound_boxes
            self._Xt = np.ascontiguousarray(self.X.T)
            self._Yt = np.ascontiguousarray(self.Y.T)

    @property
    def D(self) -> int:  # noqa: N802 - the paper's name
        """Number of data points."""
        return int(self.X.shape[0])

    def __call__(self, lo: np.ndarray, hi: np.ndarray, cand: np.ndarray | None = None
                 ) -> BoxBounds:
        """Bound the boxes ``[lo, hi]`` (B, N); ``cand`` (B, N) defaults to the centres."""
        lo = np.ascontiguousarray(lo, dtype=np.float64)
        hi = np.ascontiguousarray(hi, dtype=np.float64)
        cand = (0.5 * (lo + hi) if cand is None
                else np.ascontiguousarray(cand, dtype=np.float64))
        B = lo.shape[0]
        if self._kernel is not None:
            out_lb, out_ub = np.empty(B), np.empty(B)
            out_split = np.empty(B, dtype=np.int64)
            if B:
                self._run(lo, hi, cand, out_lb, out_ub, out_split)
            return _guard(BoxBounds(out_lb, out_ub, out_split))
        step = max(1, _NUMPY_CELLS // max(self.D, 1))
        parts = [numpy_bounds(self.network, self.loss, self.X, self.Y, lo[s:s + step],
                              hi[s:s + step], cand[s:s + step], self.lam, self.margin)
                 for s in range(0, B, step)]
        if not parts:
            return BoxBounds(np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))
        return _guard(BoxBounds(*(np.concatenate([p[k] for p in parts]) for k in range(3))))

    def _run(self, lo: np.ndarray, hi: np.ndarray, cand: np.ndarray, out_lb: np.ndarray,
             out_ub: np.ndarray, out_split: np.ndarray) -> None:
        args = (self._Xt, self._Yt, lo, hi, cand, *self.lam, self.margin, out_lb, out_ub,
                out_split)
        # Small batches (polishing, tiny data) run on one thread: a parallel launch would
        # cost more than the work and, on a loaded machine, wait for a descheduled thread.
        # (The prange kernel on one thread is ~7x faster than a plain serial loop: LLVM
        # vectorizes the outlined loop body over the data.)
        one = not self.parallel or lo.shape[0] * self.D < _SERIAL_CELLS
        with _KERNEL_LOCK if _needs_lock() else contextlib.nullcontext():
            if one:
                with _one_thread():
                    self._kernel(*args)
            else:
                self._kernel(*args)


def _guard(b: BoxBounds) -> BoxBounds:
    """A NaN bound becomes -inf (sound, never pruned) and a NaN value +inf (never kept)."""
    bad, nan_value = np.isnan(b.lower), np.isnan(b.value)
    if bad.any() or nan_value.any():
        return BoxBounds(np.where(bad, -np.inf, b.lower),
                         np.where(nan_value, np.inf, b.value), b.split)
    return b


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    import numba

    saved = numba.get_num_threads()  # thread-local in numba
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(saved)


def _needs_lock() -> bool:
    try:
        import numba

        return str(numba.threading_layer()) == "workqueue"
    except (ImportError, ValueError):
        return True


def box_bounds(network: Network, loss: str | Loss, X: Any, Y: Any, lo: Any, hi: Any,
               regularizer: str | Regularizer | None = None, *, candidates: Any = None,
               backend: str = "auto") -> BoxBounds:
    """Certified lower bounds of the regularized empirical risk over boxes ``[lo, hi]``
    of parameters (B, N) inside ``[-1, 1]^N``, the risk at a candidate point of each box
    (default: its centre) and a split coordinate. See the module docstring.

    Examples
    --------
    >>> from lptrain.nn import dense, empirical_risk
    >>> net = dense([2, 1, 1])
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.uniform(-1, 1, (50, 2)), rng.uniform(-1, 1, (50, 1))
    >>> lo, hi = np.full((1, 5), -0.1), np.full((1, 5), 0.1)
    >>> b = box_bounds(net, "abs", X, Y, lo, hi, backend="numpy")
    >>> pts = rng.uniform(-0.1, 0.1, (200, 5))
    >>> bool(b.lower[0] <= empirical_risk(net, "abs", X, Y, pts, backend="numpy").min())
    True
    """
    lo_a, hi_a = check_boxes(network, lo, hi, ("lo", "hi"))
    cand = None
    if candidates is not None:
        cand = np.atleast_2d(check_array("candidates", candidates, ndim=(1, 2)))
        if cand.shape != lo_a.shape:
            raise InvalidInputError(f"candidates must have shape {lo_a.shape}; got "
                                    f"{cand.shape}")
    bounder = BoxBounder(network, loss, X, Y, regularizer, backend=backend)
    return bounder(lo_a, hi_a, cand)
