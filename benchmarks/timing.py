"""Interleaved timing: every contender is warmed up, then sampled in round-robin, so
that a slow drift of the machine (frequency, other load) touches all of them alike.

A contender is a ``run(number) -> seconds`` callable that performs ``number`` calls
and returns the elapsed time (``time.perf_counter``). Each gets its own ``number``,
calibrated after warm-up so that one sample lasts about ``min_sample_s``; figures are
per call. Each repeat visits the contenders in a rotated order.

Before each sample the harness pauses (``settle_s``), so that the previous contender's
idle worker threads have gone to sleep: OpenBLAS workers spin for 2**28 cycles (about
0.1 s) after each call, and spinning on one of two cores they slowed whichever library
was timed next (arraygrad on torch's W2 step: interquartile range 0.98-2.4 ms right
after NumPy's samples, 0.89-0.97 ms after the pause). Within its own sample, each
library's threads behave as they would in a process of their own.
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Stats:
    median: float    # seconds per call
    q1: float        # interquartile range, seconds per call
    q3: float
    min: float
    max: float
    number: int      # calls per sample
    samples: list    # seconds per call, one per repeat, in the order taken

    @classmethod
    def of(cls, samples: list, number: int) -> Stats:
        if len(samples) > 1:
            q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        else:
            q1 = q3 = samples[0]
        return cls(statistics.median(samples), q1, q3, min(samples), max(samples),
                   number, list(samples))

    def as_dict(self) -> dict:
        return asdict(self)


def loop(step: Callable) -> Callable[[int], float]:
    """A contender that calls ``step()`` ``number`` times."""
    def run(number: int) -> float:
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        return time.perf_counter() - t0
    return run


def interleaved(contenders: dict, *, repeats: int, warmup: int,
                min_sample_s: float, settle_s: float = 0.0) -> dict:
    """Per contender name, the ``Stats`` of ``repeats`` interleaved samples."""
    if repeats < 1 or warmup < 1:
        raise ValueError(f"repeats and warmup must be at least 1, got {repeats}, {warmup}")
    number = {}
    for name, run in contenders.items():
        fastest = min(run(1) for _ in range(warmup))
        number[name] = max(1, math.ceil(min_sample_s / max(fastest, 1e-9)))
    names = list(contenders)
    samples = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            time.sleep(settle_s)
            samples[name].append(contenders[name](number[name]) / number[name])
    return {name: Stats.of(samples[name], number[name]) for name in names}
