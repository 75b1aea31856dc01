"""The three outputs of a run: ``<name>.json`` (everything), ``<name>.md`` (ratios to
the baseline, the targets, medians and spread, memory) and ``<name>.png`` (ratios as
grouped bars, log scale)."""
from __future__ import annotations

import json
from pathlib import Path

from .targets import w4_seconds_per_op

TIMED = ("W1", "W2-f32", "W2-f64", "W3", "W4", "W5")   # rows of the ratio table


def seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def megabytes(b) -> str:
    return "—" if b is None else f"{b / 2**20:.1f} MB"


def _libraries(results) -> list:
    return results["libraries"]["run"] + list(results["libraries"]["skipped"])


def _cell(row: dict, base, stat: str) -> str:
    if row is None:
        return "—"
    if row["status"] != "ok":
        return row["status"]
    t = row["time"][stat]
    return f"{t / base:.2f}×" if base else seconds(t)


def ratio_table(results, stat: str) -> list:
    base_name, workloads = results["baseline"], results["workloads"]
    others = [n for n in _libraries(results) if n != base_name]
    lines = [f"| workload | hand-written {base_name} | " + " | ".join(others) + " |",
             "|---|---|" + "---|" * len(others)]
    for key in TIMED:
        if key not in workloads:
            continue
        w = workloads[key]
        rows = w["libraries"]
        base_row = rows.get(base_name)
        base = base_row["time"][stat] if base_row and base_row["status"] == "ok" else None
        first = seconds(base) if base else _cell(base_row, None, stat)
        if base and w["ops_per_call"] > 1:
            first += f" ({base / w['ops_per_call'] * 1e6:.2f} µs/op)"
        cells = [_cell(rows.get(n), base, stat) for n in others]
        lines.append(f"| {key}: {w['title']} | {first} | " + " | ".join(cells) + " |")
    return lines


def spread_table(results) -> list:
    lines = ["| workload | library | median | IQR | min – max | calls/sample | repeats |",
             "|---|---|---|---|---|---|---|"]
    for key in TIMED:
        for name, row in results["workloads"].get(key, {}).get("libraries", {}).items():
            if row["status"] != "ok":
                continue
            t = row["time"]
            lines.append(f"| {key} | {name} | {seconds(t['median'])} | "
                         f"{seconds(t['q1'])} – {seconds(t['q3'])} | "
                         f"{seconds(t['min'])} – {seconds(t['max'])} | {t['number']} | "
                         f"{len(t['samples'])} |")
    return lines


def w4_table(w4) -> list:
    n = w4["ops_per_call"]
    lines = [f"Chain of {n:,} ops. Time and peak RSS growth: median over the runs, each "
             "in a fresh process. tracemalloc: a second, untimed step in the same process (libraries on NumPy only).",
             "", "| library | s per step | µs/op | peak RSS growth | B/op (RSS) | "
             "tracemalloc peak | still allocated after |", "|---|---|---|---|---|---|---|"]
    for name, row in w4["libraries"].items():
        if row["status"] != "ok":
            lines.append(f"| {name} | {row['status']} | | | | | |")
            continue
        t = row["time"]["median"]
        traced_left = row.get("traced_left")
        lines.append(f"| {name} | {t:.3f} | {t / n * 1e6:.2f} | "
                     f"{megabytes(row['peak_rss_growth'])} | {row['peak_rss_growth'] / n:.0f} "
                     f"| {megabytes(row.get('traced_peak'))} | "
                     f"{'—' if traced_left is None else f'{traced_left:,} B'} |")
    s = w4["scaling"]
    if "time" in s:
        per_op = ", ".join(f"N = {size:,}: {t * 1e6:.2f}" for size, t in
                           zip(s["sizes"], w4_seconds_per_op(s, "median")))
        lines += ["", f"Scaling of {s['library']}, µs/op (median): {per_op}; "
                      f"at N = {s['sizes'][-1]:,}: tracemalloc peak "
                      f"{megabytes(s['traced_peak_at_largest'])}, "
                      f"{s['traced_left_at_largest']:,} B still allocated after the step."]
    else:
        lines += ["", f"Scaling of {s['library']}: {s['note']}."]
    return lines


def no_grad_table(ng) -> list:
    lines = ["| backend | op | bare call | under no_grad | ratio | recording | ratio |",
             "|---|---|---|---|---|---|---|"]
    for backend, row in ng["backends"].items():
        if row["status"] != "ok":
            lines.append(f"| {backend} | {row['status']}: {row['note']} | | | | | |")
            continue
        for name, c in row["cases"].items():
            bare, ours, rec = (c[k]["median"] for k in ("bare", "no_grad", "recording"))
            lines.append(f"| {backend} | {name} | {seconds(bare)} | {seconds(ours)} | "
                         f"{ours / bare:.2f}× | {seconds(rec)} | {rec / bare:.2f}× |")
    return lines


