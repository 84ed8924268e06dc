"""``lptrain certify``: how far are given parameters from the global optimum of the ERM?

Two ways to name the parameters:

* ``lptrain certify MODEL.json DATA.csv``: a model written by lptrain (network, parameters,
  loss, scalers; also an MLP saved by ``lptrain.convert.from_sklearn(mlp, X, y).save``); the
  stored scaling is applied to the data exactly as ``predict`` does and the certificate is
  in those scaled units (and converted to the data's units); the feature (and target)
  columns are taken by the names stored in the model (``--by-position``: the first n
  columns in order);
* ``lptrain certify WEIGHTS DATA.csv --arch 2-1-1 --loss abs``: foreign weights (e.g.
  trained by SGD): a PyTorch ``.pt``/``.pth`` file (``torch.load(..., weights_only=True)``: a
  ``state_dict``, or a whole ``nn.Sequential`` of torch.nn layers whose activations are
  checked), ``.npz`` (``allow_pickle=False``) or ``.json``: one array ``params``/``phi`` in
  lptrain's canonical order, or a state_dict named as ``nn.Sequential`` names it
  (``0.weight``, ``0.bias``, ``2.weight``, ...) or as lptrain does (``layer1.weight``, ...).
  Data must lie in [-1, 1] unless ``--scale``.

It runs :func:`lptrain.certify.certify_erm` (branch and bound with sound bounds over
``Φ = [-1, 1]^N``, or ``[-R, R]^N`` with ``--box R``; ReLU units outside the box are
rescaled into it first, the function unchanged) and prints the certified lower bound on
the global optimum, the model's ERM and the gap between them. ``-o better.json`` writes the
best model found (a model file, read by ``predict`` and ``certify``); ``--plot`` draws the
fit and the bounds closing over time.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from lptrain.certify.continuous import ERMCertificate, certify_erm
from lptrain.cli._common import (
    add_header_argument,
    add_output_arguments,
    clip_data,
    positive_float,
    progress_enabled,
    require_plotting,
    scheduler,
)
from lptrain.cli._runtime import add_command, add_input, add_output, write_output
from lptrain.convert import rescale_into_box
from lptrain.data import UnitScaler, load_csv
from lptrain.errors import InvalidInputError
from lptrain.estimators.report import data_units
from lptrain.model_io import ModelFile, load_model, save_model
from lptrain.nn import Network, parse_arch
from lptrain.nn.losses import LOSSES
from lptrain.torch import params_from_file

__all__ = ["register", "run", "load_params", "report", "best_model"]

#: Weights files read for foreign weights (``lptrain.torch.read_weights``).
WEIGHT_SUFFIXES = (".pt", ".pth", ".npz", ".json")

_EPILOG = """examples:
  lptrain certify model.json data.csv --gap 0.01 --time-limit 60 -o better.json
  lptrain certify sgd.pt data.csv --arch 2-1-1 --loss abs --scale --json
  lptrain certify sgd.npz data.csv --arch 2-1-1 --loss abs --box 4 --plot cert.png
  lptrain certify model.json data.csv --scheduler tcp://10.0.0.5:8786
The lower bound is a-posteriori: computed by branch and bound on the actual data, sound in
floating point; the gap is ERM(model) - lower bound. With scaled data (a model's scalers or
--scale) the values are in the scaled units, and also in the data's units (data_units)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``certify`` command."""
    p = add_command(subparsers, "certify", doc=__doc__, epilog=_EPILOG,
                    help="certified gap between a model and the global optimum of its ERM")
    add_input(p, "model", label="model or params file", metavar="MODEL",
              help="model.json written by lptrain, or a weights file (.pt/.pth state_dict "
                   "or nn.Sequential, .npz, .json) when --arch is given")
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
                   help="search all of the box (no ReLU scaling reduction)")
    p.add_argument("--box", type=positive_float, default=1.0, metavar="R",
                   help="certify over [-R, R]^N instead of the paper's [-1, 1]^N (default 1)")
    p.add_argument("--method", choices=("auto", "patterns", "boxes"), default="auto",
                   help="branch and bound over activation patterns (one hidden ReLU layer, "
                        "one output, abs/quadratic/hinge) or over boxes of parameters; auto "
                        "(default) takes patterns where they apply")
    add_output(p, "-o", "--output", label="model file", suffixes=(".json",),
               metavar="better.json", default=None,
               help="write the best model found as a model file (read by predict, certify)")
    add_output(p, "--plot", label="plot", suffixes=(".png",), metavar="cert.png", default=None,
               help="write a plot of the fit and of the bounds closing over time (PNG)")
    add_output_arguments(p)
    p.set_defaults(func=run, human=print_human)


