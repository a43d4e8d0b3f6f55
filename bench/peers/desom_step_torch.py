#!/usr/bin/python3
"""PyTorch peer for the "desom-step" benchmark case: one DESOM training step
(float32, CPU), timed.

Model
  encoder  Linear 784-500-500-2000-10   (ReLU after hidden layers, linear latent)
  decoder  Linear 10-2000-500-500-784   (ReLU after hidden layers, linear output)
  SOM      64 prototypes (64x10 parameter) on an 8x8 map
  init     Glorot-uniform weights (and prototypes), zero biases
  loss     MSE(x_hat, x) (mean) + gamma * Lsom,  gamma = 0.001
           Lsom = mean_i sum_k w_ik * ||z_i - m_k||^2
           w_ik = exp(-delta(bmu_i, k)^2 / T^2), delta = Manhattan distance on
           the 8x8 grid, T = 5.0 (fixed), bmu_i = argmin_k ||z_i - m_k||^2.
  optim    Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7
  data     one fixed batch of 256 inputs ~ U[0,1) (seeded), reused every step

A step is: zero_grad, forward (encoder, distances, decoder), w from the
detached distances (no_grad), loss, backward, optimizer.step.

--autocast-bf16 runs the forward pass (and so the matching backward) under
torch.autocast("cpu", dtype=torch.bfloat16): the Linear layers multiply in
bfloat16 through oneDNN, the parameters, Adam and the loss stay float32 --
the peer of latentlab's matmul precision 'bfloat16'.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/desom_step_torch.py --threads 1
"""
import argparse
import contextlib
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, median, openblas_info,  # noqa: E402
                     setup_threads, torch_blas_summary)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

