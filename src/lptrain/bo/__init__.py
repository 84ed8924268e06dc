"""Binary and finite-domain optimization with small treewidth, solved exactly (SPEC §1–§2).

The pipeline: :class:`BinaryProblem` (oracles with supports) -> intersection graph and
tree decomposition (:func:`tree_decomposition`, validated by
:func:`validate_tree_decomposition`, reduced by Lemma 2.5) -> :class:`LiftSpec` (the
vectorized description of the lift of Theorem 2.8) -> :func:`assemble` (sparse LP) ->
HiGHS -> :func:`decode` and certificate; or :func:`min_sum` (exact DP) on the same
decomposition. :func:`solve` runs it end to end.
"""

from __future__ import annotations

from lptrain.bo.assemble import (
    LiftedLP,
    LPSize,
    SizeBound,
    assemble,
    lambda_costs,
    lp_size,
    theorem_2_8_bound,
)
from lptrain.bo.decode import Decoded, decode, evaluate_rows, min_sum
from lptrain.bo.decomposition import (
    TreeDecomposition,
    as_tree_decomposition,
    covering_bags,
    intersection_graph,
    reduce_tree_decomposition,
    tree_decomposition,
    validate_tree_decomposition,
)
from lptrain.bo.lift import decompose, lift, lift_spec, spec_from_tables
from lptrain.bo.problem import BinaryProblem, ProblemTables, assignments, brute_force
from lptrain.bo.solve import BOResult, solve, solve_spec
from lptrain.bo.spec import BagBlock, EdgeBlock, LiftSpec, OutputBlock, mixed_radix_codes

__all__ = [
    "BagBlock",
    "BinaryProblem",
    "BOResult",
    "Decoded",
    "EdgeBlock",
    "LiftedLP",
    "LiftSpec",
    "LPSize",
    "OutputBlock",
    "ProblemTables",
    "SizeBound",
    "TreeDecomposition",
    "as_tree_decomposition",
    "assemble",
    "assignments",
    "brute_force",
    "covering_bags",
    "decode",
    "decompose",
    "evaluate_rows",
    "intersection_graph",
    "lambda_costs",
    "lift",
    "lift_spec",
    "lp_size",
    "min_sum",
    "mixed_radix_codes",
    "reduce_tree_decomposition",
    "solve",
    "solve_spec",
    "spec_from_tables",
    "theorem_2_8_bound",
    "tree_decomposition",
    "validate_tree_decomposition",
]
