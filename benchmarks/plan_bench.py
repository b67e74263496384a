"""Benchmark: offline plan wall time and peak memory against a bare SDK import.

Each measurement runs in a fresh interpreter (import caches matter more than anything else
here), `--runs` times, and reports the median. The baseline imports exactly the SDK code
the stack needs: every resource class its plan registers (pulumi_aws loads each module
lazily, so importing `pulumi_aws` alone would understate it). The ratio is what our own
code costs on top of Pulumi's.

    python benchmarks/plan_bench.py                          # the prod stack
    python benchmarks/plan_bench.py --config examples/aws.yaml

Target (issues #2, #3, #12): plan ≤ 1.2× the baseline, in time and in peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.2  # plan time and peak memory over the baseline


def measure(code: str, runs: int) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MiB) of `python -c code`."""
    times, peaks = [], []
    for _ in range(runs):
        # Peak RSS of each child alone: run it under a tiny wrapper that reports its own.
        wrapper = (
            "import resource, runpy, sys, time\n"
            "t = time.perf_counter()\n"
            f"exec(compile({code!r}, '<bench>', 'exec'))\n"
            "print('BENCH', time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        )
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - start
        line = next(l for l in proc.stderr.splitlines() if l.startswith("BENCH"))
        _, _, peak_kb = line.split()
        times.append(wall)
        peaks.append(int(peak_kb) / 1024)
    return statistics.median(times), statistics.median(peaks)


def sdk_classes(config: str | None, stack: str) -> list[tuple[str, str]]:
    """(module, class) of every resource type the stack's plan registers (found in a child
    interpreter, so this one never starts Pulumi's event loop)."""
    code = f"from benchmarks.plan_bench import _sdk_classes; print(_sdk_classes({config!r}, {stack!r}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return [tuple(pair) for pair in json.loads(out.stdout.strip().splitlines()[-1])]


def _sdk_classes(config: str | None, stack: str) -> str:
    from multicloud.infra.offline import plan

    path = Path(config) if config else ROOT / f"Pulumi.{stack}.yaml"
    result = plan(path, path.stem.removeprefix("Pulumi."), project_dir=ROOT)
    found = set()
    for reg in result.registrations:
        package, middle, cls = reg.type.split(":")
        if package in ("multicloud", "pulumi-python"):
            continue  # our components, dynamic resources: part of `pulumi` itself
        if package == "pulumi" and middle == "providers":
            found.add((f"pulumi_{cls}", "Provider"))
            continue
        module = middle.split("/")[0]
        found.add((f"pulumi_{package}" + ("" if module == "index" else f".{module}"), cls))
    return json.dumps(sorted(found))


def baseline_code(config: str | None, stack: str) -> str:
    """Python that imports pulumi and touches every SDK class the plan uses."""
    lines = ["import importlib, pulumi"]
    for module, cls in sdk_classes(config, stack):
        lines.append(f"getattr(importlib.import_module({module!r}), {cls!r})")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--config", help="plan this file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--baseline", help="modules to import instead of the classes the plan uses")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    target = ["--config", args.config] if args.config else ["--stack", args.stack]
    plan_code = (
        "import io, contextlib\n"
        "from infra.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['plan', *{target!r}, '--json']) == 0\n"
    )
    base_code = f"import {args.baseline}" if args.baseline else baseline_code(args.config, args.stack)
    # Interleaved, so a busy moment on the machine hits both sides alike.
    base_runs, plan_runs = [], []
    for _ in range(args.runs):
        base_runs.append(measure(base_code, 1))
        plan_runs.append(measure(plan_code, 1))
    base_t = statistics.median(t for t, _ in base_runs)
    base_m = statistics.median(m for _, m in base_runs)
    plan_t = statistics.median(t for t, _ in plan_runs)
    plan_m = statistics.median(m for _, m in plan_runs)
    result = {
        "stack": args.config or args.stack,
        "runs": args.runs,
        "baseline": args.baseline or "every SDK class the plan registers",
        "baseline_seconds": round(base_t, 3),
        "baseline_peak_mib": round(base_m, 1),
        "plan_seconds": round(plan_t, 3),
        "plan_peak_mib": round(plan_m, 1),
        "time_ratio": round(plan_t / base_t, 2),
        "memory_ratio": round(plan_m / base_m, 2),
        "peak_rss_note": "ru_maxrss of the child process",
        "max_rss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"stack {result['stack']}: median of {args.runs} fresh interpreters")
        print(f"  baseline ({result['baseline']}): {base_t:.3f} s, {base_m:.1f} MiB peak")
        print(f"  infra plan --json:                {plan_t:.3f} s, {plan_m:.1f} MiB peak")
        print(f"  ratio: {result['time_ratio']}x time, {result['memory_ratio']}x memory (target ≤ {TARGET}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
