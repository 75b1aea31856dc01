"""What one run of the harness shares between workloads: the mode, the libraries that
loaded (and why the others did not), the baseline, and the timing settings."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import libraries

# Timing settings per mode: interleaved repeats, warm-up calls, least seconds a sample
# lasts (several calls make one sample when a call is short), and the pause before each
# sample (see ``timing.interleaved``).
SETTINGS = {
    "quick": {"repeats": 5, "warmup": 1, "min_sample_s": 0.02, "settle_s": 0.12},
    "full": {"repeats": 21, "warmup": 3, "min_sample_s": 0.05, "settle_s": 0.12},
}


@dataclass
class Session:
    quick: bool
    baseline: str = "numpy"
    adapters: dict = field(default_factory=dict)   # name -> adapter, in table order
    skipped: dict = field(default_factory=dict)    # name -> why it could not run

    @classmethod
    def load(cls, names, *, quick: bool, baseline: str = "numpy") -> Session:
        session = cls(quick=quick, baseline=baseline)
        for name in names:
            try:
                session.adapters[name] = libraries.load(name)
            except libraries.Unavailable as exc:
                session.skipped[name] = str(exc)
        return session

    @property
    def settings(self) -> dict:
        return SETTINGS["quick" if self.quick else "full"]
