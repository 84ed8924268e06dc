"""Compatibility door for :class:`lptrain.estimators.LPTrainer` (and its helpers), under the
module name the CLI, the examples and existing code import.

Examples
--------
>>> from lptrain.trainer import LPTrainer
>>> from lptrain.estimators import LPTrainer as Same
>>> LPTrainer is Same
True
"""

from __future__ import annotations

from lptrain.estimators import CLASSIFICATION_LOSSES, LPTrainer, solver_names, training_report

__all__ = ["LPTrainer", "CLASSIFICATION_LOSSES", "solver_names", "training_report"]
