#!/usr/bin/python3
"""PyTorch models written by hand, as a user writes them, for the PyTorch → latentlab direction.

    make_torch_models.py OUT_DIR INPUTS.json

For each model: OUT_DIR/<name>.safetensors (its state_dict, saved by latentlab_torch's
save_state_dict_safetensors — the mlp's with torch's num_batches_tracked counters kept, as
safetensors.torch.save_file would, to check that import drops them), OUT_DIR/<name>.ref.json (the
reference outputs on INPUTS.json's rows with their float32 error bounds, check_roundtrip.py's
format) and one entry of OUT_DIR/models.json: {name, kind, args} with the arguments of
`latentlab import` that describe the same architecture. Weights are seeded (torch.manual_seed)
and BatchNorm's running statistics are made non-trivial by a few passes in training mode.
"""

from __future__ import annotations

import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentlab_torch as llt  # noqa: E402
from check_roundtrip import reference  # noqa: E402


class AE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 32), nn.Tanh(), nn.Linear(32, 3))
        self.decoder = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 32), nn.ReLU())
        self.mu = nn.Linear(32, 2)
        self.logvar = nn.Linear(32, 2)
        self.decoder = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.mu(self.encoder(x)))


class DESOM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 4))
        self.decoder = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 784))
        self.prototypes = nn.Parameter(torch.randn(9, 4))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def models():
    """(name, kind, module, import args)."""
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10))
    cnn = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 4, 3, padding="same"),
        nn.ReLU(),
        nn.BatchNorm2d(4),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 7 * 7, 16),
        nn.ReLU(),
        nn.Linear(16, 10),
    )
    return [
        ("mlp", "mlp", mlp, ["--arch", "784-32-10", "--config", {"activation": "relu", "batch_norm": True, "dropout": 0.1}]),
        ("cnn", "cnn", cnn, ["--arch", "c4k3psame,bn,mp2,c6k3s2p1,fc16", "--image", "1x28x28", "--classes", "10"]),
        ("ae", "ae", AE(), ["--arch", "784-32-3"]),
        ("vae", "vae", VAE(), ["--arch", "784-32-2"]),
        ("desom", "desom", DESOM(), ["--arch", "784-32-4", "--map", "3x3"]),
    ]


def main(argv) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, inputs_path = argv
    os.makedirs(out_dir, exist_ok=True)
    with open(inputs_path, "r", encoding="utf-8") as f:
        inp = json.load(f)["inputs"]
    x = torch.tensor(inp["data"], dtype=torch.float32).reshape(inp["shape"])
    listing = []
    torch.set_grad_enabled(False)
    for name, kind, module, args in models():
        module.train()
        for _ in range(3):  # moves BatchNorm's running statistics away from 0 and 1
            module(torch.rand(32, 784) * 0.8 + 0.1)
        module.eval()
        path = os.path.join(out_dir, f"{name}.safetensors")
        if name == "mlp":
            llt.save_safetensors(dict(module.state_dict()), path, {"format": "pt"})
        else:
            llt.save_state_dict_safetensors(module, path)
        with open(os.path.join(out_dir, f"{name}.ref.json"), "w", encoding="utf-8") as f:
            json.dump(reference(module, x), f)
        config = None
        if "--config" in args:
            i = args.index("--config")
            config = os.path.join(out_dir, f"{name}.config.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump(args[i + 1], f)
            args = args[:i + 1] + [config] + args[i + 2 :]
        listing.append({"name": name, "kind": kind, "args": args})
    with open(os.path.join(out_dir, "models.json"), "w", encoding="utf-8") as f:
        json.dump(listing, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
