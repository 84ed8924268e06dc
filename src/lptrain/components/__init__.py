"""Components: activations, losses and regularizers, one module each, and the registry.

Every question a stage of the pipeline asks of a component — its value, the kernel
fragment, interval enclosure, affine relaxation or minorant, LP pieces, Lipschitz
constant, rounding magnitudes, exact rationals, SCIP model, PyTorch module or loss, its
place in the theory — is answered by the component's own class
(:mod:`~lptrain.components.activation`, :mod:`~lptrain.components.loss`,
:mod:`~lptrain.components.regularizer`); no stage switches on a name. The mathematics is
written once, in the vocabulary of :mod:`lptrain.components._dsl`, and read as numpy, as
generated kernel source and as exact rationals.

Examples
--------
>>> from lptrain.components import get_activation, get_loss
>>> get_loss("hinge").lipschitz(m=3, U=1.0), get_activation("elu:0.5").in_theory
(6.0, True)
"""

from __future__ import annotations

from lptrain.components.activation import Activation
from lptrain.components.activation import get as get_activation
from lptrain.components.base import Component, ComponentError, Parameter, register, registered
from lptrain.components.hull import Envelope, LossPieces
from lptrain.components.loss import Loss, SeparableLoss
from lptrain.components.loss import get as get_loss
from lptrain.components.registry import (
    ACTIVATIONS,
    LOSSES,
    REGULARIZERS,
    THEORY_ACTIVATIONS,
)
from lptrain.components.regularizer import Regularizer
from lptrain.components.regularizer import get as get_regularizer

__all__ = ["ACTIVATIONS", "LOSSES", "REGULARIZERS", "THEORY_ACTIVATIONS", "Activation",
           "Component", "ComponentError", "Envelope", "Loss", "LossPieces", "Parameter",
           "Regularizer", "SeparableLoss", "get_activation", "get_loss", "get_regularizer",
           "register", "registered"]
