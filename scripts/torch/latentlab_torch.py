"""latentlab models in PyTorch, and PyTorch state_dicts for latentlab.

Needs only ``torch`` and the Python standard library (no ``safetensors`` package, no numpy): the
safetensors and ``.npy`` files latentlab writes are parsed here with ``struct`` and ``json``.

latentlab → PyTorch::

    import latentlab_torch as llt
    model = llt.load_run("runs/ae-20250101-120000")   # a run directory, or its model/ folder
    x = torch.rand(16, 784)
    codes = model.encode(x)                           # what `latentlab` computes on the same rows
    recon = model(x)

``load_run`` reads ``model/model.json`` (and ``desom.json`` for a DESOM) and
``model/weights.safetensors`` and returns a ``torch.nn.Module`` in eval mode:

- a classifier (``train mlp``, ``train cnn``; model.json format ``latentlab-model``): the
  ``torch.nn.Sequential`` its ``architecture`` describes; the output is the logits;
- an autoencoder (``train ae``, fully connected or convolutional): ``Autoencoder`` with
  ``encoder`` / ``decoder`` Sequentials, ``encode``, ``decode`` and ``forward`` = reconstruction;
- a VAE (``train vae``): ``VAE`` with ``encoder``, ``mu``, ``logvar``, ``decoder``; ``forward`` is
  the reconstruction through the mean (z = μ, as latentlab's ``VAE.forward``), ``encode`` gives
  (μ, log σ²);
- a DESOM (``train desom``): ``DESOM`` with the autoencoder's ``encoder`` / ``decoder`` and the
  map's ``prototypes`` (K × latent), ``bmu(x)`` = argminₖ ‖encode(x) − mₖ‖² (ties to the lower
  index, as latentlab) and ``grid(k)`` = the (row, column) of cell k.

The state_dict names are latentlab's own ("encoder.0.weight", "prototypes", …): latentlab names
its tensors as PyTorch names the same module's, so the weights load with ``load_state_dict``.

PyTorch → latentlab::

    llt.save_state_dict_safetensors(model, "weights.safetensors")
    # then: latentlab import weights.safetensors --kind ae --like RUN   (or --arch …)

Layer types (latentlab's names → torch): linear → Linear, conv2d → Conv2d, conv_transpose2d →
ConvTranspose2d, maxpool2d / avgpool2d → MaxPool2d / AvgPool2d, minpool2d → ``MinPool2d`` below
(−maxpool(−x), the course's), upsample → Upsample(nearest), flatten / unflatten, batchnorm1d /
batchnorm2d, dropout / dropout2d, relu, leaky_relu, tanh, sigmoid, softmax (over dim 1), identity.
"""

from __future__ import annotations

import ast
import json
import os
import struct
import sys
import tempfile
from typing import Dict, Optional

import torch
from torch import nn

__all__ = [
    "load_safetensors",
    "save_safetensors",
    "save_state_dict_safetensors",
    "load_npy",
    "build_module",
    "load_run",
    "load_model_dir",
    "Autoencoder",
    "VAE",
    "DESOM",
    "MinPool2d",
]

# --------------------------------------------------------------------------------------------
# safetensors: 8 bytes little-endian header length N, N bytes of JSON header
# {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data
# (offsets relative to the end of the header), little-endian, row-major.
# --------------------------------------------------------------------------------------------

_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def _check_little_endian(fn: str) -> None:
    if sys.byteorder != "little":
        raise RuntimeError(f"{fn}: this reader assumes a little-endian machine (safetensors and .npy data are little-endian)")


def load_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Reads a safetensors file into {name: tensor} (fresh CPU tensors, in the header's order)."""
    fn = "load_safetensors"
    _check_little_endian(fn)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{fn}: {path}: expected at least 8 bytes (the header length), got {len(raw)}")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{fn}: {path}: header length {n} runs past the end of the {len(raw)}-byte file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{fn}: {path}: expected a JSON object as header")
    data = memoryview(raw)[8 + n :]
    out: Dict[str, torch.Tensor] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{fn}: {path}: tensor {name!r} has dtype {info.get('dtype')!r}; expected one of {', '.join(_DTYPES)}")
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(v) for v in info["data_offsets"])
        count = 1
        for d in shape:
            count *= d
        size = torch.tensor([], dtype=dtype).element_size()
        if end - begin != count * size or end > len(data) or begin < 0:
            raise ValueError(f"{fn}: {path}: tensor {name!r}: offsets [{begin}, {end}] do not hold {shape} of {info['dtype']}")
        if count == 0:
            out[name] = torch.zeros(shape, dtype=dtype)
            continue
        buf = bytearray(data[begin:end])  # a copy: the tensor owns its memory
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(shape)
    return out


