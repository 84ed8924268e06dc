"""Files for the CLI tests: good inputs, and every malformed, truncated, bit-flipped, forged
or hostile variant of each kind of file lptrain reads (CSV data, model files, polytope
files, parameter files, target vectors, network files), written into one folder.

:func:`run_cli` runs ``lptrain ARGV`` in process and checks the frame every command owes:
exactly one JSON object on stdout under ``--json``, valid against the command's schema,
and no traceback on stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from lptrain._io import load_npz, save_json, save_npz
from lptrain.cli import main
from lptrain.cli._schemas import validate_output
from lptrain.data import UnitScaler
from lptrain.erm import ERMPolytope
from lptrain.erm.files import VERSION as POLYTOPE_VERSION
from lptrain.model_io import ModelFile, save_model
from lptrain.nn import dense

CSV = {
    "ok.csv": "a,b,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n0.9,-0.2,-0.4\n",
    "wide.csv": "a,b,y\n10,200,3\n-5,50,1\n9,-20,-4\n",
    "bin01.csv": "a,b,y\n0,1,1\n1,0,1\n1,1,0\n0,0,0\n",
    "labels.csv": "a,b,label\n-0.9,0.1,no\n-0.6,0.2,no\n0.6,0.3,yes\n0.9,0.4,yes\n",
    "nan.csv": "a,b,y\n0.1,nan,0.3\n-0.5,0.5,0.1\n",
    "inf.csv": "a,b,y\n0.1,0.2,0.3\n-0.5,inf,0.1\n",
    "ninf.csv": "a,b,y\n0.1,0.2,-inf\n-0.5,0.5,0.1\n",
    "overflow.csv": "a,b,y\n1e400,0.2,0.3\n-0.5,0.5,0.1\n",
    "empty.csv": "",
    "blank.csv": "\n\n\n",
    "hdronly.csv": "a,b,y\n",
    "ragged.csv": "a,b,y\n0.1,0.2,0.3\n0.1,0.2\n",
    "long.csv": "a,b,y\n0.1,0.2,0.3,0.4\n",
    "text.csv": "a,b,y\n0.1,abc,0.3\n",
    "emptycell.csv": "a,b,y\n0.1,,0.3\n",
    "emptylabel.csv": "a,b,y\n0.1,0.2,\n",
    "complex.csv": "a,b,y\n1+2j,0.2,0.3\n",
    "semi.csv": "a;b;y\n0.1;0.2;0.3\n",
    "semi3.csv": "a,b,y\n0.1;0.2,0.2,0.3\n",
    "onecol.csv": "y\n0.1\n0.2\n",
    "dupe.csv": "a,a,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n",
    "emptyname.csv": "a,b,\n0.1,0.2,0.3\n",
    "numhdr.csv": "0.1,0.2,0.3\n-0.5,0.5,0.1\n0.9,-0.2,-0.4\n",
    "outbox.csv": "a,b,y\n1.1,0.2,0.3\n-0.5,0.5,0.1\n",
    "outboxy.csv": "a,b,y\n0.1,0.2,-3\n-0.5,0.5,0.1\n",
    "nearbox.csv": ("a,b,y\n1.0000000000000004,0.2,0.3\n-0.5,0.5,0.1\n"
                    "0.9,-0.2,-1.0000000000000004\n"),
    "bom.csv": "\ufeffa,b,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n0.9,-0.2,-0.4\n",
    "huge.csv": "a,b,y\n1e308,0.2,0.3\n-1e308,0.5,0.1\n0,-0.2,-0.4\n",
    "renamed.csv": "p,q,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n",
    "swapped.csv": "b,a\n0.2,0.1\n0.5,-0.5\n",
    "onefeature.csv": "a,y\n0.1,0.3\n0.2,0.4\n",
    "notbin.csv": "a,b,y\n0,2,1\n1,0,1\n",
    "ok4.csv": "a,b,y\n0.1,0.2,0.3\n-0.5,0.5,0.1\n0.9,-0.2,-0.4\n0.3,0.3,0.3\n",
    "one.csv": "x,y\n0.1,0.0\n0.6,0.5\n",
}


def _forge_json(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` with a valid checksum (the way an editor who knows the format would)."""
    body = {k: v for k, v in doc.items() if k not in ("checksum", "kind", "format_version")}
    save_json(path, body, kind=doc.get("kind", "model"), version=doc.get("format_version", 1))


def _npz_with_shape(path: Path, shape: tuple[int, ...]) -> None:
    """An .npz whose one member's header claims ``shape`` but holds 8 bytes."""
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    text = repr(header).encode()
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    member = b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + b"\0" * 8
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("loss_table.npy", member)


