"""Estimators: ``LPRegressor`` and ``LPClassifier`` (scikit-learn, architecture from the
data) and ``LPTrainer`` (the architecture given), with the two training paths of
:mod:`lptrain.estimators.paths` and the report of :mod:`lptrain.estimators.report`.

``LPRegressor`` / ``LPClassifier`` are imported on first use (they need scikit-learn).

Examples
--------
>>> from lptrain.estimators import LPTrainer
>>> LPTrainer("1-1", "abs", bits=2)
LPTrainer(network='1-1', loss='abs', bits=2)
"""

from __future__ import annotations

from typing import Any

from lptrain.estimators.common import CLASSIFICATION_LOSSES, NotFittedError, solver_names
from lptrain.estimators.report import data_units, training_report
from lptrain.estimators.trainer import LPTrainer

__all__ = ["CLASSIFICATION_LOSSES", "LPClassifier", "LPRegressor", "LPTrainer",
           "NotFittedError", "data_units", "solver_names", "training_report"]


def __getattr__(name: str) -> Any:
    if name in ("LPRegressor", "LPClassifier"):
        from lptrain.estimators import sklearn as _sk

        return getattr(_sk, name)
    raise AttributeError(f"module 'lptrain.estimators' has no attribute {name!r}")
