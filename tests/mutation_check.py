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

    python tests/mutation_check.py              # every mutation (~25 minutes on 2 cores)
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


def _numba(*cases: str) -> str:
    return f"{_BOX} -k \"{' or '.join(f'numba-{c}' for c in cases)}\""


_AS = "src/lptrain/certify/_affine_source.py"
_AN = "src/lptrain/certify/_affine_numpy.py"
_MG = "src/lptrain/certify/_margins.py"
_IS = "src/lptrain/nn/_interval_source.py"

# Margins not on the list, because no bound can exceed the exact minimum when only they are
# removed (another margin covers the same rounding with room to spare; removing them is an
# equivalent mutant, checked by this script when they were on the list):
# * the box-radius widening (``radius_slack``, numpy's ``4u(|lo| + |hi|)``): every parameter
#   enters a form through a node sum, whose node slack (>= 88u T) covers a radius short by
#   an ulp; the regularizer terms are covered by the final margin's ``3λN`` part;
# * the interval loss slack (``loss_slack``) and the regularizer slack of ``risk_interval``:
#   the output's node slack widens the loss's arguments by more than the loss's own
#   rounding, and the slack of the mean exceeds the rounding of λR for any λN² < 15.
_CERTIFY_CLI = "tests/cli/test_cli_certify_models.py"

