"""Models trained elsewhere, as lptrain networks: scikit-learn MLPs and PyTorch modules.

:func:`from_sklearn` reads a fitted ``MLPRegressor`` / ``MLPClassifier`` (``coefs_[l]`` is
(inputs, outputs): transposed into PyTorch's (outputs, inputs) layout; ``intercepts_[l]`` the
biases; the hidden activation mapped ``relu → relu``, ``tanh → tanh``, ``identity →
identity``, ``logistic`` refused). A classifier's network gives the logits, so lptrain's
``cross_entropy`` (softmax over the outputs) is the MLP's log-loss; a binary classifier's
single logit z becomes the two outputs ``(0, z)`` (the first row fixed at 0):
``softmax(0, z) = (1 - σ(z), σ(z))``, exactly the logistic model. :func:`from_module` does
the same for a ``torch.nn.Module`` (architecture and activations checked by
:func:`lptrain.torch.from_torch`).

With the training data ``X`` (and ``y`` for regressors) the range scaling onto [-1, 1] is
folded into the weights (:func:`lptrain.convert.fold_scalers`) and kept: the
:class:`ImportedModel` then predicts exactly what the original does on raw data, while its
network works on the scaled data the certificate needs; ``save`` writes an lptrain model
file (``lptrain certify model.json data.csv`` reads it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._validation import check_array
from lptrain.convert.rescale import fold_scalers
from lptrain.data import LabelEncoder, UnitScaler
from lptrain.errors import InvalidInputError
from lptrain.model_io import ModelFile, save_model
from lptrain.nn import Network, dense

__all__ = ["ImportedModel", "from_sklearn", "from_module", "is_sklearn_mlp", "is_torch_module"]

_SK_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "identity": "identity"}


@dataclass(frozen=True)
class ImportedModel:
    """A model trained elsewhere as an lptrain network with free parameters φ.

    ``scaler_x`` / ``scaler_y`` are the range scalings folded into φ (None: the network
    takes the data as given); ``labels`` the class encoding of a classifier; ``loss`` the
    loss it was trained on, in lptrain's names; ``source`` a description.
    """

    network: Network
    params: np.ndarray
    loss: str
    labels: LabelEncoder | None = None
    scaler_x: UnitScaler | None = None
    scaler_y: UnitScaler | None = None
    source: str = ""

    def to_model_file(self) -> ModelFile:
        """The model as an lptrain :class:`~lptrain.model_io.ModelFile`."""
        return ModelFile(self.network, np.asarray(self.params, dtype=np.float64), self.loss,
                         scaler_x=self.scaler_x, scaler_y=self.scaler_y, labels=self.labels,
                         training={"imported_from": self.source})

    def predict(self, X: Any) -> np.ndarray:
        """What the original model predicts on raw ``X``: outputs (D, m), or labels (D,)."""
        return self.to_model_file().predict(check_array("X", X, ndim=2))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an lptrain model file (read by ``lptrain certify`` and ``lptrain predict``)."""
        return save_model(path, self.to_model_file())


def is_sklearn_mlp(obj: Any) -> bool:
    """True for a scikit-learn ``MLPRegressor`` / ``MLPClassifier`` (fitted or not)."""
    return type(obj).__name__ in ("MLPRegressor", "MLPClassifier") and hasattr(obj, "get_params")


def is_torch_module(obj: Any) -> bool:
    """True for a ``torch.nn.Module`` (without importing torch for other objects)."""
    if not (hasattr(obj, "state_dict") and hasattr(obj, "parameters")):
        return False
    try:
        import torch
    except ImportError:
        return False
    return isinstance(obj, torch.nn.Module)


def _scalers(X: Any, y: Any, regressor: bool) -> tuple[UnitScaler | None, UnitScaler | None]:
    sx = UnitScaler.fit(check_array("X", X, ndim=2)) if X is not None else None
    sy = None
    if y is not None and regressor:
        Y = check_array("y", y, ndim=(1, 2))
        sy = UnitScaler.fit(Y.reshape(Y.shape[0], -1))
    return sx, sy


