#!/usr/bin/python3
"""PyTorch peer for the "cnn-epoch" and "conv-forward-backward" benchmark cases
(float32, CPU), timed.

--mode epoch: the network of a `latentlab train cnn` architecture string
  (--arch, the runner passes DEFAULT_ARCH of src/runs/kinds/cnn/arch.ts),
  built as buildCnn builds it: Unflatten(1, (1, 28, 28)), then per token
  cNkK[sS][pP|psame] Conv2d + ReLU, mpK[sS] / apK[sS] MaxPool2d / AvgPool2d,
  dP Dropout, dcP Dropout2d, bn BatchNorm2d / BatchNorm1d, fcN (Flatten
  before the first) Linear + ReLU (--hidden-activation sigmoid: Sigmoid after
  the Linear layers instead, as `train mlp`'s default 'fc100' network, which
  mlp-epoch-wasm compares with), and a last Linear to 10 classes. For
  'c32k5psame,mp2,c64k5psame,mp2,fc512,d0.5':
      Unflatten, Conv2d(1, 32, 5, padding='same'), ReLU, MaxPool2d(2),
      Conv2d(32, 64, 5, padding='same'), ReLU, MaxPool2d(2), Flatten,
      Linear(3136, 512), ReLU, Dropout(0.5), Linear(512, 10)
  PyTorch's default init (seeded), trained by the standard loop: one timed call
  = one epoch, a fresh perm = torch.randperm(n), then for each minibatch of
  --batch (default 64) rows xb, yb = x[perm[s:s+batch]], y[perm[s:s+batch]]
  (tensor indexing, no DataLoader), zero_grad(set_to_none=True),
  cross_entropy(model(xb), yb), backward, Adam step (lr --lr, default 1e-3,
  betas 0.9/0.999, eps 1e-8; --adam single = torch 1.13's for-loop default,
  foreach = multi-tensor), loss.item() summed for the epoch mean.
  --data: float32 .npy, n x 784 rows in [0, 1]; --labels: int32 .npy of n
  class indices (the runner writes both from the arrays latentlab trains on).
  --warmup-steps untimed steps first, then --epochs timed epochs; with
  --steps N a timed call is the first N steps of an epoch instead (a probe of
  a thread/Adam layout; read ms_per_step_median).
--mode conv: Conv2d(1, 32, 3, padding=1), ReLU, Conv2d(32, 64, 3, padding=1),
  ReLU on one batch (--data: float32 .npy of b x 784 rows, viewed as
  b x 1 x 28 x 28). One timed pass = zero_grad(set_to_none=True), x.grad =
  None, forward, backward of the sum of the output (its gradient, a
  preallocated tensor of ones, passed to backward), so both convolutions'
  weight, bias and input gradients are computed (x.requires_grad = True); no
  optimizer. --weights DIR loads conv1.weight.npy, conv1.bias.npy,
  conv2.weight.npy, conv2.bias.npy (the runner writes latentlab's, so the two
  sides' outputs and gradients can be compared); --warmup untimed passes,
  then --repeats timed ones, median reported. FLOPs per pass: for each conv,
  3 GEMMs (forward, input gradient, weight gradient) of
  2 * b * out * (in * kh * kw) * (outH * outW) each.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/cnn_torch.py --mode conv --data batch.npy --threads 2 --blas-threads 1
"""
import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, median, openblas_info,  # noqa: E402
                     setup_threads, torch_blas_summary)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

IMAGE = (1, 28, 28)
CLASSES = 10


DEFAULT_ARCH = "c32k5psame,mp2,c64k5psame,mp2,fc512,d0.5"


