"""The grid of §3.1: rounding down, bits, γ, ε, mixed-radix indices."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lptrain.discretize import (
    GridRange,
    bits_from_epsilon,
    bits_from_gamma,
    data_grid,
    decode_bits,
    encode_bits,
    epsilon_from_bits,
    gamma,
    grid_index,
    grid_levels,
    grid_points,
    grid_values,
    levels,
    resolve_bits,
    round_down,
    to_grid,
)
from lptrain.errors import InvalidInputError, TooLargeError


@pytest.mark.parametrize("bits", [1, 2, 3, 7, 20, 30])
def test_round_down_brackets_every_value(bits):
    rng = np.random.default_rng(bits)
    K, g = levels(bits), gamma(bits)
    r = np.concatenate([rng.uniform(-1, 1, 5000), [-1.0, 1.0, 0.0, -1 + 2 * g, 1 - 1e-17],
                        grid_values(min(bits, 12)), np.nextafter(grid_values(min(bits, 12)),
                                                                 -2)[1:]])
    k = round_down(r, bits)
    v = -1.0 + k * (2.0 / K)
    assert k.min() >= 0 and k.max() <= K - 1
    assert np.all(v <= r) and np.all(r <= v + 2 * g)
    assert np.array_equal(v, to_grid(r, bits))


def test_grid_values_contract():
    assert grid_values(2).tolist() == [-1.0, -0.5, 0.0, 0.5]  # -1 on the grid, +1 not
    assert round_down([1.0], 2).tolist() == [3]
    assert gamma(3) == 1 / levels(3) == 0.125


@pytest.mark.parametrize("bits", [1, 3, 8])
def test_bit_encoding_of_eq_7(bits):
    k = np.arange(levels(bits))
    z = encode_bits(k, bits)
    assert np.array_equal(decode_bits(z), k)
    r_hat = -1 + 2 * (z * 2.0 ** -np.arange(1, bits + 1)).sum(axis=1)
    assert np.array_equal(r_hat, grid_values(bits))


def test_bits_gamma_epsilon_conversions():
    L = 416.0
    for bits in range(1, 31):
        eps = epsilon_from_bits(bits, L)
        assert eps == 2 * gamma(bits) * L
        assert bits_from_epsilon(eps, L) == bits
        assert bits == 30 or bits_from_epsilon(eps * 0.999, L) == bits + 1
        assert bits_from_gamma(gamma(bits)) == bits
    assert bits_from_gamma(0.1) == math.ceil(math.log2(10))
    assert resolve_bits(L, eps=100.0) == (4, 52.0)  # 2L/eps = 8.32 -> 4 bits


@pytest.mark.parametrize("call, message", [
    (lambda: levels(0), "bits must be an integer in [1, 30]; got 0"),
    (lambda: levels(31), "bits must be an integer in [1, 30]; got 31"),
    (lambda: bits_from_epsilon(-0.5, 10.0), "eps must be a finite number in (0, inf); got -0.5"),
    (lambda: bits_from_epsilon(float("nan"), 10.0),
     "eps must be a finite number in (0, inf); got nan"),
    (lambda: bits_from_epsilon(1e-12, 10.0),
     "eps=1e-12 implies bits=45 (2L/eps = 2e+13 with L=10); bits must be in [1, 30]: "
     "choose a larger eps"),
    (lambda: bits_from_epsilon(50.0, 10.0),
     "eps=50 implies bits=-1 (2L/eps = 0.4 with L=10); bits must be in [1, 30]: choose a "
     "smaller eps"),
    (lambda: resolve_bits(1.0), "give exactly one of eps and bits"),
    (lambda: round_down([1.5], 2), "r must lie in [-1, 1] (the paper's normalization); entry "
                                   "at index (0,) is 1.5"),
    (lambda: encode_bits([4], 2), "k must be level indices in [0, 3] for bits=2"),
    (lambda: decode_bits([2, 0]), "z must be an array of 0/1 bits with the bits on the last "
                                  "axis"),
])
def test_errors(call, message):
    with pytest.raises(InvalidInputError) as exc:
        call()
    assert str(exc.value) == message


def test_mixed_radix_index_first_coordinate_most_significant():
    bits, n = 2, 3
    pts = grid_points(n, bits)
    want = list(itertools.product(grid_values(bits), repeat=n))
    assert np.array_equal(pts, want)
    lv = grid_levels(np.arange(len(pts)), n, bits)
    assert np.array_equal(grid_index(lv, bits), np.arange(len(pts)))
    assert np.array_equal(grid_points(n, bits, 10, 20), pts[10:20])


def test_data_grid_order_x_then_y():
    X, Y = data_grid(2, 1, 1)
    assert X.shape == (8, 2) and Y.shape == (8, 1)
    assert np.array_equal(np.hstack([X, Y]), grid_points(3, 1))


def test_grid_range_checks():
    assert GridRange(2, 3, 9).count == 6
    assert GridRange(3).resolved(2) == (0, 64)
    with pytest.raises(InvalidInputError, match="stop must be an integer in"):
        GridRange(2, 5, 4)
    with pytest.raises(TooLargeError, match="cannot be indexed by int64"):
        GridRange(30).resolved(3)