ENC = [784, 500, 500, 2000, 10]
DEC = [10, 2000, 500, 500, 784]
MAP_H, MAP_W = 8, 8
N_PROTO = MAP_H * MAP_W
LATENT = ENC[-1]
GAMMA = 1e-3
T = 5.0


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.xavier_uniform_(lin.weight)  # Glorot uniform
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DESOM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = mlp(ENC)
        self.decoder = mlp(DEC)
        proto = torch.empty(N_PROTO, LATENT)
        nn.init.xavier_uniform_(proto)
        self.prototypes = nn.Parameter(proto)
        # Manhattan distance between map cells, (64, 64); constant.
        r = torch.arange(N_PROTO) // MAP_W
        c = torch.arange(N_PROTO) % MAP_W
        manhattan = (r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs()
        self.register_buffer("manhattan2", (manhattan.float() ** 2))


def flops_per_step(batch):
    """Linear (in->out): forward 2*B*in*out; backward 2*2*B*in*out, except the
    first encoder layer (no input gradient): 2*B*in*out. Element-wise ops are
    ignored; the distance computation counts 2*B*64*10*3."""
    total = 0
    layers = [(ENC[i], ENC[i + 1]) for i in range(len(ENC) - 1)] + \
             [(DEC[i], DEC[i + 1]) for i in range(len(DEC) - 1)]
    for idx, (i, o) in enumerate(layers):
        total += 2 * batch * i * o                        # forward
        total += (2 if idx == 0 else 4) * batch * i * o   # backward
    total += 2 * batch * N_PROTO * LATENT * 3             # distances
    return total


def make_optimizer(model, impl):
    """impl: 'foreach' (multi-tensor, the default in torch >= 2.0),
    'single' (for-loop, torch 1.13's own default), 'fused' (if supported).
    Returns (optimizer, impl actually used, note)."""
    kw = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    if impl == "fused":
        try:
            opt = torch.optim.Adam(model.parameters(), fused=True, **kw)
            # Some versions only fail at the first step: probe on a copy.
            probe = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
            popt = torch.optim.Adam(probe, fused=True, **kw)
            for p in probe:
                p.grad = torch.zeros_like(p)
            popt.step()
            return opt, "fused", None
        except Exception as e:  # noqa: BLE001
            note = "fused=True unsupported on CPU in torch %s (%s); fell back to foreach" % (
                torch.__version__, str(e).splitlines()[0][:160])
            log("warning:", note)
            impl = "foreach"
            return torch.optim.Adam(model.parameters(), foreach=True, **kw), impl, note
    if impl == "foreach":
        return torch.optim.Adam(model.parameters(), foreach=True, **kw), "foreach", None
    return torch.optim.Adam(model.parameters(), foreach=False, **kw), "single", None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads); "
                         "default: leave as set by OPENBLAS_NUM_THREADS / nproc")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30, help="steps per repeat")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--adam", choices=["foreach", "single", "fused"], default="foreach",
                    help="Adam implementation (default foreach)")
    ap.add_argument("--fused", action="store_true", help="same as --adam fused")
    ap.add_argument("--dist", choices=["broadcast", "gemm"], default="broadcast",
                    help="squared distances as sum((z-m)^2) (DESOM reference) or "
                         "|z|^2+|m|^2-2 z.m^T")
    ap.add_argument("--autocast-bf16", action="store_true",
                    help="forward under torch.autocast('cpu', dtype=torch.bfloat16)")
    args = ap.parse_args()
    if args.fused:
        args.adam = "fused"

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)

    model = DESOM()
    x = torch.rand(args.batch, ENC[0], generator=torch.Generator().manual_seed(args.seed + 1))
    opt, adam_impl, adam_note = make_optimizer(model, args.adam)
    enc, dec, protos, man2 = model.encoder, model.decoder, model.prototypes, model.manhattan2
    inv_t2 = 1.0 / (T * T)
    mse = nn.functional.mse_loss

    def sqdist(z):
        if args.dist == "broadcast":
            return (z.unsqueeze(1) - protos.unsqueeze(0)).pow(2).sum(dim=2)   # (B, 64)
        return (z * z).sum(1, keepdim=True) + (protos * protos).sum(1) - 2.0 * z @ protos.t()

    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.autocast_bf16 \
        else contextlib.nullcontext

    def fwd_bwd():
        opt.zero_grad(set_to_none=True)
        with autocast():
            z = enc(x)
            x_hat = dec(z)
        z, x_hat = z.float(), x_hat.float()   # distances and losses in float32
        d = sqdist(z)
        # SOM weights: computed from the z / distances of THIS forward pass,
        # detached (no_grad), i.e. w reflects the parameters before the
        # optimizer step of this step. No extra encoder forward is run; the
        # TypeScript side does the same. w is a constant for backward.
        with torch.no_grad():
            bmu = d.argmin(dim=1)
            w = torch.exp(-man2[bmu] * inv_t2)                                # (B, 64)
        loss = mse(x_hat, x) + GAMMA * (w * d).sum(dim=1).mean()
        loss.backward()
        return loss

    def step():
        loss = fwd_bwd()
        opt.step()
        return loss

    flops = flops_per_step(args.batch)
    log("torch %s threads=%d blas=%s adam=%s dist=%s" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), adam_impl, args.dist))

    first_loss = float(step().detach())
    for _ in range(max(0, args.warmup - 1)):
        step()

    # Adam-only timing runs on a deep copy (model + optimizer state + grads) so
    # that repeatedly stepping on the same gradients does not disturb the real
    # training trajectory of the step / fwd+bwd measurements.
    fwd_bwd()
    model_a, opt_a = copy.deepcopy((model, opt))
    for pa, p in zip(model_a.parameters(), model.parameters()):
        pa.grad = p.grad.detach().clone()

    step_ms, fb_ms, adam_ms = [], [], []
    pc = time.perf_counter
    contention = CpuContention().start()
    for r in range(args.repeats):
        # full steps
        ts = []
        for _ in range(args.steps):
            t0 = pc()
            step()
            ts.append((pc() - t0) * 1e3)
        step_ms.append(median(ts))
        # forward + backward only (incl. zero_grad and w)
        ts = []
        for _ in range(args.steps):
            t0 = pc()
            fwd_bwd()
            ts.append((pc() - t0) * 1e3)
        fb_ms.append(median(ts))
        # optimizer step only (on the copy, with fixed gradients)
        ts = []
        for _ in range(args.steps):
            t0 = pc()
            opt_a.step()
            ts.append((pc() - t0) * 1e3)
        adam_ms.append(median(ts))
        log("repeat %d: step %.3f ms  fwd+bwd %.3f ms  adam %.3f ms" % (
            r, step_ms[-1], fb_ms[-1], adam_ms[-1]))
    other_cores = contention.stop()
    last_loss = float(step().detach())
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)

    ms = median(step_ms)
    ob = openblas_info()
    out = {
        "case": "desom-step",
        "ms_per_step_median": round(ms, 4),
        "ms_per_step_all": [round(v, 4) for v in step_ms],
        "ms_fwd_bwd": round(median(fb_ms), 4),
        "ms_adam": round(median(adam_ms), 4),
        "gflop_per_step": round(flops / 1e9, 6),
        "gflops": round(flops / 1e9 / (ms / 1e3), 3),
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "batch": args.batch,
        "warmup": args.warmup,
        "steps": args.steps,
        "repeats": args.repeats,
        "adam_impl": adam_impl,
        "adam_note": adam_note,
        "dist": args.dist,
        "autocast_bf16": args.autocast_bf16,
        "loss_first": first_loss,
        "loss_last": last_loss,
        "other_cores": other_cores,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "openblas_core": ob["openblas_core"],
        "openblas_config": ob["openblas_config"],
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
