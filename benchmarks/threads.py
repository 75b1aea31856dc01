"""One thread count for every library, set before any of them is imported.

BLAS and OpenMP pools read their environment variables once, at import, so
``apply_environment`` must run before NumPy, torch or JAX is imported (``__main__``
calls it first; the W4 child processes inherit the variables). ``limit_runtime`` then
pins what can be changed later: torch's intra-op pool and, through threadpoolctl, every
BLAS/OpenMP pool already loaded.
"""
from __future__ import annotations

import os
import sys

ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
            "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
COUNT_VAR = "ARRAYGRAD_BENCH_THREADS"

_limits = None  # threadpoolctl's handle: the limit lasts as long as it is referenced


def apply_environment(threads: int) -> None:
    """Set every pool's thread count in the environment (before the imports)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    for var in ENV_VARS + (COUNT_VAR,):
        os.environ[var] = str(threads)


def count() -> int:
    """The thread count the environment asks for (2 unless set)."""
    return int(os.environ.get(COUNT_VAR, "2"))


def limit_runtime() -> None:
    """Pin the pools of the libraries already imported to ``count()`` threads."""
    global _limits
    from threadpoolctl import threadpool_limits
    _limits = threadpool_limits(limits=count())


def limit_torch(torch) -> None:
    """torch's intra-op pool (its inter-op pool is set once, before any parallel work)."""
    torch.set_num_threads(count())


def describe() -> dict:
    """What each pool was set to, and what the loaded BLAS/OpenMP libraries report."""
    from threadpoolctl import threadpool_info
    pools = [{k: info.get(k) for k in ("user_api", "internal_api", "num_threads",
                                       "version", "threading_layer", "architecture",
                                       "filepath")} for info in threadpool_info()]
    described = {"requested": count(), "cpu_count": os.cpu_count(),
                 "environment": {v: os.environ.get(v) for v in ENV_VARS},
                 "pools": pools,
                 "jax": "XLA's CPU pool is not configurable by thread count; it "
                        "sizes itself to the machine's cores (see cpu_count)"}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        described["torch"] = {"num_threads": torch.get_num_threads(),
                              "num_interop_threads": torch.get_num_interop_threads()}
    return described


def from_argv(argv: list) -> int:
    """The ``--threads`` value of a command line (2 if absent), read before the full
    parse so that it can reach the environment ahead of the imports."""
    import argparse
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_known_args(argv)[0].threads