def _write_atomic(path: str, payload: bytes) -> None:
    """Writes to a temporary file beside `path`, flushes it and renames it over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a saved model is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_safetensors(tensors: Dict[str, torch.Tensor], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes {name: tensor} as a safetensors file (atomically; the header padded to 8 bytes)."""
    fn = "save_safetensors"
    _check_little_endian(fn)
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{fn}: {name!r}: expected a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in _NAMES:
            raise TypeError(f"{fn}: {name!r}: dtype {t.dtype} has no safetensors name")
        t = t.detach().to("cpu").contiguous()
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    _write_atomic(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def save_state_dict_safetensors(module: nn.Module, path: str, metadata: Optional[Dict[str, str]] = None) -> Dict[str, torch.Tensor]:
    """
    Saves `module.state_dict()` as a safetensors file `latentlab import` reads: float tensors as
    float32, BatchNorm's ``num_batches_tracked`` counters left out (latentlab keeps no such
    counter: it only matters with momentum=None). Returns what was written.
    """
    fn = "save_state_dict_safetensors"
    if not isinstance(module, nn.Module):
        raise TypeError(f"{fn}: expected a torch.nn.Module, got {type(module).__name__}")
    out: Dict[str, torch.Tensor] = {}
    for name, t in module.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        if not t.is_floating_point():
            raise TypeError(f"{fn}: {name!r} has dtype {t.dtype}; latentlab's state_dicts hold float tensors only")
        out[name] = t.detach().to(torch.float32)
    save_safetensors(out, path, {"format": "pt", **(metadata or {})})
    return out


# --------------------------------------------------------------------------------------------
# .npy (version 1/2/3): magic, version, header length, a Python dict literal
# {'descr', 'fortran_order', 'shape'}, padding, the data.
# --------------------------------------------------------------------------------------------

_NPY_DTYPES = {"<f4": torch.float32, "<f8": torch.float64, "<i4": torch.int32, "<i8": torch.int64, "|u1": torch.uint8}


def load_npy(path: str) -> torch.Tensor:
    """Reads a little-endian, C-order .npy of float32/float64/int32/int64/uint8 (what latentlab writes)."""
    fn = "load_npy"
    _check_little_endian(fn)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:6] != b"\x93NUMPY":
        raise ValueError(f"{fn}: {path}: not a .npy file (bad magic)")
    major = raw[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", raw[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack("<I", raw[8:12])
        start = 12
    header = ast.literal_eval(raw[start : start + hlen].decode("latin1"))
    if header.get("fortran_order"):
        raise ValueError(f"{fn}: {path}: Fortran-order arrays are not supported")
    dtype = _NPY_DTYPES.get(header["descr"])
    if dtype is None:
        raise ValueError(f"{fn}: {path}: dtype {header['descr']!r}; expected one of {', '.join(_NPY_DTYPES)}")
    shape = list(header["shape"])
    body = bytearray(raw[start + hlen :])
    if len(body) == 0:
        return torch.zeros(shape, dtype=dtype)
    return torch.frombuffer(body, dtype=dtype).reshape(shape)


# --------------------------------------------------------------------------------------------
# Architecture JSON (latentlab's ModuleSpec, src/nn/serialize.ts) → torch modules
# --------------------------------------------------------------------------------------------


class MinPool2d(nn.Module):
    """Min pooling as the course defines it: −maxpool(−x) (padding counts as +∞)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -self.pool(-x)


def _pair(spec: dict, key: str, default):
    v = spec.get(key, default)
    return tuple(v) if isinstance(v, list) else v


def build_module(spec: dict) -> nn.Module:
    """The torch module a latentlab architecture spec describes (weights left at torch's init)."""
    t = spec.get("type")
    if t == "sequential":
        return nn.Sequential(*[build_module(s) for s in spec["layers"]])
    if t == "linear":
        return nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    if t == "relu":
        return nn.ReLU()
    if t == "leaky_relu":
        return nn.LeakyReLU(spec.get("slope", 0.01))
    if t == "tanh":
        return nn.Tanh()
    if t == "sigmoid":
        return nn.Sigmoid()
    if t == "softmax":
        return nn.Softmax(dim=1)
    if t == "identity":
        return nn.Identity()
    if t == "dropout":
        return nn.Dropout(spec["p"])
    if t == "dropout2d":
        return nn.Dropout2d(spec["p"])
    if t == "batchnorm1d":
        return nn.BatchNorm1d(spec["features"], eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1), affine=spec.get("affine", True))
    if t == "batchnorm2d":
        return nn.BatchNorm2d(
            spec["features"],
            eps=spec.get("eps", 1e-5),
            momentum=spec.get("momentum", 0.1),
            affine=spec.get("affine", True),
            track_running_stats=spec.get("track_running_stats", True),
        )
    if t == "conv2d":
        return nn.Conv2d(
            spec["in"],
            spec["out"],
            tuple(spec["kernel"]),
            stride=_pair(spec, "stride", 1),
            padding=_pair(spec, "padding", 0),
            dilation=_pair(spec, "dilation", 1),
            bias=spec.get("bias", True),
        )
    if t == "conv_transpose2d":
        return nn.ConvTranspose2d(
            spec["in"],
            spec["out"],
            tuple(spec["kernel"]),
            stride=_pair(spec, "stride", 1),
            padding=_pair(spec, "padding", 0),
            output_padding=_pair(spec, "output_padding", 0),
            dilation=_pair(spec, "dilation", 1),
            bias=spec.get("bias", True),
        )
    if t in ("maxpool2d", "minpool2d"):
        kernel = tuple(spec["kernel"])
        cls = nn.MaxPool2d if t == "maxpool2d" else MinPool2d
        return cls(kernel, stride=_pair(spec, "stride", kernel), padding=_pair(spec, "padding", 0), dilation=_pair(spec, "dilation", 1), ceil_mode=spec.get("ceil_mode", False))
    if t == "avgpool2d":
        kernel = tuple(spec["kernel"])
        return nn.AvgPool2d(
            kernel,
            stride=_pair(spec, "stride", kernel),
            padding=_pair(spec, "padding", 0),
            ceil_mode=spec.get("ceil_mode", False),
            count_include_pad=spec.get("count_include_pad", True),
        )
    if t == "upsample":
        return nn.Upsample(scale_factor=tuple(float(s) for s in spec["scale"]), mode="nearest")
    if t == "flatten":
        return nn.Flatten(spec.get("start_dim", 1), spec.get("end_dim", -1))
    if t == "unflatten":
        return nn.Unflatten(spec["dim"], tuple(spec["sizes"]))
    raise ValueError(f"build_module: unknown layer type {t!r}")


# --------------------------------------------------------------------------------------------
# Model families
# --------------------------------------------------------------------------------------------


class Autoencoder(nn.Module):
    """latentlab's Autoencoder: x̂ = decoder(encoder(x)) on rows of `input` values."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    """latentlab's VAE: h = encoder(x), μ = mu(h), log σ² = logvar(h), x̂ = decoder(z)."""

    def __init__(self, encoder: nn.Module, mu: nn.Module, logvar: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.mu = mu
        self.logvar = logvar
        self.decoder = decoder

    def encode(self, x: torch.Tensor):
        """(μ, log σ²) of q(z|x)."""
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction through the mean (z = μ), as latentlab's VAE.forward."""
        return self.decoder(self.mu(self.encoder(x)))


class DESOM(Autoencoder):
    """latentlab's DESOM: the autoencoder and the map's prototypes (K × latent, cell k at row k // cols)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, prototypes: torch.Tensor, rows: int, cols: int):
        if prototypes.shape[0] != rows * cols:
            raise ValueError(f"DESOM: expected {rows}×{cols} = {rows * cols} prototypes, got {prototypes.shape[0]}")
        super().__init__(encoder, decoder)
        self.prototypes = nn.Parameter(prototypes.detach().clone().to(torch.float32))
        self.rows = rows
        self.cols = cols

    def distances(self, x: torch.Tensor) -> torch.Tensor:
        """‖f(xᵢ) − mₖ‖² for every row i and cell k (n × K)."""
        z = self.encoder(x)
        return ((z[:, None, :] - self.prototypes[None, :, :]) ** 2).sum(dim=2)

    def bmu(self, x: torch.Tensor) -> torch.Tensor:
        """Best-matching unit of each row: argminₖ ‖f(xᵢ) − mₖ‖² (ties to the lower index)."""
        return torch.argmin(self.distances(x), dim=1)

    def grid(self, k: torch.Tensor):
        """(row, column) on the map of cell indices k."""
        return k // self.cols, k % self.cols


# --------------------------------------------------------------------------------------------
# Loading a run
# --------------------------------------------------------------------------------------------


def _read_json(path: str) -> dict:
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def _load_weights(module: nn.Module, path: str, listed: Optional[list] = None) -> None:
    """Loads weights.safetensors into `module`, strictly except for BatchNorm's num_batches_tracked."""
    fn = "load_run"
    tensors = load_safetensors(path)
    expected = module.state_dict()
    missing = [k for k in expected if k not in tensors and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in tensors if k not in expected]
    if missing or unexpected:
        raise ValueError(f"{fn}: {path}: missing {missing}, unexpected {unexpected} (the module has {list(expected)})")
    for k, t in tensors.items():
        if tuple(t.shape) != tuple(expected[k].shape):
            raise ValueError(f"{fn}: {path}: {k!r} has shape {list(t.shape)} but the module expects {list(expected[k].shape)}")
    if listed is not None:
        names = [e["name"] for e in listed]
        have = [k for k in tensors]
        if sorted(names) != sorted(have):
            raise ValueError(f"{fn}: {path}: model.json lists {names} but the file holds {have}")
    module.load_state_dict(tensors, strict=False)


def load_model_dir(model_dir: str) -> nn.Module:
    """Rebuilds the model saved in a model/ folder (model.json or desom.json + weights) in eval mode."""
    fn = "load_model_dir"
    desom_json = os.path.join(model_dir, "desom.json")
    if os.path.exists(desom_json):
        d = _read_json(desom_json)
        if d.get("format") != "latentlab-desom":
            raise ValueError(f"{fn}: {desom_json}: expected format 'latentlab-desom', got {d.get('format')!r}")
        ae = load_model_dir(os.path.join(model_dir, d["autoencoder_dir"]))
        if not isinstance(ae, Autoencoder):
            raise ValueError(f"{fn}: {model_dir}/{d['autoencoder_dir']} is not an autoencoder")
        som_dir = os.path.join(model_dir, d["som_dir"])
        som = _read_json(os.path.join(som_dir, "som.json"))
        protos = load_npy(os.path.join(som_dir, som.get("prototypesFile", "prototypes.npy")))
        model = DESOM(ae.encoder, ae.decoder, protos, int(d["rows"]), int(d["cols"]))
        return model.eval()
    path = os.path.join(model_dir, "model.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{fn}: no model.json or desom.json in {model_dir}")
    j = _read_json(path)
    fmt = j.get("format")
    weights = os.path.join(model_dir, "weights.safetensors")
    if fmt == "latentlab-model":
        model = build_module(j["architecture"])
    elif fmt == "latentlab-autoencoder":
        model = Autoencoder(build_module(j["encoder"]), build_module(j["decoder"]))
    elif fmt == "latentlab-vae":
        model = VAE(build_module(j["encoder"]), build_module(j["mu"]), build_module(j["logvar"]), build_module(j["decoder"]))
    else:
        raise ValueError(f"{fn}: {path}: format {fmt!r}; expected latentlab-model, latentlab-autoencoder, latentlab-vae (or a desom.json)")
    _load_weights(model, weights, list(j.get("parameters", [])) + list(j.get("buffers", [])))
    return model.eval()


def load_run(path: str) -> nn.Module:
    """Rebuilds the model of a run directory (or of its model/ folder) as a torch module in eval mode."""
    sub = os.path.join(path, "model")
    return load_model_dir(sub if os.path.isdir(sub) and not os.path.exists(os.path.join(path, "model.json")) else path)
