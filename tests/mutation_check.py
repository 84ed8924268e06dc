"""Mutation check of the soundness-critical code: ``python tests/mutation_check.py``.

Each entry of :data:`MUTATIONS` is one small wrong change — a relaxation slope or offset, a
loss minorant, a regularizer term, a rounding margin, the LP dual bound, the branch-and-bound
invariant, a symmetry face, the grid — with the tests that must catch it. The script copies
the working tree to a temporary directory (the working tree is never edited: a crash or
Ctrl-C leaves it untouched), checks that the selected tests pass on the unmutated copy, then
applies each mutation alone, runs its tests against the copy (``PYTHONPATH=<copy>/src``) and
prints a caught / total table. It exits 0 only when every mutation is caught.

Generated numba kernels are cached by a hash of their source text. Every mutation runs with
its own fresh ``LPTRAIN_CACHE_DIR``, seeded from the baseline run's cache (``--cold``: empty),
so an unmutated kernel is loaded and a kernel whose generated source changed is compiled
anew; for a mutation of a kernel generator the table reports how many new kernel sources
it produced (0 would mean the mutation never reached a kernel).

Entries are data: ``Mutation(name, file, old, new, tests, why)``; ``old`` must occur exactly
once in ``file``. When the code moves, retarget ``old`` (``tests/test_mutation_list.py``
fails, naming the entry, as soon as an ``old`` text is no longer found).

Usage::

    python tests/mutation_check.py              # every mutation (about an hour on 2 cores)
    python tests/mutation_check.py --list       # the table of entries, nothing run
    python tests/mutation_check.py -k hinge     # entries whose name contains 'hinge'
    python tests/mutation_check.py --cold       # empty kernel cache for every mutation
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["Mutation", "MUTATIONS", "check_entries", "main"]


@dataclass(frozen=True)
class Mutation:
    """One wrong change: replace ``old`` (exactly once in ``file``) by ``new``; the pytest
    arguments ``tests`` (relative to the repository root) must then fail."""

    name: str
    file: str
    old: str
    new: str
    tests: str
    why: str


# Test selections (pytest arguments). Numba selections name one or two kernels each: a
# mutated kernel generator recompiles every kernel the selection needs (~15 s each).
_BOX = "tests/soundness/test_box_soundness.py"
_NUMPY = f"{_BOX} -k numpy"
_ROUND = "tests/soundness/test_rounding.py"
_NODE_SLACK = f"{_ROUND} -k node_slack"
_LANES = f'{_ROUND} -k "margins_cover and numba"'
_RELAX = f"{_ROUND} -k relaxations"
_DUAL = f"{_ROUND} -k dual"
_FD = 'tests/nn/test_nn_lipschitz.py -k "finite_differences or attained"'
_INTV = "tests/soundness/test_interval_soundness.py"
_LAZY = "tests/soundness/test_lazy_soundness.py"
_BNB = "tests/soundness/test_search_soundness.py"
_PAT = "src/lptrain/certify/patterns"
_PAT_T = "tests/certify/test_patterns.py"
_PAT_NODE = f"{_PAT_T} -k \"node_bound_below or triangle_and\""
_PAT_ENV = f"{_PAT_T} -k \"certify_upper or envelope_facet or node_bound_below\""
_HULL_UNIT = "tests/certify/test_patterns_hull.py -k arrangement_minimum"
_HULL_SWEEP = "tests/certify/test_patterns_hull.py -k \"sweep_is_the or is_the_arrangement\""
_HULL_NODE = "tests/certify/test_patterns_hull.py -k hull_lp_from_below"
_HULL_LAZY = "tests/certify/test_patterns_hull.py -k \"lazy or certify_node\""
_HULL_ARC = "tests/certify/test_patterns_hull.py -k \"narrow or arrangement_minimum\""
_LOOPS = "tests/certify/test_patterns_hull.py -k \"narrow or near or between\""
_CONVERGE = "tests/certify/test_patterns_hull.py -k converges_to_the_hull_lp"


def _numba(*cases: str) -> str:
    return f"{_BOX} -k \"{' or '.join(f'numba-{c}' for c in cases)}\""


_C = "src/lptrain/components"
_RELU = f"{_C}/activations/relu.py"
_LEAKY = f"{_C}/activations/leaky_relu.py"
_STEP = f"{_C}/activations/step.py"
_HTANH = f"{_C}/activations/hard_tanh.py"
_TANH = f"{_C}/activations/tanh.py"
_ELU = f"{_C}/activations/elu.py"
_SOFTPLUS = f"{_C}/activations/softplus.py"
_ABS = f"{_C}/losses/abs.py"
_QUAD = f"{_C}/losses/quadratic.py"
_HINGE = f"{_C}/losses/hinge.py"
_HUBER = f"{_C}/losses/huber.py"
_CE = f"{_C}/losses/cross_entropy.py"
_HAMMING = f"{_C}/losses/hamming.py"
_L1 = f"{_C}/regularizers/l1.py"
_L2 = f"{_C}/regularizers/l2.py"
_AFF = "src/lptrain/kernels/affine.py"
_AN = "src/lptrain/certify/_affine_numpy.py"
_MG = "src/lptrain/kernels/margins.py"
_IK = "src/lptrain/kernels/interval.py"
#: Numba cells for the activation relaxations: dense-quadratic first (its free hidden
#: nodes are leaky ReLU and tanh, and hard tanh its output), then conv1d-abs, whose shared
#: convolution weights make every hidden node's range a function of the box.
#: After them, each relaxation alone against exact arithmetic at sampled points of random
#: ranges (``test_rounding.py``): a tangent point that misses the extreme of a(x) - λx by
#: a few hundredths is hidden in a network's bound by the looseness of the other terms.
_ACT = (f'{_BOX} {_ROUND} -k "numba-dense-quadratic or numba-conv1d-abs or '
        f'(relaxations and numba)"')
#: The numpy cells of the box matrix, then the numpy relaxations against exact arithmetic.
_ACT_NUMPY = f'{_BOX} {_ROUND} -k "numpy- or (relaxations and numpy)"'
#: Softplus has free parameters in conv1d-abs (a hidden node) and dag-huber (an output).
_SOFTPLUS_CELLS = (f'{_BOX} {_ROUND} -k "numba-conv1d-abs or numba-dag-huber or '
                   f'(relaxations and numba)"')
#: The multi-output hinge cells of the numpy matrix.
_MULTI_HINGE = f'{_BOX} -k "numpy-multi-hinge or numpy-dag-hinge"'

# Since the components refactor (issue 10) every relaxation, minorant and interval
# enclosure is written once, in the component's module, and read both as numpy and as
# generated kernel source: a "kernel-" entry and its "numpy-" twin change the same
# definition and differ in the tests that must catch it (the numba cells of the matrix,
# or the numpy ones). What is still written twice — the propagation of the affine forms
# through the network (kernels/affine.py and certify/_affine_numpy.py) — has entries of its
# own on each side.
#
# Margins not on the list, because no bound can exceed the exact minimum when only they are
# removed (another margin covers the same rounding with room to spare; removing them is an
# equivalent mutant, checked by this script when they were on the list):
# * the box-radius widening (``radius_slack``, numpy's ``4u(|lo| + |hi|)``): every parameter
#   enters a form through a node sum, whose node slack (>= 88u T) covers a radius short by
#   an ulp; the regularizer terms are covered by the final margin's ``3λN`` part;
# * the interval loss slack (``loss_slack``) and the regularizer slack of ``risk_interval``:
#   the output's node slack widens the loss's arguments by more than the loss's own
#   rounding, and the slack of the mean exceeds the rounding of λR for any λN² < 15.
# A wrong chord slope of softplus (or ELU) is an equivalent mutant too: the offsets are
# computed from whatever slope it is (the maximum of a(x) - λx over the ends and a
# tangent's offset, both valid for every λ), so it only loosens the bound; the entry
# ``kernel-softplus-slope`` instead returns a slope other than the one the offsets were
# computed for. A wrong tangent *slope* d in ``tangent_offset`` is nearly equivalent: at
# the point x* where a' = λ the offset is ``a(x*) - λx* + (d - λ)(lo - x*)`` (or ``hi``),
# never above the true one whatever d; it shows only where x* is clamped to an end of the
# range (``kernel-softplus-tangent-slope`` is caught by the network cells, not by the
# relaxation test at random ranges). The per-output hinge minorant holds for any slope λ
# in [0, 1] (``max(u, 0) >= λu``), so a wrong range of ``1 - z_j y_j`` is equivalent too.
_CERTIFY_CLI = "tests/cli/test_cli_certify_models.py"

MUTATIONS: tuple[Mutation, ...] = (
    # ----- activation relaxations (component definitions; numba cells of the matrix)
    Mutation("kernel-relu-offset", _RELU, "-lam * lo, 0.0)", "-0.5 * lam * lo, 0.0)",
             _ACT, "ReLU chord: upper offset halved"),
    Mutation("kernel-leaky-slope", _LEAKY,
             "return a + (1.0 - a) * lam, (1.0 - a) * bl, (1.0 - a) * bh",
             "return a + lam, (1.0 - a) * bl, (1.0 - a) * bh",
             _ACT, "leaky ReLU: slope a + λ instead of a + (1-a)λ"),
    Mutation("kernel-step-offset", _STEP, "where(lo > 0.0, 1.0, 0.0)",
             "where(lo > 0.0, 1.0, 0.5)", _numba("resnet-hamming"),
             "step over a straddling range: lower offset 0.5 instead of 0"),
    Mutation("kernel-hard-tanh-kink", _HTANH, "lambda lam: [(-1.0, None), (1.0, None)]",
             "lambda lam: [(-1.0, None)]", _ACT,
             "hard tanh: the kink at +1 is not an extreme of a(x) - λx"),
    Mutation("kernel-tanh-tangent", _TANH, "xc = arctanh(sqrt(clip(1.0 - lam, 0.0, 1.0)))",
             "xc = arctanh(clip(1.0 - lam, 0.0, 1.0))", _ACT,
             "tanh: wrong point where tanh' = λ"),
    Mutation("kernel-elu-tangent", _ELU, "bl = where(neg, a * expm1(xs), 0.0)",
             "bl = where(neg, a * expm1(0.5 * xs), 0.0)", _ACT,
             "ELU: the tangent's point is not on the curve"),
    Mutation("kernel-softplus-chord-offset", _SOFTPLUS,
             "bh = maximum(fl - lam * lo, fh - lam * hi)",
             "bh = 0.5 * maximum(fl - lam * lo, fh - lam * hi)", _SOFTPLUS_CELLS,
             "softplus chord: upper offset halved"),
    Mutation("kernel-softplus-tangent-slope", _SOFTPLUS, "1.0 / (1.0 + e), e / (1.0 + e))",
             "1.0 / (1.0 + e), 1.0 / (1.0 + e))", _SOFTPLUS_CELLS,
             "softplus tangent below: slope σ(-t) instead of σ(t) for t < 0 (offset wrong)"),
    Mutation("kernel-softplus-tangent-point", _ELU,
             "    return value(xs) - d * xs + minimum((d - lam) * lo, (d - lam) * hi)",
             "    return value(0.5 * xs) - d * xs + minimum((d - lam) * lo, (d - lam) * hi)",
             _SOFTPLUS_CELLS, "softplus tangent below (elu.tangent_offset): the tangent's "
             "point is not on the curve"),
    Mutation("kernel-softplus-slope", _SOFTPLUS, "return lam, tangent_offset(",
             "return 0.9 * lam, tangent_offset(", _SOFTPLUS_CELLS,
             "softplus: returned slope differs from the slope its offsets were computed for"),
    # ----- the affine-form propagation of the generated kernel (kernels/affine.py)
    Mutation("kernel-product-error", _AFF,
             'quad = [f"abs({a})" for j, a in form.coef.items() if j != p]',
             'quad = [f"0.5 * abs({a})" for j, a in form.coef.items() if j != p]',
             _numba("dense-quadratic"), "bilinear terms ε_p ε_j: half the error radius"),
    Mutation("kernel-product-shift", _AFF,
             '            cen.append(f"0.5 * {w1} * {form.coef[p]}")\n', "            pass\n",
             f"{_BOX} -k shared_parameter", "ε_p² ∈ [0, 1]: centre shift dropped (shared weight)"),
    Mutation("kernel-activation-error", _AFF, '0.5 * ({bhi} - {blo}) + {slack}" if s.e',
             '0.25 * ({bhi} - {blo}) + {slack}" if s.e', _numba("dense-quadratic"),
             "activation relaxation: half its width in the error radius"),
    # ----- loss minorants and regularizer terms (component definitions; numba cells)
    Mutation("kernel-abs-clip", _ABS, "clip(t / where(r > 0.0, r, 1.0), -1.0, 1.0)",
             "(t / where(r > 0.0, r, 1.0))", _numba("conv1d-abs"),
             "|t| >= σt with σ = t/rad unclipped (σ > 1 when the sign is fixed)"),
    Mutation("kernel-quadratic-tangent", _QUAD, "return 2.0 * t, t * t",
             "return 2.5 * t, t * t", _numba("dense-quadratic"),
             "(z-y)² tangent slope 2.5 t0 instead of 2 t0"),
    Mutation("kernel-hinge-slope", _HINGE, "return -lam * y, lam * t",
             "return -1.5 * lam * y, 1.5 * lam * t", _numba("multi-hinge"),
             "hinge minorant slope ×1.5 (planted bug of the issue), per output, m = 2"),
    Mutation("kernel-hinge-rest-slope", _HINGE, "return -lam * y, lam * t",
             "return -lam * absolute(y), lam * t", _numba("multi-hinge"),
             "per-output hinge minorant (m = 2): slope -λ|y_j|, the sign of the -1 (rest) "
             "labels lost"),
    Mutation("kernel-huber-tangent-slope", _HUBER,
             "return clip(t, -self.param, self.param), self._h(t)",
             "return t, self._h(t)", _numba("dag-huber"),
             "Huber tangent: slope t0 (the quadratic's) beyond δ instead of clip(t0, -δ, δ)"),
    Mutation("kernel-separable-slopes", f"{_C}/loss.py",
             "return [p[0] for p in parts], fold_sum([p[1] for p in parts])",
             "return [parts[0][0] for p in parts], fold_sum([p[1] for p in parts])",
             f'{_BOX} -k "numba-dag-huber or numpy-multi-abs"',
             "a separable loss of m > 1 outputs: every output gets "
             "output 0's minorant slope"),
    Mutation("kernel-cross-entropy-gradient", _CE, "ysum * exp(c - lse) - y, 0.0)",
             "ysum * exp(c - lse) - 1.5 * y, 0.0)", _numba("conv2d-cross_entropy"),
             "cross-entropy tangent: wrong gradient"),
    Mutation("kernel-hamming-interval", _HAMMING, "disjoint = (zh < yl) | (yh < zl)",
             "disjoint = (zh < yl) | (yh < zh)", _numba("resnet-hamming"),
             "Hamming: counts an output whose range holds y"),
    Mutation("kernel-l2-overestimate", _L2, "return 2.0 * c, c * c",
             "return 2.0 * c, c * c + r * r", _numba("dense-quadratic"),
             "l2 minorant overestimated (planted bug of the issue)"),
    Mutation("kernel-regularizer-interval", _L2, "a = maximum(maximum(lo, -hi), 0.0)",
             "a = maximum(0.5 * (lo + hi), -0.5 * (lo + hi))", _numba("dense-quadratic"),
             "interval bound of λR (l2) uses |centre| instead of the least magnitude"),
    # ----- the same definitions read as numpy (reference and fallback)
    Mutation("numpy-relu-offset", _RELU, "-lam * lo, 0.0)", "-0.5 * lam * lo, 0.0)", _ACT_NUMPY,
             "ReLU chord: upper offset halved"),
    Mutation("numpy-product-shift", _AN, "        c = c + 0.5 * w1 * f.coef[p]\n",
             "        pass\n", f"{_BOX} -k shared_parameter",
             "ε_p² ∈ [0, 1]: centre shift dropped (shared weight)"),
    Mutation("numpy-product-error", _AN, "e = e + (0.5 if j == p else 1.0) * np.abs(w1 * a)",
             "e = e + (0.5 if j == p else 0.5) * np.abs(w1 * a)", _NUMPY,
             "bilinear terms ε_p ε_j: half the error radius (numpy propagation)"),
    Mutation("numpy-activation-error", _AN, "out.e = out.e + 0.5 * (bh - bl) + margins",
             "out.e = out.e + 0.25 * (bh - bl) + margins", _NUMPY,
             "activation relaxation: half its width in the error radius (numpy propagation)"),
    Mutation("numpy-leaky-slope", _LEAKY,
             "return a + (1.0 - a) * lam, (1.0 - a) * bl, (1.0 - a) * bh",
             "return a + lam, (1.0 - a) * bl, (1.0 - a) * bh", _ACT_NUMPY,
             "leaky ReLU slope a + λ"),
    Mutation("numpy-step-offset", _STEP, "where(lo > 0.0, 1.0, 0.0)",
             "where(lo > -0.5, 1.0, 0.0)", _ACT_NUMPY, "step: lower offset 1 too early"),
    Mutation("numpy-hard-tanh-kink", _HTANH, "lambda lam: [(-1.0, None), (1.0, None)]",
             "lambda lam: [(-1.0, None)]", _ACT_NUMPY, "hard tanh: kink at +1 missed"),
    Mutation("numpy-tanh-tangent", _TANH, "xc = arctanh(sqrt(clip(1.0 - lam, 0.0, 1.0)))",
             "xc = arctanh(clip(1.0 - lam, 0.0, 1.0))", _ACT_NUMPY, "tanh: wrong tangent point"),
    Mutation("numpy-elu-tangent", _ELU, "bl = where(neg, a * expm1(xs), 0.0)",
             "bl = where(neg, a * expm1(0.5 * xs), 0.0)", _ACT_NUMPY,
             "ELU: the tangent's point is not on the curve"),
    Mutation("numpy-softplus-chord-offset", _SOFTPLUS,
             "bh = maximum(fl - lam * lo, fh - lam * hi)",
             "bh = 0.5 * maximum(fl - lam * lo, fh - lam * hi)", _ACT_NUMPY,
             "softplus chord: upper offset halved"),
    Mutation("numpy-quadratic-tangent", _QUAD, "return 2.0 * t, t * t",
             "return 3.0 * t, t * t", _NUMPY, "(z-y)² tangent slope 3 t0"),
    Mutation("numpy-hinge-slope", _HINGE, "return -lam * y, lam * t",
             "return -1.5 * lam * y, 1.5 * lam * t", _NUMPY, "hinge minorant slope ×1.5"),
    Mutation("numpy-hinge-rest-slope", _HINGE, "return -lam * y, lam * t",
             "return -lam * absolute(y), lam * t", _MULTI_HINGE,
             "per-output hinge minorant (m = 2): slope -λ|y_j|, the sign of the -1 (rest) "
             "labels lost"),
    Mutation("numpy-huber-tangent-offset", _HUBER,
             "return clip(t, -self.param, self.param), self._h(t)",
             "return clip(t, -self.param, self.param), 0.5 * (t * t)", _NUMPY,
             "Huber tangent: offset t0²/2 (the quadratic's) beyond δ instead of h_δ(t0)"),
    Mutation("numpy-abs-clip", _ABS, "clip(t / where(r > 0.0, r, 1.0), -1.0, 1.0)",
             "(t / where(r > 0.0, r, 1.0))", _NUMPY, "|t| minorant slope unclipped"),
    Mutation("numpy-cross-entropy-gradient", _CE, "ysum * exp(c - lse) - y, 0.0)",
             "ysum * exp(c - lse) - 1.5 * y, 0.0)", _NUMPY,
             "cross-entropy tangent: wrong gradient"),
    Mutation("numpy-l2-overestimate", _L2, "return 2.0 * c, c * c",
             "return 2.0 * c, c * c + r * r", _NUMPY, "l2 minorant overestimated"),
    # ----- rounding margins (kernels/margins.py, shared by both backends)
    Mutation("margin-node-slack", _MG, "node_s[v] = float(8.0 * (deg + 10) * _U * ts)",
             "node_s[v] = 0.0", _NODE_SLACK,
             "node rounding slack set to 0 (planted bug of the issue)"),
    Mutation("margin-activation-slack", _MG, "80.0 * _U * (T[v] + 1.0)",
             "0.0 * _U * (T[v] + 1.0)", _RELAX,
             "activation rounding slack set to 0 (planted bug of the issue)"),
    Mutation("margin-final", _MG,
             "return 4.0 * _U * (N + 3) * (D + N + 8 * m + 32) * total", "return 0.0 * total",
             _LANES, "final margin of the mean over the data set to 0"),
    Mutation("interval-activation-slack", _MG, "act[i] = 16.0 * _U * max(1.0, s)",
             "act[i] = 0.0 * _U * max(1.0, s)", f"{_ROUND} -k flat_parts",
             "interval bounds: tanh/ELU values not widened for libm's rounding"),
    Mutation("interval-node-slack", _MG, "slack[i] = 2.5 * (len(v.inputs) + 3) * _U * s",
             "slack[i] = 0.0 * s", _NODE_SLACK, "interval node slack set to 0"),
    Mutation("interval-mean-slack", "src/lptrain/nn/intervals.py",
             "mean_slack = 2.5 * (D + 2) * _U * loss_magnitude(network, lo_)",
             "mean_slack = 0.0", _LANES, "interval slack of the mean set to 0"),
    # ----- interval arithmetic
    Mutation("interval-product-corners", "src/lptrain/nn/intervals.py",
             "return (np.minimum(np.minimum(p1, p2), np.minimum(p3, p4)),",
             "return (np.minimum(p1, p4),", f"{_INTV} -k numpy",
             "interval product: two corners ignored"),
    Mutation("kernel-interval-product", _IK, '"sl += min(min(m1, m2), min(m3, m4))"',
             '"sl += min(m1, m4)"', f"{_INTV} -k numba-dense", "kernel interval product"),
    Mutation("interval-abs-loss", _ABS,
             "return where(dl > 0.0, dl, where(dh < 0.0, -dh, 0.0)), maximum(",
             "return absolute(dl), maximum(", f"{_INTV} -k numpy",
             "|z - y| lower end ignores 0 (abs, quadratic and Huber intervals)"),
    Mutation("interval-regularizer", _L1,
             "return maximum(maximum(lo, -hi), 0.0), maximum(-lo, hi)",
             "return maximum(0.5 * (lo + hi), -0.5 * (lo + hi)), maximum(-lo, hi)",
             f"{_INTV} -k numpy", "λR (l1) lower end at the centre"),
    # ----- the LP dual bound
    Mutation("dual-final-slack", "src/lptrain/solver/certificate.py",
             "return float(np.nextafter(total - slack, -np.inf))", "return float(total)",
             _DUAL, "float dual bound without its final slack (planted bug of the issue)"),
    Mutation("dual-residual-enclosure", "src/lptrain/solver/certificate.py",
             "err = _gamma(k) * scale * (1.0 + _gamma(k)) + k * _TINY", "err = 0.0 * scale",
             _DUAL, "reduced costs not enclosed"),
    Mutation("dual-exact-rounding", "src/lptrain/solver/certificate.py",
             "return float(np.nextafter(f, -np.inf)) if Fraction(f) > value else f",
             "return f", _DUAL, "exact bound rounded to nearest, not down"),
    # ----- Lipschitz constants (§4): the a-priori guarantee and the theory checks
    Mutation("lipschitz-quadratic-constant", _QUAD,
             "return 4.0 * m * (U + 1.0)", "return 2.0 * m * (U + 1.0)", _FD,
             "quadratic loss constant halved (caught by finite differences)"),
    Mutation("lipschitz-value-bound", _MG,
             "b = sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(v.bias[1])",
             "b = 0.5 * (sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(v.bias[1]))", _FD,
             "refined value bound B_v halved (caught by finite differences)"),
    Mutation("lipschitz-refined-term", "src/lptrain/nn/lipschitz.py",
             "s = sum(abs(c) * S[u] + (abs(c) * B[u] if p >= 0 else 0.0)",
             "s = sum(abs(c) * S[u] + (0.5 * abs(c) * B[u] if p >= 0 else 0.0)",
             "tests/nn/test_nn_lipschitz.py", "refined sensitivity: the ∂/∂w term halved"),
    # ----- branch and bound, symmetry, grid, lazy face LP
    Mutation("bnb-pruned-floor", "src/lptrain/certify/bnb.py",
             "        self.pruned_floor = min(self.pruned_floor, floor)\n", "", _BNB,
             "boxes pruned from the queue do not lower the floor"),
    Mutation("bnb-dropped-floor", "src/lptrain/certify/bnb.py",
             "                self.pruned_floor = min(self.pruned_floor, "
             "float(lower[~keep].min()))",
             "                pass", _BNB, "children dropped at birth do not lower the floor"),
    Mutation("bnb-inheritance", "src/lptrain/certify/bnb.py",
             "np.concatenate([lb[keep], lb[keep]])",
             "np.concatenate([lb[keep], lb[keep][::-1]])", _BNB,
             "children inherit another parent's bound"),
    Mutation("bnb-best-in-bound", "src/lptrain/certify/bnb.py",
             "return float(min(self.best, self.pruned_floor, self.queue.min_lower()))",
             "return float(min(self.pruned_floor, self.queue.min_lower()))", _BNB,
             "enumerated leaves not covered by the bound"),
    Mutation("symmetry-sign", "src/lptrain/certify/symmetry.py",
             "for p in g.incoming for s in (-1.0, 1.0)]", "for p in g.incoming for s in (1.0,)]",
             _BNB, "only the +1 faces of each scaling group"),
    Mutation("symmetry-homogeneous", _TANH, '    key = "tanh"\n',
             '    key = "tanh"\n    positively_homogeneous = True\n', _BNB,
             "tanh treated as positively homogeneous"),
    Mutation("symmetry-regularizer", "src/lptrain/certify/symmetry.py",
             "if regularizer is not None or network.constraint is not None:",
             "if network.constraint is not None:", _BNB,
             "scaling groups kept under a regularizer"),
    Mutation("symmetry-shared-out", "src/lptrain/certify/symmetry.py",
             'ok_out = all(all(kind == "in" and src == v for kind, _, src in occ[p]) for p in out)',
             "ok_out = True", _BNB, "outgoing weights shared with other units rescaled"),
    Mutation("grid-round-down-correction", "src/lptrain/discretize.py",
             "    k = np.where(-1.0 + k * step > arr, k - 1, k)\n", "", _BNB,
             "round down: floating-point floor not corrected"),
    Mutation("grid-round-down-clamp", "src/lptrain/discretize.py",
             "k = np.minimum(np.floor((arr + 1.0) * (K / 2.0)), K - 1)",
             "k = np.minimum(np.floor((arr + 1.0) * (K / 2.0)), K)", _BNB,
             "r = 1 rounds to level K: +1 is not on the grid"),
    Mutation("lazy-split-gap", "src/lptrain/certify/boxes.py", "lo2[rows, dims] = mid + 1",
             "lo2[rows, dims] = mid + 2", f"{_LAZY} -k numpy",
             "grid split loses the level between the children"),
    Mutation("lazy-grid-values", "src/lptrain/certify/boxes.py",
             "return -1.0 + k * (2.0 / self.K)", "return -1.0 + k * (2.0 / (self.K - 1))",
             f"{_LAZY} -k numpy", "grid boxes not on the §3.1 grid"),
    Mutation("lazy-threshold", "src/lptrain/certify/lazy.py", "lambda: master.t - tol,",
             "lambda: master.t - 0.05,", f"{_LAZY} -k numpy",
             "pricing prunes boxes that may hold an improving column"),
    # the CLI wiring of foreign models (issue 12): what certify reads, certifies and writes
    Mutation("cli-certify-box-ignored", "src/lptrain/cli/_certify.py",
             "                           box=args.box)", "                           box=1.0)",
             _CERTIFY_CLI, "--box R certifies over the unit box"),
    Mutation("cli-certify-output-given-params", "src/lptrain/cli/_certify.py",
             "return ModelFile(prob[\"network\"], np.asarray(cert.phi, dtype=np.float64),",
             "return ModelFile(prob[\"network\"], np.asarray(prob[\"params\"], dtype=float),",
             _CERTIFY_CLI, "-o writes the given model, not the best one found"),
    Mutation("cli-certify-data-units-unscaled", "src/lptrain/cli/_certify.py",
             'out["data_units"] = data_units(str(prob["loss"]), prob["scaler_y"], out,',
             'out["data_units"] = data_units(str(prob["loss"]), None, out,', _CERTIFY_CLI,
             "gaps in the data's units without undoing the target scaling"),
    Mutation("torch-sequential-order", "src/lptrain/torch/weights.py",
             "    order = sorted({int(m.group(\"index\")) for m in matches if m})",
             "    order = sorted({int(m.group(\"index\")) for m in matches if m}, reverse=True)",
             _CERTIFY_CLI, "nn.Sequential layers matched to the wrong groups"),
    # ----- the activation-pattern search (certify/patterns, docs/patterns.md): node by node
    Mutation("pattern-cone-dual-sign", f"{_PAT}/cones.py",
             "                w -= pi[r] * normals[r, i]",
             "                w += pi[r] * normals[r, i]",
             f"{_PAT_T} -k certified_ranges",
             "weak duality over a unit's cone: the facet multipliers with the wrong sign"),
    Mutation("pattern-chord-offset", f"{_PAT}/relaxation.py",
             "lo_c[j, d] = -lm * lv + 4.0 * _U * (uv - lv)",
             "lo_c[j, d] = -0.5 * lm * lv + 4.0 * _U * (uv - lv)", _PAT_NODE,
             "ReLU chord of an unstable (unit, point): offset halved"),
    Mutation("pattern-chord-slope", f"{_PAT}/relaxation.py",
             "                    Wu[j, d, i] = lam_c[j, d] * Xt[d, i]",
             "                    Wu[j, d, i] = 0.5 * lam_c[j, d] * Xt[d, i]",
             _PAT_NODE, "ReLU chord of an unstable (unit, point): slope halved"),
    Mutation("pattern-upper-coefficient", f"{_PAT}/relaxation.py",
             "base_hi[o + i] += kh * x[i] + (a1 * Wu[j, d, i] if up else 0.0)",
             "base_hi[o + i] += kh * x[i] + (0.5 * a1 * Wu[j, d, i] if up else 0.0)",
             _PAT_NODE, "the upper bound (chord or facet) of a positive unit halved in F_hi"),
    Mutation("pattern-envelope-m1", f"{_PAT}/relaxation.py",
             "    beta = max(beta, -m1, -m2)", "    beta = max(beta, -m2)", _PAT_ENV,
             "envelope facet: validity above 0 on the region not enforced"),
    Mutation("pattern-envelope-m2", f"{_PAT}/relaxation.py",
             "    m2 = _umin(wa, j, V, nv, binv, ids, ok, obinv, oids, nob, normals, nr, lo, hi)",
             "    m2 = 1e300 + 0.0 * _umin(wa, j, V, nv, binv, ids, ok, obinv, oids, nob, "
             "normals, nr, lo, hi)", _PAT_ENV,
             "envelope facet: validity above x·v on the region not enforced"),
    Mutation("hull-convex-planes", f"{_PAT}/hull.py",
             "    for k in range(Xu.shape[0]):\n        if cu[k] > 0.0:\n            n += 1\n"
             "    P = np.empty((n + ncut, q))\n    n = 0\n    for k in range(Xu.shape[0]):\n"
             "        if cu[k] > 0.0:",
             "    for k in range(Xu.shape[0]):\n        if cu[k] < 0.0:\n            n += 1\n"
             "    P = np.empty((n + ncut, q))\n    n = 0\n    for k in range(Xu.shape[0]):\n"
             "        if cu[k] < 0.0:", _HULL_UNIT,
             "unit hull: the vertices of the concave kinks instead of the convex ones"),
    Mutation("hull-stable-active", f"{_PAT}/hull.py",
             "        if Lj[d] >= 0.0:  # relu_α(t) = t on the region",
             "        if Lj[d] >= -0.5:  # relu_α(t) = t on the region", _HULL_UNIT,
             "unit hull: points that may be inactive on the region taken as linear"),
    Mutation("hull-sweep-orientation", f"{_PAT}/hull.py",
             "        on = 1 if t > 0.0 else 2", "        on = 2 if t > 0.0 else 1", _HULL_SWEEP,
             "unit hull sweep: a kink switched on where it switches off"),
    Mutation("hull-edges", f"{_PAT}/hull.py",
             "    g = _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, _RIG, v)",
             "    g = np.inf + 0.0 * _edges_min(P, w, Xu, cu, A, errG, cuts, ncut, _RIG, v)",
             _HULL_UNIT, "unit hull: the planes' crossings with the box edges left out"),
    Mutation("hull-c-term", f"{_PAT}/hull.py",
             "        cterm = min(clo * (smu - es), clo * (smu + es), chi * (smu - es), "
             "chi * (smu + es))",
             "        cterm = max(clo * (smu - es), clo * (smu + es), chi * (smu - es), "
             "chi * (smu + es))", _HULL_NODE,
             "unit hull: the output bias's term of the dual taken at its largest"),
    Mutation("hull-multiplier-box", f"{_PAT}/hull.py",
             "    mmax = float(np.nextafter(1.0 / D, 0.0))\n    nc = D + h",
             "    mmax = float(np.nextafter(2.0 / D, 0.0))\n    nc = D + h", _HULL_NODE,
             "unit hull: multipliers up to 2/D (|f - y|/D >= μ(f - y) fails)"),
    Mutation("hull-underflow", f"{_PAT}/hull.py", "_TINY = 2.0**-1000", "_TINY = 0.0",
             "tests/certify/test_patterns_hull.py -k rounding_level",
             "unit hull: no absolute margin for products that underflow"),
    Mutation("hull-candidate-value", f"{_PAT}/hull.py",
             "    value = float(np.mean(np.abs(f + c - y)))",
             "    value = float(np.mean(np.abs(f - y)))",
             "tests/certify/test_patterns_hull.py -k candidate_and_split",
             "unit hull: the candidate's value without its output bias (a wrong incumbent)"),
    Mutation("hull-branch-bound", f"{_PAT}/search.py",
             "            bound = max(r.bound, parent_lb)\n",
             "            bound = max(r.bound, parent_lb) + 0.01\n",
             "tests/certify/test_patterns_hull.py -k brackets_the_brute_force",
             "hull-only nodes: the node's bound raised above what was certified"),
    Mutation("hull-certificate-2d", f"{_PAT}/hull.py",
             "    return bound if bound == bound else -np.inf",
             "    return bound + 0.02 if bound == bound else -np.inf",
             "tests/certify/test_patterns_hull.py -k two_inputs_hull_only",
             "two inputs, hull-only nodes: the certified node bound raised"),
    Mutation("hull-inout-converge", f"{_PAT}/hull.py",
             "        got = False\n        for j in range(h):\n            _, vj",
             "        got = True\n        for j in range(h):\n            _, vj",
             "tests/certify/test_patterns_hull.py -k in_out",
             "in-out rounds: the master's own point never priced (Kelley cannot converge)"),
    Mutation("pattern-seed-value", f"{_PAT}/multistart.py",
             "        out.append((theta, value, signs))",
             "        out.append((theta, value - 0.01, signs))",
             "tests/certify/test_patterns_seeds.py",
             "Adam's seeds: a value below the true risk of their point"),
    Mutation("pattern-lb-clamp", f"{_PAT}/search.py",
             "        return max(0.0, float(min(self.best, self.floor, self._least)))",
             "        return max(0.005, float(min(self.best, self.floor, self._least)))",
             "tests/certify/test_patterns_seeds.py -k planted",
             "the pattern search's lower bound clamped above 0 (the loss is only >= 0)"),
    Mutation("pattern-stop-requeue", f"{_PAT}/search.py",
             "                node = _Node(parent_lb, root, cons, -1, -1,",
             "                node = _Node(parent_lb + 0.01, root, cons, -1, -1,",
             "tests/certify/test_patterns_hull.py -k stop_inside",
             "a node stopped before its bound went back with a bound above its parent's"),
    Mutation("hull-twins-sign", f"{_PAT}/hull.py",
             "            if (rep[k] == k and signs[k] == signs[j] and cuts[k].shape",
             "            if (rep[k] == k and cuts[k].shape",
             "tests/certify/test_patterns_hull.py -k twin",
             "units of opposite sign with one set of cuts share their certified minimum"),
    Mutation("hull-exact-round-certificate", f"{_PAT}/hull.py",
             "                proven[j] = pj", "                proven[j] = max(pj, pis[j])",
             _CONVERGE, "exact rounds: the master's π_j taken as the unit's proven minimum"),
    Mutation("hull-sweep-kink-vertex", f"{_PAT}/hull.py",
             "ne = _push_pair(r, e, d, ii, jj, on, k, vert,",
             "ne = _push_pair(r, e, d, ii, jj, on, k, False,", _HULL_UNIT,
             "unit hull sweep: the vertices on the convex kinks' planes never evaluated"),
    Mutation("hull-narrow-start", f"{_PAT}/hull.py",
             "                swept[k] = True\n                gsum",
             "                swept[k] = False\n                gsum", _HULL_ARC,
             "unit hull sweep: a narrowed kink left out of the starting sum"),
    Mutation("hull-narrow-side", f"{_PAT}/hull.py",
             "            if ((tA > _SIDE * mA and tB > _SIDE * mB)",
             "            if ((tA > _SIDE * mA or tB > _SIDE * mB)", _HULL_ARC,
             "unit hull sweep: a kink narrowed away when one end of the arc is on its side"),
    Mutation("hull-narrow-margin", f"{_PAT}/hull.py",
             "    kA = ck[order[first]] - 2.0 * _ARC\n",
             "    kA = ck[order[first]] + 0.3 * span\n", _HULL_ARC,
             "unit hull sweep: the narrowed arc starts inside the region's part of the loop"),
    Mutation("hull-converged-mu", f"{_PAT}/hull.py",
             "        if val > best_val or (sure and not added):",
             "        if val > best_val:", _CONVERGE,
             "hull-only node: the master's optimal μ (nothing to add, exact values) not "
             "taken over an earlier μ whose walk estimate was higher"),
    Mutation("hull-converged-check", f"{_PAT}/hull.py",
             "not checked and not enough and close\n",
             "not checked and not enough and close and False\n", _CONVERGE,
             "hull-only node: a convergence the walks' estimates claimed taken as it is"),
    Mutation("loops-start-side", f"{_PAT}/loops.py",
             "        if t > 0.0:\n            active[k] = True",
             "        if t < 0.0:\n            active[k] = True", _LOOPS,
             "loop table: the starting sum takes every kink on its wrong side"),
    Mutation("loops-reach", f"{_PAT}/loops.py", "            if dd > reach:",
             "            if dd > 0.5 * reach:", _LOOPS,
             "loop table: the stored events cut off halfway along the arc"),
    Mutation("loops-kink-vertices", f"{_PAT}/loops.py", "        vert = cu[k] > 0.0\n",
             "        vert = cu[k] > 0.0 and kd == 0\n", _LOOPS,
             "loop table: the vertices on the convex kinks' planes never evaluated"),
    Mutation("loops-off-kind", f"{_PAT}/loops.py",
             "                            kd = 0 if on == 0 else 3 - on",
             "                            kd = on", _LOOPS,
             "loop table: both crossings of a kink switch it on"),
    # Not on the list: letting the points a loop cannot place (near-parallel to its plane,
    # modes 0 and 1 of build_loops) into the starting sum. It is an equivalent mutant: such a
    # point's |x̃_b · v| on the loop is at most its charge ``xrn`` per unit of coefficient,
    # so with a negative coefficient either choice is covered by the charge, and with a
    # positive one the sum with it (cu x̃_b · v) or without it (0) is never above
    # cu relu(x̃_b · v); and where |x̃_b · u| at the start is below the tie test the loop
    # falls back to the uncached sweep, which gives the same value (the fast sweep's value
    # moves by no more than the charge either way). The stamp spares those fallbacks
    # (speed), not soundness; as the entry ``loops-stamp`` it survived the selection.
    Mutation("hull-arc-start", f"{_PAT}/hull.py", "    kmid = ck[order[first]] - _ARC\n",
             "    kmid = ck[order[first]] + 0.5 * span\n", _HULL_ARC,
             "unit hull sweep: the arc swept from its middle (its first half never seen)"),
    Mutation("hull-arc-reach", f"{_PAT}/hull.py", "    reach = span + 2.0 * _ARC",
             "    reach = 0.5 * span", _HULL_ARC,
             "unit hull sweep: the arc's events cut off halfway"),
    Mutation("hull-arc-kinks", f"{_PAT}/hull.py", "        if kind[c] == 0 and not inreg[c]:",
             "        if not inreg[c]:", _HULL_ARC,
             "unit hull sweep: on an arc, the kinks' switches dropped with the candidates "
             "outside the region"),
    Mutation("hull-arc-margin", f"{_PAT}/hull.py", "_ARC = 1e-6", "_ARC = -1e-6", _HULL_ARC,
             "unit hull sweep: the arc's margin inward (its end candidates left out)"),
    Mutation("hull-sweep-radix-skip", f"{_PAT}/hull.py",
             "            if cnt[p, b + 1] == n:", "            if cnt[p, b + 1] >= n // 2:",
             "tests/certify/test_patterns_hull.py -k \"radix or arrangement_minimum\"",
             "the sweep's radix sort skips a byte most keys (not all) share"),
    Mutation("hull-prune-recheck", f"{_PAT}/hull.py",
             "            if bound >= thr and not full:\n"
             "                return HullResult(bound, cur, it)",
             "            if not full:\n                return HullResult(bound, cur, it)",
             _HULL_NODE,
             "unit hull: a prune the walks overestimated is not priced exactly after all"),
    Mutation("hull-full-early", f"{_PAT}/hull.py",
             "            exact, best_val, certified, fresh = True, bound, bound, True",
             "            exact, best_val, certified, fresh = True, bound, mval, True",
             "tests/certify/test_patterns_hull.py -k certified_early",
             "unit hull, full node certified early: the master's value kept as certified"),
    Mutation("pattern-lazy-late", f"{_PAT}/search.py",
             "            elif node.mu is not None and key >= thr:\n"
             "                late.append(node)",
             "            elif node.mu is not None and key >= thr:\n"
             "                self.floor = min(self.floor, key)", _HULL_LAZY,
             "lazy certificates: a node that reached the threshold dropped on its master's "
             "value, not certified"),
    Mutation("pattern-lazy-lb", f"{_PAT}/search.py",
             "            node.lb = max(node.lb, c)",
             "            node.lb = max(node.lb, node.key)",
             _HULL_LAZY, "lazy certificates: a certified node takes its master's value as bound"),
    Mutation("pattern-lazy-clip", f"{_PAT}/hull.py",
             "    mu = np.clip(np.asarray(mu, dtype=np.float64), -mmax, mmax)",
             "    mu = np.asarray(mu, dtype=np.float64)", _HULL_LAZY,
             "lazy certificates: stored multipliers not clipped back into the box"),
    Mutation("pattern-orbit-region", f"{_PAT}/search.py",
             "                      and cons[k].shape == cons[unit].shape\n"
             "                      and {tuple(r) for r in cons[k]} == mine]",
             "                      ]",
             "tests/certify/test_patterns_hull.py -k orbital",
             "orbital branching over units of one sign whatever their cuts"),
    Mutation("pattern-orbit-active", f"{_PAT}/search.py",
             "for j in (node.unit,) if sgn > 0 or not node.orbit else node.orbit:",
             "for j in node.orbit or (node.unit,):",
             "tests/certify/test_patterns_hull.py -k orbital",
             "orbital branching: the 'active' child cuts every unit of the orbit"),
    Mutation("pattern-envelope-dual", f"{_PAT}/envelope.py",
             "            cb[r] = g[k]", "            cb[r] = 0.5 * g[k]",
             f"{_PAT_T} -k envelope_facet",
             "envelope facet: the duals of the hull LP from halved costs"),
    Mutation("pattern-upper-range", f"{_PAT}/relaxation.py", "            U[j, d] = -_umin(neg,",
             "            U[j, d] = -0.5 * _umin(neg,", _PAT_NODE,
             "a pre-activation's certified maximum over the node halved"),
    Mutation("pattern-weight-decay", f"{_PAT}/relaxation.py",
             "            uj[i] = gj[i] + 2.0 * lam * shrink * uj[i]",
             "            uj[i] = gj[i] + 3.0 * lam * shrink * uj[i]",
             f"{_PAT_T} -k \"node_bound_below or weight_decay\"",
             "balanced weight decay: 2λ||v|| >= 3λ u·v (overstated)"),
    Mutation("pattern-hinge-piece", f"{_PAT}/relaxation.py",
             "b[k] = 1.0 - yd * (const_lo if side == 0 else const_hi)",
             "b[k] = 1.0 - yd * (const_hi if side == 0 else const_lo)", _PAT_NODE,
             "hinge pieces: the offsets of the two sides of the output swapped"),
    Mutation("pattern-inherited-minorant", f"{_PAT}/relaxation.py", "    val = const\n",
             "    val = const + 0.05\n", _PAT_NODE,
             "a child's bound from its parent's affine minorant raised"),
    Mutation("pattern-child-dropped", f"{_PAT}/search.py",
             "        for sgn in (1.0, -1.0):", "        for sgn in (1.0,):",
             f"{_PAT_T} -k \"brute_force or weight_decay\"",
             "branching keeps one side of the hyperplane only"),
    Mutation("pattern-pruned-floor", f"{_PAT}/search.py",
             "                self.floor = min(self.floor, node.lb)\n"
             "            elif node.mu",
             "                pass\n            elif node.mu",
             f"{_PAT_T} -k \"brute_force or weight_decay or dropped_at_the_threshold\"",
             "nodes pruned against the threshold do not lower the floor"),
)


def check_entries(root: Path = ROOT, mutations: tuple[Mutation, ...] = MUTATIONS
                  ) -> list[str]:
    """Problems with the list: an ``old`` text missing or not unique, a duplicate name, a
    no-op change. Empty when the list is well-formed."""
    problems, seen = [], set()
    for m in mutations:
        if m.name in seen:
            problems.append(f"{m.name}: duplicate name")
        seen.add(m.name)
        path = root / m.file
        if not path.is_file():
            problems.append(f"{m.name}: file {m.file} does not exist")
            continue
        count = path.read_text().count(m.old)
        if count != 1:
            where = "is not found" if count == 0 else f"occurs {count} times"
            problems.append(f"{m.name}: the old text {m.old!r} {where} in {m.file}; "
                            "retarget the entry in tests/mutation_check.py")
        if m.old == m.new:
            problems.append(f"{m.name}: old and new text are equal")
    return problems


_IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build",
                                 "dist", "out", ".pytest_cache", ".mypy_cache",
                                 ".ruff_cache", "*.png")


def _kernels(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("k_*.py")} if cache.is_dir() else set()


def _run_pytest(copy: Path, args: str, cache: Path, report: Path, timeout: float
                ) -> tuple[int, int, float]:
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), LPTRAIN_CACHE_DIR=str(cache),
               PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           "--no-header", "-o", "addopts=", f"--junitxml={report}", *shlex.split(args)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=copy, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, text=True)
        rc, out = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired:
        return -1, 0, time.perf_counter() - t0
    failures = 0
    if report.is_file():
        suite = ET.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite[0]
        failures = int(suite.get("failures", 0))
    elif rc not in (0, 1):
        sys.stderr.write(out[-4000:])
    return rc, failures, time.perf_counter() - t0


def _selected(names: list[str] | None) -> tuple[Mutation, ...]:
    if not names:
        return MUTATIONS
    return tuple(m for m in MUTATIONS if any(n in m.name for n in names))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-k", dest="names", action="append",
                   help="run the entries whose name contains this text (repeatable)")
    p.add_argument("--list", action="store_true", help="print the entries and exit")
    p.add_argument("--cold", action="store_true",
                   help="empty kernel cache for every mutation (slower, nothing reused)")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="seconds per pytest run (default 900)")
    args = p.parse_args(argv)
    chosen = _selected(args.names)
    if not chosen:
        p.error(f"no mutation name contains {args.names}")
    problems = check_entries()
    if problems:
        print("the mutation list is out of date:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    if args.list:
        for m in chosen:
            print(f"{m.name:34} {m.file:48} {m.why}")
        print(f"{len(chosen)} mutations")
        return 0
    # SIGTERM unwinds like Ctrl-C: the running pytest is killed, the copy removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="lptrain-mutants-") as tmp:
        return _run_all(Path(tmp), chosen, args)


def _run_all(tmp: Path, chosen: tuple[Mutation, ...], args: argparse.Namespace) -> int:
    copy = tmp / "tree"
    shutil.copytree(ROOT, copy, ignore=_IGNORE)
    probe = subprocess.run([sys.executable, "-c", "import lptrain; print(lptrain.__file__)"],
                           cwd=tmp, env=dict(os.environ, PYTHONPATH=str(copy / "src")),
                           stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    if not Path(probe).resolve().is_relative_to(copy.resolve()):
        print(f"lptrain is imported from {probe}, not from the copy: refusing to run",
              file=sys.stderr)
        return 2
    base_cache = tmp / "cache-base"
    base_cache.mkdir()
    selections = sorted({m.tests for m in chosen})
    print(f"baseline: {len(selections)} test selections on the unmutated copy", flush=True)
    for sel in selections:
        rc, _, secs = _run_pytest(copy, sel, base_cache, tmp / "base.xml", args.timeout)
        if rc != 0:
            print(f"the unmutated tree fails `pytest {sel}` (exit {rc}); fix that first",
                  file=sys.stderr)
            return 2
        print(f"  ok {secs:6.1f}s  {sel}", flush=True)
    rows, start = [], time.perf_counter()
    for i, m in enumerate(chosen, 1):
        target = copy / m.file
        original = target.read_text()
        cache = tmp / f"cache-{i}"
        if args.cold:
            cache.mkdir()
        else:
            shutil.copytree(base_cache, cache)
        before = _kernels(cache)
        try:
            target.write_text(original.replace(m.old, m.new, 1))
            rc, failures, secs = _run_pytest(copy, m.tests, cache, tmp / f"m{i}.xml",
                                             args.timeout)
        finally:
            target.write_text(original)
        new = len(_kernels(cache) - before)
        shutil.rmtree(cache, ignore_errors=True)
        verdict = ("caught" if rc == 1 and failures > 0 else "SURVIVED" if rc == 0 else
                   "timeout" if rc == -1 else f"error (exit {rc})")
        rows.append((m, verdict, secs, new))
        print(f"[{i:2}/{len(chosen)}] {verdict:9} {secs:6.1f}s  new kernels {new:2}  "
              f"{m.name}", flush=True)
    caught = sum(1 for _, v, _, _ in rows if v == "caught")
    print(f"\n{'mutation':34} {'result':9} {'secs':>6} {'kernels':>7}  what")
    for m, verdict, secs, new in rows:
        print(f"{m.name:34} {verdict:9} {secs:6.1f} {new:7}  {m.why}")
    print(f"\ncaught {caught} / {len(rows)} in {time.perf_counter() - start:.0f} s")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
