"""Trained models on disk: one JSON format shared by every trainer and by ``lptrain predict``.

A model file holds the network (``Network.to_dict``), its free parameters φ, the loss, the
scalers and label encoding applied to the data, and a free-form ``training`` record (the
certificate, sizes and times). It is written with :func:`lptrain._io.save_json` (kind
``"model"``, a format version and a checksum) so that floats round-trip exactly and a
modified file is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import load_json, save_json
from lptrain.data import LabelEncoder, UnitScaler
from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.nn import Network, forward, get_loss

__all__ = ["ModelFile", "save_model", "load_model", "MODEL_FORMAT_VERSION"]

#: 2: the hinge loss of m > 1 outputs is the sum of per-output hinges (format 1 stored
#: max(1 - zᵀy, 0), refused on load: see lptrain.components.losses.hinge).
MODEL_FORMAT_VERSION = 2


@dataclass(frozen=True)
class ModelFile:
    """A trained network and everything ``predict`` needs to apply it to raw data."""

    network: Network
    params: np.ndarray
    loss: str
    feature_names: tuple[str, ...] | None = None
    target_names: tuple[str, ...] | None = None
    scaler_x: UnitScaler | None = None
    scaler_y: UnitScaler | None = None
    labels: LabelEncoder | None = None
    training: dict[str, Any] = field(default_factory=dict)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Apply the stored scaling, the network and the inverse target map / label decoding.

        Returns an array (D, m) of outputs, or (D,) of class labels for classifiers.
        """
        Xs = self.scaler_x.transform(X) if self.scaler_x is not None else np.asarray(X, float)
        out = forward(self.network, Xs, self.params[None, :])[0]
        if self.labels is not None:
            return self.labels.decode(out)
        return self.scaler_y.inverse_transform(out) if self.scaler_y is not None else out


def save_model(path: str | os.PathLike[str], model: ModelFile) -> Path:
    """Write ``model`` as a checksummed JSON file (atomically).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lptrain.nn import dense
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> m = ModelFile(dense([1, 1], "identity"), np.array([0.5, -0.25]), "abs")
    >>> _ = save_model(p, m)
    >>> load_model(p).predict(np.array([[1.0]])).tolist()
    [[0.25]]
    """
    payload: dict[str, Any] = {
        "network": model.network.to_dict(),
        "params": [float(v) for v in np.asarray(model.params, dtype=np.float64)],
        "loss": model.loss,
        "feature_names": list(model.feature_names) if model.feature_names else None,
        "target_names": list(model.target_names) if model.target_names else None,
        "scaler_x": model.scaler_x.to_dict() if model.scaler_x is not None else None,
        "scaler_y": model.scaler_y.to_dict() if model.scaler_y is not None else None,
        "labels": model.labels.to_dict() if model.labels is not None else None,
        "training": model.training,
    }
    return save_json(path, payload, kind="model", version=MODEL_FORMAT_VERSION)


def _refuse_redefined(loss: str, m: int, path: Any) -> None:
    """Refuse a format-1 model whose loss meant something else then (the component says
    why: :meth:`lptrain.components.Loss.legacy_reason`)."""
    try:
        component = get_loss(loss)
    except InvalidInputError:
        return  # not a loss this version knows: nothing was redefined
    component.refuse_legacy(m, str(path))


def load_model(path: str | os.PathLike[str]) -> ModelFile:
    """Read a model written by :func:`save_model`; refuse malformed or modified files."""
    doc = load_json(path, kind="model", versions=[1, MODEL_FORMAT_VERSION])
    try:
        network = Network.from_dict(doc["network"])
        if doc.get("format_version") == 1:
            _refuse_redefined(str(doc["loss"]), network.m, path)
        params = np.asarray(doc["params"], dtype=np.float64)
        if params.shape != (network.N,):
            raise FileFormatError(
                f"{path}: params has {params.size} entries but the network has N={network.N}"
            )
        names = doc.get("feature_names")
        targets = doc.get("target_names")
        return ModelFile(
            network=network,
            params=params,
            loss=str(doc["loss"]),
            feature_names=tuple(names) if names else None,
            target_names=tuple(targets) if targets else None,
            scaler_x=UnitScaler.from_dict(doc["scaler_x"]) if doc.get("scaler_x") else None,
            scaler_y=UnitScaler.from_dict(doc["scaler_y"]) if doc.get("scaler_y") else None,
            labels=LabelEncoder.from_dict(doc["labels"]) if doc.get("labels") else None,
            training=dict(doc.get("training") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(
            f"{path}: malformed model file ({type(exc).__name__}: {exc})"
        ) from None
