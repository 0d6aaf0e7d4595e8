"""The shipped ONNX file: backbone + trained head + in-scope similarity, one graph.

Outputs: `<kind>_logits` [1,K] (pre-softmax, no temperature) and `similarity` [1,1], the
cosine between the raw pooled feature and the nearest unit class centroid.
The standardisation is folded into the Gemm weights of the logits.
"""
import numpy as np

import backbone


def build(sd, head, C, kind, side=backbone.SIDE):
    g = backbone.GraphBuilder()
    f = backbone.add_backbone(g, sd, "image", side=side)
    k = head.W.shape[1]
    W = head.W / head.std[:, None]
    b = head.b - (head.mean / head.std) @ head.W
    logits = g.op("Gemm", [f, g.const("head_w", W), g.const("head_b", b)], "head")
    # Similarity branch: cosine of the raw feature with each unit centroid, max over classes.
    norm = g.op("ReduceL2", [f], "feat_norm", axes=[1], keepdims=1)
    zn = g.op("Div", [f, g.op("Add", [norm, g.const("eps", np.array(1e-12))])], "feat_unit")
    sims = g.op("MatMul", [zn, g.const("centroids_t", C.T)], "cosines")
    sim = g.op("ReduceMax", [sims], "max_cosine", axes=[1], keepdims=1)
    return backbone.make_model(g, [(logits, f"{kind}_logits", [1, k]), (sim, "similarity", [1, 1])],
                               side=side)
