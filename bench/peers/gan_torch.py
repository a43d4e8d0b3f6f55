#!/usr/bin/python3
"""PyTorch peer for the "gan-epoch" benchmark case: an epoch of `latentlab train gan`'s default
GAN (the fully connected one) on the 60,000 MNIST training images (float32, CPU), timed.

Model    the layers of src/gan/models.ts (and of scripts/fixtures/make_gan.py, the parity
         fixtures), at the sizes the runner passes (the CLI defaults):
           G  Linear 100-256, LeakyReLU(0.2), Linear 256-512, LeakyReLU, Linear 512-1024,
              LeakyReLU, Linear 1024-784, Tanh
           D  Linear 784-512, LeakyReLU(0.2), Linear 512-256, LeakyReLU, Linear 256-1 (a logit)
         --weights DIR loads DIR/generator/<name>.npy and DIR/discriminator/<name>.npy (the
         runner writes latentlab's initial parameters: both sides start from the same weights);
         without it, PyTorch's default init after torch.manual_seed(--seed).
Step     as src/gan/steps.ts (and PyTorch's DCGAN example), with BCEWithLogitsLoss (mean):
           fake = G(z), z = torch.randn(b, latent)
           D step  zero_grad(set_to_none=True); BCE(D(x), 1).backward();
                   BCE(D(fake.detach()), 0).backward(); Adam step
           G step  zero_grad(set_to_none=True); BCE(D(fake), 1).backward() (through the updated
                   D); Adam step
         both Adams lr --lr 2e-4, betas --beta1 0.5 / 0.999, eps 1e-8 (--adam single, torch
         1.13's for-loop default, or foreach); the three losses and D's mean sigmoid outputs on
         the real and generated batches read with .item() (as latentlab's loop reports them).
Epoch    a fresh torch.randperm(n), minibatches xb = x[perm[s:s+batch]] (--batch 64; tensor
         indexing, no DataLoader); --warmup-steps untimed steps, then --epochs timed epochs;
         with --steps N a timed call is the first N steps of an epoch (read
         ms_per_step_median).
Check    with --check-x X.npy (a batch of images) and --check-z Z.npy (its latent vectors):
         two steps on that batch with those z, on copies of both networks and their own Adams,
         before anything is timed; reports each step's losses as `check` (the runner compares
         them with latentlab's from the same weights).

--data: float32 .npy of n x 784 rows, already in [-1, 1] (the runner writes the array latentlab
trains on, pixels scaled 2x - 1). Prints exactly one JSON line on stdout; logs go to stderr.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \\
          bench/peers/gan_torch.py --data x.npy --threads 1 --blas-threads 2 --steps 50
"""
import argparse
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (add_loop_args, load_npy_parameters, log, run_timed_loop,  # noqa: E402
                     setup_threads, torch_blas_summary)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def mlp(sizes, slope, out):
    """Linear + LeakyReLU(slope) through sizes, the last Linear followed by `out` (or nothing)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i + 2 < len(sizes):
            layers.append(nn.LeakyReLU(slope))
        elif out is not None:
            layers.append(out)
    return nn.Sequential(*layers)


class Trainer:
    """One D step and one G step per batch (see the module docstring)."""

    def __init__(self, G, D, args):
        self.G, self.D, self.latent = G, D, args.latent
        betas = (args.beta1, args.beta2)
        foreach = args.adam == "foreach"
        self.opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=betas, eps=1e-8, foreach=foreach)
        self.opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=betas, eps=1e-8, foreach=foreach)
        self.bce = nn.BCEWithLogitsLoss()

    def step(self, xb, z=None):
        b = xb.shape[0]
        if z is None:
            z = torch.randn(b, self.latent)
        ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)
        fake = self.G(z)
        self.opt_d.zero_grad(set_to_none=True)
        real_out = self.D(xb)
        loss_real = self.bce(real_out, ones)
        loss_real.backward()
        fake_out = self.D(fake.detach())
        loss_fake = self.bce(fake_out, zeros)
        loss_fake.backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g = self.bce(self.D(fake), ones)
        loss_g.backward()
        self.opt_g.step()
        d_real = torch.sigmoid(real_out.detach()).mean().item()
        d_fake = torch.sigmoid(fake_out.detach()).mean().item()
        real, fk = loss_real.item(), loss_fake.item()
        return {"d_loss": real + fk, "d_loss_real": real, "d_loss_fake": fk, "g_loss": loss_g.item(),
                "d_real": d_real, "d_fake": d_fake}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="float32 .npy, n x 784 rows in [-1, 1]")
    ap.add_argument("--weights", help="directory with generator/ and discriminator/ <name>.npy")
    ap.add_argument("--latent", type=int, default=100)
    ap.add_argument("--g-hidden", default="256,512,1024")
    ap.add_argument("--d-hidden", default="512,256")
    ap.add_argument("--slope", type=float, default=0.2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--beta1", type=float, default=0.5)
    ap.add_argument("--beta2", type=float, default=0.999)
    add_loop_args(ap)
    ap.add_argument("--check-x", help="float32 .npy: the check batch")
    ap.add_argument("--check-z", help="float32 .npy: its latent vectors (batch x latent)")
    args = ap.parse_args()
    if (args.check_x is None) != (args.check_z is None):
        ap.error("--check-x and --check-z go together")

    setup_threads(torch, args.threads, args.blas_threads)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(np.ascontiguousarray(np.load(args.data), dtype=np.float32))
    n, d = x.shape
    g_hidden = [int(h) for h in args.g_hidden.split(",")]
    d_hidden = [int(h) for h in args.d_hidden.split(",")]
    G = mlp([args.latent] + g_hidden + [d], args.slope, nn.Tanh())
    D = mlp([d] + d_hidden + [1], args.slope, None)
    if args.weights:
        load_npy_parameters(torch, G, os.path.join(args.weights, "generator"))
        load_npy_parameters(torch, D, os.path.join(args.weights, "discriminator"))
    G.train()
    D.train()
    log("torch %s threads=%d blas=%s n=%d batch=%d adam=%s" % (
        torch.__version__, torch.get_num_threads(), torch_blas_summary(torch), n, args.batch, args.adam))

    check = None
    if args.check_x:
        cx = torch.from_numpy(np.ascontiguousarray(np.load(args.check_x), dtype=np.float32))
        cz = torch.from_numpy(np.ascontiguousarray(np.load(args.check_z), dtype=np.float32))
        t = Trainer(copy.deepcopy(G), copy.deepcopy(D), args)
        check = [t.step(cx, cz) for _ in range(2)]

    trainer = Trainer(G, D, args)
    run_timed_loop(torch, "gan-epoch", n, lambda idx: trainer.step(x[idx]), args, {
        "check": check,
        "betas": [args.beta1, args.beta2],
        "parameters": {"generator": sum(p.numel() for p in G.parameters()),
                       "discriminator": sum(p.numel() for p in D.parameters())},
    })


if __name__ == "__main__":
    main()