def make_files(folder: Path) -> None:
    """Write every file of the zoo into ``folder``."""
    for name, text in CSV.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.csv").write_bytes(b"\xff\xfe\x00\x01\x89PNG binary")
    (folder / "nul.csv").write_bytes(b"a,b,y\n0.1,0\x00.2,0.3\n")
    (folder / "bigfield.csv").write_text("a,b,y\n" + "1" * 200_000 + ",0.2,0.3\n")
    (folder / "adir").mkdir()
    (folder / "afile").write_text("not a folder\n")
    X = np.array([[0.1, 0.2], [-0.5, 0.5], [0.9, -0.2]])
    y = np.array([[0.3], [0.1], [-0.4]])
    save_model(folder / "model.json", ModelFile(
        dense([2, 1]), np.array([0.5, -0.25, 0.1]), "abs", feature_names=("a", "b"),
        target_names=("y",), scaler_x=UnitScaler.fit(X), scaler_y=UnitScaler.fit(y)))
    _model_files(folder)
    _polytope_files(folder)
    _param_files(folder)
    for name, text in {"tv.txt": "0.1 0.2 0.3", "tv_bad.txt": "0.1 abc 0.3", "tv_empty.txt": "",
                       "tv_nan.txt": "0.1 nan 0.3", "tv_short.txt": "0.1"}.items():
        (folder / name).write_text(text)
    (folder / "tv_binary.txt").write_bytes(b"\xff\xfe\x00")
    for name, text in {"net_bad.json": "{not json", "net_nan.json": '{"n_inputs": NaN}',
                       "net_garbage.json": '{"nodes": 3}', "net_list.json": "[1, 2]"}.items():
        (folder / name).write_text(text)
    (folder / "net.json").write_text(json.dumps(dense([2, 1]).to_dict()))


