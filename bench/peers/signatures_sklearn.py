#!/usr/bin/python3
"""scikit-learn peer for the "signatures-mnist" benchmark case: per-layer
k-means with k chosen by the mean silhouette, on activations latentlab captured.

For each layer (one float32 .npy, n x width, per --data) and each k of
--k-range (both ends included):

  KMeans(n_clusters=k, init="k-means++", n_init=--n-init, algorithm="lloyd",
         random_state=--seed).fit(x)          (max_iter 300, tol 1e-4: defaults)
  silhouette_score(x, km.labels_)              (exact: every row, Euclidean)

and the chosen k is the one with the largest silhouette (the smaller k on a
tie, as latentlab's clusterLayer). One timed call is all layers and all k;
loading the .npy files is not timed. --repeats calls (default 3), the median
reported. scikit-learn's Lloyd iterations run in its OpenMP pool (it limits
OpenBLAS to 1 thread inside them itself); its k-means++ seeding and the
silhouette's pairwise distances (pairwise_distances_chunked, float32 rows
upcast to float64 in chunks) go through numpy/OpenBLAS. --omp-threads and
--blas-threads set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before numpy loads
(keep one of them at 1 on 2 cores).

Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
          bench/peers/signatures_sklearn.py --data h1.npy h2.npy --n-init 3 \
          --omp-threads 1 --blas-threads 2
"""
import argparse
import json
import os
import sys
import time

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--data", required=True, nargs="+", help="float32 .npy files, one per layer, n x width")
ap.add_argument("--k-range", default="2..10", help="lo..hi, both included")
ap.add_argument("--n-init", type=int, default=3)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--omp-threads", type=int, default=None, help="OMP_NUM_THREADS")
ap.add_argument("--blas-threads", type=int, default=None, help="OPENBLAS_NUM_THREADS")
ap.add_argument("--repeats", type=int, default=3)
args = ap.parse_args()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuContention, log, median, openblas_info, set_pool_sizes  # noqa: E402

set_pool_sizes(args.omp_threads, args.blas_threads)  # before numpy loads

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import silhouette_score  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402


def cluster_layer(x, ks):
    """The chosen k and every k's (k, silhouette, inertia, iterations, kmeans_ms, silhouette_ms)."""
    curve, best = [], None
    pc = time.perf_counter
    for k in ks:
        t0 = pc()
        km = KMeans(n_clusters=k, init="k-means++", n_init=args.n_init, algorithm="lloyd",
                    random_state=args.seed).fit(x)
        t1 = pc()
        s = float(silhouette_score(x, km.labels_))
        t2 = pc()
        curve.append({"k": k, "silhouette": s, "inertia": float(km.inertia_), "iterations": int(km.n_iter_),
                      "kmeans_ms": round((t1 - t0) * 1e3, 3), "silhouette_ms": round((t2 - t1) * 1e3, 3)})
        if best is None or s > best["silhouette"]:  # ties keep the smaller k
            best = curve[-1]
    return best["k"], curve


def main():
    lo, hi = (int(v) for v in args.k_range.split(".."))
    ks = list(range(lo, hi + 1))
    layers = [np.ascontiguousarray(np.load(p), dtype=np.float32) for p in args.data]
    pools = {p["user_api"]: p["num_threads"] for p in threadpool_info()}
    log("scikit-learn %s layers %s k %d..%d n_init=%d pools=%s" % (
        sklearn.__version__, [x.shape for x in layers], lo, hi, args.n_init, pools))
    times, results = [], None
    pc = time.perf_counter
    contention = CpuContention().start()
    for _ in range(args.repeats):
        t0 = pc()
        results = [cluster_layer(x, ks) for x in layers]
        times.append((pc() - t0) * 1e3)
        log("all layers: %.0f ms, chosen k %s" % (times[-1], [k for k, _ in results]))
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    ob = openblas_info()
    print(json.dumps({
        "case": "signatures-mnist",
        "ms_median": round(median(times), 3),
        "ms_all": [round(t, 3) for t in times],
        "layers": [{"rows": int(x.shape[0]), "width": int(x.shape[1]), "k": k, "curve": curve,
                    "kmeans_ms": round(sum(c["kmeans_ms"] for c in curve), 3),
                    "silhouette_ms": round(sum(c["silhouette_ms"] for c in curve), 3)}
                   for x, (k, curve) in zip(layers, results)],
        "k_range": [lo, hi],
        "n_init": args.n_init,
        "omp_threads": pools.get("openmp"),
        "blas_threads": pools.get("blas"),
        "other_cores": other_cores,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "openblas_core": ob["openblas_core"],
    }))


if __name__ == "__main__":
    main()
