"""Process memory, as the W4 children measure it.

The peak resident set size (RSS) is the only measure that sees every library's
allocations (torch's and XLA's allocators are invisible to tracemalloc). Linux lets a
process reset its recorded peak (``/proc/self/clear_refs``), so the peak of one step is
measured on its own, not mixed with the imports' peak; elsewhere the process-lifetime
peak (``getrusage``) stands in, which can only overstate the baseline.
"""
from __future__ import annotations

import os
import resource
import sys


def rss_bytes() -> int:
    """The resident set size now (Linux /proc; else the peak, as a stand-in)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss_bytes()


def reset_peak() -> bool:
    """Forget the recorded peak RSS, where the kernel allows it (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """The peak RSS since the last ``reset_peak`` (or since the process started)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
