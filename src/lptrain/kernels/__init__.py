"""The kernel generator: numba source for one network and loss, built by one emitter from
the components' own definitions, and compiled through an on-disk cache.

Three kernel families (each a function of the network, the loss and the registry):

* :func:`~lptrain.kernels.point.point_source` — ``risk``, ``argmin``, ``loss_matrix``,
  ``forward``: evaluation at explicit φ or grid indices (§3.2, §3.4);
* :func:`~lptrain.kernels.interval.interval_source` — ``risk_interval``: interval bounds of
  the risk over boxes of φ;
* :func:`~lptrain.kernels.affine.affine_source` — ``bound_boxes``: the affine box bounds
  of the branch and bound.

What a kernel computes for an activation, a loss or a regularizer is a *fragment* of that
component's definition (:mod:`lptrain.components._dsl`); the numpy paths of
:mod:`lptrain.nn` and :mod:`lptrain.certify` call the same definitions on arrays, and
their network-level propagation is an independent reference the tests compare with.
Static rounding margins: :mod:`lptrain.kernels.margins`.

Examples
--------
>>> from lptrain.nn import dense, get_loss
>>> "def risk(" in point_source(dense([1, 1]), get_loss("hinge"))
True
"""

from __future__ import annotations

from lptrain.kernels._compile import (
    FASTMATH,
    KERNELS_VERSION,
    cache_dir,
    compile_source,
    numba_available,
)
from lptrain.kernels.affine import ASPECT, affine_source
from lptrain.kernels.interval import interval_source
from lptrain.kernels.margins import StaticMargins, static_margins
from lptrain.kernels.point import TILE, point_module, point_source

__all__ = ["ASPECT", "FASTMATH", "KERNELS_VERSION", "TILE", "StaticMargins", "affine_source",
           "cache_dir", "compile_source", "interval_source", "numba_available",
           "point_module", "point_source", "static_margins"]