def load_params(path: str | Path, net: Network) -> np.ndarray:
    """Parameters φ (N,) of ``net`` from a weights file (:func:`lptrain.torch.params_from_file`:
    ``.pt``/``.pth``, ``.npz``, ``.json``; either naming of a state_dict)."""
    if Path(path).suffix.lower() not in WEIGHT_SUFFIXES:
        raise InvalidInputError(f"params file {path} must end in "
                                f"{', '.join(WEIGHT_SUFFIXES[:-1])} or {WEIGHT_SUFFIXES[-1]}")
    try:
        return params_from_file(path, net)
    except InvalidInputError as exc:
        if "e.g. parse_arch(" not in str(exc):
            raise
        raise InvalidInputError(f"{exc} (on the command line: --activation)") from None


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
    """Network, loss, regularizer, params, the (scaled) data and what maps them back to the
    data (scalers, labels, names), with a note on units."""
    notes: list[str] = []
    if args.arch is None:
        for flag, value in (("--loss", args.loss), ("--scale", args.scale or None)):
            if value is not None:
                raise InvalidInputError(f"{flag} is for foreign weights (with --arch); a model "
                                        "file carries its own loss and scaling")
        if Path(args.model).suffix != ".json":
            raise InvalidInputError(
                f"{args.model}: without --arch, certify reads a model file written by lptrain "
                "(.json); for foreign weights (.pt, .npz or .json arrays) give --arch and "
                "--loss")
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
        sx, sy, labels = model.scaler_x, model.scaler_y, model.labels
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
        scaled, detail, sx, sy, labels = False, "as given", None, None, None
        if args.scale:
            sx, sy = UnitScaler.fit(X), UnitScaler.fit(Y)
            X, Y = sx.transform(X), sy.transform(Y)
            scaled, detail = True, "X and y scaled to [-1, 1] by their range (--scale)"
        else:
            hint = "pass --scale to scale them by their range (as the weights were trained)"
            X = clip_data(f"X (from {Path(args.data).name})", X, notes, hint)
            Y = clip_data(f"y (from {Path(args.data).name})", Y, notes, hint)
    return {"network": net, "params": params, "loss": loss, "regularizer": reg, "X": X,
            "Y": Y, "units": "scaled" if scaled else "data", "units_detail": detail,
            "a_priori": a_priori, "notes": notes, "scaler_x": sx, "scaler_y": sy,
            "labels": labels, "dataset": ds}


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


def _rescaled(prob: dict[str, Any], box: float) -> bool | None:
    """Whether ReLU rescaling moved parameters outside ``[-box, box]^N`` inside it (the same
    test :func:`lptrain.convert.prepare_certify` makes); None when nothing was outside."""
    params = np.asarray(prob["params"], dtype=np.float64)
    if float(np.max(np.abs(params), initial=0.0)) <= box:
        return None
    if prob["regularizer"] is not None:
        return False
    return bool(rescale_into_box(prob["network"], params, box).in_box)


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
    out["data_units"] = data_units(str(prob["loss"]), prob["scaler_y"], out,
                                   classifier=prob["labels"] is not None)
    return out


def best_model(cert: ERMCertificate, prob: dict[str, Any], r: dict[str, Any]) -> ModelFile:
    """The best parameters found as a model file: the network, loss, scalers, labels and
    column names of the certified model, and the certificate under ``training``."""
    ds = prob["dataset"]
    training = {"trained_by": "lptrain certify", "regularizer": prob["regularizer"],
                "erm": cert.best_value, "lower_bound": cert.lower_bound,
                "lower_bound_kind": cert.lower_bound_kind, "gap": cert.best_gap,
                "target_gap": cert.target_gap, "domain": cert.domain, "status": cert.status,
                "method": cert.method, "units": prob["units"], "certified_model": r["model"]}
    return ModelFile(prob["network"], np.asarray(cert.phi, dtype=np.float64), str(prob["loss"]),
                     feature_names=tuple(ds.feature_names), target_names=tuple(ds.target_names),
                     scaler_x=prob["scaler_x"], scaler_y=prob["scaler_y"],
                     labels=prob["labels"], training=training)


