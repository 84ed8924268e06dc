"""Weights trained elsewhere → lptrain's free parameters φ, with the architecture checked.

* :func:`from_torch` — φ of a network from a ``torch.nn.Module``: the parameter shapes must
  be the network's groups, the module's activations the network's (read from the layers of
  an ``nn.Sequential``), and the module must compute the network's function (a probe on
  fixed inputs; this also catches what the layer list cannot show, e.g. a custom
  ``forward``);
* :func:`module_network` — the lptrain network an ``nn.Sequential`` of ``nn.Linear`` and
  activation layers computes (or the one a module exported by :func:`lptrain.torch.to_torch`
  carries);
* :func:`params_from_state_dict` — φ from a ``state_dict`` (or any mapping of arrays) named
  either as ``nn.Sequential`` names them (``0.weight``, ``0.bias``, ``2.weight``…, an
  optional common prefix such as ``model.``) or as lptrain does (``layer1.weight``…);
* :func:`read_weights` / :func:`load_weights` / :func:`params_from_file` — the same from a
  file: ``.pt`` / ``.pth`` (``torch.load(..., weights_only=True)``: no code from the file
  runs; a state_dict, or a whole ``nn.Sequential`` of ``torch.nn`` layers, whose
  activations are then checked), ``.npz`` (``allow_pickle=False``, headers checked) or
  ``.json`` (strict); every value a finite real number.

A state_dict holds tensors only, not activations: the network passed with it says which
activation is meant (a module is checked, a state_dict cannot be). Values outside
``[-1, 1]`` are returned as they are; :mod:`lptrain.convert` rescales ReLU units into the
box or certifies over a larger box.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import read_json_file, read_npz_arrays
from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.nn import Network, dense, forward
from lptrain.nn.activations import Activation
from lptrain.torch.layout import activations, recognize
from lptrain.torch.mapping import activation_of_module
from lptrain.torch.runtime import require_torch

__all__ = ["from_torch", "module_network", "params_from_state_dict", "read_weights",
           "load_weights", "params_from_file"]

_LAYERS = ("Linear", "Conv1d", "Conv2d")
_PASSIVE = ("Flatten", "Unflatten", "Dropout")  # Dropout is the identity in eval mode
_PROBES = 16


def _to_numpy(value: Any, name: str) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind == "c":
        raise InvalidInputError(f"weight {name!r} holds complex numbers; weights must be real")
    if arr.dtype.kind not in "fiub":
        raise InvalidInputError(f"weight {name!r} is not numeric (dtype {arr.dtype})")
    out = arr.astype(np.float64)
    if not np.isfinite(out).all():
        raise InvalidInputError(f"weight {name!r} contains NaN or inf")
    return out


def _leaves(module: Any) -> list[tuple[str, Any]]:
    """The leaf modules of nested ``nn.Sequential`` containers, with their names."""
    if type(module).__name__ != "Sequential":
        return [("", module)]
    out = []
    for name, child in module.named_children():
        out += [(f"{name}.{n}" if n else name, m) for n, m in _leaves(child)]
    return out


def _layer_plan(module: Any) -> list[tuple[str, Any, list[Activation]]] | None:
    """``[(name, layer, activations after it)]`` of a Sequential, or None for other modules;
    refuses layers lptrain cannot represent."""
    if type(module).__name__ != "Sequential":
        return None
    plan: list[tuple[str, Any, list[Activation]]] = []
    for name, leaf in _leaves(module):
        kind = type(leaf).__name__
        if kind in _LAYERS:
            plan.append((name, leaf, []))
        elif kind in _PASSIVE:
            continue
        else:
            act = activation_of_module(leaf)
            if act is None:
                raise InvalidInputError(
                    f"module layer {name!r} is {leaf!r}, which is not an lptrain activation "
                    "(relu, leaky_relu, tanh, hard_tanh = Hardtanh(-1, 1), elu with alpha <= 1, "
                    "identity, step) nor a Linear/Conv layer: the network cannot be certified")
            if not plan:
                raise InvalidInputError(f"module layer {name!r} ({kind}) comes before the first "
                                        "Linear/Conv layer")
            plan[-1][2].append(act)
    return plan


def _combined(acts: list[Activation], layer: str) -> Activation:
    real = [a for a in acts if a.name != "identity"]
    if len(real) > 1:
        raise InvalidInputError(
            f"module layer {layer!r} is followed by {len(real)} activations "
            f"({', '.join(a.spec for a in real)}); lptrain applies one per layer")
    return real[0] if real else Activation("identity")


def _check_activations(module: Any, network: Network) -> None:
    plan = _layer_plan(module)
    if plan is None or recognize(network) is None:
        return
    hidden, out = activations(network)
    for i, (name, _, acts) in enumerate(plan):
        last = i == len(plan) - 1
        got, want = _combined(acts, name), out if last else hidden
        if got != want:
            where = "output" if last else "hidden"
            raise InvalidInputError(
                f"module layer {name!r} is followed by {got.spec} but the network's {where} "
                f"activation is {want.spec}: pass the network with activation {got.spec!r} "
                f"(e.g. parse_arch(..., {got.spec!r})) or the module it was trained as")


def _probe(module: Any, network: Network, phi: np.ndarray) -> None:
    """Refuse a module that does not compute ``network`` with parameters ``phi`` (compared
    in the module's own floating-point type, with that type's tolerance)."""
    torch = require_torch("reading PyTorch weights")
    X = np.random.default_rng(20261).uniform(-1.0, 1.0, (_PROBES, network.n))
    ref = forward(network, X, phi[None, :], backend="numpy")[0]
    first = next(iter(module.parameters()), None)
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float64
    rel = {torch.float64: 1e-9, torch.float32: 1e-4}.get(dtype, 1e-2)
    twin = copy.deepcopy(module).eval()
    x = torch.tensor(X, dtype=dtype)
    layout = recognize(network)
    with torch.no_grad():
        try:
            got = twin(x)
        except (RuntimeError, ValueError, TypeError):
            if layout is None or "shape" not in layout:
                raise
            got = twin(x.reshape(_PROBES, *layout["shape"]))
    out = got.detach().cpu().double().numpy().reshape(_PROBES, -1)
    if out.shape != ref.shape:
        raise InvalidInputError(f"the module maps {network.n} inputs to {out.shape[1]} outputs "
                                f"but the network has m={network.m}")
    err = float(np.max(np.abs(out - ref)))
    if not err <= rel * (1.0 + float(np.max(np.abs(ref)))):
        raise InvalidInputError(
            f"the module does not compute the network with these weights (largest output "
            f"difference {err:.3g} on {_PROBES} probe inputs): check the activation, the layer "
            f"order and any custom forward ({network!r})")


def from_torch(module: Any, network: Network, *, check: bool = True) -> np.ndarray:
    """The free parameters φ (N,) of ``network`` read from a torch module's weights.

    The module's parameters, in ``module.parameters()`` order, must have the shapes of the
    network's parameter groups (``nn.Linear`` / ``nn.Conv`` layers in the canonical order
    of docs/networks.md), or be the single φ vector of a ``DAGModule``. Entries of fixed
    parameters are ignored. With ``check`` (default) the module's activations must be the
    network's (an ``nn.Sequential`` is read layer by layer, so a ``Tanh`` module is refused
    for a ReLU network with a message naming the layer) and the module must compute the
    network's outputs on fixed probe inputs (any module). Values outside [-1, 1] are
    returned as they are.

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> from lptrain.nn import dense
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
    ...                             torch.nn.Linear(3, 1))
    >>> phi = from_torch(model, dense([2, 3, 1]))
    >>> phi.shape, bool(np.allclose(phi[:6], model[0].weight.detach().numpy().ravel()))
    ((13,), True)
    >>> from_torch(model, dense([2, 3, 1], "tanh"))
    Traceback (most recent call last):
    ...
    lptrain.errors.InvalidInputError: module layer '0' is followed by relu but the \
