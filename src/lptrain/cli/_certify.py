"""``lptrain certify``: how far are given parameters from the global optimum of the ERM?

Two ways to name the parameters:

* ``lptrain certify MODEL.json DATA.csv``: a model written by lptrain (network, parameters,
  loss, scalers); the stored scaling is applied to the data exactly as ``predict`` does and
  the certificate is in those scaled units; the feature (and target) columns are taken
  by the names stored in the model (``--by-position``: the first n columns in order);
* ``lptrain certify PARAMS DATA.csv --arch 2-1-1 --loss abs``: foreign weights (e.g. trained
  by SGD) as ``.npz`` (``allow_pickle=False``) or ``.json``: one array ``params``/``phi`` in
  lptrain's canonical order, or one array per group named as in PyTorch
  (``layer1.weight``, ``layer1.bias``, ...). Data must lie in [-1, 1] unless ``--scale``.

It runs :func:`lptrain.certify.certify_erm` (branch and bound with sound bounds over
``Φ = [-1, 1]^N``) and prints the certified lower bound on the global optimum, the model's
ERM and the gap between them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import read_json_file, read_npz_arrays
from lptrain.certify.continuous import ERMCertificate, certify_erm
from lptrain.cli._common import (
    add_header_argument,
    add_output_arguments,
    clip_data,
    positive_float,
    progress_enabled,
    scheduler,
)
from lptrain.cli._runtime import add_command, add_input
from lptrain.data import UnitScaler, load_csv
from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.model_io import ModelFile, load_model
from lptrain.nn import Network, parse_arch
from lptrain.nn.losses import LOSSES

__all__ = ["register", "run", "load_params", "report"]

_EPILOG = """examples:
  lptrain certify model.json data.csv --gap 0.01 --time-limit 60
  lptrain certify sgd.npz data.csv --arch 2-1-1 --loss abs --scale --json
  lptrain certify model.json data.csv --scheduler tcp://10.0.0.5:8786
The lower bound is a-posteriori: computed by branch and bound on the actual data, sound in
floating point; the gap is ERM(model) - lower bound."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``certify`` command."""
    p = add_command(subparsers, "certify", doc=__doc__, epilog=_EPILOG,
                    help="certified gap between a model and the global optimum of its ERM")
    add_input(p, "model", label="model or params file", metavar="MODEL",
              help="model.json written by lptrain, or a params file (.npz/.json) when --arch "
                   "is given")
    add_input(p, "data", label="data file", metavar="DATA.csv",
              help="CSV data file (header row; targets in the last columns)")
    p.add_argument("--gap", type=positive_float, default=1e-2,
                   help="target gap (default 0.01)")
    p.add_argument("--time-limit", type=positive_float, default=60.0,
                   help="seconds before stopping with the bound reached (default 60)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default: this machine, every core)")
    p.add_argument("--arch", default=None, help="architecture of foreign weights, e.g. 2-1-1")
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument("--loss", default=None, help=f"loss for foreign weights: {', '.join(LOSSES)}")
    p.add_argument("--regularizer", default=None, help="l1:LAMBDA or l2:LAMBDA")
    p.add_argument("--target", default=None, help="target column (name or index)")
    add_header_argument(p)
    p.add_argument("--by-position", action="store_true",
                   help="with a model file: take the first n columns as features, whatever "
                        "their names")
    p.add_argument("--scale", action="store_true",
                   help="with foreign weights: scale X and y to [-1, 1] by their range first")
    p.add_argument("--no-symmetry", action="store_true",
                   help="search all of [-1, 1]^N (no ReLU scaling reduction)")
    add_output_arguments(p)
    p.set_defaults(func=run, human=print_human)


