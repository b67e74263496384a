"""Benchmark: how long pricing a 200-resource graph takes (target, issue #4: under 0.2 s).

The graph is real: the AWS and prod plans' registrations, repeated under new URNs until
there are at least 200 resources. Times the estimate alone (the plan runs once, untimed),
median of `--runs`, after one warm-up (the catalogs are read and cached then, as they are
in a real run after the first price).

    python benchmarks/pricing_bench.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def graph(size: int) -> list:
    from multicloud.costs.estimate import resources_from
    from multicloud.costs.pricers import Resource
    from multicloud.infra.offline import plan

    base = []
    for path, stack in ((ROOT / "examples" / "aws.yaml", "aws"), (ROOT / "Pulumi.prod.yaml", "prod")):
        base += resources_from(plan(path, stack, project_dir=ROOT).registrations)
    out: list[Resource] = []
    copy = 0
    while len(out) < size:
        tag = f"-{copy}"
        out += [
            Resource(
                r.urn + tag,
                r.type,
                r.name + tag,
                (r.parent + tag) if r.parent and "Stack" not in r.parent else r.parent,
                r.inputs,
            )
            for r in base
        ]
        copy += 1
    return out[:size] if len(out) >= size else out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from multicloud.costs.estimate import estimate

    resources = graph(args.resources)
    estimate(resources)  # warm-up: catalogs load once per process
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        est = estimate(resources)
        times.append(time.perf_counter() - start)
    priced = sum(len(c.lines) for c in est.components.values())
    print(f"priced {len(resources)} resources ({priced} cost lines, {len(est.unpriced)} unpriced)")
    print(
        f"  median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {args.runs} runs (target < 200 ms)"
    )
    from multicloud.costs import catalog
    from multicloud.costs import estimate as estimate_module
    from multicloud.costs.pricers import base

    for cached in (catalog.load, base.entries, base.servers, estimate_module.eur_usd):
        cached.cache_clear()
    start = time.perf_counter()
    estimate(resources)
    print(f"  with every catalog read from disk again: {(time.perf_counter() - start) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
