"""Shared helpers for the PyTorch peer benchmarks (imported by *_torch.py).

Everything here writes only to stderr; the peer scripts print exactly one JSON
line on stdout.
"""
import ctypes
import os
import sys


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _loaded_openblas_path():
    """Path of the libopenblas*.so that this process has mapped (torch loads it
    through libblas.so.3 on Debian), or None."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and "openblas" in os.path.basename(parts[-1]):
                    return parts[-1]
    except OSError:
        pass
    return None


def openblas_handle():
    path = _loaded_openblas_path()
    if path is None:
        return None, None
    try:
        # dlopen of an already-loaded library returns the same handle, so the
        # calls below act on the instance torch uses.
        return ctypes.CDLL(path), path
    except OSError:
        return None, path


def openblas_info():
    lib, path = openblas_handle()
    info = {"openblas_lib": path, "openblas_core": None, "openblas_config": None,
            "blas_threads": None}
    if lib is None:
        return info
    try:
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info["openblas_core"] = lib.openblas_get_corename().decode()
    except AttributeError:
        pass
    try:
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["openblas_config"] = lib.openblas_get_config().decode()
    except AttributeError:
        pass
    try:
        info["blas_threads"] = int(lib.openblas_get_num_threads())
    except AttributeError:
        pass
    return info


def set_openblas_threads(n):
    """Set OpenBLAS's own pthread pool size at run time (same effect as
    OPENBLAS_NUM_THREADS=n at load time). Returns True on success."""
    lib, _ = openblas_handle()
    if lib is None:
        return False
    try:
        lib.openblas_set_num_threads(int(n))
        return True
    except AttributeError:
        return False


def torch_blas_summary(torch):
    """Short description of the BLAS/backends torch was built with."""
    cfg = torch.__config__.show()
    blas_info = None
    for tok in cfg.replace(",", " ").split():
        if tok.startswith("BLAS_INFO="):
            blas_info = tok.split("=", 1)[1]
    parts = ["BLAS_INFO=%s" % blas_info]
    parts.append("mkl=%s" % torch.backends.mkl.is_available())
    parts.append("mkldnn=%s" % torch.backends.mkldnn.is_available())
    path = _loaded_openblas_path()
    if path:
        parts.append("loaded=%s" % os.path.basename(path))
    return " ".join(parts)


def setup_threads(torch, threads, blas_threads):
    torch.set_num_threads(int(threads))
    if blas_threads is not None:
        if not set_openblas_threads(blas_threads):
            log("warning: could not set OpenBLAS threads (library not found)")


def set_pool_sizes(omp_threads, blas_threads):
    """OMP_NUM_THREADS / OPENBLAS_NUM_THREADS for the libraries loaded afterwards (both pools read
    their size when they load, so call this before importing numpy); None leaves a size as it is."""
    if omp_threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(omp_threads)
    if blas_threads is not None:
        os.environ["OPENBLAS_NUM_THREADS"] = str(blas_threads)


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


class CpuContention:
    """Measures how much CPU time OTHER processes used while a benchmark ran
    (from /proc/stat minus this process's own utime+stime), in cores."""

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _total_busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        return sum(v[:8]) - idle

    def start(self):
        import time
        self.t0 = time.perf_counter()
        self.b0 = self._total_busy()
        self.s0 = sum(os.times()[:2])
        return self

    def stop(self):
        """Returns average number of cores used by other processes."""
        import time
        try:
            dt = time.perf_counter() - self.t0
            busy = (self._total_busy() - self.b0) / self.hz
            own = sum(os.times()[:2]) - self.s0
            return round(max(0.0, busy - own) / dt, 3) if dt > 0 else None
        except OSError:
            return None


def load_npy_parameters(torch, module, directory):
    """Copies <directory>/<name>.npy into each of module's named parameters (the runner writes
    latentlab's initial parameters under PyTorch's state_dict names). Every parameter needs its
    file, of its exact shape; returns the number of values loaded."""
    import numpy as np  # here, not at the top: set_pool_sizes must run before numpy loads
    total = 0
    with torch.no_grad():
        for name, p in module.named_parameters():
            path = os.path.join(directory, name + ".npy")
            if not os.path.exists(path):
                raise SystemExit("load_npy_parameters: no %s for parameter %s" % (path, name))
            a = torch.from_numpy(np.load(path))
            if tuple(a.shape) != tuple(p.shape):
                raise SystemExit("load_npy_parameters: %s has shape %s, parameter %s is %s" % (
                    path, tuple(a.shape), name, tuple(p.shape)))
            p.copy_(a)
            total += p.numel()
    return total


def timed_epochs(torch, n, batch, step, seed, warmup_steps, calls, max_steps=None):
    """The standard loop's driver, timed. A call is one epoch: a fresh perm = torch.randperm(n)
    (its own seeded generator), then step(perm[s:s+batch]) for each minibatch, in order; with
    max_steps, only the first max_steps minibatches of the epoch. step returns a dict of floats
    (the losses it read with .item()), averaged per call. warmup_steps untimed steps first, then
    `calls` timed calls, while CpuContention watches the other processes.
    Returns (ms per call, ms per step, each call's means, steps per call, other_cores)."""
    import time
    gen = torch.Generator().manual_seed(seed)
    pc = time.perf_counter
    step_ms = []

    def run(limit, record):
        perm = torch.randperm(n, generator=gen)
        sums, steps = {}, 0
        for s in range(0, n, batch):
            t0 = pc()
            out = step(perm[s:s + batch])
            if record:
                step_ms.append((pc() - t0) * 1e3)
            for k, v in out.items():
                sums[k] = sums.get(k, 0.0) + v
            steps += 1
            if limit is not None and steps >= limit:
                break
        return {k: v / steps for k, v in sums.items()}, steps

    if warmup_steps > 0:
        run(warmup_steps, False)
    times, means = [], []
    steps = 0
    contention = CpuContention().start()
    for _ in range(calls):
        t0 = pc()
        m, steps = run(max_steps, True)
        times.append((pc() - t0) * 1e3)
        means.append(m)
    return times, step_ms, means, steps, contention.stop()


def add_loop_args(ap):
    """The flags every epoch-loop peer takes (vae-epoch, gan-epoch): Adam's implementation, the
    timed loop's shape (warm-up steps, timed calls, steps per call), the seed and the threads."""
    ap.add_argument("--adam", choices=["single", "foreach"], default="single")
    ap.add_argument("--warmup-steps", type=int, default=50, help="untimed steps")
    ap.add_argument("--epochs", type=int, default=1, help="timed calls")
    ap.add_argument("--steps", type=int, default=None, help="a timed call is this many steps instead of an epoch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None, help="OpenBLAS pthread count")


def run_timed_loop(torch, case, n, step, args, fields):
    """timed_epochs over `step` with the --warmup-steps/--epochs/--steps of add_loop_args, then the
    case's JSON line on stdout: the timings, the loop's shape, the threads, the allocator settings
    and the BLAS, plus the case's own `fields`. Returns each call's means."""
    import json
    import os
    times, step_ms, means, steps, other_cores = timed_epochs(
        torch, n, args.batch, step, args.seed + 1, args.warmup_steps, args.epochs, args.steps)
    if other_cores is not None and other_cores > 0.1:
        log("warning: other processes used %.2f cores during the measurement" % other_cores)
    ob = openblas_info()
    out = {
        "case": case,
        "ms_median": round(median(times), 4),
        "ms_all": [round(t, 4) for t in times],
        "ms_per_step_median": round(median(step_ms), 4),
        "steps_per_call": steps,
        "steps_per_epoch": (n + args.batch - 1) // args.batch,
        "means": means,
        "rows": n,
        "batch": args.batch,
        "lr": args.lr,
        "adam_impl": args.adam,
        **fields,
        "weights_from": args.weights or "torch default init (seeded)",
        "threads": torch.get_num_threads(),
        "blas_threads": ob["blas_threads"],
        "other_cores": other_cores,
        "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
        "torch": torch.__version__,
        "blas": torch_blas_summary(torch),
        "openblas_core": ob["openblas_core"],
    }
    print(json.dumps(out), flush=True)
    return means
