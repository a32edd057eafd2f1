"""Run every benchmark and print ONE table: each figure next to a baseline measured in the same run, and the ratio.

    uv run python bench/run_all.py [--quick] [--json out.json]
        [--only connector reconcile gateway gateway-options read product-list revocation analytics pipeline consumers]
    uv run python bench/run_all.py --scale large        # make bench-scale: a real-sized shop end to end

Each benchmark runs as its own process with arguments (so each can evolve on its own) and reports its figures as
lines ``BENCH {"name", "value", "unit", "baseline", "baseline_name"}``; for the older scripts a line of their
human-readable output is parsed when no BENCH line is there. ``--quick`` uses small scales (a few minutes in all);
the full run uses 1M positions for analytics. Figures on a shared machine are noisy: they are reported as measured,
and nothing is asserted about time. Exit status 1 if a benchmark failed to run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    quick: list[str]
    full: list[str]
    timeout: float


BENCHES = [
    Bench("connector", "connector_sync.py", ["--scale", "demo"], ["--scale", "small"], 1800),
    Bench("reconcile", "reconcile_cost.py", ["--scale", "demo"], ["--scale", "medium"], 1200),
    Bench("gateway", "gateway_throughput.py", ["--seconds", "4"], ["--seconds", "10"], 600),
    Bench("gateway-options", "gateway_options.py", ["--seconds", "3", "--rounds", "1"], ["--seconds", "6"], 900),
    Bench("read", "read_ceiling.py", ["--seconds", "3"], ["--seconds", "8"], 1200),
    Bench("product-list", "product_list_loading.py", ["--calls", "100", "--rounds", "3"], [], 600),
    # At `demo` a service's few hundred events fit in one 0.1 s poll of its metrics (no rate can be timed): `small`
    # takes about a minute, `medium` several.
    Bench("consumers", "consumer_throughput.py", ["--scale", "small"], ["--scale", "medium"], 3600),
    Bench("revocation", "revocation_check.py", ["--requests", "300", "--rounds", "4"], ["--requests", "2000"], 600),
    Bench(
        "analytics",
        "analytics_bench.py",
        ["--positions", "50000", "--live-sample", "2000", "--queries", "10"],
        ["--positions", "1000000"],
        3600,
    ),
    Bench(
        "pipeline",
        "pipeline_throughput.py",
        ["--scale", "tiny", "--latency-samples", "5"],
        ["--scale", "small", "--latency-samples", "50"],
        3600,
    ),
]


def scale_benches(scale: str) -> list[Bench]:
    """``make bench-scale``: a shop of ``scale`` end to end (bench/scale.py), then steady-state consumer throughput on
    the events of the same scale."""
    args = ["--scale", scale]
    return [
        Bench("scale", "scale.py", args, args, 6 * 3600),
        Bench("consumers", "consumer_throughput.py", args, args, 3 * 3600),
    ]


def bench_lines(output: str) -> list[dict[str, Any]]:
    found = []
    for line in output.splitlines():
        if line.startswith("BENCH "):
            try:
                found.append(json.loads(line[6:]))
            except ValueError:
                continue
    return found


def fallback(name: str, output: str) -> list[dict[str, Any]]:
    """Figures read from the human-readable output of a benchmark that printed no BENCH line."""
    if name == "gateway":
        rows = dict(re.findall(r"^(direct|gateway)\s+([\d.]+)", output, re.M))
        if len(rows) == 2:
            return [
                {
                    "name": "gateway throughput",
                    "value": float(rows["gateway"]),
                    "unit": "req/s",
                    "baseline": float(rows["direct"]),
                    "baseline_name": "service called directly",
                }
            ]
    if name == "connector":
        rate = re.search(r"throughput=(\d+) objects/s", output)
        share = re.search(r"share of the ceiling=([\d.]+)%", output)
        if rate and share and float(share.group(1)):
            value = float(rate.group(1))
            return [
                {
                    "name": "full-sync throughput",
                    "value": value,
                    "unit": "objects/s",
                    "baseline": value / (float(share.group(1)) / 100),
                    "baseline_name": "rate-limit ceiling",
                }
            ]
    if name == "analytics":
        match = re.search(r"^dashboard\s.*?p95\s+([\d.]+) ms.*?plain SQL.*?p95\s+([\d.]+) ms", output, re.M)
        if match:
            return [
                {
                    "name": "dashboard p95",
                    "value": float(match.group(1)),
                    "unit": "ms",
                    "baseline": float(match.group(2)),
                    "baseline_name": "plain SQL over raw rows",
                }
            ]
    return []


def run(bench: Bench, quick: bool) -> tuple[list[dict[str, Any]], str | None, float]:
    argv = [sys.executable, str(HERE / bench.script), *(bench.quick if quick else bench.full)]
    print(f"\n===== {bench.name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        argv, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                print(f"  {line}", end="", flush=True)
                if time.monotonic() - started > bench.timeout:
                    process.terminate()  # the benchmarks stop what they started on SIGTERM
                    return [], f"timed out after {bench.timeout:.0f}s", time.monotonic() - started
        finally:
            process.wait()
    output = "".join(lines)
    figures = bench_lines(output) or fallback(bench.name, output)
    error = None if process.returncode == 0 else f"exit {process.returncode}"
    if not figures and error is None:
        error = "no figures in its output"
    return figures, error, time.monotonic() - started


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def table(results: list[tuple[Bench, list[dict[str, Any]], str | None, float]]) -> str:
    rows = [("figure", "measured", "baseline (same run)", "ratio")]
    for bench, figures, error, _ in results:
        for f in figures:
            value, base = f.get("value"), f.get("baseline")
            ratio = f"{value / base:.2f}×" if value is not None and base else "—"
            baseline = f"{fmt(base, f.get('unit', ''))} ({f.get('baseline_name', '')})"
            rows.append((str(f["name"]), fmt(value, f.get("unit", "")), baseline, ratio))
        if error:
            rows.append((f"{bench.name}: FAILED", error, "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    out = []
    for n, row in enumerate(rows):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small scales, a few minutes in all")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHES])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    scales = ("demo", "small", "medium", "large")
    parser.add_argument("--scale", choices=scales, help="only the scale suite (make bench-scale) at this scale")
    args = parser.parse_args()
    everything = [b for b in BENCHES if not args.only or b.name in args.only]
    chosen = scale_benches(args.scale) if args.scale else everything
    results = [(b, *run(b, args.quick)) for b in chosen]
    mode = f"scale {args.scale}" if args.scale else "quick" if args.quick else "full"
    print(f"\n===== benchmarks ({mode}; {sum(r[3] for r in results):.0f}s; load average {os.getloadavg()[0]:.1f})")
    print(table(results))
    if args.json:
        figures = [{"bench": b.name, **f} for b, figs, _, _ in results for f in figs]
        args.json.write_text(json.dumps({"mode": mode, "figures": figures}, indent=2))
    return 1 if any(error for _, _, error, _ in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