network's hidden activation is tanh: pass the network with activation 'relu' (e.g. \
parse_arch(..., 'relu')) or the module it was trained as
    """
    require_torch("reading PyTorch weights")
    if check:
        _layer_plan(module)  # refuse layers lptrain cannot represent before comparing shapes
    tensors = [_to_numpy(p, "parameter") for p in module.parameters()]
    if len(tensors) == 1 and tensors[0].shape == (network.N,) and len(network.groups) != 1:
        phi = tensors[0].copy()
    else:
        got = [tuple(t.shape) for t in tensors]
        want = [tuple(shape) for _, shape in network.groups]
        if got != want:
            raise InvalidInputError(
                f"the module's parameter shapes {got} do not match the network's parameter "
                f"groups {want} (names {[name for name, _ in network.groups]})")
        raw = np.concatenate([t.ravel() for t in tensors]) if tensors else np.zeros(0)
        free = np.asarray(network.raw_free, dtype=np.int64)
        phi = np.empty(network.N)
        phi[free[free >= 0]] = raw[free >= 0]
    if check:
        _check_activations(module, network)
        _probe(module, network, phi)
    return phi


def module_network(module: Any) -> Network:
    """The lptrain network a module computes: the one a module exported by
    :func:`lptrain.torch.to_torch` carries, or the dense network of an ``nn.Sequential`` of
    ``nn.Linear`` layers with one activation between them (and optionally after the last).

    Examples
    --------
    >>> import pytest; torch = pytest.importorskip("torch")
    >>> seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    >>> module_network(seq)
    Network(kind='dense', n=3, m=2, N=26, depth=2, widths=(3, 4, 2), max_in_degree=4)
    """
    carried = getattr(module, "network", None)
    if isinstance(carried, Network):
        return carried
    plan = _layer_plan(module)
    if plan is None:
        raise InvalidInputError(
            f"cannot read the architecture of a {type(module).__name__} module; pass the "
            "lptrain network it computes (e.g. parse_arch('2-3-1')) with it")
    if any(type(layer).__name__ != "Linear" for _, layer, _ in plan):
        raise InvalidInputError("only nn.Sequential of nn.Linear layers are read without a "
                                "network; for convolutions pass the lptrain network too")
    acts = [_combined(a, name) for name, _, a in plan]
    hidden = {a for a in acts[:-1]}
    if len(hidden) > 1:
        raise InvalidInputError(f"the hidden layers use different activations "
                                f"({sorted(a.spec for a in hidden)}); lptrain's dense networks "
                                "use one")
    widths = [plan[0][1].in_features] + [layer.out_features for _, layer, _ in plan]
    for (name, layer, _), w_in in zip(plan, widths[:-1], strict=True):
        if layer.in_features != w_in:
            raise InvalidInputError(f"module layer {name!r} takes {layer.in_features} inputs "
                                    f"but the layer before gives {w_in}")
    biases = {layer.bias is not None for _, layer, _ in plan}
    if len(biases) > 1:
        raise InvalidInputError("some Linear layers have a bias and some do not; lptrain's "
                                "dense networks have biases on every layer or on none")
    hid = next(iter(hidden)) if hidden else Activation("identity")
    return dense(widths, hid, acts[-1], bias=biases.pop())


_SEQ_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<index>\d+)\.(?P<kind>weight|bias)$")


def _sequential_names(keys: list[str], network: Network) -> dict[str, str] | None:
    """Map ``nn.Sequential`` names (``0.weight``…) onto the network's ``layer{k}`` groups."""
    matches = [_SEQ_KEY.match(k) for k in keys]
    if not keys or not all(matches):
        return None
    prefixes = {m.group("prefix") for m in matches if m}
    if len(prefixes) != 1:
        return None
    order = sorted({int(m.group("index")) for m in matches if m})
    rank = {idx: k + 1 for k, idx in enumerate(order)}
    return {key: f"layer{rank[int(m.group('index'))]}.{m.group('kind')}"
            for key, m in zip(keys, matches, strict=True) if m}


