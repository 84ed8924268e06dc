"""Pictures of a fit and of a certificate (optional extra ``lptrain[plot]``: matplotlib,
Agg backend, no display).

:func:`plot_fit` / :func:`fit_figure` pick the picture that fits the data:

* regression with one input: the data as dots and the fitted curve (plus a baseline curve,
  e.g. SGD, when given);
* regression with two inputs and one output: the prediction as a colour map over the
  inputs' range, the data as dots in the same colours;
* regression otherwise: predicted against true values, with the diagonal;
* classification with two inputs: decision regions and the data coloured by class;
* other classification: the confusion matrix.

:func:`plot_bounds` / :func:`bounds_figure` draw a branch-and-bound certificate's history
``(seconds, lower bound, best value)``: the two bounds closing over time and the gap on a
log scale. :func:`plot_certificate` puts a model's fit and a certificate's bound history
side by side (``lptrain certify --plot``); :func:`plot_training` does so for a fitted
estimator (``lptrain train --gap --plot``, ``lptrain demo``).

Figures are drawn on a standalone ``matplotlib.figure.Figure`` (no pyplot state), so
plotting is safe in scripts, tests and threads; files are written atomically (a complete
PNG or nothing).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import atomic_write_bytes

__all__ = ["plot_fit", "fit_figure", "plot_bounds", "bounds_figure", "plot_certificate",
           "certificate_figure", "plot_training", "training_figure", "save_figure",
           "require_matplotlib"]

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


def _new_figure(width: float = 6.4, height: float = 4.8) -> Any:
    Figure = require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG, atomically (:func:`lptrain._io.atomic_write_bytes`).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import tempfile, pathlib
    >>> fig = fit_figure(np.zeros((2, 1)), np.zeros(2), lambda A: A[:, 0])
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "f.png").read_bytes()[:4]
    b'\\x89PNG'
    """
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return atomic_write_bytes(path, buf.getvalue())


def _draw_fit(ax: Any, fig: Any, X: Any, y: Any, predict: Predictor, classes: Any,
              baseline: Predictor | None, label: str, baseline_label: str,
              feature_names: Sequence[str] | None, target_names: Sequence[str] | None) -> None:
    Xa = np.asarray(X, dtype=np.float64)
    ya = np.asarray(y)
    names = list(feature_names) if feature_names else [f"x{j}" for j in range(Xa.shape[1])]
    if classes is not None:
        if Xa.shape[1] == 2:
            _decision_regions(ax, fig, Xa, ya, predict, list(classes), names)
        else:
            _confusion(ax, fig, ya, predict(Xa), list(classes))
        return
    yy = ya.astype(np.float64).reshape(Xa.shape[0], -1)
    tnames = list(target_names) if target_names else [f"y{j}" for j in range(yy.shape[1])]
    if Xa.shape[1] == 1 and yy.shape[1] == 1:
        _curve(ax, Xa, yy[:, 0], predict, baseline, label, baseline_label, names[0], tnames[0])
    elif Xa.shape[1] == 2 and yy.shape[1] == 1:
        _surface(ax, fig, Xa, yy[:, 0], predict, names, tnames[0])
    else:
        _predicted_vs_true(ax, Xa, yy, predict, baseline, label, baseline_label)


def fit_figure(X: Any, y: Any, predict: Predictor, *, classes: Sequence[Any] | None = None,
               baseline: Predictor | None = None, label: str = "LP training",
               baseline_label: str = "SGD", title: str | None = None,
               feature_names: Sequence[str] | None = None,
               target_names: Sequence[str] | None = None) -> Any:
    """The figure :func:`plot_fit` writes (a ``matplotlib.figure.Figure``).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> X = np.linspace(-1, 1, 5)[:, None]
    >>> ax = fit_figure(X, X[:, 0], lambda A: A[:, 0]).axes[0]
    >>> ax.collections[0].get_offsets().shape, ax.get_xlabel()
    ((5, 2), 'x0')
    """
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    _draw_fit(ax, fig, X, y, predict, classes, baseline, label, baseline_label,
              feature_names, target_names)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


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
    return save_figure(fit_figure(X, y, predict, classes=classes, baseline=baseline,
                                  label=label, baseline_label=baseline_label, title=title,
                                  feature_names=feature_names, target_names=target_names),
                       path)


