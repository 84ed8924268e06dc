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
from lptrain.errors import FileFormatError, LPTrainError
from lptrain.nn import Network, forward
from lptrain.nn.losses import get_loss

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


def _scaler(doc: Any, key: str, width: int, path: Any) -> UnitScaler | None:
    raw = doc.get(key)
    if not raw:
        return None
    scaler = UnitScaler.from_dict(raw)
    for part in (scaler.center, scaler.half_range):
        if part.shape != (width,) or not np.isfinite(part).all():
            raise FileFormatError(f"{path}: {key} must hold {width} finite numbers per part "
                                  f"(one per column); it holds shape {part.shape}")
    if not (scaler.half_range > 0).all():
        raise FileFormatError(f"{path}: {key}.half_range must be positive")
    return scaler


def _names(doc: Any, key: str, width: int, path: Any) -> tuple[str, ...] | None:
    names = doc.get(key)
    if not names:
        return None
    if (not isinstance(names, list) or len(names) != width
            or not all(isinstance(v, str) for v in names)):
        raise FileFormatError(f"{path}: {key} must be a list of {width} column names")
    return tuple(names)


def load_model(path: str | os.PathLike[str]) -> ModelFile:
    """Read a model written by :func:`save_model`; refuse malformed or modified files.

    Everything is checked against the stored network: the number of parameters (finite),
    the loss name, the scalers' widths (n and m), the label encoding's outputs.
    """
    doc = load_json(path, kind="model", versions=[1, MODEL_FORMAT_VERSION])
    try:
        if not isinstance(doc.get("network"), dict):
            raise FileFormatError(f"{path}: network must be a JSON object (Network.to_dict)")
        network = Network.from_dict(doc["network"])
        raw = doc["params"]
        if not isinstance(raw, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            raise FileFormatError(f"{path}: params must be a list of numbers")
        params = np.asarray(raw, dtype=np.float64)
        if params.shape != (network.N,):
            raise FileFormatError(
                f"{path}: params has {params.size} entries but the network has N={network.N}"
            )
        loss = str(doc["loss"])
        component = get_loss(loss)
        if doc.get("format_version") == 1:  # the loss may have meant something else then
            component.refuse_legacy(network.m, str(path))
        labels = LabelEncoder.from_dict(doc["labels"]) if doc.get("labels") else None
        if labels is not None and labels.n_outputs != network.m:
            raise FileFormatError(f"{path}: the label encoding has {labels.n_outputs} outputs "
                                  f"but the network has m={network.m}")
        n_targets = 1 if labels is not None else network.m
        return ModelFile(
            network=network,
            params=params,
            loss=loss,
            feature_names=_names(doc, "feature_names", network.n, path),
            target_names=_names(doc, "target_names", n_targets, path),
            scaler_x=_scaler(doc, "scaler_x", network.n, path),
            scaler_y=_scaler(doc, "scaler_y", network.m, path),
            labels=labels,
            training=dict(doc.get("training") or {}),
        )
    except LPTrainError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise FileFormatError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:
        raise FileFormatError(
            f"{path}: malformed model file ({type(exc).__name__}: {exc})"
        ) from None
