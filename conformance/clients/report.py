"""The printed report: one table per library (pass / refused / wrong / wrong forward /
error per module, and a total row), the calls that pass on one library and not the other
(with the other's reason), the calls the harness could not build, and those excluded
because NumPy itself fails on them."""
from __future__ import annotations

import json

from .check import STATUSES

GROUP_ORDER = ("scipy.special", "scipy.stats", "scipy.signal", "scipy.integrate",
               "scipy.interpolate", "scipy.ndimage", "scipy.fft", "scipy.cluster",
               "scipy.spatial", "scipy.linalg", "scipy.optimize", "scipy.differentiate",
               "scipy.constants", "sklearn estimators", "sklearn.metrics")
COLUMNS = ("pass", "refused", "wrong", "wrong forward", "error")


def excluded(entry: dict) -> bool:
    """NumPy itself fails on the call: not part of the population."""
    return entry.get("reference", {}).get("status") == "n/a"


def is_harness(res: dict) -> bool:
    return res.get("status") == "error" and res.get("detail", "").startswith("harness")


def _groups(calls):
    seen = {c.group for c in calls}
    return [g for g in GROUP_ORDER if g in seen] + sorted(seen - set(GROUP_ORDER))


def table(calls, results: dict, lib: str) -> str:
    head = ["module", "calls", *COLUMNS, "(harness)"]
    rows = []
    total = {k: 0 for k in head[1:]}
    for g in _groups(calls):
        counts = {k: 0 for k in head[1:]}
        for c in calls:
            entry = results.get(c.name, {})
            if c.group != g or excluded(entry):
                continue
            res = entry.get(lib, {"status": "error", "detail": "harness: no result"})
            counts["calls"] += 1
            status = res.get("status", "error")
            counts[status if status in STATUSES else "error"] += 1
            counts["(harness)"] += is_harness(res)
        for k in counts:
            total[k] += counts[k]
        rows.append([g, *(str(counts[k]) for k in head[1:])])
    rows.append(["total", *(str(total[k]) for k in head[1:])])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(
        (v.ljust(w) if i == 0 else v.rjust(w)) for i, (v, w) in enumerate(zip(r, widths))) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in rows[:-1]), sep, line(rows[-1])])


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def differences(calls, results: dict, a: str, b: str) -> list[str]:
    """Calls passing on ``a`` and not on ``b``, with ``b``'s status and reason."""
    out = []
    for c in calls:
        entry = results.get(c.name, {})
        if excluded(entry):
            continue
        ra, rb = entry.get(a, {}), entry.get(b, {})
        if ra.get("status") == "pass" and rb.get("status") != "pass":
            out.append(f"  {c.name}: {b} {rb.get('status')}: {_short(rb.get('detail', ''))}")
    return out


def render(calls, results: dict, libraries: list, labels: dict, seconds: float) -> str:
    n_all = len(calls)
    n_na = sum(excluded(results.get(c.name, {})) for c in calls)
    parts = [f"Client sweep: {n_all} calls ({n_all - n_na} in the population, {n_na} "
             f"excluded because NumPy itself fails), {seconds:.0f} s", ""]
    for lib in libraries:
        forward_only = sum(
            results.get(c.name, {}).get(lib, {}).get("status") == "pass"
            and results.get(c.name, {}).get("reference", {}).get("inputs") == 0
            for c in calls)
        parts += [f"## {labels.get(lib, lib)}", "", table(calls, results, lib),
                  f"({forward_only} of the passes are calls without a float array "
                  "argument: forward only)", ""]
    if len(libraries) == 2:
        a, b = libraries
        for x, y in ((a, b), (b, a)):
            diff = differences(calls, results, x, y)
            parts += [f"Passes on {labels.get(x, x)} but not {labels.get(y, y)} "
                      f"({len(diff)}):", *diff, ""]
    harness = []
    for c in calls:
        entry = results.get(c.name, {})
        res = next((entry[l] for l in libraries if is_harness(entry.get(l, {}))), None)
        if res is not None and not excluded(entry):
            harness.append(f"  {c.name}: {res['detail']}")
    parts += [f"Errors of the harness (arguments it could not build, or its time limit) "
              f"({len(harness)}):", *harness, ""]
    na = [f"  {c.name}: {results[c.name]['reference'].get('detail', '')}"
          for c in calls if excluded(results.get(c.name, {}))]
    parts += [f"n/a (numpy fails) ({len(na)}):", *na]
    return "\n".join(parts)


def write_json(path: str, calls, results: dict, meta: dict) -> None:
    doc = {"meta": meta, "calls": [
        {"name": c.name, "group": c.group, **({"note": c.recipe.note}
                                              if c.recipe and c.recipe.note else {}),
         **c.meta, **results.get(c.name, {})} for c in calls]}
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1, default=str)
