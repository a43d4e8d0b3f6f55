"""A float32 error bound for the forward pass of a torch module, so two float32 implementations of
the same network (latentlab's js or native backend, PyTorch) can be compared with a tolerance that
follows from arithmetic, not from what one machine happened to give.

The network is evaluated in float64 (the reference, exact to ~1e-16, negligible here) and, beside
it, a componentwise bound E on |float32 result − exact result| that holds for ANY float32
implementation that computes each layer's sums in any order (BLAS blocking, threads, FMA,
im2col) — running error analysis (Higham, "Accuracy and Stability of Numerical Algorithms",
§3.1): a sum of k products computed in float32 is within γₖ·Σ|terms| of the exact sum,
γₖ = k·u / (1 − k·u), u = 2⁻²⁴. Layer by layer, with e the bound on the layer's input:

    Linear / Conv2d / ConvTranspose2d   e' = |W|∗e + γ_{k+1}·(|W|∗(|x| + e) + |b|)    k terms per output
    ReLU, LeakyReLU, Identity, Dropout  e' = L·e (+ u·|y| for a product)              L = Lipschitz constant
    Tanh / Sigmoid                      e' = L·e + 4u·|y|                              L = 1 / ¼; library error ≤ 4 ulp
    BatchNorm (eval)                    e' = a·e + 5u·(a·(|x| + |μ|) + |β|)           a = |γ|/√(var + eps)
    MaxPool / MinPool                   e' = maxpool(e)                                a max moves by ≤ the largest input error
    AvgPool                             e' = avgpool(e) + γ_{k+1}·avgpool(|x| + e)
    Upsample, Flatten, Unflatten        e' = the same reshaping of e
    Softmax (dim 1)                     e'ᵢ = yᵢ·(2·maxⱼ eⱼ + (k + 4)·u)

The terms of second order in u (products of two error bounds) are dropped; they are below 1e-6
of the bound at these sizes, and `SAFETY` = 1.1 covers them. The library's elementwise
functions are assumed correct to 4 ulp (latentlab's native tanh ≤ 1.5e-7, sigmoid ≤ 2.1e-7
relative, i.e. < 4u; its js backend rounds double-precision Math functions, < 1 ulp).
"""

from __future__ import annotations

import copy
from typing import Tuple

import torch
from torch import nn

U = 2.0**-24
SAFETY = 1.1


def gamma(k: int) -> float:
    """γₖ = k·u / (1 − k·u)."""
    return k * U / (1 - k * U)


def _abs_weight_copy(m: nn.Module) -> nn.Module:
    """A float64 copy of a conv / linear module with |W| and no bias."""
    c = copy.deepcopy(m).double()
    with torch.no_grad():
        c.weight.copy_(c.weight.abs())
    c.bias = None
    return c


def _affine(m: nn.Module, x: torch.Tensor, e: torch.Tensor, k: int, bias_shape) -> Tuple[torch.Tensor, torch.Tensor]:
    a = _abs_weight_copy(m)
    y = m(x)
    absb = 0.0 if m.bias is None else m.bias.detach().abs().reshape(bias_shape)
    return y, a(e) + gamma(k + 1) * (a(x.abs() + e) + absb)


def forward_bound(m: nn.Module, x: torch.Tensor, e: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(y, E): the float64 output of module m (float64, eval mode) on x, and the bound E on the
    float32 error of any implementation given an input within e of x."""
    if isinstance(m, nn.Sequential):
        for c in m:
            x, e = forward_bound(c, x, e)
        return x, e
    if isinstance(m, nn.Linear):
        return _affine(m, x, e, m.in_features, (1, -1))
    if isinstance(m, nn.Conv2d):
        k = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        return _affine(m, x, e, k, (1, -1, 1, 1))
    if isinstance(m, nn.ConvTranspose2d):
        k = (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        return _affine(m, x, e, k, (1, -1, 1, 1))
    if isinstance(m, (nn.ReLU, nn.Identity, nn.Dropout, nn.Dropout2d, nn.Flatten, nn.Unflatten, nn.Upsample)):
        return m(x), m(e)  # ReLU: |relu(a) − relu(b)| ≤ |a − b|, and relu(e) = e for e ≥ 0
    if isinstance(m, nn.LeakyReLU):
        y = m(x)
        return y, max(1.0, abs(m.negative_slope)) * e + U * y.abs()
    if isinstance(m, nn.Tanh):
        y = m(x)
        return y, e + 4 * U * y.abs()
    if isinstance(m, nn.Sigmoid):
        y = m(x)
        return y, 0.25 * e + 4 * U * y.abs()
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        shape = (1, -1) if x.dim() == 2 else (1, -1, 1, 1)
        if m.running_mean is None:
            raise ValueError("forward_bound: BatchNorm without running statistics is not supported")
        mu = m.running_mean.reshape(shape)
        scale = 1 / torch.sqrt(m.running_var.reshape(shape) + m.eps)
        g = m.weight.detach().reshape(shape) if m.affine else torch.ones_like(scale)
        b = m.bias.detach().reshape(shape) if m.affine else torch.zeros_like(scale)
        a = (g * scale).abs()
        return m(x), a * e + 5 * U * (a * (x.abs() + mu.abs()) + b.abs())
    if isinstance(m, nn.MaxPool2d):
        return m(x), m(e)
    if type(m).__name__ == "MinPool2d":  # latentlab_torch.MinPool2d: −maxpool(−x)
        return m(x), m.pool(e)
    if isinstance(m, nn.AvgPool2d):
        ks = (m.kernel_size, m.kernel_size) if isinstance(m.kernel_size, int) else m.kernel_size
        k = ks[0] * ks[1]
        return m(x), m(e) + gamma(k + 1) * m(x.abs() + e)
    if isinstance(m, nn.Softmax):
        y = m(x)
        k = x.shape[1]
        return y, y * (2 * e.amax(dim=1, keepdim=True) + (k + 4) * U)
    raise TypeError(f"forward_bound: no error bound for {type(m).__name__}")


def bounded(m: nn.Module, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(y, SAFETY·E) for an exact (float32-representable) input x."""
    y, e = forward_bound(m, x, torch.zeros_like(x))
    return y, SAFETY * e


def distance_bound(z: torch.Tensor, ez: torch.Tensor, protos: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(d, E) for d = ‖z − mₖ‖² (n × K): codes z known within ez, the sum computed in float32 in any
    form — latentlab uses ‖z‖² − 2·z·mₖ + ‖mₖ‖² — so γ_{d+2} times the sum of the |terms| of that form."""
    diff = z[:, None, :] - protos[None, :, :]
    d = (diff**2).sum(dim=2)
    prop = (2 * diff.abs() * ez[:, None, :] + ez[:, None, :] ** 2).sum(dim=2)
    terms = (z**2).sum(1, keepdim=True) + 2 * z.abs() @ protos.abs().T + (protos**2).sum(1)[None, :]
    return d, SAFETY * (prop + gamma(z.shape[1] + 2) * terms)
