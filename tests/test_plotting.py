"""Pictures: the axes hold the data and the bound history; files are written atomically."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from lptrain.errors import OutputError  # noqa: E402
from lptrain.estimators import LPTrainer  # noqa: E402
from lptrain.plotting import (  # noqa: E402
    bounds_figure,
    certificate_figure,
    fit_figure,
    plot_bounds,
    plot_fit,
    save_figure,
    training_figure,
)


def _offsets(ax):
    return np.concatenate([c.get_offsets() for c in ax.collections
                           if hasattr(c, "get_offsets") and len(c.get_offsets())
                           and c.get_offsets().shape[1] == 2 and type(c).__name__ ==
                           "PathCollection"])


def test_regression_with_one_input_draws_the_data_and_the_curve():
    X = np.linspace(-2, 3, 17)[:, None]
    y = X[:, 0] ** 2
    ax = fit_figure(X, y, lambda A: 2 * A[:, 0]).axes[0]
    np.testing.assert_array_equal(_offsets(ax), np.column_stack([X[:, 0], y]))
    line = ax.lines[0]
    assert line.get_xdata().min() == -2 and line.get_xdata().max() == 3
    np.testing.assert_allclose(line.get_ydata(), 2 * line.get_xdata())


def test_regression_with_two_inputs_is_a_colour_map_with_the_data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 5, (30, 2))
    y = X[:, 0] - X[:, 1]
    fig = fit_figure(X, y, lambda A: A[:, 0] - A[:, 1], feature_names=["a", "b"],
                     target_names=["d"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(_offsets(ax), X)
    mesh = [c for c in ax.collections if type(c).__name__ == "QuadMesh"][0]
    grid = mesh.get_array().reshape(120, 120)
    assert grid.min() == pytest.approx(X[:, 0].min() - X[:, 1].max())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("a", "b")
    assert len(fig.axes) == 2  # the colour bar


def test_decision_regions_and_confusion_matrix():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (40, 2))
    y = np.where(X[:, 0] > 0, "right", "left")
    ax = fit_figure(X, y, lambda A: np.where(A[:, 0] > 0, "right", "left"),
                    classes=["left", "right"]).axes[0]
    pts = _offsets(ax)
    assert pts.shape == (40, 2) and sorted(map(tuple, pts)) == sorted(map(tuple, X))
    X3 = rng.uniform(-1, 1, (12, 3))
    y3 = np.arange(12) % 3
    conf = fit_figure(X3, y3, lambda A: np.zeros(len(A), dtype=int), classes=[0, 1, 2]).axes[0]
    M = conf.images[0].get_array()
    assert M[:, 0].tolist() == [4, 4, 4] and M.sum() == 12


def test_bounds_figure_draws_the_history():
    hist = [(0.0, -2.0, 0.6), (0.5, 0.1, 0.45), (1.0, 0.38, 0.4), (1.5, 0.395, 0.4)]
    fig = bounds_figure(hist, target_gap=0.01)
    ax, gap = fig.axes
    upper, lower = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
    np.testing.assert_array_equal(lower, [h[1] for h in hist])
    np.testing.assert_array_equal(upper, [h[2] for h in hist])
    np.testing.assert_allclose(gap.lines[0].get_ydata(), [2.6, 0.35, 0.02, 0.005])
    assert gap.get_yscale() == "log" and gap.lines[1].get_ydata()[0] == 0.01


def test_training_figure_shows_fit_and_bounds():
    X = np.linspace(-1, 1, 11)[:, None]
    y = np.abs(X[:, 0]) - 0.5
    model = LPTrainer("1-1-1", "abs", target_gap=0.01, backend="numpy").fit(X, y)
    fig = training_figure(model, X, y)
    assert len(fig.axes) == 3
    H = np.asarray(model.a_posteriori_.history)
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), H[:, 1])
    grid = LPTrainer("1-1", "abs", bits=2, backend="numpy").fit(X, y)
    assert len(training_figure(grid, X, y).axes) == 1  # no branch and bound: the fit only


def test_files_are_written_atomically(tmp_path, monkeypatch):
    X = np.linspace(-1, 1, 5)[:, None]
    path = plot_fit(tmp_path / "fit.png", X, X[:, 0], lambda A: A[:, 0])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.png"]  # no temporary left
    with pytest.raises(OutputError, match="folder .* does not exist"):
        plot_bounds(tmp_path / "missing" / "b.png", [(0, 0, 1)])
    before = path.read_bytes()
    fig = fit_figure(X, X[:, 0], lambda A: A[:, 0])

    def broken(buf, **kw):
        buf.write(b"\x89PNG half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "fit.png"]


def test_certificate_figure_draws_the_fit_and_the_history_it_is_given():
    X = np.linspace(-1, 1, 7)[:, None]
    hist = [(0.0, -1.0, 0.5), (0.1, 0.2, 0.4), (0.3, 0.39, 0.4)]
    fig = certificate_figure(hist, X, X[:, 0], lambda A: 0.5 * A[:, 0],
                             baseline=lambda A: A[:, 0], title="t")
    fit, bounds, gap = fig.axes[:3]
    assert fit.collections[0].get_offsets().shape == (7, 2)
    assert len(fit.lines) == 2  # the model and the baseline
    lower = [ln for ln in bounds.lines if ln.get_label() == "certified lower bound"][0]
    assert lower.get_ydata().tolist() == [-1.0, 0.2, 0.39]
    assert gap.get_yscale() == "log"
    assert len(certificate_figure(None, X, X[:, 0], lambda A: A[:, 0]).axes) == 1
