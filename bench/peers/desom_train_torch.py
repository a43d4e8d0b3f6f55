#!/usr/bin/python3
"""PyTorch peer for the "desom-train" benchmark case: the DESOM paper
configuration on MNIST, end to end (data loading to final metrics), float32,
CPU. Same work as bench/desom-train-ours.ts.

Data     all 70,000 MNIST rows, train then test, in file order, pixel/255
         (float32), read from the IDX files in --data-dir (raw or .gz), with
         their labels.
Model    encoder Linear 784-500-500-2000-10, decoder 10-2000-500-500-784
         (ReLU after hidden layers, linear latent and output), Glorot-uniform
         weights, zero biases; 64 prototypes on an 8x8 rectangular map, set to
         the codes of 64 distinct random rows through the untrained encoder.
Training --iterations steps (default 1,000) of the --schedule-iterations
         (default 10,000) paper schedule: step t uses batch t mod 274 of the
         sequential batches of 256 (the last one 112 rows, then wrap),
         T = 8 * (0.1/8) ** (t / 10000), w_ik = exp(-delta(bmu_i, k)^2 / T^2)
         with delta the exact Manhattan distance on the map and bmu_i from the
         same forward pass (detached, held fixed), loss MSE (mean) +
         0.001 * mean_i sum_k w_ik ||z_i - m_k||^2, Adam lr 1e-3, eps 1e-7.
Eval     encode all rows (eval mode, no_grad, batches of 1024), first and second
         BMU per row, then qe (mean Euclidean distance to the BMU), te (share
         whose two BMUs are not 4-neighbours), purity, nmi (arithmetic, sklearn's
         default) and nmi_geometric, ari, accuracy (Hungarian, unmatched cells
         wrong), prototype_kmeans_accuracy (sklearn KMeans k=10, n_init=10 on
         the 64 prototypes, each row labelled by its BMU's cluster).

Timing starts before loading (after the imports) and stops after the
metrics. Prints exactly one JSON line on stdout (times in ms, final metrics,
peak_rss_mb = VmHWM, other_cores); logs go to stderr.

The MNIST files: --data-dir DIR (the directory holding the four IDX files),
else LATENTLAB_DATA_DIR (its mnist/ folder, or the files directly in it), as
latentlab resolves them; `npx latentlab data fetch mnist` puts them in
~/.cache/latentlab/mnist. Without either, or when a file is missing, the
script stops with a message naming what it looked for.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \\
          bench/peers/desom_train_torch.py --data-dir ~/.cache/latentlab/mnist \\
          --threads 1 --blas-threads 2 --adam single
"""
import argparse
import contextlib
import gzip
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (CpuContention, log, openblas_info,  # noqa: E402
                     setup_threads, torch_blas_summary)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

ENC = [784, 500, 500, 2000, 10]
DEC = ENC[::-1]
MAP_H, MAP_W = 8, 8
N_PROTO = MAP_H * MAP_W
GAMMA = 1e-3
TMAX, TMIN = 8.0, 0.1
BATCH = 256
N_CLASSES = 10