MUTATIONS: tuple[Mutation, ...] = (
    # ----- activation relaxations in the generated kernel (what backend="auto" runs)
    Mutation("kernel-relu-offset", _AS,
             "    lam = hi / (hi - lo)\n    return lam, 0.0, -lam * lo",
             "    lam = hi / (hi - lo)\n    return lam, 0.0, -0.5 * lam * lo",
             _numba("dense-quadratic"), "ReLU chord: upper offset halved"),
    Mutation("kernel-leaky-slope", _AS,
             "return a + (1.0 - a) * lam, (1.0 - a) * bl, (1.0 - a) * bh",
             "return a + lam, (1.0 - a) * bl, (1.0 - a) * bh",
             _numba("dense-quadratic"), "leaky ReLU: slope a + λ instead of a + (1-a)λ"),
    Mutation("kernel-step-offset", _AS, "    return 0.0, 0.0, 1.0\n",
             "    return 0.0, 0.5, 1.0\n", _numba("resnet-hamming"),
             "step over a straddling range: lower offset 0.5 instead of 0"),
    Mutation("kernel-hard-tanh-kink", _AS, "    for x in (-1.0, 1.0):\n        if lo < x < hi:",
             "    for x in (-1.0,):\n        if lo < x < hi:", _numba("dense-quadratic"),
             "hard tanh: the kink at +1 is not an extreme of a(x) - λx"),
    Mutation("kernel-tanh-tangent", _AS, "xc = math.atanh(math.sqrt(1.0 - lam))",
             "xc = math.atanh(1.0 - lam)", _numba("dense-quadratic"),
             "tanh: wrong point where tanh' = λ"),
    Mutation("kernel-elu-tangent", _AS,
             "        gs = a * math.expm1(xs)", "        gs = a * math.expm1(0.5 * xs)",
             _numba("dense-quadratic"), "ELU: the tangent's point is not on the curve"),
    Mutation("kernel-product-error", _AS,
             'quad = [f"abs({a})" for j, a in form.coef.items() if j != p]',
             'quad = [f"0.5 * abs({a})" for j, a in form.coef.items() if j != p]',
             _numba("dense-quadratic"), "bilinear terms ε_p ε_j: half the error radius"),
    Mutation("kernel-product-shift", _AS,
             '            cen.append(f"0.5 * {w1} * {form.coef[p]}")\n', "            pass\n",
             f"{_BOX} -k shared_parameter", "ε_p² ∈ [0, 1]: centre shift dropped (shared weight)"),
    Mutation("kernel-activation-error", _AS, '0.5 * ({bhi} - {blo}) + {slack}" if s.e',
             '0.25 * ({bhi} - {blo}) + {slack}" if s.e', _numba("dense-quadratic"),
             "activation relaxation: half its width in the error radius"),
    # ----- loss minorants and regularizer terms in the generated kernel
    Mutation("kernel-abs-clip", _AS,
             'sg = self.new(f"min(max({t} / {rad}, -1.0), 1.0) if {rad} > 0.0 else "',
             'sg = self.new(f"({t} / {rad}) if {rad} > 0.0 else "', _numba("multi-abs"),
             "|t| >= σt with σ = t/rad unclipped (σ > 1 when the sign is fixed)"),
    Mutation("kernel-quadratic-tangent", _AS, 'k = self.new(f"2.0 * {t}")',
             'k = self.new(f"2.5 * {t}")', _numba("dense-quadratic"),
             "(z-y)² tangent slope 2.5 t0 instead of 2 t0"),
    Mutation("kernel-hinge-slope", _AS, "return self._scaled(t, lam)",
             'return self._scaled(t, f"1.5 * {lam}")', _numba("conv1d-hinge"),
             "hinge minorant slope ×1.5 (planted bug of the issue)"),
    Mutation("kernel-cross-entropy-gradient", _AS,
             'grads = [self.new(f"ysum * math.exp({c} - lse0) - {y}")',
             'grads = [self.new(f"ysum * math.exp({c} - lse0) - 1.5 * {y}")',
             _numba("conv2d-cross_entropy"), "cross-entropy tangent: wrong gradient"),
    Mutation("kernel-hamming-interval", "src/lptrain/nn/_interval_source.py",
             'f"el += 1.0 if ({U} < y{j} or y{j} < {L}) else 0.0"',
             'f"el += 1.0 if ({U} < y{j} or y{j} < {U}) else 0.0"',
             _numba("resnet-hamming"), "Hamming: counts an output whose range holds y"),
    Mutation("kernel-l2-overestimate", _AS,
             'f"regk += lam1 * sg * bc{j} + lam2 * bc{j} * bc{j}"',
             'f"regk += lam1 * sg * bc{j} + lam2 * (bc{j} * bc{j} + br{j} * br{j})"',
             _numba("dense-quadratic"), "l2 minorant overestimated (planted bug of the issue)"),
    Mutation("kernel-regularizer-interval", _AS, 'f"mg = max(abs(bc{j}) - br{j}, 0.0)"',
             'f"mg = abs(bc{j})"', _numba("dense-quadratic"),
             "interval bound of λR uses |centre| instead of the least magnitude"),
    # ----- the numpy path (reference and fallback)
    Mutation("numpy-relu-offset", _AN, "bh = np.where((lo < 0) & (hi > 0), -lam * lo, 0.0)",
             "bh = np.where((lo < 0) & (hi > 0), -0.5 * lam * lo, 0.0)", _NUMPY,
             "ReLU chord: upper offset halved"),
    Mutation("numpy-product-shift", _AN, "        c = c + 0.5 * w1 * f.coef[p]\n",
             "        pass\n", f"{_BOX} -k shared_parameter",
             "ε_p² ∈ [0, 1]: centre shift dropped (shared weight)"),
    Mutation("numpy-leaky-slope", _AN, "lam, bl, bh = a + (1 - a) * lam,",
             "lam, bl, bh = a + lam,", _NUMPY, "leaky ReLU slope a + λ"),
    Mutation("numpy-step-offset", _AN, "np.where(lo > 0, 1.0, 0.0) + z",
             "np.where(lo > -0.5, 1.0, 0.0) + z", _NUMPY, "step: lower offset 1 too early"),
    Mutation("numpy-hard-tanh-kink", _AN,
             "crit = [np.full_like(lam, -1.0), np.full_like(lam, 1.0)]",
             "crit = [np.full_like(lam, -1.0)]", _NUMPY, "hard tanh: kink at +1 missed"),
    Mutation("numpy-tanh-tangent", _AN, "xc = np.arctanh(np.sqrt(np.clip(1.0 - lam, 0.0, 1.0)))",
             "xc = np.arctanh(np.clip(1.0 - lam, 0.0, 1.0))", _NUMPY, "tanh: wrong tangent point"),
    Mutation("numpy-elu-tangent", _AN, "gs = np.where(neg, a * np.expm1(xs), 0.0)",
             "gs = np.where(neg, a * np.expm1(0.5 * xs), 0.0)", _NUMPY,
             "ELU: the tangent's point is not on the curve"),
    Mutation("numpy-quadratic-tangent", _AN, "{j: 2 * t.c * a for j, a in t.coef.items()}",
             "{j: 3 * t.c * a for j, a in t.coef.items()}", _NUMPY,
             "(z-y)² tangent slope 3 t0"),
    Mutation("numpy-hinge-slope", _AN, "return t.scaled(lam)", "return t.scaled(1.5 * lam)",
             _NUMPY, "hinge minorant slope ×1.5"),
    Mutation("numpy-abs-clip", _AN,
             "np.clip(t.c / np.where(rad > 0, rad, 1.0), -1, 1)",
             "t.c / np.where(rad > 0, rad, 1.0)", _NUMPY, "|t| minorant slope unclipped"),
    Mutation("numpy-cross-entropy-gradient", _AN, "scaled(ysum * np.exp(c - lse) - y)",
             "scaled(ysum * np.exp(c - lse) - 1.5 * y)", _NUMPY,
             "cross-entropy tangent: wrong gradient"),
    Mutation("numpy-l2-overestimate", _AN,
             "regk = (lam1 * sg * bc + lam2 * bc * bc).sum(axis=1)",
             "regk = (lam1 * sg * bc + lam2 * (bc * bc + br * br)).sum(axis=1)", _NUMPY,
             "l2 minorant overestimated"),
    # ----- rounding margins (shared by both backends)
    Mutation("margin-node-slack", _MG, "node_slack[v] = float(8.0 * (deg + 10) * _U * ts)",
             "node_slack[v] = 0.0", _NODE_SLACK,
             "node rounding slack set to 0 (planted bug of the issue)"),
    Mutation("margin-activation-slack", _MG, "act_slack[v] = float(80.0 * _U * (T[v] + 1.0)",
             "act_slack[v] = float(0.0 * _U * (T[v] + 1.0)", _RELAX,
             "activation rounding slack set to 0 (planted bug of the issue)"),
    Mutation("margin-final", _MG,
             "return 4.0 * _U * (N + 3) * (D + N + 8 * m + 32) * total", "return 0.0 * total",
             _LANES, "final margin of the mean over the data set to 0"),
    Mutation("interval-activation-slack", _IS, "act[i] = 16.0 * _U * max(1.0, s)",
             "act[i] = 0.0 * _U * max(1.0, s)", f"{_ROUND} -k flat_parts",
             "interval bounds: tanh/ELU values not widened for libm's rounding"),
    Mutation("interval-node-slack", _IS, "slack[i] = 2.5 * (len(v.inputs) + 3) * _U * s",
             "slack[i] = 0.0 * s", _NODE_SLACK, "interval node slack set to 0"),
    Mutation("interval-mean-slack", "src/lptrain/nn/intervals.py",
             "mean_slack = 2.5 * (D + 2) * _U * loss_magnitude(network, lo_)",
             "mean_slack = 0.0", _LANES, "interval slack of the mean set to 0"),
    # ----- interval arithmetic
    Mutation("interval-product-corners", "src/lptrain/nn/intervals.py",
             "return (np.minimum(np.minimum(p1, p2), np.minimum(p3, p4)),",
             "return (np.minimum(p1, p4),", f"{_INTV} -k numpy",
             "interval product: two corners ignored"),
    Mutation("kernel-interval-product", _IS, '"sl += min(min(m1, m2), min(m3, m4))"',
             '"sl += min(m1, m4)"', f"{_INTV} -k numba-dense", "kernel interval product"),
    Mutation("interval-abs-loss", "src/lptrain/nn/losses.py",
             "mag_lo = np.where(dl > 0, dl, np.where(dh < 0, -dh, 0.0))",
             "mag_lo = np.abs(dl)", f"{_INTV} -k numpy", "|z - y| lower end ignores 0"),
    Mutation("interval-regularizer", "src/lptrain/nn/regularizers.py",
             "mag_lo = np.where(lo > 0, lo, np.where(hi < 0, -hi, 0.0))",
             "mag_lo = np.abs(0.5 * (lo + hi))", f"{_INTV} -k numpy",
             "λR lower end at the centre"),
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
    Mutation("lipschitz-quadratic-constant", "src/lptrain/nn/losses.py",
             "return 4.0 * m * (U + 1.0)", "return 2.0 * m * (U + 1.0)", _FD,
             "quadratic loss constant halved (caught by finite differences)"),
    Mutation("lipschitz-value-bound", "src/lptrain/nn/lipschitz.py",
             "b = sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(bc)",
             "b = 0.5 * (sum(abs(c) * B[u] for u, _, c in v.inputs) + abs(bc))", _FD,
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
    Mutation("symmetry-homogeneous", "src/lptrain/certify/symmetry.py",
             '_HOMOGENEOUS = ("relu", "leaky_relu", "identity")',
             '_HOMOGENEOUS = ("relu", "leaky_relu", "identity", "tanh")', _BNB,
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
            print(f"{m.name:34} {m.file:40} {m.why}")
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
