"""EfficientNet-Lite0 as an ONNX graph built with onnx.helper (no torch).

Mirrors efficientnet_lite_pytorch (lukemelas' EfficientNet-PyTorch with the lite changes):
ReLU6 everywhere, no squeeze-excitation, stem 32 and head 1280 channels not scaled,
BatchNorm eps 1e-3 (folded into the convs here), TensorFlow "same" padding computed
statically for the square input side (224 by default): for stride 2 the extra pixel goes
bottom/right.
"""
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from weights import fold_bn

SIDE = 224
BN_EPS = 1e-3
FEATURES = 1280
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# (repeats, kernel, stride, expand ratio, in channels, out channels) per stage, from
# efficientnet_lite_builder: 'r1_k3_s11_e1_i32_o16', 'r2_k3_s22_e6_i16_o24', ...
STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]


def block_table():
    """One entry per MBConv block: (kernel, stride, expand, in, out, residual)."""
    out = []
    for reps, k, s, e, cin, cout in STAGES:
        for r in range(reps):
            i = cin if r == 0 else cout
            st = s if r == 0 else 1
            out.append((k, st, e, i, cout, st == 1 and i == cout))
    return out


def same_pads(size, k, s):
    """TF 'SAME' padding as [top, left, bottom, right] for a square input."""
    o = math.ceil(size / s)
    p = max((o - 1) * s + k - size, 0)
    return [p // 2, p // 2, p - p // 2, p - p // 2], o


class GraphBuilder:
    """Collects nodes and float32 initializers with unique names."""

    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, base):
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, base, array, dtype=np.float32):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), n))
        return n

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def relu6(self, x):
        if not hasattr(self, "_zero"):
            self._zero = self.const("zero", np.array(0.0))
            self._six = self.const("six", np.array(6.0))
        return self.op("Clip", [x, self._zero, self._six], "relu6")

    def conv(self, x, w, b, stride=1, pads=(0, 0, 0, 0), group=1):
        return self.op("Conv", [x, self.const("w", w), self.const("b", b)], "conv",
                       kernel_shape=list(w.shape[2:]), strides=[stride, stride], pads=list(pads), group=group)


def input_affine(norm):
    """Per-channel (scale, shift) mapping ImageNet-normalised input to what the weights expect.

    The app feeds (pixel/255 - mean)/std. These weights come from the TF EfficientNet-Lite
    checkpoints, trained on (pixel - 127)/128, so the graph converts: exact, and a few
    thousand multiply-adds. norm='imagenet' leaves the input as is (used to check which is right).
    """
    m, s = np.array(IMAGENET_MEAN), np.array(IMAGENET_STD)
    if norm == "imagenet":
        return None
    if norm == "tf":
        return 255.0 * s / 128.0, (255.0 * m - 127.0) / 128.0
    raise ValueError(norm)


def add_backbone(g, sd, x, norm="tf", side=SIDE):
    """Append the backbone to builder g; returns the name of the pooled [1,1280] feature."""
    aff = input_affine(norm)
    if aff is not None:
        x = g.op("Mul", [x, g.const("in_scale", aff[0].reshape(1, 3, 1, 1))])
        x = g.op("Add", [x, g.const("in_shift", aff[1].reshape(1, 3, 1, 1))], "input_tf")
    size = side
    pads, size = same_pads(size, 3, 2)
    w, b = fold_bn(sd["_conv_stem.weight"], "_bn0", sd, BN_EPS)
    x = g.relu6(g.conv(x, w, b, 2, pads))
    for i, (k, s, e, cin, cout, residual) in enumerate(block_table()):
        p = f"_blocks.{i}."
        inp = x
        if e != 1:
            w, b = fold_bn(sd[p + "_expand_conv.weight"], p + "_bn0", sd, BN_EPS)
            x = g.relu6(g.conv(x, w, b))
        pads, size = same_pads(size, k, s)
        w, b = fold_bn(sd[p + "_depthwise_conv.weight"], p + "_bn1", sd, BN_EPS)
        x = g.relu6(g.conv(x, w, b, s, pads, group=w.shape[0]))
        w, b = fold_bn(sd[p + "_project_conv.weight"], p + "_bn2", sd, BN_EPS)
        x = g.conv(x, w, b)
        if residual:
            x = g.op("Add", [x, inp], "residual")
    w, b = fold_bn(sd["_conv_head.weight"], "_bn1", sd, BN_EPS)
    x = g.relu6(g.conv(x, w, b))
    x = g.op("GlobalAveragePool", [x], "pool")
    return g.op("Flatten", [x], "features", axis=1)


def make_model(g, outputs, producer="yannong-leaf-train", side=SIDE):
    """Wrap builder g into an opset-13 model with the fixed 1x3xside x side `image` input.

    outputs: list of (graph value name, exported name, shape).
    """
    nodes = list(g.nodes)
    outs = []
    for src, dst, shape in outputs:
        nodes.append(helper.make_node("Identity", [src], [dst], name=dst))
        outs.append(helper.make_tensor_value_info(dst, TensorProto.FLOAT, list(shape)))
    inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, side, side])
    graph = helper.make_graph(nodes, "leaf", [inp], outs, initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name=producer, producer_version="1")
    model.ir_version = 8  # readable by onnxruntime >= 1.10 (what mobile builds tend to ship)
    onnx.checker.check_model(model, full_check=True)
    return model


def backbone_model(sd, norm="tf", side=SIDE):
    g = GraphBuilder()
    f = add_backbone(g, sd, "image", norm, side)
    return make_model(g, [(f, "features", [1, FEATURES])], side=side)


def imagenet_classifier_model(sd, norm="tf"):
    """Backbone + the checkpoint's 1000-class layer; only used to sanity-check the weights."""
    g = GraphBuilder()
    f = add_backbone(g, sd, "image", norm)
    logits = g.op("Gemm", [f, g.const("fc_w", sd["_fc.weight"]), g.const("fc_b", sd["_fc.bias"])],
                  "fc", transB=1)
    return make_model(g, [(logits, "logits", [1, 1000])])
