"""The kernel fragments of every registered component compute what its numpy reading
computes: one definition, two readings. One compiled module holds a small numba function
per component (compiled once, cached on disk), each evaluating all of the component's
fragments on arrays of random inputs."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from components_zoo import ACTIVATION_SPECS, LOSS_SPECS, REGULARIZER_SPECS, ranges

from lptrain import kernels
from lptrain.components import _dsl, get_activation, get_loss, get_regularizer

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="numba missing")

M = (1, 3)


def _function(name: str, inputs: list[str], calls: list[tuple]) -> str:
    """An njit function looping over arrays ``inputs`` and writing every output of every
    fragment call ``(fn, *argument names)`` into the rows of ``out``."""
    names = iter(f"t{k}" for k in range(10**6))
    body, outs = [], []
    for fn, *args in calls:
        lines, exprs = _dsl.fragment(fn, *args, fresh=lambda: next(names))
        body += lines
        outs += exprs
    body = [f"{v} = {v}_[i]" for v in inputs] + body
    body += [f"out[{k}, i] = {e}" for k, e in enumerate(outs)]
    head = ", ".join(f"{v}_" for v in inputs)
    inner = "\n".join("        " + b for b in body)
    return (f"\n\n@njit(cache=True, error_model='numpy')\ndef {name}({head}, out):\n"
            f"    for i in range({inputs[0]}_.shape[0]):\n{inner}\n")


def _loss_calls(loss, m):
    z, u, y = ([f"{p}{j}" for j in range(m)] for p in ("z", "u", "y"))
    c, r = [f"z{j}" for j in range(m)], [f"r{j}" for j in range(m)]
    return ([*z, *u, *y, *r, "floor"],
            [(loss.value, z, y), (loss.interval, z, u, y, y), (loss.minorant, c, r, y, "floor")])


def _module():
    src = ["import math\nfrom numba import njit\n"]
    for k, spec in enumerate(ACTIVATION_SPECS):
        a = get_activation(spec)
        src.append(_function(f"act{k}", ["t", "lo", "hi"],
                             [(a.value, "t"), (a.relax, "lo", "hi"), (a.interval, "lo", "hi")]))
    for k, spec in enumerate(LOSS_SPECS):
        for m in M:
            src.append(_function(f"loss{k}_{m}", *_loss_calls(get_loss(spec), m)))
    for k, spec in enumerate(REGULARIZER_SPECS):
        reg = get_regularizer(spec)
        src.append(_function(f"reg{k}", ["p", "lo", "hi", "r"],
                             [(reg.term, "p"), (reg.term_interval, "lo", "hi"),
                              (reg.term_minorant, "p", "r")]))
    return kernels.compile_source("".join(src))


@pytest.fixture(scope="module")
def mod():
    return _module()


def _close(a, b, atol=1e-13):
    a, b = np.asarray(a, float), np.broadcast_to(np.asarray(b, float), np.shape(a))
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    return bool(np.all(both_inf | (np.abs(a - b) <= atol + 1e-12 * np.abs(b))))


@pytest.mark.parametrize("k", range(len(ACTIVATION_SPECS)), ids=ACTIVATION_SPECS)
def test_activation_fragments_match_numpy(mod, k):
    a = get_activation(ACTIVATION_SPECS[k])
    rng = np.random.default_rng(k)
    lo, hi = ranges(rng, 4000)
    t = rng.uniform(-30, 30, 4000)
    out = np.empty((6, 4000))
    getattr(mod, f"act{k}")(t, lo, hi, out)
    want = [a(t), *a.relaxation(lo, hi), *a.interval(lo, hi)]
    # libm and numpy may differ by an ulp in tanh/exp/log1p; a chord slope over a range of
    # width w amplifies that by 1/w (the relaxation is valid for any slope, see relax)
    cond = 1e-13 if a.exact else 1e-13 + 4e-16 * (1 + np.abs(lo) + np.abs(hi)) ** 2 / np.maximum(
        hi - lo, 1e-300)
    for row, w, tol in zip(out, want, [1e-13, cond, cond, cond, 1e-13, 1e-13], strict=True):
        assert _close(row, w, tol), a.spec


@pytest.mark.parametrize("m", M)
@pytest.mark.parametrize("k", range(len(LOSS_SPECS)), ids=LOSS_SPECS)
def test_loss_fragments_match_numpy(mod, k, m):
    loss = get_loss(LOSS_SPECS[k])
    rng = np.random.default_rng(zlib.crc32(f"{k}-{m}".encode()))
    n = 3000
    z = rng.uniform(-3, 3, (m, n))
    if loss.spec == "hamming":
        z = np.round(z)
    u = z + rng.uniform(0, 2, (m, n)) * rng.choice([1.0, 0.0], (m, n))
    y = np.round(rng.uniform(-1, 1, (m, n)), 1)
    r = rng.uniform(0, 1, (m, n)) * rng.choice([1.0, 0.0], (m, n))
    floor = rng.uniform(-1, 1, n)
    with np.errstate(all="ignore"):
        want = [loss.columns(list(z), list(y)), *loss.interval(list(z), list(u), list(y),
                                                               list(y))]
        s, kk = loss.minorant(list(z), list(r), list(y), floor)
    want += [*s, kk]
    out = np.empty((len(want), n))
    getattr(mod, f"loss{k}_{m}")(*z, *u, *y, *r, floor, out)
    for row, w in zip(out, want, strict=True):
        assert _close(row, w), loss.spec


@pytest.mark.parametrize("k", range(len(REGULARIZER_SPECS)), ids=REGULARIZER_SPECS)
def test_regularizer_fragments_match_numpy(mod, k):
    reg = get_regularizer(REGULARIZER_SPECS[k])
    rng = np.random.default_rng(k)
    lo = rng.uniform(-1, 1, 2000)
    hi = np.minimum(lo + rng.uniform(0, 1, 2000), 1.0)
    p, r = 0.5 * (lo + hi), 0.5 * (hi - lo) * rng.choice([1.0, 0.0], 2000)
    out = np.empty((5, 2000))
    getattr(mod, f"reg{k}")(p, lo, hi, r, out)
    want = [reg.term(p), *reg.term_interval(lo, hi), *reg.term_minorant(p, r)]
    for row, w in zip(out, want, strict=True):
        assert _close(row, w), reg.spec
