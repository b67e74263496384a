"""`infra`: validate, plan and render a multicloud stack offline.

    infra validate --stack prod            exit 0 when valid, 2 with one line per problem
    infra plan --stack prod [--json]       every resource the program would register
    infra render --stack prod --out DIR    the generated host files, secrets left out

No credentials and no Pulumi CLI are needed: `plan` and `render` run the real program
(`__main__.py`) under Pulumi mocks.
"""

from __future__ import annotations

import argparse
import base64
import gc
import io
import json
import os
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from components.connection import SECRET_VARS
from components.contracts import ContractBreach
from infra.offline import Plan, find_project, plan
from stacks.capabilities import placed_on_host
from stacks.loader import ConfigError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_BUDGET, EXIT_GUARD = 0, 1, 2, 3, 4


def fmt(amount: float, currency: str, signed: bool = False) -> str:
    """Money as the cost engine prints it (imported on first use: `plan --json` never needs it)."""
    from costs.estimate import fmt as money

    return money(amount, currency, signed)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    # Wide enough that plan lines are never cut when piped to a file or CI log.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        if args.command == "guard":
            return int(_guard(args, out))
        stack_file, stack = _stack_file(args)
        try:
            return int(args.handler(args, stack_file, stack, out))
        finally:
            # The mock monitor's worker threads each made an event loop; collect them while the
            # interpreter is whole (at exit their __del__ can hit half-torn-down sockets).
            gc.collect()
    except (ConfigError, ContractBreach) as e:
        for line in e.lines():
            err.print(line, markup=False)
        return EXIT_CONFIG
    except (FileNotFoundError, NotADirectoryError, PermissionError) as e:
        err.print(f"error: {e}", markup=False)
        return EXIT_ERROR
    except UsageError as e:
        err.print(f"infra {args.command}: {e}", markup=False)
        return EXIT_CONFIG
    except Exception as e:
        err.print(
            f"internal error ({type(e).__name__}); please report it with the stack file (no secrets needed)",
            markup=False,
        )
        if os.environ.get("MULTICLOUD_DEBUG"):
            raise
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infra",
        description="Validate, plan and render multicloud stacks offline (no credentials, no Pulumi CLI).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        group = p.add_mutually_exclusive_group(required=True)
        group.add_argument("--stack", metavar="NAME", help="use Pulumi.NAME.yaml of the project")
        group.add_argument(
            "--config", metavar="FILE", type=Path, help="any file in the Pulumi.<stack>.yaml format"
        )
        p.set_defaults(handler=handler)
        return p

    add("validate", "Check a stack config; exit 2 with one line per problem.", _validate)
    p = add("plan", "Run the program under mocks and show every resource it would create.", _plan)
    p.add_argument("--json", action="store_true", help="machine-readable output (secrets shown as [secret])")
    p = add(
        "render", "Write the generated host files (cloud-init, compose, Caddyfile, env templates).", _render
    )
    p.add_argument("--out", metavar="DIR", type=Path, required=True, help="directory to write into")
    p = add(
        "cost", "Monthly cost of the stack, offline; compare targets, diff a change, check the budget.", _cost
    )
    p.add_argument("--format", choices=["table", "json", "markdown"], default="table")
    p.add_argument(
        "--compare",
        metavar="TARGETS",
        help="also price the stack moved to these targets, e.g. aws,hetzner,cloudflare",
    )
    p.add_argument(
        "--chart", metavar="FILE", type=Path, help="with --compare: write an SVG bar chart of the totals"
    )
    p.add_argument(
        "--base", metavar="FILE_OR_GIT_REF", help="diff against another stack file, or this one at a git ref"
    )
    p.add_argument(
        "--from-preview", metavar="FILE", type=Path, help="price a `pulumi preview --json` document"
    )
    p.add_argument("--from-export", metavar="FILE", type=Path, help="price a `pulumi stack export` document")
    p.add_argument(
        "--check-budget", action="store_true", help="exit 3 when the estimate breaks the stack's budget"
    )
    guard_help = "Exit 4 when a `pulumi preview --json` would replace or delete a stateful resource."
    g = sub.add_parser("guard", help=guard_help, description=guard_help)
    g.add_argument(
        "--from-preview", metavar="FILE", type=Path, required=True, help="output of `pulumi preview --json`"
    )
    g.add_argument(
        "--allow-replace", metavar="URN", action="append", default=[], help="accept losing this resource"
    )
    g.set_defaults(handler=_guard)
    return parser


