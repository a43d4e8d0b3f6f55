#!/usr/bin/python3
"""scikit-learn peer for the "kmeans-mnist" benchmark case: k-means on n float32
rows, timed.

  KMeans(n_clusters=--k, init="k-means++", n_init=--n-init, max_iter=--max-iter,
         tol=--tol, algorithm="lloyd", random_state=--seed).fit(x)

One timed call is one whole fit (all n_init restarts, k-means++ seeding
included); --repeats fits (default 1). scikit-learn 1.2's Lloyd iterations run
in its OpenMP pool (it limits OpenBLAS to 1 thread inside them itself); its
k-means++ seeding computes distances with numpy/OpenBLAS. --omp-threads and
--blas-threads set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before numpy loads
(keep one of them at 1 on 2 cores). tol is scikit-learn's: relative to the
mean per-feature variance of x, compared with the squared Frobenius norm of
the centre shift (a run also stops when no label changes). --out writes the
best run's centroids (float32 .npy) so the runner can recompute its inertia
the same way as latentlab's.

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/kmeans_sklearn.py --data x.npy --omp-threads 2 --blas-threads 1
"""
import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--data", required=True, help="float32 .npy, n x d")
ap.add_argument("--k", type=int, default=64)
ap.add_argument("--n-init", type=int, default=10)
ap.add_argument("--max-iter", type=int, default=100)
ap.add_argument("--tol", type=float, default=1e-4)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--omp-threads", type=int, default=None, help="OMP_NUM_THREADS")
ap.add_argument("--blas-threads", type=int, default=None, help="OPENBLAS_NUM_THREADS")
ap.add_argument("--repeats", type=int, default=1)
ap.add_argument("--out", default=None, help="write the best run's centroids (float32 .npy)")
args = ap.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuContention, log, median, openblas_info, set_pool_sizes  # noqa: E402

set_pool_sizes(args.omp_threads, args.blas_threads)  # before numpy loads

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402


def main():
    x = np.ascontiguousarray(np.load(args.data), dtype=np.float32)
    pools = {p["user_api"]: p["num_threads"] for p in threadpool_info()}
    log("scikit-learn %s n=%d d=%d k=%d n_init=%d max_iter=%d tol=%g pools=%s" % (
        sklearn.__version__, x.shape[0], x.shape[1], args.k, args.n_init, args.max_iter, args.tol, pools))
    times, km = [], None
    pc = time.perf_counter
    contention = CpuContention().start()
    for _ in range(args.repeats):
        km = KMeans(n_clusters=args.k, init="k-means++", n_init=args.n_init, max_iter=args.max_iter,
                    tol=args.tol, algorithm="lloyd", random_state=args.seed)
        t0 = pc()
        km.fit(x)
        times.append((pc() - t0) * 1e3)
        log("fit: %.0f ms, inertia %.6g, %d iterations" % (times[-1], km.inertia_, km.n_iter_))
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    if args.out:
        np.save(args.out, km.cluster_centers_.astype(np.float32))
    ob = openblas_info()
    print(json.dumps({
        "case": "kmeans-mnist",
        "ms_median": round(median(times), 3),
        "ms_all": [round(t, 3) for t in times],
        "inertia": float(km.inertia_),
        "n_iter": int(km.n_iter_),
        "converged": bool(km.n_iter_ < args.max_iter),
        "k": args.k,
        "n_init": args.n_init,
        "max_iter": args.max_iter,
        "tol": args.tol,
        "omp_threads": pools.get("openmp"),
        "blas_threads": pools.get("blas"),
        "other_cores": other_cores,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "openblas_core": ob["openblas_core"],
    }), flush=True)


if __name__ == "__main__":
    main()
