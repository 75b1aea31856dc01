"""The workloads, in report order. Each module has a ``KEY`` (what ``--only`` takes)
and ``run(session) -> dict`` of results keyed by row (W2 gives W2-f32 and W2-f64)."""
from __future__ import annotations

from . import (backward_memory, nograd, w1_chain, w2_mlp, w3_elementwise, w4_deep_chain,
               w5_matmul)

WORKLOADS = {m.KEY: m for m in (w1_chain, w2_mlp, w3_elementwise, w4_deep_chain,
                                w5_matmul, nograd, backward_memory)}
