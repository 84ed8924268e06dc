"""The registry: every component, one line each. Adding a component is one module and
one line here (``docs/CONTRIBUTING.md``); :func:`~lptrain.components.base.register` refuses
an incomplete one with a message naming what is missing.

Examples
--------
>>> ACTIVATIONS[:3], LOSSES[-1], REGULARIZERS
(('relu', 'leaky_relu', 'tanh'), 'huber', ('l1', 'l2'))
"""

from __future__ import annotations

from lptrain.components.activation import Activation, check_activation
from lptrain.components.activation import get as get_activation
from lptrain.components.activations.elu import ELU
from lptrain.components.activations.hard_tanh import HardTanh
from lptrain.components.activations.identity import Identity
from lptrain.components.activations.leaky_relu import LeakyReLU
from lptrain.components.activations.relu import ReLU
from lptrain.components.activations.softplus import Softplus
from lptrain.components.activations.step import Step
from lptrain.components.activations.tanh import Tanh
from lptrain.components.base import register
from lptrain.components.loss import Loss, check_loss
from lptrain.components.losses.abs import AbsoluteLoss
from lptrain.components.losses.cross_entropy import CrossEntropyLoss
from lptrain.components.losses.hamming import HammingLoss
from lptrain.components.losses.hinge import HingeLoss
from lptrain.components.losses.huber import HuberLoss
from lptrain.components.losses.quadratic import QuadraticLoss
from lptrain.components.regularizer import Regularizer, check_regularizer
from lptrain.components.regularizers.l1 import L1
from lptrain.components.regularizers.l2 import L2

__all__ = ["ACTIVATIONS", "LOSSES", "REGULARIZERS", "THEORY_ACTIVATIONS"]


def _activations(*classes: type[Activation]) -> tuple[str, ...]:
    return tuple(register(c, [check_activation]).key for c in classes)


def _losses(*classes: type[Loss]) -> tuple[str, ...]:
    return tuple(register(c, [check_loss]).key for c in classes)


def _regularizers(*classes: type[Regularizer]) -> tuple[str, ...]:
    return tuple(register(c, [check_regularizer]).key for c in classes)


#: Registered activation names, in order.
ACTIVATIONS: tuple[str, ...] = _activations(
    ReLU, LeakyReLU, Tanh, HardTanh, ELU, Identity, Step,
    Softplus,
)
#: Registered loss names, in order.
LOSSES: tuple[str, ...] = _losses(
    AbsoluteLoss, QuadraticLoss, HingeLoss, CrossEntropyLoss, HammingLoss,
    HuberLoss,
)
#: Registered regularizer names, in order (the order of :attr:`Regularizer.weights`).
REGULARIZERS: tuple[str, ...] = _regularizers(L1, L2)
#: Activations covered by Lemma 4.5 (1-Lipschitz, a(0) = 0).
THEORY_ACTIVATIONS: tuple[str, ...] = tuple(
    k for k in ACTIVATIONS if get_activation(k).in_theory)