def build_cnn(arch, hidden="relu"):
    """nn.Sequential of an architecture string, layer for layer as latentlab's buildCnn (ReLU, or
    Sigmoid after the fc layers with hidden='sigmoid')."""
    layers = [nn.Unflatten(1, IMAGE)]
    c = IMAGE[0]
    flat = None

    def flatten():
        nonlocal flat
        if flat is None:
            with torch.no_grad():
                flat = nn.Sequential(*layers)(torch.zeros(1, IMAGE[0] * IMAGE[1] * IMAGE[2])).numel()
            layers.append(nn.Flatten())
        return flat

    for tok in arch.split(","):
        tok = tok.strip()
        m = re.fullmatch(r"c(\d+)k(\d+)(?:s(\d+))?(?:p(\d+|same))?", tok)
        if m:
            out, k = int(m[1]), int(m[2])
            pad = 0 if m[4] is None else ("same" if m[4] == "same" else int(m[4]))
            layers += [nn.Conv2d(c, out, k, stride=int(m[3] or 1), padding=pad), nn.ReLU()]
            c = out
            continue
        m = re.fullmatch(r"(mp|ap)(\d+)(?:s(\d+))?", tok)
        if m:
            k = int(m[2])
            stride = int(m[3]) if m[3] else k
            layers.append(nn.MaxPool2d(k, stride) if m[1] == "mp" else nn.AvgPool2d(k, stride))
            continue
        m = re.fullmatch(r"d(c?)(0?\.\d+|0)", tok)
        if m:
            layers.append(nn.Dropout2d(float(m[2])) if m[1] else nn.Dropout(float(m[2])))
            continue
        if tok == "bn":
            layers.append(nn.BatchNorm2d(c) if flat is None else nn.BatchNorm1d(flat))
            continue
        m = re.fullmatch(r"fc(\d+)", tok)
        if m:
            layers += [nn.Linear(flatten(), int(m[1])), nn.Sigmoid() if hidden == "sigmoid" else nn.ReLU()]
            flat = int(m[1])
            continue
        raise SystemExit("cnn_torch.py: unsupported layer %r in --arch %r" % (tok, arch))
    layers.append(nn.Linear(flatten(), CLASSES))
    return nn.Sequential(*layers)


def conv_stack():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU())


def conv_flops(model, b, h, w):
    """3 GEMMs per conv (forward, input gradient, weight gradient), 2*b*out*K*P each."""
    total = 0
    for m in model:
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += 3 * 2 * b * m.out_channels * m.in_channels * kh * kw * h * w  # stride 1, size kept
    return total


def conv_impl(torch):
    return "mkldnn (oneDNN)" if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else "native (im2col + BLAS)"


