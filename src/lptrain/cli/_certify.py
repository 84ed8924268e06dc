"""``lptrain certify``: how far are given parameters from the global optimum of the ERM?

Two ways to name the parameters:

* ``lptrain certify MODEL.json DATA.csv``: a model written by lptrain (network, parameters,
  loss, scalers); the stored scaling is applied to the data exactly as ``predict`` does and
  the certificate is in those scaled units;
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
import json
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._validation import check_unit_box
from lptrain.certify.continuous import ERMCertificate, certify_erm
from lptrain.cli._common import add_output_arguments, print_json, progress_enabled
from lptrain.data import UnitScaler, load_csv
from lptrain.errors import FileFormatError, InvalidInputError
from lptrain.model_io import load_model
from lptrain.nn import Network, parse_arch
from lptrain.nn.losses import LOSSES

__all__ = ["register", "run", "load_params"]

_EPILOG = """examples:
  lptrain certify model.json data.csv --gap 0.01 --time-limit 60
  lptrain certify sgd.npz data.csv --arch 2-1-1 --loss abs --scale --json
  lptrain certify model.json data.csv --scheduler tcp://10.0.0.5:8786
The lower bound is a-posteriori: computed by branch and bound on the actual data, sound in
floating point; the gap is ERM(model) - lower bound."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``certify`` command."""
    p = subparsers.add_parser(
        "certify", help="certified gap between a model and the global optimum of its ERM",
        description=__doc__, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model.json written by lptrain, or a params file "
                   "(.npz/.json) when --arch is given")
    p.add_argument("data", help="CSV data file (header row; targets in the last columns)")
    p.add_argument("--gap", type=float, default=1e-2, help="target gap (default 0.01)")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds before stopping with the bound reached (default 60)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default: this machine, every core)")
    p.add_argument("--arch", default=None, help="architecture of foreign weights, e.g. 2-1-1")
    p.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    p.add_argument("--loss", default=None, help=f"loss for foreign weights: {', '.join(LOSSES)}")
    p.add_argument("--regularizer", default=None, help="l1:LAMBDA or l2:LAMBDA")
    p.add_argument("--target", default=None, help="target column (name or index)")
    p.add_argument("--scale", action="store_true",
                   help="with foreign weights: scale X and y to [-1, 1] by their range first")
    p.add_argument("--no-symmetry", action="store_true",
                   help="search all of [-1, 1]^N (no ReLU scaling reduction)")
    add_output_arguments(p)
    p.set_defaults(func=run)


def _group_vector(net: Network, arrays: dict[str, np.ndarray], source: str) -> np.ndarray:
    raw = []
    for name, shape in net.groups:
        if name not in arrays:
            raise InvalidInputError(f"{source} has no array {name!r}; the network's groups are "
                                    f"{[g for g, _ in net.groups]}")
        arr = np.asarray(arrays[name], dtype=np.float64)
        if arr.shape != tuple(shape):
            raise InvalidInputError(f"{source}: {name} has shape {arr.shape}, expected "
                                    f"{tuple(shape)}")
        raw.append(arr.reshape(-1))
    vec = np.concatenate(raw)
    free = np.asarray(net.raw_free)
    out = np.empty(net.N)
    out[free[free >= 0]] = vec[free >= 0]
    return out


def load_params(path: str | Path, net: Network) -> np.ndarray:
    """Parameters φ (N,) from a ``.npz`` (no pickle) or ``.json`` file: one array
    ``params``/``phi`` (or the only array), or one array per group (PyTorch names)."""
    p = Path(path)
    try:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        elif p.suffix == ".json":
            doc = json.loads(p.read_text())
            arrays = ({"params": np.asarray(doc)} if isinstance(doc, list) else
                      {k: np.asarray(v, dtype=np.float64) for k, v in doc.items()
                       if isinstance(v, list)})
        else:
            raise InvalidInputError(f"params file {p} must end in .npz or .json")
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise FileFormatError(f"cannot read params from {p}: {exc}") from None
    for key in ("params", "phi"):
        if key in arrays:
            vec = np.asarray(arrays[key], dtype=np.float64).reshape(-1)
            break
    else:
        if len(arrays) == 1 and net.groups[0][0] not in arrays:
            vec = np.asarray(next(iter(arrays.values())), dtype=np.float64).reshape(-1)
        else:
            return _group_vector(net, arrays, str(p))
    if vec.size != net.N:
        raise InvalidInputError(f"{p} holds {vec.size} parameters but the network has N={net.N}")
    return vec