def memory_table(mem, baseline) -> list:
    first = next(iter(mem.values()))["libraries"]
    names = [n for n, row in first.items() if row["status"] != "skipped"]
    lines = ["| workload | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key, problem in mem.items():
        rows = problem["libraries"]
        base = rows.get(baseline, {}).get("peak_bytes")
        cells = []
        for n in names:
            row = rows[n]
            if row["status"] != "ok":
                cells.append(row["status"])
            else:
                ratio = f" ({row['peak_bytes'] / base:.2f}×)" if base and n != baseline else ""
                cells.append(megabytes(row["peak_bytes"]) + ratio)
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return lines


def notes(results) -> list:
    lines = [f"* {name}: skipped: {why}" for name, why in
             results["libraries"]["skipped"].items()]
    for key, w in results["workloads"].items():
        for name, row in w.get("libraries", {}).items():
            if row.get("status") == "FAILED":
                lines.append(f"* {key}, {name}: FAILED: {row['note']}")
    return lines


def _busy_warning(results) -> list:
    loads = [x for x in (results["load_start"], results["load_end"]) if x]
    if any(load[0] > results["environment"]["cpu_count"] for load in loads):
        return ["**Other work ran on the machine during this run (load average above its "
                "core count): the timings are noisy, BLAS-bound ones most; the fastest "
                "samples are the better guide (`--statistic min` judges the targets by "
                "them).**", ""]
    return []


def markdown(results) -> str:
    env, s = results["environment"], results["settings"]
    blas = ", ".join(f"{p['internal_api']} {p['version']} ({p['architecture']}, "
                     f"{p['num_threads']} threads)" for p in env["threads"]["pools"]
                     if p["user_api"] == "blas") or "none found"
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    mode = "quick run (--quick): few repeats, W4 at 1e4, no 1e6 scaling" \
        if results["mode"] == "quick" else "full run"
    out = [f"# arraygrad benchmarks (issue 6): {mode}", "",
           f"{results['started']} to {results['finished']}, `{results['command']}`. "
           f"{env['cpu']}, {env['cpu_count']} CPUs, {env['platform']}, Python "
           f"{env['python']}. Threads: {env['threads']['requested']} for every library. "
           f"BLAS: {blas}. Load average (1, 5, 15 min) at start {results['load_start']}, "
           f"at end {results['load_end']}. arraygrad commit {env['arraygrad_commit']}.", "",
           f"Versions: {versions}.", "",
           *_busy_warning(results),
           f"Timing: {s['repeats']} interleaved repeats after {s['warmup']} warm-up calls, "
           f"samples of at least {s['min_sample_s']} s, each after a "
           f"{s.get('settle_s', 0)} s pause (the previous library's idle threads asleep). "
           "Every library's gradients were "
           "checked against the hand-written ones first.", ""]
    if any(k in results["workloads"] for k in TIMED):
        out += ["## Time as a ratio to the hand-written baseline (lower is better)", "",
                "Medians:", ""] + ratio_table(results, "median") + [""]
        out += ["Fastest samples (other work on the machine can slow a sample down, never "
                "speed it up):", ""] + ratio_table(results, "min") + [""]
    judged = {"median": "medians", "min": "fastest samples (--statistic min)"}
    out += ["## Targets of issue 6", "", f"Times compared by their {judged[results['statistic']]}.",
            "", "| target | measured | met |", "|---|---|---|"]
    for t in results["targets"]:
        met = {True: "met", False: "**not met**", None: "—"}[t["met"]]
        out.append(f"| {t['target']} | {t['measured']} | {met} |")
    out.append("")
    w = results["workloads"]
    if "W4" in w:
        out += ["## W4: deep scalar chain, time and memory", ""] + w4_table(w["W4"]) + [""]
    if "backward_memory" in w:
        out += ["## Peak memory of one forward + backward step (tracemalloc)", ""]
        out += memory_table(w["backward_memory"], results["baseline"]) + [""]
    if "no_grad" in w:
        out += ["## One op under no_grad against the bare backend call", ""]
        out += no_grad_table(w["no_grad"]) + [""]
    if any(k in w for k in TIMED):
        out += ["## Medians and spread", ""] + spread_table(results) + [""]
    extra = notes(results)
    if extra:
        out += ["## Skipped and failed", ""] + extra + [""]
    return "\n".join(out)


def plot(results, path: Path) -> bool:
    """A grouped bar chart of the ratios, by the statistic the targets use; False if
    nothing to plot or matplotlib is not installed (``pip install -e '.[bench]'``)."""
    try:
        import matplotlib
    except ImportError:
        print("no plot: matplotlib is not installed (pip install -e '.[bench]')")
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    base_name, workloads, stat = results["baseline"], results["workloads"], results["statistic"]
    keys = [k for k in TIMED if k in workloads]
    names = [n for n in results["libraries"]["run"] if n != base_name]
    if not keys or not names:
        return False
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(keys)), 5))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs, ys = [], []
        for j, key in enumerate(keys):
            rows = workloads[key]["libraries"]
            base, row = rows.get(base_name), rows.get(name)
            if base and row and base["status"] == row["status"] == "ok":
                xs.append(j + (i - (len(names) - 1) / 2) * width)
                ys.append(row["time"][stat] / base["time"][stat])
        ax.bar(xs, ys, width, label=name)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(keys)), keys)
    ax.set_ylabel(f"time / hand-written {base_name} (log scale)")
    ax.set_title(f"arraygrad benchmarks, {results['mode']} run: forward + backward "
                 f"({'medians' if stat == 'median' else 'fastest samples'})")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def write(results: dict, out: Path, name: str) -> list:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.json", out / f"{name}.md"]
    paths[0].write_text(json.dumps(results, indent=1) + "\n")
    paths[1].write_text(markdown(results))
    if plot(results, out / f"{name}.png"):
        paths.append(out / f"{name}.png")
    return paths
