#!/usr/bin/env python3
"""Independent numpy forward pass of a Balmer CNN safetensors model.

Usage: check_cnn_numpy.py MODEL.safetensors INPUTS.f32 PROBS.f32 [TOLERANCE]

INPUTS.f32 holds N samples of input_length x input_channels little-endian float32 values
(channels-last); PROBS.f32 holds the N x K probabilities Balmer computed. The model file is
parsed by hand (8-byte little-endian header length, JSON header, raw float32 tensors), the
architecture is read from __metadata__.architecture, and the network is evaluated with numpy
only. Exit 0 when max |p_numpy - p_balmer| <= TOLERANCE (default 1e-4), 1 otherwise,
2 on unreadable input.
"""
import hashlib
import json
import struct
import sys

import numpy as np


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    meta = header.pop("__metadata__")
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise ValueError("sha256 mismatch")
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {entry['dtype']}")
        b, e = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return meta, tensors


def forward(meta, tensors, x):
    tokens = meta["architecture"].split()
    length, channels = (int(v) for v in tokens[0][len("input=") :].split("x"))
    classes = int(tokens[-1][len("classes=") :])
    x = x.reshape(-1, length, channels)
    conv = dense = 0
    for token in tokens[1:-1]:
        if token.startswith("conv"):
            conv += 1
            w = tensors[f"conv{conv}.weight"]  # [kernel, C_in, C_out]
            b = tensors[f"conv{conv}.bias"]
            k = w.shape[0]
            h = k // 2
            xp = np.pad(x, ((0, 0), (h, h), (0, 0)))
            y = sum(xp[:, j : j + x.shape[1], :] @ w[j] for j in range(k)) + b
            x = np.maximum(y, 0)
        elif token.startswith("maxpool"):
            s = int(token[len("maxpool") :])
            out = x.shape[1] // s
            x = x[:, : out * s, :].reshape(x.shape[0], out, s, x.shape[2]).max(axis=2)
        elif token.startswith("fc-"):
            dense += 1
            x = x.reshape(x.shape[0], -1)  # length-major, then channel
            x = np.maximum(x @ tensors[f"dense{dense}.weight"] + tensors[f"dense{dense}.bias"], 0)
        elif token.startswith("dropout-"):
            pass  # identity at inference
        else:
            raise ValueError(f"unknown layer {token}")
    dense += 1
    z = x.reshape(x.shape[0], -1) @ tensors[f"dense{dense}.weight"] + tensors[f"dense{dense}.bias"]
    if z.shape[1] != classes:
        raise ValueError("output width does not match classes")
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    tolerance = float(argv[4]) if len(argv) == 5 else 1e-4
    try:
        meta, tensors = load(argv[1])
        x = np.fromfile(argv[2], dtype="<f4").astype(np.float64)
        expected = np.fromfile(argv[3], dtype="<f4").astype(np.float64)
        p = forward(meta, tensors, x)
    except (OSError, ValueError, KeyError) as error:
        print(f"check_cnn_numpy: {error}", file=sys.stderr)
        return 2
    if p.size != expected.size:
        print(f"check_cnn_numpy: {p.size} probabilities computed, {expected.size} given", file=sys.stderr)
        return 1
    diff = float(np.abs(p.reshape(-1) - expected).max())
    print(f"samples {p.shape[0]} classes {p.shape[1]} max_abs_diff {diff:.3e} tolerance {tolerance:.1e}")
    return 0 if diff <= tolerance else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
