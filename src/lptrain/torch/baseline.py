"""A plain gradient baseline in PyTorch (what the demo and the benchmarks compare with).

:func:`train_sgd` trains the same network on the same loss inside the same box
``[-1, 1]^N`` (weights clamped after every step), from a few random restarts, and reports
each restart's empirical risk recomputed by :func:`lptrain.nn.empirical_risk`, so that the
numbers are comparable with the LP's and can be certified with
:func:`lptrain.certify.certify_erm`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from lptrain._progress import progress as progress_bar
from lptrain._validation import check_array
from lptrain.nn import Network, empirical_risk, get_loss
from lptrain.nn.regularizers import get_regularizer
from lptrain.torch.export import to_torch
from lptrain.torch.mapping import loss_value
from lptrain.torch.runtime import require_torch
from lptrain.torch.weights import from_torch

__all__ = ["SGDResult", "train_sgd"]


@dataclass(frozen=True)
class SGDResult:
    """Result of :func:`train_sgd`: the best restart's φ and every restart's ERM."""

    params: np.ndarray
    erms: tuple[float, ...]
    seconds: float
    restarts: int
    steps: int
    lr: float
    optimizer: str

    @property
    def erm(self) -> float:
        """ERM of the best restart (the one ``params`` holds)."""
        return min(self.erms)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {"params": self.params.tolist(), "erm": self.erm, "erms": list(self.erms),
                "seconds": self.seconds, "restarts": self.restarts, "steps": self.steps,
                "lr": self.lr, "optimizer": self.optimizer}


def train_sgd(network: Network, loss: str, X: Any, Y: Any, *, restarts: int = 5,
              steps: int = 300, lr: float = 0.05, optimizer: str = "adam",
              regularizer: str | None = None, seed: int = 0,
              progress: bool | None = False) -> SGDResult:
    """Plain gradient training in PyTorch on the same problem: full-batch Adam (or SGD)
    on the empirical risk, the weights clamped to the box [-1, 1] after every step, from
    ``restarts`` random starts (uniform in ``±1/sqrt(Δ)``). The ERM of each restart is
    recomputed with :func:`lptrain.nn.empirical_risk`, so it is comparable with the LP's.
    ``progress`` shows a bar over the steps (None: on a terminal).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("torch")
    >>> from lptrain.nn import dense
    >>> X = np.linspace(-1, 1, 9)[:, None]
    >>> res = train_sgd(dense([1, 1]), "quadratic", X, 0.5 * X, restarts=2, steps=200)
    >>> res.erm < 1e-4, len(res.erms)
    (True, 2)
    """
    torch = require_torch("the SGD baseline")
    lo = get_loss(loss)
    reg = get_regularizer(regularizer)
    Xa = check_array("X", X, ndim=2)
    Ya = check_array("Y", Y, ndim=(1, 2)).reshape(Xa.shape[0], -1)
    xt, yt = torch.tensor(Xa), torch.tensor(Ya)
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(max(network.max_in_degree, 1))
    generic = any(f < 0 for f in network.raw_free)
    best: np.ndarray | None = None
    erms: list[float] = []
    t0 = time.perf_counter()
    with progress_bar(restarts * steps, "gradient descent", enabled=progress,
                      unit="step") as bar:
        for r in range(restarts):
            phi, erm = _one_restart(network, lo, reg, xt, yt, Xa, Ya,
                                    rng.uniform(-scale, scale, network.N), generic, steps,
                                    lr, optimizer, seed + r, bar.update)
            erms.append(erm)
            if best is None or erm < min(erms[:-1]):
                best = phi
    assert best is not None
    return SGDResult(best, tuple(erms), time.perf_counter() - t0, restarts, steps, lr,
                     optimizer)


def _one_restart(network: Network, lo: Any, reg: Any, xt: Any, yt: Any, Xa: np.ndarray,
                 Ya: np.ndarray, phi0: np.ndarray, generic: bool, steps: int, lr: float,
                 optimizer: str, seed: int, tick: Any) -> tuple[np.ndarray, float]:
    torch = require_torch("the SGD baseline")
    torch.manual_seed(seed)
    module = to_torch(network, phi0, generic=generic)
    params = list(module.parameters())
    opt = (torch.optim.Adam(params, lr=lr) if optimizer == "adam"
           else torch.optim.SGD(params, lr=lr))
    for _ in range(steps):
        opt.zero_grad()
        value = loss_value(lo.name, module(xt), yt)
        if reg is not None:
            flat = torch.cat([p.flatten() for p in params])
            lam1, lam2 = reg.weights
            value = value + lam1 * flat.abs().sum() + lam2 * (flat ** 2).sum()
        value.backward()
        opt.step()
        with torch.no_grad():
            for p in params:
                p.clamp_(-1.0, 1.0)
        tick(1)
    phi = from_torch(module, network, check=False)  # our own export: nothing to check
    return phi, float(empirical_risk(network, lo, Xa, Ya, phi[None], reg)[0])
