#!/usr/bin/python3
"""PyTorch peer for the "conv-desom-step" benchmark case: one training step of
the convolutional DESOM (float32, CPU), timed.

Model (latentlab's DESOM.create(x, {encoder: 'conv'}) with its defaults)
  encoder  Unflatten(1, (1, 28, 28)),
           Conv2d(1, 32, 3, stride 2, padding 1) + ReLU      28 -> 14
           Conv2d(32, 64, 3, stride 2, padding 1) + ReLU     14 -> 7
           Conv2d(64, 128, 3, stride 2, padding 1) + ReLU     7 -> 4
           Conv2d(128, 256, 3, stride 2, padding 1) + ReLU    4 -> 2
           Flatten, Linear(1024, 10)                     (linear code)
  decoder  Linear(10, 1024) + ReLU, Unflatten(1, (256, 2, 2)),
           ConvTranspose2d(256, 128, 3, 2, padding 1, output_padding 1) + ReLU   2 -> 4
           ConvTranspose2d(128, 64, 3, 2, padding 1, output_padding 0) + ReLU    4 -> 7
           ConvTranspose2d(64, 32, 3, 2, padding 1, output_padding 1) + ReLU     7 -> 14
           ConvTranspose2d(32, 1, 3, 2, padding 1, output_padding 1)            14 -> 28
           Flatten                                       (linear output)
           (each output_padding is the one that gives back the size its
           convolution read, computed below as latentlab's convAeSizes does)
  SOM      64 prototypes (64x10 parameter) on an 8x8 map
  init     Glorot-uniform weights (PyTorch's fans, as latentlab's fansOf),
           zero biases; or --weights DIR: latentlab's initial parameters,
           one <state_dict name>.npy per parameter ("encoder.1.weight", ...,
           "prototypes"), the names this module's named_parameters give
  loss     MSE(x_hat, x) (mean) + gamma * Lsom,  gamma = 0.001
           Lsom = mean_i sum_k w_ik * ||z_i - m_k||^2,
           w_ik = exp(-delta(bmu_i, k)^2 / T^2), delta = Manhattan distance on
           the 8x8 grid, T = 5.0 (fixed), bmu_i = argmin_k ||z_i - m_k||^2,
           w from the detached distances of the same forward pass
  optim    Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7 (--adam single: torch
           1.13's for-loop default; foreach: the multi-tensor one)
  data     one fixed batch of 256 rows, reused every step: --data x.npy
           (float32, b x 784; the runner writes latentlab's batch) or
           U[0,1) (seeded)

A step is: zero_grad(set_to_none=True), forward (encoder, distances,
decoder), w (no_grad), loss, backward, optimizer.step. As in desom_step_torch.py
the input needs no gradient, so the first convolution computes no input
gradient (latentlab's neither).

FLOPs per step (gflop_per_step), from the layer shapes of a traced forward
pass: Conv2d 2*B*out*outH*outW*in*k*k forward and twice that backward (weight
and input gradient; only the weight gradient for the first convolution);
ConvTranspose2d 2*B*in*inH*inW*out*k*k (the GEMM of the convolution it
transposes) forward, twice backward; Linear 2*B*in*out forward, twice
backward; distances 2*B*64*10*3. Element-wise work, bias, col2im not counted.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/conv_desom_step_torch.py --threads 2 --blas-threads 1
"""
import argparse
import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, median, openblas_info,  # noqa: E402
                     setup_threads, torch_blas_summary)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

IMAGE = (1, 28, 28)
FILTERS = [32, 64, 128, 256]
KERNEL = 3
STRIDE = 2
PAD = KERNEL // 2
LATENT = 10
MAP_H, MAP_W = 8, 8
N_PROTO = MAP_H * MAP_W
GAMMA = 1e-3
T = 5.0


def conv_out(n):
    return (n + 2 * PAD - KERNEL) // STRIDE + 1


def conv_transpose_out(n, output_padding):
    return (n - 1) * STRIDE - 2 * PAD + KERNEL + output_padding


def conv_stacks():
    """encoder, decoder as nn.Sequential, layer for layer (and index for index) as latentlab's."""
    sizes = [IMAGE[1:]]
    for _ in FILTERS:
        h, w = sizes[-1]
        sizes.append((conv_out(h), conv_out(w)))
    channels = [IMAGE[0]] + FILTERS
    last_h, last_w = sizes[-1]
    flat = FILTERS[-1] * last_h * last_w
    enc = [nn.Unflatten(1, IMAGE)]
    for i in range(len(FILTERS)):
        enc += [nn.Conv2d(channels[i], channels[i + 1], KERNEL, stride=STRIDE, padding=PAD), nn.ReLU()]
    enc += [nn.Flatten(), nn.Linear(flat, LATENT)]
    dec = [nn.Linear(LATENT, flat), nn.ReLU(), nn.Unflatten(1, (FILTERS[-1], last_h, last_w))]
    for i in reversed(range(len(FILTERS))):
        op = tuple(sizes[i][j] - conv_transpose_out(sizes[i + 1][j], 0) for j in range(2))
        if any(v < 0 or v >= STRIDE for v in op):
            raise SystemExit("no transposed convolution maps %s back to %s" % (sizes[i + 1], sizes[i]))
        dec.append(nn.ConvTranspose2d(channels[i + 1], channels[i], KERNEL, stride=STRIDE,
                                      padding=PAD, output_padding=op))
        if i > 0:
            dec.append(nn.ReLU())
    dec.append(nn.Flatten())
    return nn.Sequential(*enc), nn.Sequential(*dec)


