"""Certified global optimality for one-hidden-layer ReLU networks: branch and bound over
activation patterns (issue 11).

Pipeline: :mod:`~lptrain.certify.patterns.signform` (the network class over Φ written with
unit signs and no products of parameters) → :mod:`~lptrain.certify.patterns.cones` (each
unit's region in a node: a box cut by half-spaces through the origin; certified linear
bounds over it) → :mod:`~lptrain.certify.patterns.relaxation` (the convex relaxation of a
node and its certified lower bound) with :mod:`~lptrain.certify.patterns.ipm` (the
interior-point method that finds its multipliers) and
:mod:`~lptrain.certify.patterns.envelope` (facets of the concave envelope of a ReLU over a
unit's region, the second pass's upper bounds) → :mod:`~lptrain.certify.patterns.search`
(the branch and bound), :mod:`~lptrain.certify.patterns.local` (upper bounds from the
exact convex problem of a pattern) and :mod:`~lptrain.certify.patterns.multistart`
(incumbents from projected Adam). :func:`lptrain.certify.certify_erm` uses it by default
where it applies. The mathematics is in ``docs/patterns.md``.

Examples
--------
>>> from lptrain.nn import dense, get_loss
>>> sign_form(dense([1, 3, 1]), get_loss("abs"), None).ok
True
"""

from __future__ import annotations

from lptrain.certify.patterns._jit import available as patterns_available
from lptrain.certify.patterns.distributed import dask_pattern_bounder
from lptrain.certify.patterns.local import polish_pattern
from lptrain.certify.patterns.multistart import descent_seeds
from lptrain.certify.patterns.search import PatternProblem, PatternSearch
from lptrain.certify.patterns.signform import SignForm, from_params, sign_form, to_params

__all__ = [
    "PatternProblem", "PatternSearch", "SignForm", "dask_pattern_bounder", "descent_seeds",
    "from_params",
    "patterns_available", "polish_pattern", "sign_form", "to_params",
]
