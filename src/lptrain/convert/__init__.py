"""Models trained elsewhere, made certifiable: reading them, and the exact moves that bring
them into the box of the certificate.

* :func:`from_sklearn`, :func:`from_module` → :class:`ImportedModel` (network, φ, loss,
  labels, the data scaling folded in; ``save`` writes an lptrain model file);
* :func:`rescale_into_box` — ReLU-like units rescaled, the function unchanged
  (bit-for-bit with power-of-two scales);
* :func:`scale_box`, :func:`scale_regularizer` — a box ``[-R, R]^N`` as ``[-1, 1]^N`` of
  a network with coefficients times R;
* :func:`fold_scalers` — the data's range scaling written into the first and last layers;
* :func:`prepare_certify` — what ``certify_erm`` does with such a model before its branch
  and bound (proofs in docs/certify.md).

Examples
--------
>>> import numpy as np
>>> from lptrain.nn import dense
>>> rescale_into_box(dense([1, 1, 1]), np.array([4.0, -2.0, 0.125, 0.5])).params.tolist()
[1.0, -0.5, 0.5, 0.5]
"""

from __future__ import annotations

from lptrain.convert.imported import ImportedModel, from_module, from_sklearn
from lptrain.convert.prepare import Prepared, as_network_params, prepare_certify
from lptrain.convert.rescale import (
    Rescaled,
    fold_scalers,
    rescale_into_box,
    scale_box,
    scale_regularizer,
)

__all__ = ["ImportedModel", "Prepared", "Rescaled", "as_network_params", "fold_scalers",
           "from_module", "from_sklearn", "prepare_certify", "rescale_into_box", "scale_box",
           "scale_regularizer"]
