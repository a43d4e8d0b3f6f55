#!/usr/bin/python3
"""Checks that PyTorch computes what latentlab computes, within a float32 error bound.

    check_roundtrip.py RUN_DIR CASE.json            rebuild RUN_DIR's model with latentlab_torch and
                                                    compare it to latentlab's outputs in CASE.json
    check_roundtrip.py reference RUN_DIR INPUTS.json REF.json
                                                    write the reference of a run's model on inputs
    check_roundtrip.py compare REF.json CASE.json   compare latentlab's outputs to a reference

CASE.json (written by latentlab, scripts/torch-roundtrip.ts):
    {"inputs": {"shape": [n, d], "data": [...]}, "outputs": {name: {"shape": [...], "data": [...]}}}
with names among output (the forward pass: logits or reconstruction), codes (encoder), mu and
logvar (VAE), bmu (DESOM). INPUTS.json is {"inputs": ...} alone.

The reference of an output is its float64 value y and a componentwise bound E on the error of any
float32 implementation (float32_bound.py); an output passes when |latentlab − y| ≤ E everywhere,
and PyTorch's own float32 result is checked against the same bound. A BMU may differ from the
float64 one only where two cells' distances are within their error bounds.
Exit status: 0 when everything passes, 1 otherwise (a line per output either way).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from typing import Dict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentlab_torch as llt  # noqa: E402
from float32_bound import SAFETY, distance_bound, forward_bound  # noqa: E402

torch.set_grad_enabled(False)


def _tensor(obj: dict, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(obj["data"], dtype=torch.float64).to(dtype).reshape(obj["shape"])


def _enc(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def reference(model: torch.nn.Module, x32: torch.Tensor) -> Dict[str, dict]:
    """{name: {shape, data (float64), bound, torch32}} for every output of the model's family, told
    apart by attributes (so a user's own module with the same parts works too): encoder + mu +
    logvar + decoder (a VAE), encoder + decoder (+ prototypes: a DESOM), or anything else (one
    output, the forward pass)."""
    model = model.eval()
    m64 = copy.deepcopy(model).double().eval()
    x = x32.to(torch.float64)
    zero = torch.zeros_like(x)
    out: Dict[str, dict] = {}

    def put(name: str, y: torch.Tensor, e: torch.Tensor, t32: torch.Tensor) -> None:
        out[name] = {**_enc(y), "bound": (SAFETY * e).reshape(-1).tolist(), "torch32": t32.to(torch.float64).reshape(-1).tolist()}

    has = lambda *names: all(hasattr(model, n) for n in names)  # noqa: E731
    if has("encoder", "mu", "logvar", "decoder"):
        h, eh = forward_bound(m64.encoder, x, zero)
        mu, emu = forward_bound(m64.mu, h, eh)
        lv, elv = forward_bound(m64.logvar, h, eh)
        y, ey = forward_bound(m64.decoder, mu, emu)
        h32 = model.encoder(x32)
        put("mu", mu, emu, model.mu(h32))
        put("logvar", lv, elv, model.logvar(h32))
        put("output", y, ey, model.decoder(model.mu(h32)))
    elif has("encoder", "decoder"):
        z, ez = forward_bound(m64.encoder, x, zero)
        y, ey = forward_bound(m64.decoder, z, ez)
        z32 = model.encoder(x32)
        put("codes", z, ez, z32)
        put("output", y, ey, model.decoder(z32))
        if has("prototypes"):
            d, ed = distance_bound(z, SAFETY * ez, m64.prototypes.detach())
            d32 = ((z32[:, None, :] - model.prototypes[None, :, :]) ** 2).sum(dim=2)
            out["bmu"] = {"shape": [x.shape[0]], "distances": d.tolist(), "bound": ed.tolist(), "torch32": torch.argmin(d32, dim=1).tolist()}
    else:
        y, e = forward_bound(m64, x, zero)
        put("output", y, e, model(x32))
    return out


def _check_values(name: str, got: torch.Tensor, ref: dict, who: str) -> bool:
    y = torch.tensor(ref["data"], dtype=torch.float64)
    e = torch.tensor(ref["bound"], dtype=torch.float64)
    g = got.reshape(-1).to(torch.float64)
    if g.numel() != y.numel():
        print(f"FAIL {name} ({who}): {g.numel()} values, the reference has {y.numel()}")
        return False
    err = (g - y).abs()
    ratio = float((err / e.clamp_min(1e-300)).max()) if err.numel() else 0.0
    ok = bool((err <= e).all())
    worst = int(err.argmax()) if err.numel() else 0
    print(
        f"{'ok  ' if ok else 'FAIL'} {name} ({who}): max |Δ| {float(err.max()):.3g}, max |Δ|/bound {ratio:.3g}, "
        f"bound at the worst value {float(e[worst]):.3g}, |y| up to {float(y.abs().max()):.3g} ({y.numel()} values)"
    )
    return ok


def _check_bmu(got: list, ref: dict, who: str) -> bool:
    d = torch.tensor(ref["distances"], dtype=torch.float64)
    e = torch.tensor(ref["bound"], dtype=torch.float64)
    best = d.min(dim=1).values
    bad = []
    differ = 0
    for i, k in enumerate(got):
        j = int(d[i].argmin())
        if k == j:
            continue
        differ += 1
        # Only a near-tie may go either way: cell k's distance within the two bounds of the best.
        if not (0 <= k < d.shape[1]) or float(d[i, k] - best[i]) > float(e[i, k] + e[i, j]):
            bad.append(i)
    ok = not bad
    print(f"{'ok  ' if ok else 'FAIL'} bmu ({who}): {len(got)} rows, {differ} differ from float64's argmin, {len(bad)} beyond a near-tie {bad[:5]}")
    return ok


def compare(ref: Dict[str, dict], case: dict, torch_too: bool = True) -> bool:
    outs = case["outputs"]
    ok = True
    for name, r in ref.items():
        if name not in outs:
            print(f"FAIL {name}: latentlab wrote no {name!r} output (it wrote {sorted(outs)})")
            ok = False
            continue
        if name == "bmu":
            ok &= _check_bmu([int(v) for v in outs[name]["data"]], r, "latentlab")
            if torch_too and "torch32" in r:
                ok &= _check_bmu(r["torch32"], r, "torch float32")
            continue
        ok &= _check_values(name, _tensor(outs[name], torch.float64), r, "latentlab")
        if torch_too and "torch32" in r:
            ok &= _check_values(name, torch.tensor(r["torch32"], dtype=torch.float64), r, "torch float32")
    return ok


def _read(path: str) -> dict:
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def main(argv) -> int:
    if len(argv) == 2:
        run, case_path = argv
        case = _read(case_path)
        return 0 if compare(reference(llt.load_run(run), _tensor(case["inputs"])), case) else 1
    if len(argv) == 4 and argv[0] == "reference":
        _, run, inputs, out = argv
        ref = reference(llt.load_run(run), _tensor(_read(inputs)["inputs"]))
        with open(out, "w", encoding="utf-8") as f:
            json.dump(ref, f)
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return 0 if compare(_read(argv[1]), _read(argv[2])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
