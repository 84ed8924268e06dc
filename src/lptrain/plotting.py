"""Plots of a fit (optional extra ``lptrain[plot]``: matplotlib, Agg backend, no display).

:func:`plot_fit` picks the picture that fits the data:

* regression with one input: the data as dots and the fitted curve (plus a baseline curve,
  e.g. SGD, when given);
* regression with several inputs or outputs: predicted against true values, with the
  diagonal;
* classification with two inputs: decision regions and the data coloured by class;
* other classification: the confusion matrix.

Figures are drawn on a standalone ``matplotlib.figure.Figure`` (no pyplot state), so
plotting is safe in scripts, tests and threads.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import atomic_write_bytes

__all__ = ["plot_fit", "require_matplotlib"]

Predictor = Callable[[np.ndarray], np.ndarray]


def require_matplotlib() -> Any:
    """Import matplotlib's Figure class, or raise ImportError telling how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "plots need matplotlib, which is not installed: pip install matplotlib "
            "(or pip install 'lptrain[plot]')"
        ) from None
    return Figure


def plot_fit(
    path: str | os.PathLike[str],
    X: Any,
    y: Any,
    predict: Predictor,
    *,
    classes: Sequence[Any] | None = None,
    baseline: Predictor | None = None,
    label: str = "LP training",
    baseline_label: str = "SGD",
    title: str | None = None,
    feature_names: Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
) -> Path:
    """Write a PNG picturing how ``predict`` fits the data (X, y); see the module docstring.

    Parameters
    ----------
    path : path-like
        The PNG to write (atomically).
    X : array (D, n)
        Inputs in the caller's units.
    y : array (D,) or (D, m)
        Targets (numbers) or class labels.
    predict : callable
        Maps an array (k, n) to predictions (k,) or (k, m) (``LPTrainer.predict``).
    classes : sequence, optional
        Class labels: draw a classifier's picture instead of a regression's.
    baseline : callable, optional
        A second predictor drawn for comparison (e.g. plain SGD).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import tempfile, pathlib
    >>> X = np.linspace(-1, 1, 20)[:, None]
    >>> p = plot_fit(pathlib.Path(tempfile.mkdtemp()) / "fit.png", X, X[:, 0] ** 2,
    ...              lambda A: np.abs(A[:, 0]))
    >>> p.stat().st_size > 1000
    True
    """
    Figure = require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    Xa = np.asarray(X, dtype=np.float64)
    ya = np.asarray(y)
    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    names = list(feature_names) if feature_names else [f"x{j}" for j in range(Xa.shape[1])]
    if classes is not None:
        if Xa.shape[1] == 2:
            _decision_regions(ax, fig, Xa, ya, predict, list(classes), names)
        else:
            _confusion(ax, fig, ya, predict(Xa), list(classes))
    else:
        yy = ya.astype(np.float64).reshape(Xa.shape[0], -1)
        tnames = list(target_names) if target_names else [f"y{j}" for j in range(yy.shape[1])]
        if Xa.shape[1] == 1 and yy.shape[1] == 1:
            _curve(ax, Xa, yy[:, 0], predict, baseline, label, baseline_label, names[0],
                   tnames[0])
        else:
            _predicted_vs_true(ax, Xa, yy, predict, baseline, label, baseline_label)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())


def _column(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(len(values), -1)[:, 0]


def _curve(ax: Any, X: np.ndarray, y: np.ndarray, predict: Predictor,
           baseline: Predictor | None, label: str, baseline_label: str, xname: str,
           yname: str) -> None:
    ax.scatter(X[:, 0], y, s=12, alpha=0.5, color="0.45", label="data")
    lo, hi = float(X[:, 0].min()), float(X[:, 0].max())
    grid = np.linspace(lo, hi, 400)[:, None]
    ax.plot(grid[:, 0], _column(predict(grid)), color="C0", lw=2.2, label=label)
    if baseline is not None:
        ax.plot(grid[:, 0], _column(baseline(grid)), color="C3", lw=1.6, ls="--",
                label=baseline_label)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    ax.legend(loc="best", fontsize=9)


def _predicted_vs_true(ax: Any, X: np.ndarray, y: np.ndarray, predict: Predictor,
                       baseline: Predictor | None, label: str, baseline_label: str) -> None:
    pred = np.asarray(predict(X), dtype=np.float64).reshape(y.shape)
    ax.scatter(y.ravel(), pred.ravel(), s=12, alpha=0.6, color="C0", label=label)
    if baseline is not None:
        base = np.asarray(baseline(X), dtype=np.float64).reshape(y.shape)
        ax.scatter(y.ravel(), base.ravel(), s=10, alpha=0.5, marker="x", color="C3",
                   label=baseline_label)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls=":")
    ax.set_xlabel("true value")
    ax.set_ylabel("predicted value")
    ax.legend(loc="best", fontsize=9)


def _class_index(labels: np.ndarray, classes: list[Any]) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup.get(v, -1) for v in np.asarray(labels).ravel().tolist()])


def _decision_regions(ax: Any, fig: Any, X: np.ndarray, y: np.ndarray, predict: Predictor,
                      classes: list[Any], names: list[str]) -> None:
    pad = 0.02 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    g0 = np.linspace(X[:, 0].min() - pad[0], X[:, 0].max() + pad[0], 200)
    g1 = np.linspace(X[:, 1].min() - pad[1], X[:, 1].max() + pad[1], 200)
    G0, G1 = np.meshgrid(g0, g1)
    Z = _class_index(predict(np.column_stack([G0.ravel(), G1.ravel()])), classes)
    k = len(classes)
    ax.contourf(G0, G1, Z.reshape(G0.shape), levels=np.arange(-0.5, k), cmap="tab10",
                vmin=0, vmax=9, alpha=0.25)
    idx = _class_index(y, classes)
    for i, c in enumerate(classes):
        sel = idx == i
        ax.scatter(X[sel, 0], X[sel, 1], s=14, color=f"C{i % 10}", edgecolor="k",
                   linewidth=0.3, label=str(c))
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.legend(loc="best", fontsize=9, title="class")


def _confusion(ax: Any, fig: Any, y: np.ndarray, pred: np.ndarray, classes: list[Any]) -> None:
    t, p = _class_index(y, classes), _class_index(pred, classes)
    k = len(classes)
    ok = (t >= 0) & (p >= 0)
    M = np.zeros((k, k), dtype=np.int64)
    np.add.at(M, (t[ok], p[ok]), 1)
    im = ax.imshow(M, cmap="Blues")
    for (i, j), v in np.ndenumerate(M):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=9)
    ax.set_xticks(range(k), [str(c) for c in classes])
    ax.set_yticks(range(k), [str(c) for c in classes])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(im, ax=ax)
