#!/usr/bin/python3
"""PyTorch peer for the "sgemm" benchmark case: float32 GEMM GFLOP/s through
torch.mm (or torch.addmm) for a list of shapes.

Shape syntax:  MxKxN[:op]   -> product C (M x N) with inner dimension K
    nn (default)  C = A  . B    A stored (M,K), B stored (K,N)
    nt            C = A  . B^T  A stored (M,K), B stored (N,K)   (Linear forward)
    tn            C = A^T. B    A stored (K,M), B stored (K,N)   (weight gradient)
    tt            C = A^T. B^T  A stored (K,M), B stored (N,K)
The transposes are views (Tensor.t()), exactly as autograd passes them, so
torch hands them to BLAS as transposed operands without copying.

Each shape: the iteration count is calibrated so that one timed loop takes
about --target seconds; the loop is repeated --repeats times; the median of
the per-call times is reported. FLOPs = 2*M*K*N per call.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/sgemm_torch.py --threads 1 --shapes 256x784x500:nt,500x256x784:tn
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, median, openblas_info,  # noqa: E402
                     setup_threads, torch_blas_summary)

import torch  # noqa: E402

# Every GEMM of one DESOM step (batch 256) in torch's nn.Linear layout
# (weight stored out x in): forward y = x.W^T (nt), input gradient
# dx = dy.W (nn), weight gradient dW = dy^T.x (tn). The first encoder layer
# has no input gradient.
DESOM_SHAPES = [
    # forward, encoder then decoder
    "256x784x500:nt", "256x500x500:nt", "256x500x2000:nt", "256x2000x10:nt",
    "256x10x2000:nt", "256x2000x500:nt", "256x500x500:nt", "256x500x784:nt",
    # backward, input gradients (decoder last layer first ... encoder layer 2)
    "256x784x500:nn", "256x500x500:nn", "256x500x2000:nn", "256x2000x10:nn",
    "256x10x2000:nn", "256x2000x500:nn", "256x500x500:nn",
    # backward, weight gradients (out x B x in)
    "784x256x500:tn", "500x256x500:tn", "500x256x2000:tn", "2000x256x10:tn",
    "10x256x2000:tn", "2000x256x500:tn", "500x256x500:tn", "500x256x784:tn",
]


def parse_shape(spec):
    dims, _, op = spec.partition(":")
    op = (op or "nn").lower()
    if op not in ("nn", "nt", "tn", "tt"):
        raise ValueError("bad op in %r" % spec)
    m, k, n = (int(v) for v in dims.lower().split("x"))
    return m, k, n, op


def operands(m, k, n, op, gen):
    def rnd(*s):
        return torch.rand(*s, generator=gen) * 2 - 1
    a = rnd(m, k) if op[0] == "n" else rnd(k, m).t()
    b = rnd(k, n) if op[1] == "n" else rnd(n, k).t()
    return a, b


def bench_one(spec, args, gen):
    m, k, n, op = parse_shape(spec)
    a, b = operands(m, k, n, op, gen)
    c = torch.empty(m, n)
    bias = torch.rand(n, generator=gen)
    if args.func == "mm":
        if args.alloc:
            def call():
                torch.mm(a, b)
        else:
            def call():
                torch.mm(a, b, out=c)
    else:  # addmm with a broadcast bias row, as nn.Linear does
        if args.alloc:
            def call():
                torch.addmm(bias, a, b)
        else:
            def call():
                torch.addmm(bias, a, b, out=c)

    pc = time.perf_counter
    for _ in range(3):
        call()
    # calibrate
    iters = 1
    while True:
        t0 = pc()
        for _ in range(iters):
            call()
        dt = pc() - t0
        if dt >= args.target / 4 or iters >= 1 << 24:
            break
        iters *= 2
    iters = max(1, int(iters * args.target / max(dt, 1e-9)))
    per_call = []
    for _ in range(args.repeats):
        t0 = pc()
        for _ in range(iters):
            call()
        per_call.append((pc() - t0) / iters)
    s = median(per_call)
    flops = 2.0 * m * k * n
    res = {"shape": spec if ":" in spec else spec + ":nn", "gflops": round(flops / s / 1e9, 3),
           "ms": round(s * 1e3, 5), "iters": iters}
    log("%-18s %9.4f ms  %8.2f GFLOP/s  (x%d)" % (res["shape"], res["ms"], res["gflops"], iters))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="desom",
                    help="comma-separated MxKxN[:nn|nt|tn|tt]; 'desom' = all GEMMs of "
                         "one DESOM step (default)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads); "
                         "default: leave as set by OPENBLAS_NUM_THREADS / nproc")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--target", type=float, default=0.2, help="seconds per timed loop")
    ap.add_argument("--func", choices=["mm", "addmm"], default="mm")
    ap.add_argument("--alloc", action="store_true",
                    help="allocate the output each call (default: out= preallocated)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    setup_threads(torch, args.threads, args.blas_threads)
    specs = []
    for item in args.shapes.split(","):
        item = item.strip()
        if not item:
            continue
        specs.extend(DESOM_SHAPES if item.lower() == "desom" else [item])
    gen = torch.Generator().manual_seed(args.seed)
    log("torch %s threads=%d blas=%s" % (torch.__version__, torch.get_num_threads(),
                                          torch_blas_summary(torch)))
    contention = CpuContention().start()
    results = [bench_one(s, args, gen) for s in specs]
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    ob = openblas_info()
    out = {
        "case": "sgemm",
        "results": results,
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "func": args.func,
        "alloc": args.alloc,
        "repeats": args.repeats,
        "other_cores": other_cores,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "openblas_core": ob["openblas_core"],
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
