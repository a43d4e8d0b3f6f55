#!/usr/bin/python3
"""numpy peer for the "bmu-mnist" benchmark case: best-matching units of n rows
among k prototypes, timed.

  D = |x|^2 - 2 x.m^T + |m|^2   (x.m^T through OpenBLAS sgemm, float32)
  bmu_i = argmin_j D_ij          (ties: lowest index, as latentlab)

--data: float32 .npy, n x d; --prototypes: float32 .npy, k x d. One timed call
is one pass over the n rows, everything computed inside it (|x|^2 included);
--chunk 0 (default) builds the whole n x k matrix at once, --chunk c does c
rows at a time. --warmup untimed passes, then --repeats timed ones. --out
writes the last pass's BMUs as an int32 .npy (for the agreement check).

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/bmu_numpy.py --data x.npy --prototypes m.npy --blas-threads 2
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, median, openblas_info,  # noqa: E402
                     set_openblas_threads)

import numpy as np  # noqa: E402


def bmus(x, m, chunk):
    n = x.shape[0]
    mm = np.einsum("ij,ij->i", m, m)
    out = np.empty(n, dtype=np.int64)
    step = n if chunk <= 0 else chunk
    for s in range(0, n, step):
        xc = x[s:s + step]
        dist = xc @ m.T                       # (c, k) through sgemm
        dist *= -2.0
        dist += np.einsum("ij,ij->i", xc, xc)[:, None]
        dist += mm
        out[s:s + step] = dist.argmin(axis=1)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--prototypes", required=True)
    ap.add_argument("--out", default=None, help="write the BMUs (int32 .npy)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS pthread count (openblas_set_num_threads)")
    ap.add_argument("--chunk", type=int, default=0, help="rows per chunk; 0 = all at once")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    x = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
    m = np.ascontiguousarray(np.load(args.prototypes), dtype=np.float32)
    if args.blas_threads is not None and not set_openblas_threads(args.blas_threads):
        log("warning: could not set OpenBLAS threads (library not found)")
    log("numpy %s n=%d k=%d d=%d chunk=%d" % (np.__version__, x.shape[0], m.shape[0], x.shape[1], args.chunk))

    for _ in range(args.warmup):
        b = bmus(x, m, args.chunk)
    times = []
    pc = time.perf_counter
    contention = CpuContention().start()
    for _ in range(args.repeats):
        t0 = pc()
        b = bmus(x, m, args.chunk)
        times.append((pc() - t0) * 1e3)
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    if args.out:
        np.save(args.out, b.astype(np.int32))
    ob = openblas_info()
    print(json.dumps({
        "case": "bmu-mnist",
        "ms_median": round(median(times), 4),
        "ms_all": [round(t, 4) for t in times],
        "rows": int(x.shape[0]),
        "prototypes": int(m.shape[0]),
        "chunk": args.chunk,
        "blas_threads": ob["blas_threads"],
        "other_cores": other_cores,
        "numpy": np.__version__,
        "openblas_core": ob["openblas_core"],
    }), flush=True)


if __name__ == "__main__":
    main()