def _history(cert: Any) -> np.ndarray:
    hist = getattr(cert, "history", cert)
    H = np.asarray(hist, dtype=np.float64).reshape(-1, 3) if len(hist) else np.zeros((0, 3))
    return H


def _draw_bounds(ax: Any, ax_gap: Any, cert: Any, target_gap: float | None,
                 units: str) -> None:
    H = _history(cert)
    t, lower, upper = H[:, 0], H[:, 1], H[:, 2]
    finite = np.isfinite(lower) & np.isfinite(upper)
    t, lower, upper = t[finite], lower[finite], upper[finite]
    ax.step(t, upper, where="post", color="C3", lw=1.8, label="best value found (upper)")
    ax.step(t, lower, where="post", color="C0", lw=1.8, label="certified lower bound")
    ax.fill_between(t, lower, upper, step="post", color="0.85", label="gap")
    if upper.size:
        span = float(upper[-1] - lower[-1])
        top = float(upper.max())
        ax.set_ylim(min(float(lower[-1]) - 2 * span, float(upper.min())) - 1e-12,
                    top + 0.05 * (abs(top) + span) + 1e-12)
    ax.set_xlabel("seconds")
    ax.set_ylabel(f"empirical risk{units}")
    ax.legend(loc="best", fontsize=8)
    gap = np.maximum(upper - lower, 1e-16)
    ax_gap.step(t, gap, where="post", color="C2", lw=1.8, label="upper - lower")
    if target_gap is not None:
        ax_gap.axhline(target_gap, color="0.3", ls=":", lw=1, label=f"target {target_gap:g}")
    ax_gap.set_yscale("log")
    ax_gap.set_xlabel("seconds")
    ax_gap.set_ylabel("certified gap")
    ax_gap.legend(loc="best", fontsize=8)


def bounds_figure(cert: Any, *, target_gap: float | None = None, title: str | None = None,
                  units: str = "") -> Any:
    """The bounds of a branch and bound closing over time: ``cert`` is an
    :class:`~lptrain.certify.ERMCertificate` (or its ``history``, rows ``(seconds, lower
    bound, best value)``); left the two bounds, right the gap on a log scale.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> fig = bounds_figure([(0.0, -1.0, 0.5), (0.1, 0.2, 0.4), (0.3, 0.39, 0.4)],
    ...                     target_gap=0.01)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['empirical risk', 'certified gap']
    """
    fig = _new_figure(10.0, 4.0)
    ax, ax_gap = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    tg = target_gap if target_gap is not None else getattr(cert, "target_gap", None)
    _draw_bounds(ax, ax_gap, cert, tg, units)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_bounds(path: str | os.PathLike[str], cert: Any, *, target_gap: float | None = None,
                title: str | None = None, units: str = "") -> Path:
    """Write :func:`bounds_figure` as a PNG (atomically).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import tempfile, pathlib
    >>> p = plot_bounds(pathlib.Path(tempfile.mkdtemp()) / "b.png", [(0, -1, 1), (1, 0, 0.5)])
    >>> p.suffix, p.stat().st_size > 1000
    ('.png', True)
    """
    return save_figure(bounds_figure(cert, target_gap=target_gap, title=title, units=units),
                       path)


