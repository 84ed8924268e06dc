"""Networks, activations, losses, regularizers, batched evaluation kernels, Lipschitz
constants and interval bounds (§2.1, §4, Appendices B and C).

Examples
--------
>>> from lptrain.nn import dense, architecture_lipschitz
>>> architecture_lipschitz(dense([2, 3, 1]), "abs").lipschitz
416.0
"""

from __future__ import annotations

from lptrain.nn.activations import ACTIVATIONS, Activation, get_activation
from lptrain.nn.architecture import Network, Node, PhiConstraint
from lptrain.nn.builders import ARCH_HELP, conv1d, conv2d, dag, dense, parse_arch, resnet
from lptrain.nn.evaluate import (
    GridArgmin,
    empirical_risk,
    forward,
    grid_argmin,
    grid_risk,
    loss_matrix,
    resolve_backend,
)
from lptrain.nn.intervals import forward_interval, loss_interval, node_intervals, risk_interval
from lptrain.nn.lipschitz import LipschitzReport, architecture_lipschitz, node_bounds
from lptrain.nn.losses import LOSSES, Loss, get_loss
from lptrain.nn.regularizers import REGULARIZERS, Regularizer, get_regularizer

__all__ = [
    "ACTIVATIONS", "ARCH_HELP", "LOSSES", "REGULARIZERS",
    "Activation", "GridArgmin", "LipschitzReport", "Loss", "Network", "Node",
    "PhiConstraint", "Regularizer",
    "architecture_lipschitz", "conv1d", "conv2d", "dag", "dense", "empirical_risk",
    "forward", "forward_interval", "get_activation", "get_loss", "get_regularizer",
    "grid_argmin", "grid_risk", "loss_interval", "loss_matrix", "node_bounds",
    "node_intervals", "parse_arch", "resnet", "resolve_backend", "risk_interval",
]