def _problem(args: argparse.Namespace) -> dict[str, Any]:
    """Network, loss, regularizer, params and the (scaled) data, with a note on units."""
    if args.arch is None:
        model = load_model(args.model)
        net, params, loss = model.network, model.params, model.loss
        ds = load_csv(args.data, target=args.target, n_targets=_n_targets(model))
        X = model.scaler_x.transform(ds.X) if model.scaler_x is not None else ds.X
        if model.labels is not None:
            Y = model.labels.encode(ds.y)
        else:
            y = np.asarray(ds.y, dtype=np.float64)
            Y = model.scaler_y.transform(y) if model.scaler_y is not None else y
        reg = args.regularizer or model.training.get("regularizer")
        units = ("scaled by the model's stored scalers (as predict does)"
                 if model.scaler_x is not None or model.scaler_y is not None else "as given")
        a_priori = _a_priori(model.training)
    else:
        if args.loss is None:
            raise InvalidInputError("--loss is required with --arch (foreign weights)")
        net, loss, reg = parse_arch(args.arch, args.activation), args.loss, args.regularizer
        a_priori = None
        params = load_params(args.model, net)
        ds = load_csv(args.data, target=args.target, n_targets=net.m)
        X, Y = ds.X, np.asarray(ds.y, dtype=np.float64)
        units = "as given"
        if args.scale:
            X, Y = UnitScaler.fit(X).transform(X), UnitScaler.fit(Y).transform(Y)
            units = "X and y scaled to [-1, 1] by their range (--scale)"
        else:
            hint = "pass --scale to scale them by their range (as the weights were trained)"
            check_unit_box(f"X (from {Path(args.data).name})", X, hint)
            check_unit_box(f"y (from {Path(args.data).name})", Y, hint)
    return {"network": net, "params": params, "loss": loss, "regularizer": reg, "X": X,
            "Y": Y, "units": units, "a_priori": a_priori}


def _a_priori(training: dict[str, Any]) -> dict[str, Any] | None:
    """The a-priori bound of Main Theorem 3.1 stored by the LP trainer, if any."""
    eps = training.get("epsilon")
    if not isinstance(eps, (int, float)):
        return None
    return {"epsilon": float(eps), "guarantee": 2.0 * float(eps),
            "lower_bound": training.get("lower_bound"), "kind": "a-priori",
            "bits": training.get("bits")}


def _n_targets(model: Any) -> int:
    return 1 if model.labels is not None else model.network.m


def report(cert: ERMCertificate, units: str, a_priori: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """The JSON object of ``lptrain certify --json``."""
    out = cert.to_dict()
    out["units"] = units
    out["a_priori"] = a_priori
    out["meaning"] = ("lower_bound <= min over [-1,1]^N of the ERM (a-posteriori, sound); "
                      "gap = ERM(model) - lower_bound bounds the model's distance to the "
                      "global optimum")
    return out


def run(args: argparse.Namespace) -> int:
    """Entry point of ``lptrain certify``."""
    prob = _problem(args)
    cert = certify_erm(prob["network"], prob["loss"], prob["X"], prob["Y"], prob["params"],
                       regularizer=prob["regularizer"], target_gap=args.gap,
                       time_limit=args.time_limit, progress=progress_enabled(args),
                       cluster=args.scheduler, symmetry=not args.no_symmetry)
    if args.json:
        print_json(report(cert, prob["units"], prob["a_priori"]))
        return 0
    print(f"lptrain certify {args.model} {args.data}  ({prob['units']})")
    print(f"  ERM of the model           {cert.upper_bound:.8g}")
    print(f"  best ERM found in Φ        {cert.best_value:.8g}")
    print(f"  certified lower bound      {cert.lower_bound:.8g}  (a-posteriori, over "
          f"[-1, 1]^{prob['network'].N})")
    print(f"  gap (model - lower bound)  {cert.gap:.3g}")
    if prob["a_priori"] is not None:
        ap = prob["a_priori"]
        print(f"  a-priori guarantee 2ε      {ap['guarantee']:.3g}  (Main Theorem 3.1, "
              f"worst-case Lipschitz constant, bits={ap['bits']})")
    if cert.params_in_box is False:
        print("  note: the model's parameters lie outside [-1, 1]^N; the bound is over the "
              "box, so the gap may be negative")
    print(f"  status {cert.status} after {cert.seconds:.2f} s, {cert.nodes} boxes")
    return 0
