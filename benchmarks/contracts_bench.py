"""Benchmark: what the provider-contract preflight costs an offline plan.

For each stack: the median wall time of a plan with the preflight transform and with it
switched off (same process, interleaved runs, after a warm-up), and the time `breaks()`
alone takes over every registration of the plan.

    python benchmarks/contracts_bench.py                       # the shipped stacks
    python benchmarks/contracts_bench.py --runs 9 examples/aws.yaml
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent


def stack_name(path: Path) -> str:
    return path.name.split(".")[1] if path.name.startswith("Pulumi.") else path.stem


def main() -> None:
    from multicloud.components.contracts import breaks
    from multicloud.infra.offline import plan

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    files = args.files or [ROOT / "Pulumi.prod.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]
    print(f"{'stack':<40} {'resources':>9} {'plan':>8} {'no check':>9} {'overhead':>9} {'breaks()':>9}")
    for path in files:
        stack = stack_name(path)
        plan(path, stack)  # warm the imports
        with_check, without = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = plan(path, stack)
            with_check.append(time.perf_counter() - start)
            with mock.patch("multicloud.stacks.program._register_preflight"):
                start = time.perf_counter()
                plan(path, stack)
                without.append(time.perf_counter() - start)
        custom = [r for r in result.registrations if r.custom]
        start = time.perf_counter()
        for reg in custom:
            breaks(reg.type, reg.name, reg.raw_inputs, reg.protect)
        alone = time.perf_counter() - start
        a, b = statistics.median(with_check), statistics.median(without)
        print(
            f"{path.relative_to(ROOT)!s:<40} {len(custom):>9} {a * 1000:>6.0f}ms {b * 1000:>7.0f}ms "
            f"{(a - b) * 1000:>7.0f}ms {alone * 1000:>7.1f}ms"
        )


if __name__ == "__main__":
    main()