def params_from_state_dict(state: Mapping[str, Any], network: Network) -> np.ndarray:
    """φ (N,) from a state_dict (or a mapping of arrays) with ``nn.Sequential`` names
    (``0.weight``, ``0.bias``, ``2.weight``, …; a common prefix like ``model.`` is allowed)
    or lptrain's (``layer1.weight``, …). Every group of the network must be present with its
    shape, and nothing else; entries of fixed parameters are ignored.

    Examples
    --------
    >>> from lptrain.nn import dense
    >>> sd = {"0.weight": np.ones((2, 1)), "0.bias": np.zeros(2),
    ...       "2.weight": np.full((1, 2), 0.5), "2.bias": np.array([-1.0])}
    >>> params_from_state_dict(sd, dense([1, 2, 1])).tolist()
    [1.0, 1.0, 0.0, 0.0, 0.5, 0.5, -1.0]
    """
    if not isinstance(state, Mapping):
        raise InvalidInputError(f"a state_dict must be a mapping of names to tensors; got "
                                f"{type(state).__name__}")
    keys = [str(k) for k in state]
    group_names = [name for name, _ in network.groups]
    names = ({k: k for k in keys} if set(keys) == set(group_names)
             else _sequential_names(keys, network))
    if names is None or sorted(names.values()) != sorted(group_names):
        got = [tuple(np.shape(state[k])) for k in state]
        want = [tuple(shape) for _, shape in network.groups]
        raise InvalidInputError(
            f"the state_dict's names {keys} (shapes {got}) match neither the network's groups "
            f"{group_names} (shapes {want}) nor the nn.Sequential naming of its layers "
            "('0.weight', '0.bias', '2.weight', ...): is it the network's architecture?")
    arrays = {names[k]: _to_numpy(v, k) for k, v in state.items()}
    raw = []
    for (name, shape), key in zip(network.groups, group_names, strict=True):
        arr = arrays[key]
        if arr.shape != tuple(shape):
            source = next(k for k, v in names.items() if v == key)
            raise InvalidInputError(f"weight {source!r} has shape {arr.shape}; the network's "
                                    f"{name} needs {tuple(shape)}")
        raw.append(arr.reshape(-1))
    vec = np.concatenate(raw)
    free = np.asarray(network.raw_free, dtype=np.int64)
    phi = np.empty(network.N)
    phi[free[free >= 0]] = vec[free >= 0]
    return phi