def _real(name: str, value: Any, source: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except ValueError:
        raise InvalidInputError(f"{source}: {name} is a ragged nested list (rows of different "
                                "lengths); give a flat list of N numbers or arrays of the "
                                "group shapes") from None
    if arr.dtype.kind == "c":
        raise InvalidInputError(f"{source}: {name} holds complex numbers; parameters must be "
                                "real")
    if arr.dtype.kind not in "fiub":
        raise InvalidInputError(f"{source}: {name} must hold numbers; it holds "
                                f"{arr.dtype} values")
    out = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(out).all():
        raise InvalidInputError(f"{source}: {name} contains NaN or inf")
    return out


def _group_vector(net: Network, arrays: dict[str, Any], source: str) -> np.ndarray:
    raw = []
    for name, shape in net.groups:
        if name not in arrays:
            raise InvalidInputError(f"{source} has no array {name!r}; the network's groups are "
                                    f"{[g for g, _ in net.groups]}")
        arr = _real(name, arrays[name], source)
        if arr.shape != tuple(shape):
            raise InvalidInputError(f"{source}: {name} has shape {arr.shape}, expected "
                                    f"{tuple(shape)}")
        raw.append(arr.reshape(-1))
    vec = np.concatenate(raw)
    free = np.asarray(net.raw_free)
    out = np.empty(net.N)
    out[free[free >= 0]] = vec[free >= 0]
    return out


def _json_arrays(p: Path) -> dict[str, Any]:
    doc = read_json_file(p, "params file")
    if isinstance(doc, list):
        return {"params": doc}
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if isinstance(v, list)}
    raise FileFormatError(f"params file {p} must hold a JSON list of numbers or an object of "
                          f"arrays; it holds {type(doc).__name__}")


def load_params(path: str | Path, net: Network) -> np.ndarray:
    """Parameters φ (N,) from a ``.npz`` (no pickle) or ``.json`` file: one array
    ``params``/``phi`` (or the only array), or one array per group (PyTorch names)."""
    p = Path(path)
    if p.suffix == ".npz":
        arrays: dict[str, Any] = read_npz_arrays(p, "params file")
    elif p.suffix == ".json":
        arrays = _json_arrays(p)
    else:
        raise InvalidInputError(f"params file {p} must end in .npz or .json")
    source = f"params file {p}"
    try:
        for key in ("params", "phi"):
            if key in arrays:
                vec = _real(key, arrays[key], source).reshape(-1)
                break
        else:
            if len(arrays) == 1 and net.groups[0][0] not in arrays:
                name, value = next(iter(arrays.items()))
                vec = _real(name, value, source).reshape(-1)
            else:
                return _group_vector(net, arrays, source)
    except ValueError as exc:  # ragged nested lists
        if isinstance(exc, InvalidInputError):
            raise
        raise FileFormatError(f"cannot read params from {p}: {exc}") from None
    if vec.size != net.N:
        raise InvalidInputError(f"{p} holds {vec.size} parameters but the network has N={net.N}")
    return vec


def _model_data(args: argparse.Namespace, model: ModelFile) -> tuple[Any, str]:
    """The data set for a model file: columns by the stored names, unless --by-position."""
    by_name = not args.by_position and args.header != "no"
    features = list(model.feature_names) if by_name and model.feature_names else None
    target: Any = args.target
    if target is None and features is not None and model.target_names:
        target = list(model.target_names)
    try:
        ds = load_csv(args.data, target=target, n_targets=_n_targets(model),
                      header=args.header, features=features)
    except InvalidInputError as exc:
        if features is None or "the feature columns must be" not in str(exc):
            raise
        raise InvalidInputError(f"{exc}, the columns the model was trained on: rename the "
                                f"columns, or pass --by-position to take the first "
                                f"{model.network.n} columns in order") from None
    if ds.X.shape[1] != model.network.n:
        raise InvalidInputError(f"{args.data} has {ds.X.shape[1]} feature columns but the model "
                                f"has n={model.network.n} inputs")
    return ds, ("by name" if features is not None else "by position")


def _problem(args: argparse.Namespace) -> dict[str, Any]:
    """Network, loss, regularizer, params and the (scaled) data, with a note on units."""
    notes: list[str] = []
    if args.arch is None:
        for flag, value in (("--loss", args.loss), ("--scale", args.scale or None)):
            if value is not None:
                raise InvalidInputError(f"{flag} is for foreign weights (with --arch); a model "
                                        "file carries its own loss and scaling")
        if Path(args.model).suffix != ".json":
            raise InvalidInputError(
                f"{args.model}: without --arch, certify reads a model file written by lptrain "
                "(.json); for foreign weights (.npz or .json arrays) give --arch and --loss")
        model = load_model(args.model)
        net, params, loss = model.network, model.params, model.loss
        ds, _ = _model_data(args, model)
        X = model.scaler_x.transform(ds.X) if model.scaler_x is not None else ds.X
        if model.labels is not None:
            Y = model.labels.encode(ds.y)
        else:
            y = np.asarray(ds.y, dtype=np.float64)
            Y = model.scaler_y.transform(y) if model.scaler_y is not None else y
        reg = args.regularizer or model.training.get("regularizer")
        scaled = model.scaler_x is not None or model.scaler_y is not None
        detail = ("scaled by the model's stored scalers (as predict does)" if scaled
                  else "as given")
        a_priori = _a_priori(model.training)
    else:
        if args.loss is None:
            raise InvalidInputError("--loss is required with --arch (foreign weights)")
        net, loss, reg = parse_arch(args.arch, args.activation), args.loss, args.regularizer
        a_priori = None
        params = load_params(args.model, net)
        ds = load_csv(args.data, target=args.target, n_targets=net.m, header=args.header)
        if ds.y.dtype.kind != "f":
            raise InvalidInputError(f"{args.data}: the target column(s) must be numbers with "
                                    "foreign weights (class labels need a model file)")
        X, Y = ds.X, np.asarray(ds.y, dtype=np.float64)
        scaled, detail = False, "as given"
        if args.scale:
            X, Y = UnitScaler.fit(X).transform(X), UnitScaler.fit(Y).transform(Y)
            scaled, detail = True, "X and y scaled to [-1, 1] by their range (--scale)"
        else:
            hint = "pass --scale to scale them by their range (as the weights were trained)"
            X = clip_data(f"X (from {Path(args.data).name})", X, notes, hint)
            Y = clip_data(f"y (from {Path(args.data).name})", Y, notes, hint)
    return {"network": net, "params": params, "loss": loss, "regularizer": reg, "X": X,
            "Y": Y, "units": "scaled" if scaled else "data", "units_detail": detail,
            "a_priori": a_priori, "notes": notes}