def _stack_file(args: argparse.Namespace) -> tuple[Path, str]:
    if args.config is not None:
        path = Path(args.config)
        if not path.is_file():
            raise FileNotFoundError(f"no such stack file: {path}")
        name = path.stem.removeprefix("Pulumi.") if path.name.startswith("Pulumi.") else path.stem
        return path, name
    path = find_project() / f"Pulumi.{args.stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no Pulumi.{args.stack}.yaml in {path.parent}")
    return path, args.stack


# --- validate --------------------------------------------------------------------------


def _validate(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    # The config, then the program under mocks: every resource it would register is checked
    # against its provider's rules (components.contracts), as `pulumi preview` would.
    result = plan(stack_file, stack)
    spec = result.spec
    custom = sum(1 for r in result.registrations if r.custom and not r.type.startswith("pulumi:"))
    out.print(
        f"{stack_file}: valid ({len(spec.services)} services, {len(spec.hosts)} hosts, {spec.environment}; "
        f"{custom} resources within their providers' rules)",
        markup=False,
    )
    return EXIT_OK


def load_file_offline(stack_file: Path) -> Any:
    """Validate a stack file, treating absent credentials as provided (they are secrets)."""
    from infra.offline import PLACEHOLDER
    from stacks.loader import CREDENTIALS, RawConfig, parse, read_stack_file

    raw = read_stack_file(stack_file)
    missing = set(CREDENTIALS) - set(raw.values)
    return parse(RawConfig(raw.values | {k: PLACEHOLDER for k in missing}, raw.secret_keys | missing))


# --- plan ------------------------------------------------------------------------------


def _plan(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    result = plan(stack_file, stack)
    if args.json:
        print(json.dumps(plan_json(result), indent=2, sort_keys=False))
    else:
        out.print(plan_tree(result))
        stateful = sum(1 for r in result.registrations if r.protect)
        custom = sum(
            1 for r in result.registrations if r.custom and not r.type.startswith("pulumi:providers:")
        )
        out.print(
            f"\n{custom} resources in {len(_top_level(result))} components; "
            f"{stateful} protected ({result.spec.environment}). Nothing was created: this ran under mocks."
        )
    return EXIT_OK


def plan_json(result: Plan) -> dict[str, Any]:
    """The `--json` document. Secret inputs appear as "[secret]"."""
    doc = {
        "project": result.project,
        "stack": result.stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent or None,
                "inputs": r.inputs,
                "protect": r.protect,
            }
            for r in result.registrations
        ],
    }
    _assert_no_secret(json.dumps(doc), result.secret_values)
    return doc


def _top_level(result: Plan) -> list[Any]:
    return [
        r for r in result.registrations if not r.custom and r.parent.endswith("::multicloud-" + result.stack)
    ]