def peak_rss_mb():
    """This process image's peak resident memory: VmHWM, not ru_maxrss, which Linux carries over
    fork and exec (a peer started by a large benchmark runner would report the runner's size)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_idx(data_dir, base):
    """An IDX file as a numpy array (raw file, else its .gz)."""
    for name in (base, base + ".gz"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                buf = f.read()
            ndim = buf[3]
            dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
            return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
    raise FileNotFoundError("read_idx: neither %s nor %s.gz in %s" % (base, base, data_dir))


MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def has_mnist(d):
    """True when directory d holds the four MNIST IDX files (raw or .gz)."""
    return all(os.path.exists(os.path.join(d, f)) or os.path.exists(os.path.join(d, f + ".gz"))
               for f in MNIST_FILES)


def mnist_dir(arg, env):
    """The directory of the MNIST IDX files: --data-dir, else LATENTLAB_DATA_DIR's mnist/ or
    LATENTLAB_DATA_DIR itself; a string saying what is wrong when there is none."""
    files = ", ".join(f + "[.gz]" for f in MNIST_FILES)
    if arg:
        if not os.path.isdir(arg):
            return None, "--data-dir %s is not a directory" % arg
        if not has_mnist(arg):
            return None, "--data-dir %s does not hold the MNIST files (%s)" % (arg, files)
        return arg, None
    root = env.get("LATENTLAB_DATA_DIR")
    if not root:
        return None, ("no MNIST data: pass --data-dir DIR (a directory holding %s) or set "
                      "LATENTLAB_DATA_DIR (`npx latentlab data fetch mnist` puts the files in "
                      "~/.cache/latentlab/mnist)" % files)
    for d in (os.path.join(root, "mnist"), root):
        if os.path.isdir(d) and has_mnist(d):
            return d, None
    return None, "LATENTLAB_DATA_DIR=%s holds the MNIST files (%s) neither in mnist/ nor directly" % (root, files)


def load_mnist_all(data_dir):
    """x: 70,000 x 784 float32 in [0, 1] (train then test), labels int64."""
    parts, labels = [], []
    for split in ("train", "t10k"):
        img = read_idx(data_dir, "%s-images-idx3-ubyte" % split)
        parts.append(img.reshape(img.shape[0], -1))
        labels.append(read_idx(data_dir, "%s-labels-idx1-ubyte" % split))
    n = sum(p.shape[0] for p in parts)
    x = np.empty((n, parts[0].shape[1]), dtype=np.float32)
    s = 0
    for p in parts:
        # Chunked so no float32 temporary of the whole split is made.
        for c in range(0, p.shape[0], 10000):
            blk = p[c:c + 10000]
            np.divide(blk, np.float32(255), out=x[s + c:s + c + blk.shape[0]], dtype=np.float32)
        s += p.shape[0]
    return x, np.concatenate(labels).astype(np.int64)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def map_coords():
    r = torch.arange(N_PROTO) // MAP_W
    c = torch.arange(N_PROTO) % MAP_W
    return r, c


def encode_all(enc, x, batch=1024, autocast=contextlib.nullcontext):
    enc.eval()
    out = torch.empty(x.shape[0], ENC[-1])
    with torch.no_grad(), autocast():
        for s in range(0, x.shape[0], batch):
            out[s:s + batch] = enc(x[s:s + batch]).float()
    enc.train()
    return out


def hungarian_accuracy(y, pred):
    """Best one-to-one cluster -> class map; clusters left without a class count as wrong."""
    classes, yi = np.unique(y, return_inverse=True)
    clusters, pi = np.unique(pred, return_inverse=True)
    table = np.zeros((len(classes), len(clusters)), dtype=np.int64)
    np.add.at(table, (yi, pi), 1)
    r, c = linear_sum_assignment(table, maximize=True)
    return float(table[r, c].sum()) / len(y)


def som_metrics(z, protos, y, seed):
    """The map's metrics on codes z (n x 10) with prototypes (64 x 10), as latentlab's somMetrics."""
    n = z.shape[0]
    bmu = torch.empty(n, dtype=torch.int64)
    second = torch.empty(n, dtype=torch.int64)
    m2 = (protos * protos).sum(1)
    for s in range(0, n, 8192):
        zb = z[s:s + 8192]
        d = (zb * zb).sum(1, keepdim=True) + m2 - 2.0 * zb @ protos.t()
        idx = d.topk(2, dim=1, largest=False).indices
        bmu[s:s + 8192] = idx[:, 0]
        second[s:s + 8192] = idx[:, 1]
    qe = float((z - protos[bmu]).double().pow(2).sum(1).sqrt().mean())
    r, c = map_coords()
    te = float(((r[bmu] - r[second]).abs() + (c[bmu] - c[second]).abs() != 1).double().mean())
    b = bmu.numpy()
    table = np.zeros((N_PROTO, N_CLASSES), dtype=np.int64)
    np.add.at(table, (b, y), 1)
    unit_cluster = KMeans(n_clusters=N_CLASSES, n_init=10, random_state=seed).fit(protos.numpy()).labels_
    return {
        "qe": qe,
        "te": te,
        "purity": float(table.max(1).sum()) / n,
        "nmi": float(normalized_mutual_info_score(y, b)),
        "nmi_geometric": float(normalized_mutual_info_score(y, b, average_method="geometric")),
        "ari": float(adjusted_rand_score(y, b)),
        "accuracy": hungarian_accuracy(y, b),
        "prototype_kmeans_accuracy": hungarian_accuracy(y, unit_cluster[b]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None,
                    help="directory of the MNIST IDX files (default: LATENTLAB_DATA_DIR's mnist/, "
                         "or the files directly in LATENTLAB_DATA_DIR)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None, help="OpenBLAS threads")
    ap.add_argument("--adam", choices=["foreach", "single"], default="single",
                    help="Adam implementation: single (for-loop, torch 1.13's default) or foreach")
    ap.add_argument("--iterations", type=int, default=1000, help="training steps run")
    ap.add_argument("--schedule-iterations", type=int, default=10000,
                    help="length of the T schedule (the full paper run)")
    ap.add_argument("--no-eval", action="store_true", help="skip the final evaluation (thread probes)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--autocast-bf16", action="store_true",
                    help="forward passes (training and the final encoding) under "
                         "torch.autocast('cpu', dtype=torch.bfloat16)")
    args = ap.parse_args()
    if not 1 <= args.iterations <= args.schedule_iterations:
        ap.error("--iterations must be between 1 and --schedule-iterations (%d), got %d"
                 % (args.schedule_iterations, args.iterations))
    data_dir, problem = mnist_dir(args.data_dir, os.environ)
    if problem is not None:
        ap.error(problem)

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.autocast_bf16 \
        else contextlib.nullcontext
    pc = time.perf_counter
    contention = CpuContention().start()

    t0 = pc()
    x_np, y = load_mnist_all(data_dir)
    x = torch.from_numpy(x_np)
    n = x.shape[0]
    t1 = pc()

    enc, dec = mlp(ENC), mlp(DEC)
    idx = torch.randperm(n)[:N_PROTO]
    with torch.no_grad():
        protos = nn.Parameter(enc(x[idx]).clone())
    r, c = map_coords()
    man2 = ((r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs()).float() ** 2
    params = list(enc.parameters()) + list(dec.parameters()) + [protos]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-7,
                           foreach=(args.adam == "foreach"))
    mse = nn.functional.mse_loss
    t2 = pc()

    per_epoch = (n + BATCH - 1) // BATCH
    samples = 0
    first_loss = last_loss = temp = None
    step_ms = []
    for t in range(args.iterations):
        ts = pc()
        s = (t % per_epoch) * BATCH
        xb = x[s:s + BATCH]
        temp = TMAX * (TMIN / TMAX) ** (t / args.schedule_iterations)
        opt.zero_grad(set_to_none=True)
        with autocast():
            z = enc(xb)
            xb_hat = dec(z)
        z, xb_hat = z.float(), xb_hat.float()   # distances and losses in float32
        d = (z.unsqueeze(1) - protos.unsqueeze(0)).pow(2).sum(dim=2)   # (B, 64), as the reference
        with torch.no_grad():
            w = torch.exp(-man2[d.argmin(dim=1)] / (temp * temp))
        loss = mse(xb_hat, xb) + GAMMA * (w * d).sum(dim=1).mean()
        loss.backward()
        opt.step()
        samples += xb.shape[0]
        if t == 0:
            first_loss = float(loss.detach())
        step_ms.append((pc() - ts) * 1e3)
    last_loss = float(loss.detach())
    t3 = pc()

    metrics = None
    if not args.no_eval:
        z_all = encode_all(enc, x, autocast=autocast)
        metrics = som_metrics(z_all, protos.detach(), y, args.seed)
    t4 = pc()
    other_cores = contention.stop()
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the run" % other_cores)

    # Per-step time after a warm-up, for the thread probes (short runs).
    steady = step_ms[min(5, len(step_ms) - 1):]
    ob = openblas_info()
    print(json.dumps({
        "case": "desom-train",
        "side": "pytorch",
        "total_ms": (t4 - t0) * 1e3,
        "load_ms": (t1 - t0) * 1e3,
        "init_ms": (t2 - t1) * 1e3,
        "train_ms": (t3 - t2) * 1e3,
        "eval_ms": (t4 - t3) * 1e3,
        "ms_per_step_steady": sum(steady) / len(steady),
        "iterations": args.iterations,
        "schedule_iterations": args.schedule_iterations,
        "autocast_bf16": args.autocast_bf16,
        "train_samples": samples,
        "samples_per_s": samples / (t3 - t2),
        "rows": n,
        "loss_first": first_loss,
        "loss_last": last_loss,
        "T_last": temp,
        "metrics": metrics,
        "peak_rss_mb": peak_rss_mb(),
        "other_cores": other_cores,
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "adam_impl": args.adam,
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "blas_core": ob["openblas_core"],
    }), flush=True)


if __name__ == "__main__":
    main()
