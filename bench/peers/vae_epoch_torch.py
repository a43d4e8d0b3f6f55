#!/usr/bin/python3
"""PyTorch peer for the "vae-epoch" benchmark case: an epoch of `latentlab train vae`'s default
model on the 60,000 MNIST training images (float32, CPU), timed.

Model    vae_mnist_torch.py's VAE (imported, not copied), with the CLI defaults the runner
         passes: encoder Linear 784-512 ReLU, 512-256 ReLU; mu and logvar Linear 256-2;
         decoder Linear 2-256 ReLU, 256-512 ReLU, 512-784 Sigmoid. --weights DIR loads one
         <state_dict name>.npy per parameter (the runner writes latentlab's initial
         parameters: both sides start from the same weights); without it, PyTorch's default
         init after torch.manual_seed(--seed).
Step     VAE.terms (z = mu + exp(0.5 logvar) * eps, eps = torch.randn_like(mu); per image
         the binary cross-entropy summed over the pixels and the closed-form KL), loss =
         mean(rec + beta * kl), zero_grad(set_to_none=True), backward, Adam (lr --lr 1e-3,
         betas 0.9/0.999, eps 1e-8; --adam single, torch 1.13's for-loop default, or
         foreach), then the loss and the batch means of both terms read with .item() (as
         latentlab's loop reports them every step).
Epoch    a fresh torch.randperm(n), minibatches xb = x[perm[s:s+batch]] (--batch 128; tensor
         indexing, no DataLoader); --warmup-steps untimed steps, then --epochs timed epochs;
         with --steps N a timed call is the first N steps of an epoch (the runner's probe of
         a thread/Adam layout: read ms_per_step_median).
Check    with --check-x X.npy (a batch) and --check-eps E.npy (its eps, batch x latent): two
         training steps on that batch with that eps, on a copy of the model and its own Adam,
         before anything is timed; reports each step's loss and terms as `check` (the runner
         compares them with latentlab's from the same weights). The eps is handed to
         VAE.terms by standing in for torch.randn_like during those two calls, so the very
         code the timed loop runs is the code checked.

--data: float32 .npy of n x 784 rows in [0, 1] (the runner writes the array latentlab trains on).
Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \\
          bench/peers/vae_epoch_torch.py --data x.npy --threads 1 --blas-threads 2 --steps 50
"""
import argparse
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (add_loop_args, load_npy_parameters, log, run_timed_loop,  # noqa: E402
                     setup_threads, torch_blas_summary)
from vae_mnist_torch import VAE  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def adam(model, args):
    return torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                            foreach=(args.adam == "foreach"))


def train_step(model, opt, xb, beta):
    rec, kl = model.terms(xb)
    loss = (rec + beta * kl).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return {"loss": loss.item(), "reconstruction": rec.detach().mean().item(), "kl": kl.detach().mean().item()}


def check_steps(model, args, xb, eps):
    """Two steps on xb with the given eps, on a copy of the model (the timed run is untouched)."""
    m = copy.deepcopy(model)
    opt = adam(m, args)
    randn_like = torch.randn_like
    torch.randn_like = lambda t: eps.clone()
    try:
        return [train_step(m, opt, xb, args.beta) for _ in range(2)]
    finally:
        torch.randn_like = randn_like


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="float32 .npy, n x 784 rows in [0, 1]")
    ap.add_argument("--weights", help="directory of <state_dict name>.npy initial parameters")
    ap.add_argument("--latent", type=int, default=2)
    ap.add_argument("--hidden", default="512,256")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--beta", type=float, default=1.0)
    add_loop_args(ap)
    ap.add_argument("--check-x", help="float32 .npy: the check batch")
    ap.add_argument("--check-eps", help="float32 .npy: its eps (batch x latent)")
    args = ap.parse_args()
    if (args.check_x is None) != (args.check_eps is None):
        ap.error("--check-x and --check-eps go together")

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(np.ascontiguousarray(np.load(args.data), dtype=np.float32))
    n, d = x.shape
    hidden = [int(h) for h in args.hidden.split(",")]
    model = VAE(d, hidden, args.latent)
    if args.weights:
        load_npy_parameters(torch, model, args.weights)
    model.train()
    log("torch %s threads=%d blas=%s n=%d batch=%d adam=%s" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), n, args.batch, args.adam))

    check = None
    if args.check_x:
        cx = torch.from_numpy(np.ascontiguousarray(np.load(args.check_x), dtype=np.float32))
        ce = torch.from_numpy(np.ascontiguousarray(np.load(args.check_eps), dtype=np.float32))
        check = check_steps(model, args, cx, ce)

    opt = adam(model, args)
    run_timed_loop(torch, "vae-epoch", n, lambda idx: train_step(model, opt, x[idx], args.beta), args, {
        "check": check,
        "hidden": hidden,
        "latent": args.latent,
        "beta": args.beta,
        "parameters": sum(p.numel() for p in model.parameters()),
    })


if __name__ == "__main__":
    main()
