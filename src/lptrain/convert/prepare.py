"""What :func:`lptrain.certify.certify_erm` does with the model it is given, before the
branch and bound: read it (:func:`as_network_params`), move it into the box exactly
(:func:`lptrain.convert.rescale_into_box`) and, for ``box=R``, rewrite the problem over
``[-1, 1]^N`` (:func:`lptrain.convert.scale_box`); afterwards :meth:`Prepared.restore`
maps the certificate back (``phi`` times R, ``domain`` ``[-R, R]^N``).

Accepted models: a :class:`~lptrain.nn.Network` with φ (array), a ``torch.nn.Module``
(with or without the network), a state_dict (a mapping of arrays or tensors, either
naming), a weights file (``.pt``, ``.pth``, ``.npz``, ``.json``), a fitted scikit-learn
``MLPRegressor``/``MLPClassifier`` or an :class:`~lptrain.convert.ImportedModel`.

With a regularizer, ReLU rescaling would change ``λR(φ)`` and is not applied (the same
reason the symmetry reduction is off then); ``box=R`` works with any regularizer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lptrain._validation import check_array, check_float
from lptrain.convert.imported import ImportedModel, from_sklearn, is_sklearn_mlp, is_torch_module
from lptrain.convert.rescale import Rescaled, rescale_into_box, scale_box, scale_regularizer
from lptrain.errors import InvalidInputError
from lptrain.nn.architecture import Network
from lptrain.nn.regularizers import Regularizer, get_regularizer

__all__ = ["Prepared", "as_network_params", "needs_preparation", "prepare_certify"]


def as_network_params(network: Any, params: Any = None
                      ) -> tuple[Network, np.ndarray | None, str]:
    """``(network, φ or None, description)`` from any accepted model (module docstring).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> net, phi, what = as_network_params(dense([1, 1]), {"0.weight": [[0.5]], "0.bias": [0]})
    >>> phi.tolist(), what
    ([0.5, 0.0], 'state_dict')
    """
    if isinstance(network, ImportedModel) or is_sklearn_mlp(network) or (
            network is not None and not isinstance(network, Network)
            and is_torch_module(network)):
        if params is not None:
            raise InvalidInputError("give the model either as network (with params=None) or as "
                                    "params with its lptrain network, not both")
        network, params = None, network
    if isinstance(params, ImportedModel) or is_sklearn_mlp(params):
        imp = params if isinstance(params, ImportedModel) else from_sklearn(params)
        _same(network, imp.network, imp.source or "the model")
        return imp.network, np.asarray(imp.params, dtype=np.float64), imp.source or "model"
    if params is not None and is_torch_module(params):
        from lptrain.torch import from_torch, module_network

        net = module_network(params) if network is None else network
        return net, from_torch(params, net), f"torch module {type(params).__name__}"
    if not isinstance(network, Network):
        raise InvalidInputError(
            f"network must be an lptrain Network (e.g. parse_arch('2-3-1')), a torch.nn.Module "
            f"or a fitted scikit-learn MLP; got {type(network).__name__}")
    if params is None:
        return network, None, "none"
    if isinstance(params, (str, os.PathLike)):
        from lptrain.torch import params_from_file

        return network, params_from_file(params, network), f"file {os.fspath(params)}"
    if isinstance(params, Mapping):
        from lptrain.torch import params_from_state_dict

        return network, params_from_state_dict(params, network), "state_dict"
    return network, check_array("params", params, ndim=(1, 2)).reshape(-1), "array"


def _same(network: Network | None, imported: Network, source: str) -> None:
    if network is not None and network != imported:
        raise InvalidInputError(f"{source} is the network {imported!r}, not the {network!r} "
                                "given; pass network=None or the matching network")


def needs_preparation(network: Any, params: Any, box: float = 1.0) -> bool:
    """True unless the call is the plain one: a Network, φ absent or a numeric vector inside
    ``[-1, 1]^N``, ``box == 1``.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> needs_preparation(dense([1, 1]), [0.5, 0.0]), needs_preparation(dense([1, 1]), [2, 0])
    (False, True)
    """
    if box != 1.0 or not isinstance(network, Network):
        return True
    if params is None:
        return False
    if isinstance(params, (str, os.PathLike, Mapping, ImportedModel)) or is_sklearn_mlp(params):
        return True
    if is_torch_module(params):
        return True
    arr = np.asarray(params)
    return not (arr.dtype.kind in "fiu" and bool(np.all(np.abs(arr) <= 1.0)))


@dataclass(frozen=True)
class Prepared:
    """The problem :func:`~lptrain.certify.certify_erm` runs after :func:`prepare_certify`."""

    network: Network
    params: np.ndarray | None
    regularizer: Regularizer | None
    radius: float
    source: str
    rescaled: Rescaled | None

    def restore(self, cert: Any) -> Any:
        """The certificate of the scaled problem in the original parameters: ``phi`` times R,
        ``domain`` ``[-R, R]^N``; bounds and values are those of the same functions."""
        if self.radius == 1.0:
            return cert
        R = self.radius
        return replace(cert, phi=np.asarray(cert.phi) * R, domain=f"[-{R:g}, {R:g}]^N")


def prepare_certify(network: Any, params: Any = None, *, box: float = 1.0,
                    regularizer: str | Regularizer | None = None) -> Prepared:
    """Read the model, rescale ReLU units into ``[-box, box]^N`` when φ lies outside (no
    regularizer), and write the problem over ``[-1, 1]^N`` (module docstring).

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> p = prepare_certify(dense([1, 1, 1]), [4.0, -2.0, 0.125, 0.5])
    >>> p.params.tolist(), p.rescaled.exact
    ([1.0, -0.5, 0.5, 0.5], True)
    >>> q = prepare_certify(dense([1, 1]), [3.0, -1.0], box=4.0, regularizer="l1:0.1")
    >>> q.params.tolist(), q.regularizer.spec, q.radius
    ([0.75, -0.25], 'l1:0.4', 4.0)
    """
    R = check_float("box", box, 0.0, lo_open=True)
    net, phi, source = as_network_params(network, params)
    reg = get_regularizer(regularizer)
    rescaled = None
    if phi is not None:
        if phi.size != net.N:
            raise InvalidInputError(f"params has {phi.size} entries but the network has "
                                    f"N={net.N}")
        if reg is None and float(np.max(np.abs(phi), initial=0.0)) > R:
            rescaled = rescale_into_box(net, phi, R)
            if rescaled.in_box:
                phi = rescaled.params
    if R == 1.0:
        return Prepared(net, phi, reg, R, source, rescaled)
    return Prepared(scale_box(net, R), None if phi is None else phi / R,
                    scale_regularizer(reg, R), R, source, rescaled)