def plan_tree(result: Plan) -> Any:
    """The resource tree, grouped by component (a rich Tree)."""
    from rich.tree import Tree

    from costs.estimate import estimate_plan

    costs = estimate_plan(result)
    children: dict[str, list[Any]] = {}
    for r in result.registrations:
        children.setdefault(r.parent, []).append(r)
    tree = Tree(
        f"[bold]{result.project}[/] · stack [bold]{result.stack}[/] ({result.spec.environment})"
        f" · [green]{fmt(costs.total, costs.currency)}/month[/] estimated (details: infra cost)"
    )

    def add(node: Any, reg: Any) -> None:
        label = f"{_short(reg.type)} [bold]{reg.name}[/]"
        comp = costs.components.get(reg.name) if reg.type.startswith("multicloud:") else None
        svc = result.spec.services.get(reg.name)
        on_host = svc is not None and placed_on_host(svc.kind, svc.target, getattr(svc, "runtime", None))
        if comp is not None and reg.parent.endswith(f"::multicloud-{result.stack}"):
            if not on_host:
                label += f"  [green]{fmt(comp.monthly, costs.currency)}/mo[/]"
            elif comp.monthly:  # a load balancer in front of the hosts
                label += f"  [green]{fmt(comp.monthly, costs.currency)}/mo[/] [dim]+ its hosts[/]"
            else:
                label += "  [dim](priced on its host)[/]"
        detail = _summary(reg)
        if detail:
            label += f"  [dim]{detail}[/]"
        if reg.protect:
            label += "  [yellow]protected[/]"
        branch = node.add(label)
        for child in children.get(reg.urn, []):
            add(branch, child)

    for siblings in children.values():
        siblings.sort(key=lambda r: (not r.custom, r.name))
    urns = {r.urn for r in result.registrations}
    roots = [
        r for r in result.registrations if not r.type.startswith("pulumi:providers:") and r.parent not in urns
    ]
    for reg in sorted(roots, key=lambda r: (_ORDER.get(r.type, 99), r.name)):
        add(tree, reg)
    return tree


_ORDER = {
    f"multicloud:index:{kind}": i
    for i, kind in enumerate(
        [
            "Network",
            "HostFleet",
            "VpsHost",
            "ManagedPostgres",
            "Redis",
            "ObjectStore",
            "ApiService",
            "Worker",
            "StaticFrontend",
        ]
    )
}


def _short(type_token: str) -> str:
    package, _, rest = type_token.partition(":")
    return f"{package}:{rest.rsplit(':', 1)[-1]}" if package != "multicloud" else rest.rsplit(":", 1)[-1]


def _summary(reg: Any) -> str:
    i = reg.inputs
    match reg.type:
        case "hcloud:index/server:Server":
            return f"{i.get('serverType')} in {i.get('location')}, {i.get('image')}, backups {'on' if i.get('backups') else 'off'}"
        case "hcloud:index/volume:Volume":
            return f"{i.get('size')} GB in {i.get('location')}"
        case "hcloud:index/firewall:Firewall":
            return "; ".join(
                f"{r.get('protocol')}/{r.get('port', '*')} from {', '.join(r.get('sourceIps', []))}"
                for r in i.get("rules", [])
            )
        case "cloudflare:index/dnsRecord:DnsRecord":
            return f"{i.get('type')} {i.get('name')} → {i.get('content')}{' (proxied)' if i.get('proxied') else ''}"
        case "digitalocean:index/dnsRecord:DnsRecord":
            return f"{i.get('type')} {i.get('name')}.{i.get('domain')} → {i.get('value')}"
        case "digitalocean:index/droplet:Droplet":
            return f"{i.get('size')} in {i.get('region')}, {i.get('image')}, backups {'on' if i.get('backups') else 'off'}"
        case "digitalocean:index/loadBalancer:LoadBalancer":
            rules = ", ".join(
                f"{r.get('entryProtocol')}/{r.get('entryPort')}→{r.get('targetProtocol')}/{r.get('targetPort')}"
                for r in i.get("forwardingRules", [])
            )
            return f"{rules}{', HTTP redirected to HTTPS' if i.get('redirectHttpToHttps') else ''}"
        case "digitalocean:index/app:App":
            spec = i.get("spec", {})
            parts = [
                f"{c.get('name')} {c.get('instanceSizeSlug')}"
                for c in [*spec.get("services", []), *spec.get("workers", [])]
            ]
            parts += [f"static {c.get('github', {}).get('repo')}" for c in spec.get("staticSites", [])]
            return f"{', '.join(parts)} in {spec.get('region')}"
        case "cloudflare:index/r2Bucket:R2Bucket":
            return f"{i.get('name')} ({i.get('location', 'auto')})"
        case "cloudflare:index/pagesProject:PagesProject":
            src = i.get("source", {}).get("config", {})
            return f"{src.get('owner')}/{src.get('repoName')}@{i.get('productionBranch')}"
    return ""