def _model_files(folder: Path) -> None:
    good = json.loads((folder / "model.json").read_text())
    text = (folder / "model.json").read_text()
    (folder / "m_nan.json").write_text(text.replace('"params": [', '"params": [NaN, ', 1))
    (folder / "m_inf.json").write_text(text.replace('"params": [', '"params": [Infinity, ', 1))
    (folder / "m_overflow.json").write_text(text.replace('"params": [', '"params": [1e999, ', 1))
    (folder / "m_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "m_bigint.json").write_text('{"params": [' + "9" * 5000 + "]}")
    (folder / "m_trunc.json").write_text(text[: len(text) // 2])
    at = text.index("0.5", text.index('"params"'))
    (folder / "m_flip.json").write_text(text[:at] + "0.4" + text[at + 3:])  # one bit: 5 → 4
    (folder / "m_empty.json").write_text("")
    (folder / "m_list.json").write_text("[1, 2, 3]")
    (folder / "m_utf16.json").write_bytes(text.encode("utf-16"))
    save_json(folder / "m_kind.json", {"x": 1}, kind="polytope", version=1)
    save_json(folder / "m_version.json", {k: v for k, v in good.items()
                                          if k not in ("kind", "format_version", "checksum")},
              kind="model", version=99)
    for name, change in {
        "m_params.json": {"params": good["params"][:2]},
        "m_strparams.json": {"params": ["a", "b", "c"]},
        "m_scaler.json": {"scaler_x": {"center": [0.0], "half_range": [1.0]}},
        "m_scaler0.json": {"scaler_x": {"center": [0.0, 0.0], "half_range": [0.0, 1.0]}},
        "m_labels.json": {"labels": {"classes": ["b", "a"], "scheme": "sign"}},
        "m_scheme.json": {"labels": {"classes": ["a", "b"], "scheme": "magic"}},
        "m_loss.json": {"loss": "magic"},
        "m_net.json": {"network": {"nodes": "x"}},
        "m_netlist.json": {"network": [1, 2]},
        "m_names.json": {"feature_names": ["a"]},
    }.items():
        _forge_json(folder / name, {**good, **change})


def _polytope_files(folder: Path) -> None:
    poly = ERMPolytope.build(dense([2, 1]), "abs", samples=3, bits=2, backend="numpy")
    path = poly.save(folder / "poly.npz")
    data = path.read_bytes()
    (folder / "p_trunc.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[data.index(b"loss_table") + 400] ^= 0x01
    (folder / "p_flip.npz").write_bytes(bytes(flipped))
    save_npz(folder / "p_kind.npz", {"w": np.zeros(2)}, {}, kind="model", version=1)
    arrays, meta = load_npz(path, kind="polytope", versions=[POLYTOPE_VERSION])
    # A forged table: the face of ok.csv (discretized) made cheaper at a few entries, the
    # checksum recomputed; random spot checks at load rarely see it, the face check does.
    table = arrays["loss_table"].copy()
    X = np.array([[0.1, 0.2], [-0.5, 0.5], [0.9, -0.2]])
    Y = np.array([[0.3], [0.1], [-0.4]])
    rows = np.unique(poly.face(X, Y).point_rows)
    table[rows, 5] = 0.0
    save_npz(folder / "p_forged.npz", {"loss_table": table}, meta, kind="polytope",
             version=POLYTOPE_VERSION)
    save_npz(folder / "p_shape.npz", {"loss_table": table[:, :10]}, meta, kind="polytope",
             version=POLYTOPE_VERSION)
    save_npz(folder / "p_int.npz", {"loss_table": table.astype(np.int64)}, meta,
             kind="polytope", version=POLYTOPE_VERSION)
    np.savez(folder / "p_pickle.npz", loss_table=np.array([{}], dtype=object))
    _npz_with_shape(folder / "p_bigshape.npz", (10**12,))
    (folder / "p_text.npz").write_text("not a zip file\n")
    (folder / "p_empty.npz").write_bytes(b"")
    big = ERMPolytope.build(dense([2, 1]), "abs", samples=4, bits=2, backend="numpy")
    big.save(folder / "p_D4.npz")


def _param_files(folder: Path) -> None:
    phi = np.array([0.5, -0.25, 0.1])
    np.savez(folder / "w.npz", params=phi)
    data = (folder / "w.npz").read_bytes()
    (folder / "w_trunc.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[-30] ^= 0xFF
    (folder / "w_flip.npz").write_bytes(bytes(flipped))
    np.savez(folder / "w_pickle.npz", params=np.array([object()], dtype=object))
    np.savez(folder / "w_complex.npz", params=phi + 1j)
    np.savez(folder / "w_nan.npz", params=np.array([0.5, np.nan, 0.1]))
    np.savez(folder / "w_str.npz", params=np.array(["a", "b", "c"]))
    _npz_with_shape(folder / "w_bigshape.npz", (10**12,))
    for name, text in {
        "w.json": json.dumps(phi.tolist()), "w_nan.json": "[0.5, NaN, 0.1]",
        "w_inf.json": "[0.5, -Infinity, 0.1]", "w_deep.json": "[" * 100_000 + "]" * 100_000,
        "w_wrongN.json": "[0.5, 0.1]", "w_str.json": '["a", "b", "c"]',
        "w_ragged.json": "[[0.5, 0.1], [0.2]]", "w_empty.json": "{}", "w_scalar.json": "3",
        "w_groups_missing.json": json.dumps({"layer1.weight": [[0.5, -0.25]]}),
        "w_groups_shape.json": json.dumps({"layer1.weight": [0.5, -0.25],
                                           "layer1.bias": [0.1]}),
        "w_bigint.json": "[" + "9" * 5000 + ", 0, 0]",
    }.items():
        (folder / name).write_text(text)
    (folder / "w.txt").write_text("0.5 -0.25 0.1\n")
    np.savez(folder / "w_seq.npz", **{"0.weight": phi[None, :2], "0.bias": phi[2:]})
    _torch_files(folder)


def _torch_files(folder: Path) -> None:
    """``.pt`` files (when PyTorch is installed): a state_dict, a tensor, whole modules."""
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    lin = torch.nn.Sequential(torch.nn.Linear(2, 1))
    torch.save(lin.state_dict(), folder / "w_sd.pt")
    torch.save(torch.zeros(3), folder / "w_tensor.pt")
    torch.save({"model": lin.state_dict(), "epoch": 3}, folder / "w_ckpt.pt")
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Tanh(), torch.nn.Linear(1, 1)),
               folder / "w_tanh.pt")
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Sigmoid(),
                                   torch.nn.Linear(1, 1)), folder / "w_sigmoid.pt")
    (folder / "w_garbage.pt").write_bytes(b"PK\x03\x04 not a torch file")


def snapshot(folder: Path) -> dict[str, str]:
    """Name → SHA-256 of every file under ``folder`` (to assert nothing changed)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[str(p.relative_to(folder)) + "/"] = ""
    return out


def run_cli(argv: list[str]) -> tuple[int, dict[str, Any], str]:
    """Run ``lptrain ARGV --json`` in process; check one schema-valid JSON object on stdout
    and no traceback on stderr; → (exit code, the object, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--json"] if "--json" not in argv else argv)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, out.getvalue()
    obj = json.loads(lines[0])
    command = obj.get("command") or "train"  # an unknown command: any schema's error object
    validate_output(command, obj)
    assert "Traceback" not in err.getvalue(), err.getvalue()
    assert (code == 0) == ("error" not in obj) and obj.get("exit_code", 0) == code
    return code, obj, err.getvalue()