class ConvDESOM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = conv_stacks()
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)  # Glorot uniform, PyTorch's fans
                nn.init.zeros_(m.bias)
        proto = torch.empty(N_PROTO, LATENT)
        nn.init.xavier_uniform_(proto)
        self.prototypes = nn.Parameter(proto)
        r = torch.arange(N_PROTO) // MAP_W
        c = torch.arange(N_PROTO) % MAP_W
        manhattan = (r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs()
        self.register_buffer("manhattan2", manhattan.float() ** 2)


def load_weights(model, directory):
    with torch.no_grad():
        for name, p in model.named_parameters():
            a = np.load(os.path.join(directory, name + ".npy"))
            if tuple(a.shape) != tuple(p.shape):
                raise SystemExit("%s: latentlab's shape %s, ours %s" % (name, a.shape, tuple(p.shape)))
            p.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))


def flops_per_step(model, batch):
    """See the module docstring; layer shapes from a traced 1-row forward pass."""
    shapes = []
    hooks = [m.register_forward_hook(lambda m, i, o: shapes.append((m, i[0].shape, o.shape)))
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    with torch.no_grad():
        model.decoder(model.encoder(torch.zeros(1, IMAGE[0] * IMAGE[1] * IMAGE[2])))
    for h in hooks:
        h.remove()
    total, layers = 0, []
    for idx, (m, ins, outs) in enumerate(shapes):
        if isinstance(m, nn.Linear):
            f = 2 * batch * m.in_features * m.out_features
        else:
            kh, kw = m.kernel_size
            # the spatial size of the convolution's output (a transposed one's input)
            hw = outs[2] * outs[3] if isinstance(m, nn.Conv2d) else ins[2] * ins[3]
            f = 2 * batch * m.out_channels * m.in_channels * kh * kw * hw
        total += f * (2 if idx == 0 else 3)   # the first layer: no input gradient
        layers.append("%s%s" % (type(m).__name__, tuple(outs[1:])))
    total += 2 * batch * N_PROTO * LATENT * 3
    return total, layers


def conv_impl():
    return "mkldnn (oneDNN)" if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled \
        else "native (im2col + BLAS)"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads)")
    ap.add_argument("--data", help="float32 .npy, batch x 784 (default: U[0,1) rows)")
    ap.add_argument("--weights", help="directory of <parameter name>.npy (latentlab's initial parameters)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps (after the first)")
    ap.add_argument("--steps", type=int, default=5, help="steps per repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256, help="rows when --data is not given")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--adam", choices=["single", "foreach"], default="single",
                    help="Adam implementation: for-loop (torch 1.13 default) or multi-tensor")
    args = ap.parse_args()

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    model = ConvDESOM()
    if args.weights:
        load_weights(model, args.weights)
    if args.data:
        x = torch.from_numpy(np.ascontiguousarray(np.load(args.data), dtype=np.float32))
    else:
        x = torch.rand(args.batch, IMAGE[0] * IMAGE[1] * IMAGE[2],
                       generator=torch.Generator().manual_seed(args.seed + 1))
    batch = x.shape[0]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7,
                           foreach=(args.adam == "foreach"))
    enc, dec, protos, man2 = model.encoder, model.decoder, model.prototypes, model.manhattan2
    inv_t2 = 1.0 / (T * T)
    mse = nn.functional.mse_loss

    def fwd_bwd():
        opt.zero_grad(set_to_none=True)
        z = enc(x)
        d = (z.unsqueeze(1) - protos.unsqueeze(0)).pow(2).sum(dim=2)   # (B, 64)
        with torch.no_grad():
            w = torch.exp(-man2[d.argmin(dim=1)] * inv_t2)               # (B, 64), constant
        x_hat = dec(z)
        loss = mse(x_hat, x) + GAMMA * (w * d).sum(dim=1).mean()
        loss.backward()
        return loss

    def step():
        loss = fwd_bwd()
        opt.step()
        return loss

    flops, layers = flops_per_step(model, batch)
    log("torch %s threads=%d blas=%s adam=%s conv=%s" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), args.adam, conv_impl()))

    first_loss = float(step().detach())
    for _ in range(args.warmup):
        step()

    # Adam alone, on a deep copy (model, optimizer state, gradients) so the
    # real trajectory is not disturbed.
    fwd_bwd()
    model_a, opt_a = copy.deepcopy((model, opt))
    for pa, p in zip(model_a.parameters(), model.parameters()):
        pa.grad = p.grad.detach().clone()

    step_ms, adam_ms = [], []
    pc = time.perf_counter
    contention = CpuContention().start()
    for r in range(args.repeats):
        ts = []
        for _ in range(args.steps):
            t0 = pc()
            step()
            ts.append((pc() - t0) * 1e3)
        step_ms.append(median(ts))
        ts = []
        for _ in range(args.steps):
            t0 = pc()
            opt_a.step()
            ts.append((pc() - t0) * 1e3)
        adam_ms.append(median(ts))
        log("repeat %d: step %.2f ms  adam %.2f ms" % (r, step_ms[-1], adam_ms[-1]))
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)

    ms = median(step_ms)
    ob = openblas_info()
    print(json.dumps({
        "case": "conv-desom-step",
        "ms_per_step_median": round(ms, 4),
        "ms_per_step_all": [round(v, 4) for v in step_ms],
        "ms_adam": round(median(adam_ms), 4),
        "gflop_per_step": flops / 1e9,
        "gflops": round(flops / 1e9 / (ms / 1e3), 3),
        "layers": layers,
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch": batch,
        "warmup": args.warmup,
        "steps": args.steps,
        "repeats": args.repeats,
        "adam_impl": args.adam,
        "weights_from": args.weights or "Glorot uniform (seeded)",
        "loss_first": first_loss,
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "other_cores": other_cores,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "conv_impl": conv_impl(),
        "openblas_core": ob["openblas_core"],
    }), flush=True)


if __name__ == "__main__":
    main()