def _assert_no_secret(text: str, secrets: set[str]) -> None:
    # A last line of defence: if any made-up secret reaches printed output, that is a bug.
    leaked = [s for s in secrets if s and s in text]
    if leaked:
        raise RuntimeError("internal error: a secret value would have been printed; output suppressed")


# --- cost ------------------------------------------------------------------------------


def _cost(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    from costs import budget as budget_rules
    from costs.estimate import diff, estimate, estimate_plan, infracost_json
    from costs.report import diff_markdown, markdown, resource_changes, table, unpriced_note, usage_note
    from costs.sources import from_export, from_preview

    if args.chart and not args.compare:
        raise UsageError("--chart goes with --compare")
    if sum(bool(x) for x in (args.base, args.from_preview, args.from_export, args.compare)) > 1:
        raise UsageError("use one of --base, --compare, --from-preview, --from-export")
    spec = load_file_offline(stack_file)
    currency = spec.budget.currency if spec.budget else None
    before = None
    ops: dict[str, str] = {}
    title = f"multicloud/{stack}"

    if args.from_preview or args.from_export:
        source = args.from_preview or args.from_export
        try:
            doc = json.loads(Path(source).read_text())
        except json.JSONDecodeError as e:
            raise UsageError(f"{source} is not JSON (line {e.lineno})") from None
        if args.from_preview:
            change = from_preview(doc)
            ops = change.ops
            before = estimate(change.before, spec.usage, currency)
            current = estimate(change.after, spec.usage, currency or before.currency)
            title += " (pulumi preview)"
        else:
            current = estimate(from_export(doc), spec.usage, currency)
            title += " (stack export)"
    else:
        current = estimate_plan(plan(stack_file, stack), currency)
        if args.base:
            base_file = _base_file(args.base, stack_file)
            before = estimate_plan(plan(base_file, stack), current.currency)

    if args.compare:
        return _compare(args, stack_file, stack, current, out)

    if args.format == "json":
        print(json.dumps(infracost_json(current, "multicloud", stack, before), indent=2))
    elif args.format == "markdown":
        changes = resource_changes(ops, before, current) if before and ops else None
        print(
            diff_markdown(diff(before, current), before, current, title, changes)
            if before
            else markdown(current, title)
        )
    else:
        if before is not None:
            from rich.table import Table

            t = Table(title=f"{title}: change", title_justify="left")
            for col in ("component", "previous", "new", "diff"):
                t.add_column(col, justify="left" if col == "component" else "right")
            for row in diff(before, current):
                t.add_row(
                    row.name,
                    fmt(row.before, current.currency),
                    fmt(row.after, current.currency),
                    fmt(row.change, current.currency, signed=True),
                )
            out.print(t)
            if ops:
                r = Table(title="resources that change", title_justify="left")
                for col in ("change", "resource", "previous", "new"):
                    r.add_column(col, justify="right" if col in ("previous", "new") else "left")
                for op, name, b, a in resource_changes(ops, before, current):
                    r.add_row(op, name, fmt(b, current.currency), fmt(a, current.currency))
                out.print(r)
        out.print(table(current, title))
        out.print(f"[dim]{usage_note(current)}[/]")
        out.print(f"[dim]{unpriced_note(current)}[/]")

    if args.check_budget:
        if spec.budget is None:
            raise UsageError("--check-budget needs multicloud:budget: {monthly: ..., currency: ...}")
        broken = budget_rules.violations(
            current.total,
            current.currency,
            spec.budget.monthly,
            spec.budget.currency,
            previous=before.total if before else None,
            max_increase=spec.budget.max_increase,
            max_increase_percent=spec.budget.max_increase_percent,
        )
        for reason in broken:
            Console(stderr=True, highlight=False).print(f"over budget: {reason}", markup=False)
        if broken:
            return EXIT_BUDGET
    return EXIT_OK


def _compare(args: argparse.Namespace, stack_file: Path, stack: str, current: Any, out: Console) -> int:
    import tempfile

    import yaml

    from costs.compare import retarget
    from costs.estimate import estimate_plan
    from costs.report import Column, bar_chart_svg, compare_markdown
    from stacks.capabilities import BACKENDS
    from stacks.loader import read_stack_file

    known = sorted({t for kind in BACKENDS.values() for t in kind} - {"route53"})
    targets = [t.strip() for t in args.compare.split(",") if t.strip()]
    unknown = [t for t in targets if t not in known]
    if unknown:
        raise UsageError(f"--compare: unknown target {', '.join(unknown)}; known: {', '.join(known)}")
    raw = read_stack_file(stack_file)
    columns = [Column("as configured", current, [])]
    for target in targets:
        values, notes = retarget(raw.values, target)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"Pulumi.{stack}.yaml"
            doc = {"config": {f"multicloud:{k}": v for k, v in values.items()}}
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            try:
                result = plan(path, stack)
            except (ConfigError, ContractBreach) as e:
                notes = notes + [f"cannot be planned on {target}: {line}" for line in e.lines()]
                columns.append(
                    Column(target, current.__class__(current.currency, {}, [], 0, current.usage, 0), notes)
                )
                continue
        columns.append(Column(f"{target}", estimate_plan(result, current.currency), notes))
    currency = current.currency
    if args.chart:
        args.chart.write_text(bar_chart_svg(columns, currency, f"multicloud/{stack}: monthly cost by target"))
    if args.format == "json":
        from costs.estimate import infracost_json

        print(
            json.dumps(
                {
                    c.label: infracost_json(c.estimate, "multicloud", stack) | {"notes": c.notes}
                    for c in columns
                },
                indent=2,
            )
        )
    elif args.format == "markdown":
        print(compare_markdown(columns, currency))
    else:
        from rich.table import Table

        from costs.estimate import convert

        t = Table(title=f"multicloud/{stack}: monthly cost by target ({currency})", title_justify="left")
        t.add_column("component")
        for c in columns:
            t.add_column(c.label, justify="right")
        for name in sorted({n for c in columns for n in c.estimate.components}):
            cells = []
            for c in columns:
                comp = c.estimate.components.get(name)
                cells.append(
                    fmt(convert(comp.monthly, c.estimate.currency, currency), currency) if comp else "—"
                )
            t.add_row(name, *cells)
        t.add_row(
            "[bold]total[/]",
            *[
                f"[bold]{fmt(convert(c.estimate.total, c.estimate.currency, currency), currency)}[/]"
                for c in columns
            ],
        )
        out.print(t)
        for c in columns:
            for note in c.notes:
                out.print(f"[dim]{c.label}: {note}[/]", markup=True)
        if args.chart:
            out.print(f"chart written to {args.chart}")
    return EXIT_OK


def _base_file(base: str, stack_file: Path) -> Path:
    """`--base`: a stack file, or the same stack file at a git ref."""
    import subprocess
    import tempfile

    candidate = Path(base)
    if candidate.is_file():
        return candidate
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        check=False,
        capture_output=True,
        text=True,
        cwd=stack_file.resolve().parent,
    )
    if root.returncode != 0:
        raise UsageError(f"--base {base}: not a file, and not inside a git checkout")
    rel = stack_file.resolve().relative_to(Path(root.stdout.strip()))
    shown = subprocess.run(
        ["git", "show", f"{base}:{rel.as_posix()}"],
        check=False,
        capture_output=True,
        text=True,
        cwd=root.stdout.strip(),
    )
    if shown.returncode != 0:
        raise UsageError(f"--base {base}: {rel} does not exist at that git ref")
    tmp = Path(tempfile.mkdtemp()) / stack_file.name
    tmp.write_text(shown.stdout)
    return tmp


