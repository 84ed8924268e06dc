"""The size guard refuses, before allocating, a build over the memory limit."""

from __future__ import annotations

import pytest

import lptrain.erm.guard as guard
import lptrain.erm.polytope as polytope
from lptrain.erm import ERMPolytope, estimate_build_memory, memory_estimate, memory_limit
from lptrain.erm.guard import format_bytes
from lptrain.errors import InvalidInputError, TooLargeError
from lptrain.nn import dense
from lptrain.sizes import exact_sizes


def _forbid_allocation(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the guard let an over-budget build allocate")
    monkeypatch.setattr(polytope, "evaluate_loss_table", boom)
    monkeypatch.setattr(polytope, "assemble", boom)
    monkeypatch.setattr(polytope, "phi_grid_indices", boom)


def test_refused_build_allocates_nothing_and_names_the_numbers(monkeypatch):
    _forbid_allocation(monkeypatch)
    net = dense([2, 1, 1])
    sizes = exact_sizes(2, 1, 5, D=100, bits=3)
    est = memory_estimate(sizes).total
    with pytest.raises(TooLargeError) as info:
        ERMPolytope.build(net, "abs", samples=100, bits=3, max_memory="2GiB")
    assert str(info.value) == (
        f"this build needs {format_bytes(est)} ({float(sizes.nonzeros):.1e} nonzeros); the "
        "limit is 2.0 GiB: use fewer bits or samples, or raise max_memory (--max-memory)")
    assert "5.0e+09 nonzeros" in str(info.value)
    assert isinstance(info.value, MemoryError)


def test_default_limit_is_half_of_available_memory(monkeypatch):
    monkeypatch.setattr(guard, "available_memory", lambda: 10 * 2**20)
    assert memory_limit() == 5 * 2**20
    _forbid_allocation(monkeypatch)
    with pytest.raises(TooLargeError, match="the limit is 5.0 MiB"):
        ERMPolytope.build(dense([1, 1]), "abs", samples=50, bits=4)


def test_limit_accepts_bytes_and_strings():
    assert memory_limit(12345) == 12345 and memory_limit("1.5 GB") == 1_500_000_000
    with pytest.raises(InvalidInputError, match="max memory must look like 4GiB"):
        memory_limit("plenty")
    poly = ERMPolytope.build(dense([1, 1]), "abs", samples=2, bits=1, max_memory=2**30)
    assert poly.memory is not None and poly.memory.total <= 2**30


def test_estimate_is_public_and_grows_with_D():
    net = dense([1, 1])
    a, b = (estimate_build_memory(net, "abs", D, 3) for D in (10, 20))
    assert 0 < a < b
    assert a == memory_estimate(exact_sizes(1, 1, 2, 10, 3)).total
    assert estimate_build_memory(net, "abs", 10, 3, points=5) < a
    assert guard.available_memory() > 0