def _a_priori(training: dict[str, Any]) -> dict[str, Any] | None:
    """The a-priori bound of Main Theorem 3.1 stored by the LP trainer, if any."""
    eps = training.get("epsilon")
    if not isinstance(eps, (int, float)) or isinstance(eps, bool):
        return None
    lower = training.get("a_priori_lower_bound", training.get("lower_bound"))
    return {"epsilon": float(eps), "guarantee": 2.0 * float(eps),
            "a_priori_lower_bound": lower if isinstance(lower, (int, float)) else None,
            "bits": training.get("bits")}


def _n_targets(model: Any) -> int:
    return 1 if model.labels is not None else model.network.m


def report(cert: ERMCertificate, prob: dict[str, Any]) -> dict[str, Any]:
    """The flat JSON object of ``lptrain certify --json`` (shared names: docs/cli.md)."""
    out = cert.to_dict()
    out["best_params"] = out.pop("phi", None)
    out["timings"] = {"certify": out.pop("seconds", None)}
    net = prob["network"]
    ap = prob["a_priori"] or {}
    out.update({
        "params": np.asarray(prob["params"]).tolist(), "loss": str(prob["loss"]),
        "regularizer": prob["regularizer"], "n": net.n, "m": net.m, "N": net.N,
        "D": int(np.asarray(prob["X"]).shape[0]), "units": prob["units"],
        "units_detail": prob["units_detail"], "epsilon": ap.get("epsilon"),
        "guarantee": ap.get("guarantee"), "a_priori_lower_bound": ap.get("a_priori_lower_bound"),
        "bits": ap.get("bits"), "notes": prob["notes"]})
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain certify``: the certificate of the given parameters."""
    prob = _problem(args)
    with scheduler(args.scheduler, True) as client:
        cert = certify_erm(prob["network"], prob["loss"], prob["X"], prob["Y"], prob["params"],
                           regularizer=prob["regularizer"], target_gap=args.gap,
                           time_limit=args.time_limit, progress=progress_enabled(args),
                           cluster=client, symmetry=not args.no_symmetry)
    out = report(cert, prob)
    out.update({"model": str(args.model), "data": str(args.data), "arch": args.arch})
    return out


def print_human(r: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain certify``."""
    print(f"lptrain certify {r['model']} {r['data']}  ({r['units_detail']})")
    print(f"  ERM of the model           {r['erm']:.8g}")
    print(f"  best ERM found in Φ        {r['best_value']:.8g}")
    print(f"  certified lower bound      {r['lower_bound']:.8g}  (a-posteriori, over "
          f"[-1, 1]^{r['N']})")
    print(f"  gap (model - lower bound)  {r['gap']:.3g}")
    if r.get("guarantee") is not None:
        print(f"  a-priori guarantee 2ε      {r['guarantee']:.3g}  (Main Theorem 3.1, "
              f"worst-case Lipschitz constant, bits={r['bits']})")
    if r.get("params_in_box") is False:
        print("  note: the model's parameters lie outside [-1, 1]^N; the bound is over the "
              "box, so the gap may be negative")
    print(f"  status {r['status']} after {r['timings']['certify']:.2f} s, {r['nodes']} boxes")