def _guard(args: argparse.Namespace, out: Console) -> int:
    from infra.guard import findings

    try:
        preview = json.loads(Path(args.from_preview).read_text())
    except json.JSONDecodeError as e:
        raise UsageError(f"{args.from_preview} is not JSON (line {e.lineno})") from None
    found = findings(preview, set(args.allow_replace))
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for f in found:
        err.print(f"refusing: {f.op} of {f.type} {f.name} would lose its data ({f.urn})", markup=False)
    if found:
        err.print(
            "allow each deliberately with --allow-replace URN; migrations: docs/migrations.md", markup=False
        )
        return EXIT_GUARD
    out.print(f"{args.from_preview}: no stateful resource is replaced or deleted")
    return EXIT_OK


# Secret settings of the backup scripts' env file.
BACKUP_SECRETS = frozenset({"RESTIC_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})


class UsageError(Exception):
    """A bad combination of command-line options."""


# --- render ----------------------------------------------------------------------------


def _render(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    result = plan(stack_file, stack)
    written = render_hosts(result, args.out)
    for path in written:
        out.print(str(path))
    out.print(f"\n{len(written)} files written to {args.out}; secret values are shown as <secret>.")
    return EXIT_OK


MACHINE_TYPES = ("hcloud:index/server:Server", "digitalocean:index/droplet:Droplet")


def render_hosts(result: Plan, out_dir: Path) -> list[Path]:
    """Write each host's user-data and release files under out_dir/<host>/, and each App
    Platform app's spec under out_dir/apps/ (secrets replaced)."""
    by_urn = {r.urn: r for r in result.registrations}
    written: list[Path] = []
    for reg in result.registrations:
        if reg.type == "digitalocean:index/app:App":
            spec = _redact_app_envs(reg.inputs.get("spec", {}))
            text = yaml.safe_dump(spec, sort_keys=False, width=1000)
            written.append(_write(out_dir / "apps" / f"{reg.name}.yaml", text, result))
        if reg.type in MACHINE_TYPES:
            host = by_urn[reg.parent].name
            written.append(
                _write(out_dir / host / "cloud-init.yaml", reg.raw_inputs.get("userData", ""), result)
            )
        if reg.type == "command:remote:Command":
            host = by_urn[by_urn[reg.parent].parent].name
            payload = base64.b64decode(reg.raw_inputs["stdin"])
            with tarfile.open(fileobj=io.BytesIO(payload), mode="r:gz") as tar:
                for member in tar.getmembers():
                    if not member.isfile():
                        continue
                    data = tar.extractfile(member)
                    assert data is not None
                    text = data.read().decode()
                    if member.name.startswith(("env/", "backup/")):
                        text = _env_template(text)
                    target = out_dir / host / "release" / member.name
                    written.append(_write(target, text, result, mode=member.mode))
    return written


def _redact_app_envs(spec: Any) -> Any:
    """An App Platform spec with the values of SECRET variables replaced by <secret>."""
    if isinstance(spec, dict):
        if spec.get("type") == "SECRET" and "value" in spec:
            return {**spec, "value": "<secret>"}
        return {k: _redact_app_envs(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_redact_app_envs(v) for v in spec]
    return spec


def _env_template(text: str) -> str:
    lines = []
    for line in text.splitlines():
        key = line.partition("=")[0]
        lines.append(f"{key}=<secret>" if key in SECRET_VARS | BACKUP_SECRETS else line)
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, result: Plan, mode: int = 0o644) -> Path:
    for secret in sorted(result.secret_values, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "<secret>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode & 0o755 | 0o600)
    return path


if __name__ == "__main__":
    sys.exit(main())
