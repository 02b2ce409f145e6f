#!/usr/bin/env python3
"""ONNX Runtime on the same network, timed the way `balmer-bench cnn` times Balmer.

Usage: bench_onnxruntime.py [--model MODEL.safetensors] [--threads N] [--seconds S]
                            [--batches 1,64,256,1024]

Builds an ONNX graph of a Balmer model: the paper's architecture with seeded He-initialised
weights by default, or the architecture and tensors of a Balmer safetensors file (--model).
The graph is what a Keras-to-ONNX converter gives for a channels-last Conv1D model: the input
[N, L, C] becomes [N, C, 1, L] for 2-D Conv (kernel 1 x k)/Relu/MaxPool and is transposed back to
[N, 1, L, C] before Flatten, so the dense weights keep Balmer's length-major flatten order.
Each batch size is timed for --seconds with the same fixed random input (after one warm-up call), and the mean and the
fastest call are printed in spectra/s, with the batch-1 mean latency in ms, as balmer-bench
prints them. Needs numpy, onnx and onnxruntime (pip install onnx onnxruntime); they are only
for this comparison, never for Balmer itself.

Before timing, the graph's probabilities on 16 random inputs are compared with the project's
independent numpy forward pass (ops/check_cnn_numpy.py, which the tests hold to Balmer's own
outputs); a difference above 1e-4 means the graph is not the same network: exit 1.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_cnn_numpy import forward, load  # noqa: E402  (the project's reader and reference)

PAPER = "input=140x1 conv3-64 conv3-64 maxpool2 conv3-128 conv3-128 maxpool2 " \
        "conv3-256 conv3-256 maxpool2 fc-512 dropout-0.5 fc-512 dropout-0.5 classes=3"


def parse(architecture):
    """Input length, input channels, classes and the layer tokens of an architecture string."""
    tokens = architecture.split()
    length, channels = (int(v) for v in tokens[0][len("input="):].split("x"))
    return length, channels, int(tokens[-1][len("classes="):]), tokens[1:-1]


def seeded_tensors(architecture, seed=1):
    """He-normal weights, zero biases, for an architecture string."""
    rng = np.random.default_rng(seed)
    length, channels, classes, layers = parse(architecture)
    tensors, conv, dense = {}, 0, 0
    for token in layers:
        if token.startswith("conv"):
            conv += 1
            k, out = (int(v) for v in token[len("conv"):].split("-"))
            tensors[f"conv{conv}.weight"] = rng.normal(0, np.sqrt(2 / (k * channels)), (k, channels, out))
            tensors[f"conv{conv}.bias"] = np.zeros(out)
            channels = out
        elif token.startswith("maxpool"):
            length //= int(token[len("maxpool"):])
        elif token.startswith("fc-"):
            dense += 1
            out = int(token[len("fc-"):])
            width = length * channels
            tensors[f"dense{dense}.weight"] = rng.normal(0, np.sqrt(2 / width), (width, out))
            tensors[f"dense{dense}.bias"] = np.zeros(out)
            length, channels = 1, out
    dense += 1
    tensors[f"dense{dense}.weight"] = rng.normal(0, np.sqrt(2 / (length * channels)), (length * channels, classes))
    tensors[f"dense{dense}.bias"] = np.zeros(classes)
    return tensors


def graph(architecture, tensors):
    """The ONNX model of an architecture string and its tensors ([k, C_in, C_out] conv weights)."""
    from onnx import TensorProto, helper, numpy_helper

    length, channels, classes, layers = parse(architecture)
    nodes, inits = [], []

    def init(name, array, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    # [N, L, C] -> [N, C, 1, L]: Keras runs Conv1D as a 2-D conv of height 1 and converters keep
    # that, which is also the form ONNX Runtime's blocked (NCHWc) conv kernels take.
    x = "nc1l"
    nodes.append(helper.make_node("Transpose", ["input"], ["ncl0"], perm=[0, 2, 1]))
    nodes.append(helper.make_node("Unsqueeze", ["ncl0", init("axis2", np.array([2]), np.int64)], [x]))
    conv = dense = step = 0
    flat = False
    for token in layers:
        step += 1
        if token.startswith("conv"):
            conv += 1
            w = tensors[f"conv{conv}.weight"]
            k = w.shape[0]
            wn = init(f"conv{conv}.w", np.transpose(w, (2, 1, 0))[:, :, None, :])  # [C_out, C_in, 1, k]
            bn = init(f"conv{conv}.b", tensors[f"conv{conv}.bias"])
            nodes.append(helper.make_node("Conv", [x, wn, bn], [f"c{step}"], kernel_shape=[1, k],
                                          pads=[0, k // 2, 0, k // 2], strides=[1, 1]))
            nodes.append(helper.make_node("Relu", [f"c{step}"], [f"r{step}"]))
            x = f"r{step}"
        elif token.startswith("maxpool"):
            s = int(token[len("maxpool"):])
            nodes.append(helper.make_node("MaxPool", [x], [f"p{step}"], kernel_shape=[1, s], strides=[1, s]))
            x = f"p{step}"
        elif token.startswith("fc-"):
            dense += 1
            if not flat:
                nodes.append(helper.make_node("Transpose", [x], [f"t{step}"], perm=[0, 2, 3, 1]))
                nodes.append(helper.make_node("Flatten", [f"t{step}"], [f"f{step}"], axis=1))
                x, flat = f"f{step}", True
            wn = init(f"dense{dense}.w", tensors[f"dense{dense}.weight"])
            bn = init(f"dense{dense}.b", tensors[f"dense{dense}.bias"])
            nodes.append(helper.make_node("Gemm", [x, wn, bn], [f"g{step}"]))
            nodes.append(helper.make_node("Relu", [f"g{step}"], [f"a{step}"]))
            x = f"a{step}"
        elif token.startswith("dropout-"):
            continue  # identity at inference
        else:
            raise ValueError(f"unknown layer {token}")
    if not flat:
        nodes.append(helper.make_node("Transpose", [x], ["tlast"], perm=[0, 2, 3, 1]))
        nodes.append(helper.make_node("Flatten", ["tlast"], ["flast"], axis=1))
        x = "flast"
    dense += 1
    wn = init(f"dense{dense}.w", tensors[f"dense{dense}.weight"])
    bn = init(f"dense{dense}.b", tensors[f"dense{dense}.bias"])
    nodes.append(helper.make_node("Gemm", [x, wn, bn], ["logits"]))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1))
    g = helper.make_graph(
        nodes, "balmer",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", length, channels])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", classes])],
        inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--batches", default="1,64,256,1024")
    a = p.parse_args()
    try:
        import onnxruntime as ort
    except ImportError:
        print("bench_onnxruntime: needs onnx and onnxruntime (pip install onnx onnxruntime)", file=sys.stderr)
        return 2
    if a.model:
        meta, tensors = load(a.model)
        architecture = meta["architecture"]
    else:
        architecture, tensors = PAPER, seeded_tensors(PAPER)
    model = graph(architecture, tensors)
    options = ort.SessionOptions()
    options.intra_op_num_threads = a.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    length, channels, _, _ = parse(architecture)

    rng = np.random.default_rng(2)
    probe = rng.random((16, length, channels), dtype=np.float32) * 2 - 1
    reference = forward({"architecture": architecture}, {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()},
                        probe.astype(np.float64))
    diff = float(np.abs(session.run(None, {"input": probe})[0] - reference).max())
    if diff > 1e-4:
        print(f"bench_onnxruntime: the ONNX graph differs from the numpy reference by {diff:.3e}", file=sys.stderr)
        return 1
    print(f"onnxruntime {ort.__version__}: {architecture}, fp32, {a.threads} threads; "
          f"max |p - numpy reference| {diff:.1e}")
    for batch in (int(b) for b in a.batches.split(",") if b.strip()):
        x = (rng.random((batch, length, channels), dtype=np.float32) * 2 - 1)
        session.run(None, {"input": x})  # warm-up
        calls, fastest = 0, float("inf")
        start = time.perf_counter()
        while True:
            t = time.perf_counter()
            session.run(None, {"input": x})
            now = time.perf_counter()
            fastest = min(fastest, now - t)
            calls += 1
            if now - start >= a.seconds:
                break
        elapsed = time.perf_counter() - start
        print(f"inference_batch_{batch:<6} {calls * batch / elapsed:10.2f} spectra/s   "
              f"best {batch / fastest:10.2f} spectra/s (fastest of {calls} calls)")
        if batch == 1:
            print(f"inference_latency_batch_1 {elapsed / calls * 1000:8.2f} ms/spectrum")
    return 0


if __name__ == "__main__":
    sys.exit(main())