def run_epoch(args, extra):
    x = torch.from_numpy(np.ascontiguousarray(np.load(args.data), dtype=np.float32))
    y = torch.from_numpy(np.load(args.labels).astype(np.int64))
    n = x.shape[0]
    if y.shape[0] != n:
        raise SystemExit("cnn_torch.py: %d labels for %d rows" % (y.shape[0], n))
    batch = args.batch
    model = build_cnn(args.arch, args.hidden_activation)
    log(str(model))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                           foreach=(args.adam == "foreach"))
    ce = nn.functional.cross_entropy
    gen = torch.Generator().manual_seed(args.seed + 1)
    pc = time.perf_counter
    step_ms = []

    def run(max_steps=None, record=False):
        perm = torch.randperm(n, generator=gen)
        total, steps = 0.0, 0
        for s in range(0, n, batch):
            t0 = pc()
            idx = perm[s:s + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = ce(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
            if record:
                step_ms.append((pc() - t0) * 1e3)
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        return total / max(1, steps), steps

    if args.warmup_steps > 0:
        run(args.warmup_steps)
    times, losses = [], []
    steps = 0
    contention = CpuContention().start()
    for _ in range(args.epochs):
        t0 = pc()
        loss, steps = run(args.steps, record=True)
        times.append((pc() - t0) * 1e3)
        losses.append(loss)
    other_cores = contention.stop()
    ms = median(times)
    extra.update({
        "loss": losses[-1], "losses": losses, "adam_impl": args.adam, "lr": args.lr,
        "steps_per_call": steps, "steps_per_epoch": (n + batch - 1) // batch,
        "ms_per_step_median": round(median(step_ms), 4),
        "samples_per_s": round(min(n, steps * batch) / (ms / 1e3), 1),
        "rows": n, "batch": batch, "arch": args.arch,
        "parameters": sum(p.numel() for p in model.parameters()),
    })
    return times, other_cores


def run_conv(args, extra):
    xs = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
    b = xs.shape[0]
    x = torch.from_numpy(xs).view(b, *IMAGE).requires_grad_(True)
    model = conv_stack()
    if args.weights:
        with torch.no_grad():
            for i, name in ((0, "conv1"), (2, "conv2")):
                model[i].weight.copy_(torch.from_numpy(np.load(os.path.join(args.weights, name + ".weight.npy"))))
                model[i].bias.copy_(torch.from_numpy(np.load(os.path.join(args.weights, name + ".bias.npy"))))
    ones = torch.ones(b, 64, IMAGE[1], IMAGE[2])
    pc = time.perf_counter
    out = [None]

    def one_pass():
        model.zero_grad(set_to_none=True)
        x.grad = None
        y = model(x)
        y.backward(ones)
        out[0] = y

    for _ in range(args.warmup):
        one_pass()
    times = []
    contention = CpuContention().start()
    for _ in range(args.repeats):
        t0 = pc()
        one_pass()
        times.append((pc() - t0) * 1e3)
    other_cores = contention.stop()
    flops = conv_flops(model, b, IMAGE[1], IMAGE[2])
    ms = median(times)
    y = out[0].detach()
    extra.update({
        "batch": b, "gflop_per_pass": flops / 1e9, "gflops": flops / (ms / 1e3) / 1e9,
        "y_sum": float(y.double().sum()),
        "grads": {
            "conv1.weight": float(model[0].weight.grad.double().norm()),
            "conv1.bias": float(model[0].bias.grad.double().norm()),
            "conv2.weight": float(model[2].weight.grad.double().norm()),
            "conv2.bias": float(model[2].bias.grad.double().norm()),
            "input": float(x.grad.double().norm()),
        },
        "weights_from": args.weights or "torch default init (seeded)",
    })
    return times, other_cores


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["epoch", "conv"], required=True)
    ap.add_argument("--data", required=True, help="float32 .npy, n x 784")
    ap.add_argument("--labels", help="epoch: int32/int64 .npy of n class indices")
    ap.add_argument("--arch", default=DEFAULT_ARCH, help="epoch: latentlab architecture string")
    ap.add_argument("--hidden-activation", choices=["relu", "sigmoid"], default="relu",
                    help="epoch: the activation after each fc layer")
    ap.add_argument("--weights", help="conv: directory with conv{1,2}.{weight,bias}.npy")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads)")
    ap.add_argument("--batch", type=int, default=64, help="epoch: rows per minibatch")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--adam", choices=["single", "foreach"], default="single",
                    help="Adam implementation: for-loop (torch 1.13 default) or multi-tensor")
    ap.add_argument("--warmup-steps", type=int, default=50, help="epoch: untimed steps")
    ap.add_argument("--epochs", type=int, default=1, help="epoch: timed calls")
    ap.add_argument("--steps", type=int, default=None,
                    help="epoch: a timed call is this many steps instead of a whole epoch")
    ap.add_argument("--warmup", type=int, default=3, help="conv: untimed passes")
    ap.add_argument("--repeats", type=int, default=10, help="conv: timed passes")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.mode == "epoch" and not args.labels:
        ap.error("--mode epoch needs --labels")

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    log("torch %s threads=%d blas=%s mode=%s conv=%s" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), args.mode,
        conv_impl(torch)))
    extra = {}
    times, other_cores = (run_epoch if args.mode == "epoch" else run_conv)(args, extra)
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    ob = openblas_info()
    result = {
        "case": "cnn-epoch" if args.mode == "epoch" else "conv-forward-backward",
        "ms_median": round(median(times), 4),
        "ms_all": [round(t, 4) for t in times],
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "other_cores": other_cores,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "conv_impl": conv_impl(torch),
        "openblas_core": ob["openblas_core"],
    }
    result.update(extra)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