def certificate_figure(cert: Any, X: Any, y: Any, predict: Predictor, *,
                       classes: Sequence[Any] | None = None,
                       baseline: Predictor | None = None, label: str = "lptrain",
                       baseline_label: str = "SGD", title: str | None = None,
                       feature_names: Sequence[str] | None = None,
                       target_names: Sequence[str] | None = None, units: str = "") -> Any:
    """A model's fit (or decision regions) and, when ``cert`` (an
    :class:`~lptrain.certify.ERMCertificate`, or None) is given, the bounds of its branch and
    bound closing over time and the gap: what ``lptrain certify --plot`` and ``lptrain train
    --gap --plot`` draw.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> X = np.linspace(-1, 1, 5)[:, None]
    >>> fig = certificate_figure([(0.0, -1.0, 0.5), (0.2, 0.3, 0.4)], X, X[:, 0],
    ...                          lambda A: A[:, 0])
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['y0', 'empirical risk', 'certified gap']
    """
    fig = _new_figure(15.0 if cert is not None else 6.4, 4.6)
    cols = 3 if cert is not None else 1
    ax = fig.add_subplot(1, cols, 1)
    _draw_fit(ax, fig, X, y, predict, classes, baseline, label, baseline_label,
              feature_names, target_names)
    if cert is not None:
        _draw_bounds(fig.add_subplot(1, cols, 2), fig.add_subplot(1, cols, 3), cert,
                     getattr(cert, "target_gap", None), units)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_certificate(path: str | os.PathLike[str], cert: Any, X: Any, y: Any,
                     predict: Predictor, **options: Any) -> Path:
    """Write :func:`certificate_figure` as a PNG (atomically); ``options`` as there.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import tempfile, pathlib
    >>> X = np.linspace(-1, 1, 5)[:, None]
    >>> p = plot_certificate(pathlib.Path(tempfile.mkdtemp()) / "c.png",
    ...                      [(0, -1, 1), (1, 0, 0.5)], X, X[:, 0], lambda A: A[:, 0])
    >>> p.stat().st_size > 1000
    True
    """
    return save_figure(certificate_figure(cert, X, y, predict, **options), path)


def training_figure(model: Any, X: Any, y: Any, *, title: str | None = None,
                    feature_names: Sequence[str] | None = None,
                    target_names: Sequence[str] | None = None,
                    baseline: Predictor | None = None, baseline_label: str = "SGD",
                    label: str = "lptrain") -> Any:
    """A fitted estimator's picture (:func:`certificate_figure`): its fit (or decision
    regions) and, when it ran a branch and bound (``a_posteriori_``), the bounds closing
    over time and the gap."""
    post = getattr(model, "a_posteriori_", None)
    classes = list(model.classes_) if getattr(model, "labels_", None) is not None else None
    units = " (scaled units)" if getattr(model, "scaler_y_", None) is not None else ""
    return certificate_figure(
        post, X, y, model.predict, classes=classes, baseline=baseline, label=label,
        baseline_label=baseline_label, title=title,
        feature_names=feature_names or getattr(model, "feature_names_", None),
        target_names=target_names or getattr(model, "target_names_", None), units=units)


def plot_training(path: str | os.PathLike[str], model: Any, X: Any, y: Any,
                  **options: Any) -> Path:
    """Write :func:`training_figure` as a PNG (atomically); ``options`` as there.

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> import tempfile, pathlib
    >>> from lptrain.estimators import LPTrainer
    >>> X = np.linspace(-1, 1, 9)[:, None]
    >>> m = LPTrainer("1-1", "abs", target_gap=0.01, backend="numpy").fit(X, 0.5 * X[:, 0])
    >>> plot_training(pathlib.Path(tempfile.mkdtemp()) / "t.png", m, X, 0.5 * X[:, 0]).exists()
    True
    """
    return save_figure(training_figure(model, X, y, **options), path)


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


def _surface(ax: Any, fig: Any, X: np.ndarray, y: np.ndarray, predict: Predictor,
             names: list[str], yname: str) -> None:
    g0 = np.linspace(X[:, 0].min(), X[:, 0].max(), 120)
    g1 = np.linspace(X[:, 1].min(), X[:, 1].max(), 120)
    G0, G1 = np.meshgrid(g0, g1)
    Z = _column(predict(np.column_stack([G0.ravel(), G1.ravel()]))).reshape(G0.shape)
    lo, hi = float(min(Z.min(), y.min())), float(max(Z.max(), y.max()))
    mesh = ax.pcolormesh(G0, G1, Z, cmap="viridis", vmin=lo, vmax=hi, shading="auto")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="viridis", vmin=lo, vmax=hi, s=18,
               edgecolor="k", linewidth=0.4, label="data")
    fig.colorbar(mesh, ax=ax, label=f"{yname} (fit; dots: data)")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])


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