#: The ``torch.nn`` classes a ``.pt`` file may hold as a whole module (read with
#: ``weights_only=True``: only these constructors run, no code from the file).
_MODULE_CLASSES = ("Sequential", "Linear", "Conv1d", "Conv2d", "Flatten", "Unflatten",
                   "Dropout", "ReLU", "LeakyReLU", "Tanh", "Hardtanh", "ELU", "Identity")


def _torch_load(p: Path) -> Any:
    """``torch.load(p, weights_only=True)``, also allowing a whole ``nn.Sequential`` made of
    the layer classes in ``_MODULE_CLASSES`` (their ``forward`` is PyTorch's own code)."""
    torch = require_torch(f"reading {p.name}")
    safe = getattr(torch.serialization, "safe_globals", None)
    if safe is None:  # torch < 2.5: state_dicts only
        return torch.load(p, map_location="cpu", weights_only=True)
    with safe([getattr(torch.nn, name) for name in _MODULE_CLASSES]):
        return torch.load(p, map_location="cpu", weights_only=True)


def _checked_arrays(arrays: Mapping[str, Any], p: Path) -> dict[str, np.ndarray]:
    out = {}
    for key, value in arrays.items():
        try:
            arr = np.asarray(value)
        except ValueError:
            raise InvalidInputError(f"weights file {p}: {key} is a ragged nested list (rows "
                                    "of different lengths); give a flat list of N numbers or "
                                    "arrays of the group shapes") from None
        try:
            out[str(key)] = _to_numpy(arr, str(key))
        except InvalidInputError as exc:
            raise InvalidInputError(f"weights file {p}: {exc}") from None
    return out