def _plot(path: Path, cert: ERMCertificate, prob: dict[str, Any], better: ModelFile,
          r: dict[str, Any]) -> Path:
    from lptrain.plotting import plot_certificate

    given = ModelFile(prob["network"], np.asarray(prob["params"], dtype=np.float64),
                      str(prob["loss"]), scaler_x=prob["scaler_x"], scaler_y=prob["scaler_y"],
                      labels=prob["labels"])
    ds = prob["dataset"]
    y = ds.y[:, 0] if ds.y.ndim == 2 and ds.y.shape[1] == 1 else ds.y
    classes = list(prob["labels"].classes) if prob["labels"] is not None else None
    same = np.array_equal(np.asarray(cert.phi), np.asarray(prob["params"]))
    units = " (scaled units)" if prob["units"] == "scaled" else ""
    return plot_certificate(
        path, cert, ds.X, y, given.predict, classes=classes,
        baseline=None if same else better.predict,
        label=f"the model (ERM {r['erm']:.4g})",
        baseline_label=f"best found (ERM {r['best_value']:.4g})",
        feature_names=ds.feature_names, target_names=ds.target_names, units=units,
        title=f"lptrain certify {Path(r['model']).name}: lower bound {r['lower_bound']:.4g}, "
              f"gap {r['gap']:.3g} over {r['domain']} [{r['status']}]")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Entry point of ``lptrain certify``: the certificate of the given parameters."""
    if args.plot:
        require_plotting()
    prob = _problem(args)
    with scheduler(args.scheduler, True) as client:
        cert = certify_erm(prob["network"], prob["loss"], prob["X"], prob["Y"], prob["params"],
                           regularizer=prob["regularizer"], target_gap=args.gap,
                           time_limit=args.time_limit, progress=progress_enabled(args),
                           cluster=client, symmetry=not args.no_symmetry, method=args.method,
                           box=args.box)
    out = report(cert, prob)
    out.update({"model": str(args.model), "data": str(args.data), "arch": args.arch,
                "box": args.box, "rescaled": _rescaled(prob, args.box),
                "output": None, "plot": None})
    better = best_model(cert, prob, out)
    if args.output:
        out["output"] = write_output(args.output, lambda path: save_model(path, better), out)
    if args.plot:
        out["plot"] = write_output(args.plot, lambda path: _plot(path, cert, prob, better, out),
                                   out)
    return out


def print_human(r: dict[str, Any], args: argparse.Namespace) -> None:
    """The readable report of ``lptrain certify``."""
    print(f"lptrain certify {r['model']} {r['data']}  ({r['units_detail']})")
    print(f"  ERM of the model           {r['erm']:.8g}")
    print(f"  best ERM found in Φ        {r['best_value']:.8g}")
    print(f"  certified lower bound      {r['lower_bound']:.8g}  (a-posteriori, over "
          f"{r['domain'].replace('N', str(r['N']))}, {r['method']} search)")
    print(f"  gap (model - lower bound)  {r['gap']:.3g}")
    du = r.get("data_units") or {}
    if r["units"] == "scaled" and du.get("factor") not in (None, 1.0):
        print(f"  in the data's units        ERM {du['erm']:.6g}, lower bound "
              f"{du['lower_bound']:.6g}, gap {du['gap']:.3g}  (x {du['factor']:.6g})")
    if r.get("guarantee") is not None:
        print(f"  a-priori guarantee 2ε      {r['guarantee']:.3g}  (Main Theorem 3.1, "
              f"worst-case Lipschitz constant, bits={r['bits']})")
    if r.get("rescaled"):
        print("  note: the model's ReLU units were rescaled into the box (the same function)")
    if r.get("params_in_box") is False:
        print(f"  note: the model's parameters lie outside {r['domain']}; the bound is over the "
              "box, so the gap may be negative (try --box R)")
    print(f"  status {r['status']} after {r['timings']['certify']:.2f} s, {r['nodes']} boxes")
    if r.get("output"):
        print(f"best model found written to {r['output']}")
    if r.get("plot"):
        print(f"plot written to {r['plot']}")
