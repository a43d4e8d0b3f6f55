#!/usr/bin/python3
"""PyTorch peer for the "ae-inference" and "ae-epoch" benchmark cases: seed
001's two-hidden-layer autoencoder with p = 16 (float32, CPU), timed.

Model
  encoder  Linear 784-256 Tanh, Linear 256-128 Tanh, Linear 128-16 (linear latent)
  decoder  Linear 16-128 Tanh, Linear 128-256 Tanh, Linear 256-784 Sigmoid
  init     PyTorch's default nn.Linear initialisation (seeded)
  data     --data: a float32 .npy of n x 784 rows in [0, 1] (the runner writes the
           same array latentlab reads)

--mode inference: reconstruct all n rows under torch.no_grad() in batches of
  --batch (default 1000), writing into one preallocated n x 784 output; a timed
  call is one pass over the n rows. --warmup passes, then --repeats timed ones.
--mode epoch: the standard training loop, one timed call = one epoch: a fresh
  perm = torch.randperm(n), then for each minibatch of --batch (default 64)
  rows xb = x[perm[s:s+batch]] (tensor indexing, no DataLoader), zero_grad
  (set_to_none=True), MSE(model(xb), xb), backward, Adam step (lr --lr,
  default 0.005, betas 0.9/0.999, eps 1e-8; --adam single = torch 1.13's
  for-loop default, foreach = multi-tensor), loss.item() summed for the epoch
  mean. --warmup-steps minibatch steps first, then --epochs timed epochs.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/ae_torch.py --mode inference --data x.npy --threads 1 --blas-threads 2
"""
import argparse
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

HIDDEN = [256, 128]
LATENT = 16


class Autoencoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        h1, h2 = HIDDEN
        self.encoder = nn.Sequential(nn.Linear(n, h1), nn.Tanh(), nn.Linear(h1, h2), nn.Tanh(),
                                     nn.Linear(h2, LATENT))
        self.decoder = nn.Sequential(nn.Linear(LATENT, h2), nn.Tanh(), nn.Linear(h2, h1), nn.Tanh(),
                                     nn.Linear(h1, n), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["inference", "epoch"], required=True)
    ap.add_argument("--data", required=True, help="float32 .npy, n x 784")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads)")
    ap.add_argument("--batch", type=int, default=None,
                    help="rows per batch (default 1000 for inference, 64 for epoch)")
    ap.add_argument("--warmup", type=int, default=2, help="inference: untimed passes")
    ap.add_argument("--repeats", type=int, default=7, help="inference: timed passes")
    ap.add_argument("--warmup-steps", type=int, default=50, help="epoch: untimed steps")
    ap.add_argument("--epochs", type=int, default=3, help="epoch: timed epochs")
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--adam", choices=["single", "foreach"], default="single",
                    help="Adam implementation: for-loop (torch 1.13 default) or multi-tensor")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    batch = args.batch or (1000 if args.mode == "inference" else 64)

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(np.ascontiguousarray(np.load(args.data), dtype=np.float32))
    n, d = x.shape
    model = Autoencoder(d)
    log("torch %s threads=%d blas=%s mode=%s n=%d batch=%d" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), args.mode, n, batch))

    pc = time.perf_counter
    times = []
    extra = {}
    if args.mode == "inference":
        model.eval()
        out = torch.empty(n, d)

        def reconstruct():
            with torch.no_grad():
                for s in range(0, n, batch):
                    out[s:s + batch] = model(x[s:s + batch])

        for _ in range(args.warmup):
            reconstruct()
        contention = CpuContention().start()
        for _ in range(args.repeats):
            t0 = pc()
            reconstruct()
            times.append((pc() - t0) * 1e3)
        other_cores = contention.stop()
        extra["output_mean"] = float(out.mean())
    else:
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                               foreach=(args.adam == "foreach"))
        mse = nn.functional.mse_loss
        gen = torch.Generator().manual_seed(args.seed + 1)

        def run(max_steps=None):
            perm = torch.randperm(n, generator=gen)
            total, steps = 0.0, 0
            for s in range(0, n, batch):
                xb = x[perm[s:s + batch]]
                opt.zero_grad(set_to_none=True)
                loss = mse(model(xb), xb)
                loss.backward()
                opt.step()
                total += loss.item()
                steps += 1
                if max_steps is not None and steps >= max_steps:
                    break
            return total / max(1, steps)

        if args.warmup_steps > 0:
            run(args.warmup_steps)
        losses = []
        contention = CpuContention().start()
        for _ in range(args.epochs):
            t0 = pc()
            losses.append(run())
            times.append((pc() - t0) * 1e3)
        other_cores = contention.stop()
        extra.update({"loss": losses[-1], "losses": losses, "adam_impl": args.adam, "lr": args.lr,
                      "steps_per_epoch": (n + batch - 1) // batch})

    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    ms = median(times)
    ob = openblas_info()
    result = {
        "case": "ae-inference" if args.mode == "inference" else "ae-epoch",
        "ms_median": round(ms, 4),
        "ms_all": [round(t, 4) for t in times],
        "samples_per_s": round(n / (ms / 1e3), 1),
        "rows": n,
        "batch": batch,
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "other_cores": other_cores,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "openblas_core": ob["openblas_core"],
    }
    result.update(extra)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