def from_sklearn(estimator: Any, X: Any = None, y: Any = None) -> ImportedModel:
    """A fitted scikit-learn ``MLPRegressor`` or ``MLPClassifier`` as an lptrain network.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier, fitted
    X, y : array-like, optional
        The training data: their range scaling onto [-1, 1] is folded into the weights
        (``y`` for regressors only), so that the certificate, which needs data in [-1, 1],
        is about the same predictions.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("sklearn")
    >>> from sklearn.neural_network import MLPRegressor
    >>> X = np.linspace(-1, 1, 20)[:, None]; y = np.abs(X[:, 0])
    >>> mlp = MLPRegressor(hidden_layer_sizes=(3,), max_iter=3000, random_state=0).fit(X, y)
    >>> m = from_sklearn(mlp)
    >>> m.network.widths, m.loss, bool(np.allclose(m.predict(X)[:, 0], mlp.predict(X)))
    ((1, 3, 1), 'quadratic', True)
    """
    if not is_sklearn_mlp(estimator):
        raise InvalidInputError(f"from_sklearn takes a fitted MLPRegressor or MLPClassifier; "
                                f"got {type(estimator).__name__}")
    name = type(estimator).__name__
    if not hasattr(estimator, "coefs_"):
        raise InvalidInputError(f"this {name} is not fitted yet; call fit(X, y) first")
    act = estimator.activation
    if act not in _SK_ACTIVATIONS:
        raise InvalidInputError(
            f"{name}(activation={act!r}) cannot be certified: the logistic sigmoid has "
            "σ(0) = 1/2 ≠ 0, outside Lemma 4.5 and lptrain's activations; train it with "
            "activation='relu', 'tanh' or 'identity'")
    coefs = [np.asarray(c, dtype=np.float64) for c in estimator.coefs_]
    biases = [np.asarray(b, dtype=np.float64) for b in estimator.intercepts_]
    widths = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    hidden = _SK_ACTIVATIONS[act]
    raw = [a for W, b in zip(coefs, biases, strict=True) for a in (W.T.ravel(), b)]
    classifier = name == "MLPClassifier"
    labels = None
    if classifier:
        out = estimator.out_activation_
        classes = tuple(np.asarray(estimator.classes_).tolist())
        if out == "logistic" and widths[-1] > 1:
            raise InvalidInputError("a multilabel MLPClassifier (independent logistic outputs) "
                                    "has no lptrain loss; lptrain's cross_entropy is softmax")
        labels = LabelEncoder(classes, "onehot")
        if widths[-1] == 1:  # binary: logits (0, z), softmax = (1 - σ(z), σ(z))
            net = dense(widths[:-1] + [2], hidden)
            start = sum(int(np.prod(s)) for _, s in net.groups[:-2])
            h = widths[-2]
            fixed = {start + j: 0.0 for j in range(h)}  # the weights and bias of logit 0
            fixed[start + 2 * h] = 0.0
            # the free parameters left are, in order, those of the MLP: concat(raw)
            network, params = net.fix_parameters(fixed), np.concatenate(raw)
        else:
            network, params = dense(widths, hidden), np.concatenate(raw)
        loss = "cross_entropy"
    else:
        if estimator.out_activation_ != "identity":  # e.g. loss='poisson' (exp output)
            raise InvalidInputError(
                f"{name} with output activation {estimator.out_activation_!r} (loss="
                f"{getattr(estimator, 'loss', '?')!r}) has no lptrain loss; use "
                "loss='squared_error'")
        network, params, loss = dense(widths, hidden), np.concatenate(raw), "quadratic"
    sx, sy = _scalers(X, y, not classifier)
    if sx is not None or sy is not None:
        params = fold_scalers(network, params, sx, sy)
    source = (f"{name}(hidden_layer_sizes={tuple(widths[1:-1])}, activation={act!r})")
    return ImportedModel(network, params, loss, labels, sx, sy, source)


def from_module(module: Any, network: Network | None = None, *, loss: str = "quadratic",
                X: Any = None, y: Any = None, labels: LabelEncoder | None = None
                ) -> ImportedModel:
    """A ``torch.nn.Module`` as an lptrain network: ``network`` (or the one an
    ``nn.Sequential`` of Linear layers computes, :func:`lptrain.torch.module_network`),
    φ read and checked by :func:`lptrain.torch.from_torch`; ``X``/``y`` fold the range scaling
    as in :func:`from_sklearn` (``y`` unless ``labels`` is given).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> seq = torch.nn.Sequential(torch.nn.Linear(1, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> from_module(seq, loss="abs").network.widths
    (1, 2, 1)
    """
    from lptrain.torch import from_torch, module_network

    net = module_network(module) if network is None else network
    phi = from_torch(module, net)
    sx, sy = _scalers(X, y, labels is None)
    if sx is not None or sy is not None:
        phi = fold_scalers(net, phi, sx, sy)
    return ImportedModel(net, phi, loss, labels, sx, sy, type(module).__name__)
