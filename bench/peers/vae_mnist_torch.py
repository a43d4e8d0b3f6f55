#!/usr/bin/python3
"""PyTorch peer of `latentlab train vae --dataset mnist` (float32, CPU): the same VAE trained
with the same hyper-parameters on the same data, reporting its test negative ELBO, so
docs/vae.md can table ours beside PyTorch's. A quality peer, not a timing case.

Data     the MNIST IDX files (train 60,000, test 10,000 rows, file order), pixel/255 as
         float32, read from --data-dir or LATENTLAB_DATA_DIR (its mnist/ folder or the files
         directly), as latentlab resolves them; --limit / --test-limit keep the first rows.
Model    a module with latentlab's VAE attributes (its state_dict loads latentlab's
         model/weights.safetensors):
           encoder  Linear 784-512 ReLU, Linear 512-256 ReLU       (--hidden 512,256)
           mu       Linear 256-p;  logvar  Linear 256-p              (--latent p, default 2)
           decoder  Linear p-256 ReLU, Linear 256-512 ReLU, Linear 512-784 Sigmoid
         PyTorch's default init after torch.manual_seed(--seed).
Loss     per batch of N rows: z = mu + exp(0.5 logvar) * eps, eps = torch.randn;
           rec_i = binary_cross_entropy(xhat_i, x_i, reduction='sum')
           kl_i  = -0.5 * sum(1 + logvar_i - mu_i^2 - exp(logvar_i))
           loss  = mean_i (rec_i + beta * kl_i)                    (--beta, default 1)
         i.e. PyTorch's VAE example's terms, averaged over the batch instead of summed.
Training per epoch a fresh torch.randperm(n), minibatches of --batch (default 128) rows
         x[perm[s:s+batch]], zero_grad, loss, backward, Adam (lr --lr 1e-3, betas 0.9/0.999,
         eps 1e-8; --adam single, torch 1.13's for-loop default, or foreach), --epochs
         (default 20).
Eval     after each epoch, on the test rows: the mean over images of rec_i + kl_i with
         --eval-samples (default 1) draws of z per image, and its two terms; the training
         means are those of the epoch's batches, weighted by their rows.

Prints exactly one JSON line on stdout: {"case": "vae-mnist", "test_neg_elbo",
"test_reconstruction_loss", "test_kl", "epochs": [{"epoch", "neg_elbo", "reconstruction_loss",
"kl", "test_neg_elbo", "test_reconstruction_loss", "test_kl", "s"}], "train_s", "threads",
"blas_threads", "torch", ...}; per-epoch lines go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 \\
          bench/peers/vae_mnist_torch.py --data-dir ~/.cache/latentlab/mnist --threads 1
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import log, openblas_info, setup_threads  # noqa: E402
from desom_train_torch import mnist_dir, read_idx  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class VAE(nn.Module):
    def __init__(self, n, hidden, p):
        super().__init__()
        sizes = [n] + hidden
        enc = []
        for a, b in zip(sizes, sizes[1:]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        self.mu = nn.Linear(hidden[-1], p)
        self.logvar = nn.Linear(hidden[-1], p)
        back = [p] + hidden[::-1] + [n]
        dec = []
        for i, (a, b) in enumerate(zip(back, back[1:])):
            dec += [nn.Linear(a, b), nn.ReLU() if i + 2 < len(back) else nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)

    def terms(self, x):
        """Per-row reconstruction and KL terms for one draw of z."""
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        xhat = self.decoder(z)
        rec = F.binary_cross_entropy(xhat, x, reduction="none").sum(1)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
        return rec, kl


def load(data_dir, split, limit):
    img = read_idx(data_dir, "%s-images-idx3-ubyte" % split)
    x = img.reshape(img.shape[0], -1)
    if limit is not None:
        x = x[:limit]
    return torch.from_numpy(x.astype(np.float32) / 255.0)


def score(model, x, samples, batch=1000):
    """Mean over rows of (rec + kl) with `samples` draws of z per row, and its two terms."""
    rec_sum, kl_sum = 0.0, 0.0
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            xb = x[s:s + batch]
            rec = torch.zeros(xb.shape[0], dtype=torch.float64)
            for _ in range(samples):
                r, kl = model.terms(xb)
                rec += r.double() / samples
            rec_sum += float(rec.sum())
            kl_sum += float(kl.double().sum())
    n = x.shape[0]
    return {"test_neg_elbo": (rec_sum + kl_sum) / n, "test_reconstruction_loss": rec_sum / n, "test_kl": kl_sum / n}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None, help="directory of the MNIST IDX files (default: LATENTLAB_DATA_DIR)")
    ap.add_argument("--latent", type=int, default=2)
    ap.add_argument("--hidden", default="512,256")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--eval-samples", type=int, default=1)
    ap.add_argument("--adam", choices=["single", "foreach"], default="single")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="first n training rows")
    ap.add_argument("--test-limit", type=int, default=None, help="first n test rows")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--blas-threads", type=int, default=None, help="OpenBLAS pthread count")
    args = ap.parse_args()

    data_dir, why = mnist_dir(args.data_dir, os.environ)
    if data_dir is None:
        log("vae_mnist_torch: " + why)
        sys.exit(1)
    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    x = load(data_dir, "train", args.limit)
    x_test = load(data_dir, "t10k", args.test_limit)
    hidden = [int(h) for h in args.hidden.split(",")]
    model = VAE(x.shape[1], hidden, args.latent)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=args.adam == "foreach")
    n = x.shape[0]
    epochs = []
    t_train = time.perf_counter()
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        sums = {"rec": 0.0, "kl": 0.0}
        for s in range(0, n, args.batch):
            xb = x[perm[s:s + args.batch]]
            rec, kl = model.terms(xb)
            loss = (rec + args.beta * kl).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sums["rec"] += float(rec.detach().sum())
            sums["kl"] += float(kl.detach().sum())
        model.eval()
        test = score(model, x_test, args.eval_samples)
        row = {
            "epoch": epoch + 1,
            "neg_elbo": (sums["rec"] + sums["kl"]) / n,
            "reconstruction_loss": sums["rec"] / n,
            "kl": sums["kl"] / n,
            **test,
            "s": time.perf_counter() - t0,
        }
        epochs.append(row)
        log("epoch %d/%d: train -ELBO %.2f (rec %.2f, KL %.2f), test -ELBO %.2f (rec %.2f, KL %.2f), %.1f s" % (
            epoch + 1, args.epochs, row["neg_elbo"], row["reconstruction_loss"], row["kl"],
            test["test_neg_elbo"], test["test_reconstruction_loss"], test["test_kl"], row["s"]))
    train_s = time.perf_counter() - t_train
    final = epochs[-1] if epochs else {}
    out = {
        "case": "vae-mnist",
        "test_neg_elbo": final.get("test_neg_elbo"),
        "test_reconstruction_loss": final.get("test_reconstruction_loss"),
        "test_kl": final.get("test_kl"),
        "epochs": epochs,
        "train_s": train_s,
        "latent": args.latent,
        "hidden": hidden,
        "batch": args.batch,
        "lr": args.lr,
        "beta": args.beta,
        "eval_samples": args.eval_samples,
        "seed": args.seed,
        "train_rows": n,
        "test_rows": x_test.shape[0],
        "parameters": sum(p.numel() for p in model.parameters()),
        "adam_impl": args.adam,
        "threads": torch.get_num_threads(),
        "blas_threads": args.blas_threads,
        "torch": torch.__version__,
        "openblas_core": openblas_info().get("openblas_core"),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
