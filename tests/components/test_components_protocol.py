"""The component vocabulary (numpy, source and rational readings of one definition) and the
registry: names with parameters are identities, and an incomplete component is refused at
registration with a message naming what is missing."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lptrain.components import (
    Activation,
    ComponentError,
    Loss,
    Regularizer,
    get_activation,
    get_loss,
    register,
)
from lptrain.components._dsl import (
    Trace,
    exp,
    fragment,
    maximum,
    minimum,
    num,
    rational_eval,
    render,
    where,
)
from lptrain.components.activation import check_activation
from lptrain.components.activations.relu import relu_relax
from lptrain.errors import InvalidInputError


def _source(fn, *names):
    counter = iter(f"t{k}" for k in range(100))
    return fragment(fn, *names, fresh=lambda: next(counter))


def test_render_keeps_association_and_precedence():
    lines, (e,) = _source(lambda a, b, c: a - (b - c) + -(a * b) / (c + 1.0), "a", "b", "c")
    assert lines == [] and e == "a - (b - c) + -(a * b) / (c + 1.0)"
    env = {"a": 0.3, "b": -1.25, "c": 2.0}
    assert eval(e, env) == 0.3 - (-1.25 - 2.0) + -(0.3 * -1.25) / (2.0 + 1.0)
    _, (e2,) = _source(lambda a, b: where((a < b) & ~(b > 2.0), minimum(a, b), -b), "a", "b")
    assert e2 == "(min(a, b) if a < b and not b > 2.0 else -b)"


def test_shared_nodes_become_temporaries_and_constants_fold():
    lines, exprs = _source(lambda x: (exp(x - 1.0) * exp(x - 1.0), 2.0 * 3.0 + x), "x")
    assert lines == ["t0 = math.exp(x - 1.0)"] and exprs == ["t0 * t0", "6.0 + x"]
    assert num(-0.5) == "(-0.5)" and num(-0.0) == "(-0.0)" and num(float("-inf")) == "(-math.inf)"


def test_traced_values_refuse_python_control_flow():
    tr = Trace()
    x = tr.var("x")
    with pytest.raises(TypeError, match="write where"):
        bool(x > 0.0)
    with pytest.raises(TypeError, match="equal"):
        _ = x == 1.0


def test_one_definition_three_readings():
    """numpy, generated source and exact rationals of the relu relaxation agree."""
    lo, hi = np.array([-1.0, 0.5, -3.0, -2.0]), np.array([3.0, 2.0, -1.0, -2.0])
    lam, bl, bh = (np.broadcast_to(v, lo.shape) for v in relu_relax(lo, hi))
    lines, exprs = _source(relu_relax, "lo", "hi")
    for i in range(4):
        env = {"lo": lo[i], "hi": hi[i], "math": math}
        exec("\n".join(lines), env)
        assert [eval(e, env) for e in exprs] == [lam[i], bl[i], bh[i]]
    tr = Trace()
    outs = relu_relax(tr.var("lo"), tr.var("hi"))
    fr = {k: np.array([Fraction(v) for v in a], dtype=object) for k, a in
          (("lo", lo), ("hi", hi))}
    exact = rational_eval(list(outs), fr)
    assert [float(v) for v in np.broadcast_to(exact[0], (4,))] == lam.tolist()
    assert np.broadcast_to(exact[2], (4,))[0] == Fraction(3, 4)


def test_render_of_a_constant_output():
    assert render([1.5, True], lambda: "t") == ([], ["1.5", "True"])


# ----- names and identities ---------------------------------------------------------------

def test_parameterised_names_are_identities():
    a, b = get_loss("Huber:0.5"), get_loss("huber:0.25")
    assert a != b and a.spec == a.name == "huber:0.5" and len({a, b, get_loss("huber:0.5")}) == 2
    assert get_loss("huber") == get_loss("huber:1.0") and get_loss("huber").delta == 1.0
    assert Loss("huber", 0.5) == a and Loss("huber:0.5") == a
    assert get_activation("Leaky-ReLU:0.1") == Activation("leaky_relu", 0.1)
    assert get_activation("leaky_relu:0.1") != get_activation("leaky_relu:0.2")
    assert Regularizer("l2", 0.5).spec == "l2:0.5" and Regularizer("l2:0.5").weights == (0.0, 0.5)


@pytest.mark.parametrize("call, message", [
    (lambda: get_loss("huber:0"), "huber delta must be a finite number > 0 (the width of the "
                                  "quadratic part), e.g. huber:0.5; got 0.0"),
    (lambda: get_loss("huber:x"), "loss 'huber:x': the parameter after ':' must be a number, "
                                  "e.g. huber:0.1"),
    (lambda: get_loss("abs:0.5"), "loss 'abs' takes no parameter; got 0.5"),
    (lambda: get_loss(3), "loss must be a name string; got 3"),
    (lambda: Regularizer("l3", 0.5), "regularizer must be 'l1' or 'l2'; got 'l3'"),
    (lambda: Activation("softmax"), "activation must be one of relu, leaky_relu, tanh, "
                                    "hard_tanh, elu, identity, step, softplus; got 'softmax'"),
])
def test_name_errors(call, message):
    with pytest.raises(InvalidInputError) as exc:
        call()
    assert str(exc.value) == message


# ----- registration -----------------------------------------------------------------------

def _namespace(**body: Any) -> dict[str, Any]:
    return {"__doc__": "A test activation (Lipschitz: 1).", "key": "test_act",
            "in_theory": True, "lipschitz": 1.0, "theory": "inside Lemma 4.5",
            "value": lambda self, t: maximum(t, 0.0),
            "relax": lambda self, lo, hi: relu_relax(lo, hi),
            "torch_module": lambda self: None, **body}


def _activation_class(**body: Any) -> type:
    return type("TestActivation", (Activation,), _namespace(**body))


def test_incomplete_component_names_what_is_missing():
    ns = {k: v for k, v in _namespace().items() if k not in ("relax", "torch_module")}
    with pytest.raises(ComponentError) as exc:
        register(type("Incomplete", (Activation,), ns), [check_activation])
    assert str(exc.value).startswith("activation test_act (")
    assert str(exc.value).endswith("Incomplete) is incomplete: it does not define relax, "
                                   "torch_module")
    bare = type("Bare", (Activation,), {"value": lambda self, t: t,
                                        "relax": lambda self, lo, hi: (1.0, 0.0, 0.0),
                                        "torch_module": lambda self: None})
    with pytest.raises(ComponentError, match="does not define key, theory, in_theory, a "
                                             "docstring"):
        register(bare)


def test_definitions_outside_the_vocabulary_are_refused():
    def python_if(self: Any, t: Any) -> Any:
        return t if t > 0 else 0.0

    with pytest.raises(ComponentError, match="activation 'test_act': value is not written in "
                                             "the component vocabulary"):
        register(_activation_class(value=python_if), [check_activation])

    def numpy_call(self: Any, t: Any) -> Any:
        return np.tanh(t)

    with pytest.raises(ComponentError, match="not written in the component vocabulary"):
        register(_activation_class(value=numpy_call), [check_activation])
    with pytest.raises(ComponentError, match="is in the theory .* not 1"):
        register(_activation_class(lipschitz=2.0), [check_activation])
    with pytest.raises(ComponentError, match="the name 'relu' is already registered"):
        register(_activation_class(key="relu"), [check_activation])
    with pytest.raises(InvalidInputError):
        get_activation("test_act")  # nothing of the above was registered


def test_a_component_lives_in_its_module_and_the_registry():
    """The two components added after the refactor appear in exactly two source files."""
    src = Path(__file__).resolve().parents[2] / "src" / "lptrain"
    for word, module in (("softplus", "activations/softplus.py"), ("huber", "losses/huber.py")):
        files = sorted(str(p.relative_to(src)) for p in src.rglob("*.py")
                       if word in p.read_text(encoding="utf-8").lower())
        assert files == sorted([f"components/{module}", "components/registry.py"]), files