def read_weights(path: str | os.PathLike[str]) -> Any:
    """What a weights file holds: the named arrays of a state_dict, or a whole
    ``nn.Sequential`` (``.pt`` only, built from ``torch.nn`` layers alone).

    ``.pt`` / ``.pth``: ``torch.load(..., weights_only=True)``, so no code from the file runs;
    a state_dict (``torch.save(model.state_dict(), path)``) or an ``nn.Sequential`` of
    Linear/Conv layers and lptrain's activations (``torch.save(model, path)``: its
    activations are then checked against the network). ``.npz``: read without pickle, each
    member's header checked against its bytes before allocating. ``.json``: strict (no
    NaN/Infinity); a list is one vector, an object one array per name. Every value must be
    a finite real number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.json"
    >>> _ = p.write_text('{"0.weight": [[0.5]], "0.bias": [0.25]}')
    >>> sorted(read_weights(p))
    ['0.bias', '0.weight']
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file():
        raise InvalidInputError(f"weights file {p} does not exist")
    if suffix == ".npz":
        return _checked_arrays(read_npz_arrays(p, "weights file"), p)
    if suffix == ".json":
        doc = read_json_file(p, "weights file")
        if isinstance(doc, list):
            return _checked_arrays({"params": doc}, p)
        if isinstance(doc, dict):
            return _checked_arrays({k: v for k, v in doc.items() if isinstance(v, list)}, p)
        raise FileFormatError(f"weights file {p} must hold a JSON list of numbers or an "
                              f"object of arrays; it holds {type(doc).__name__}")
    if suffix not in (".pt", ".pth"):
        raise InvalidInputError(f"weights file {p} must end in .pt, .pth, .npz or .json")
    try:
        obj = _torch_load(p)
    except ImportError:
        raise
    except Exception as exc:  # torch's UnpicklingError, zip/OS errors
        text = str(exc)
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        why = (f"it holds a {found.group(1)}, which is neither a tensor nor one of the torch.nn "
               f"layers {', '.join(_MODULE_CLASSES)}" if found
               else f"{type(exc).__name__}: {text.splitlines()[0].split('. ')[0] if text else ''}")
        raise FileFormatError(
            f"cannot read weights from {p} ({why}); it is read with weights_only=True (no code "
            "from the file runs): save the model with torch.save(model.state_dict(), path) and "
            "give the architecture with --arch / the network") from None
    if type(obj).__name__ == "Sequential" and hasattr(obj, "state_dict"):
        return obj
    if not isinstance(obj, Mapping):
        raise InvalidInputError(f"{p} holds a {type(obj).__name__}, not a state_dict; "
                                "save it with torch.save(model.state_dict(), path)")
    bad = [str(k) for k, v in obj.items() if not hasattr(v, "detach")]
    if bad:
        raise InvalidInputError(f"{p}: entries {bad[:5]} are not tensors; save the "
                                "model's state_dict only (not a checkpoint dict)")
    return _checked_arrays(obj, p)


def load_weights(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The named arrays of a weights file (:func:`read_weights`; a whole module gives its
    state_dict).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.npz"
    >>> np.savez(p, params=np.array([0.5, -0.25]))
    >>> load_weights(p)["params"].tolist()
    [0.5, -0.25]
    """
    got = read_weights(path)
    if isinstance(got, Mapping):
        return dict(got)
    return _checked_arrays(got.state_dict(), Path(path))


def params_from_file(path: str | os.PathLike[str], network: Network) -> np.ndarray:
    """φ (N,) from a weights file (:func:`read_weights`): one array ``params``/``phi`` (or the
    only array) in lptrain's canonical order, a state_dict in either naming
    (:func:`params_from_state_dict`), or a whole ``nn.Sequential`` (checked by
    :func:`from_torch`: shapes, activations, function).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lptrain.nn import dense
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.npz"
    >>> np.savez(p, **{"layer1.weight": [[0.5]], "layer1.bias": [0.25]})
    >>> params_from_file(p, dense([1, 1])).tolist()
    [0.5, 0.25]
    """
    arrays = read_weights(path)
    try:
        return _params_of(arrays, network, path)
    except InvalidInputError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise InvalidInputError(f"weights file {path}: {exc}") from None


def _params_of(arrays: Any, network: Network, path: str | os.PathLike[str]) -> np.ndarray:
    if not isinstance(arrays, Mapping):
        return from_torch(arrays, network)
    group_names = {name for name, _ in network.groups}
    single = [k for k in ("params", "phi") if k in arrays]
    if single or (len(arrays) == 1 and not set(arrays) & group_names
                  and _sequential_names(list(arrays), network) is None):
        vec = arrays[single[0] if single else next(iter(arrays))].reshape(-1)
        if vec.size != network.N:
            raise InvalidInputError(f"{path} holds {vec.size} parameters but the network has "
                                    f"N={network.N}")
        return vec
    return params_from_state_dict(arrays, network)
