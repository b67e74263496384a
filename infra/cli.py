"""`infra`: validate, plan and render a multicloud stack offline.

    infra validate --stack prod            exit 0 when valid, 2 with one line per problem
    infra plan --stack prod [--json]       every resource the program would register
    infra render --stack prod --out DIR    the generated host files, secrets left out

No credentials and no Pulumi CLI are needed: `plan` and `render` run the real program
(`__main__.py`) under Pulumi mocks.

Exit codes: 0 fine, 2 bad input (config, file, preview document, option or output path),
3 over budget, 4 the guard refuses; 1 only for a bug of ours ("internal error"). Every
problem is one line, and nothing read from a file reaches the terminal unescaped.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import errno
import io
import json
import math
import os
import re
import stat
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NoReturn, cast

import yaml

from multicloud.components._lib import types
from multicloud.components._lib.grammars import printable
from multicloud.components.capabilities import placed_on_host
from multicloud.components.connection import SECRET_VARS
from multicloud.components.contracts import ContractBreach
from multicloud.infra.offline import Plan, find_project, plan
from multicloud.stacks.loader import ConfigError

if TYPE_CHECKING:  # Rich and the cost engine are imported where they print or price
    from rich.console import Console

    from multicloud.costs.estimate import Estimate
    from multicloud.costs.report import Column

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_BUDGET, EXIT_GUARD = 0, 1, 2, 3, 4

# Pulumi's rule for stack names; anything else could name a file outside the project.
STACK_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# Documents larger than this are not a preview or an export of a stack we could price.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


def fmt(amount: float, currency: str, signed: bool = False) -> str:
    """Money as the cost engine prints it (imported on first use: `plan --json` never needs it)."""
    from multicloud.costs.estimate import fmt as money

    return money(amount, currency, signed)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    # Wide enough that plan lines are never cut when piped to a file or CI log. No emoji codes
    # and no markup in anything printed: names and paths come from files and the command line.
    out = cast(
        "Console", _LazyConsole(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 200)
    )

    def problem(line: str) -> None:
        _stderr().print(printable(line), markup=False)

    try:
        with event_loops():
            if args.command == "guard":
                return int(_guard(args, out))
            if args.command == "prices":
                return _prices(args, out)
            stack_file, stack = _stack_file(args)
            return int(args.handler(args, stack_file, stack, out))
    except (ConfigError, ContractBreach) as e:
        for line in e.lines():
            problem(line)
        return EXIT_CONFIG
    except UsageError as e:
        problem(f"infra {args.command}: {e}")
        return EXIT_CONFIG
    except OSError as e:  # a file or directory the command was pointed at, or could not write
        problem(f"infra {args.command}: {_os_problem(e)}")
        return EXIT_CONFIG
    except Exception as e:
        problem(
            f"internal error ({type(e).__name__}); please report it with the stack file (no secrets needed)"
        )
        if os.environ.get("MULTICLOUD_DEBUG"):
            raise
        return EXIT_ERROR


class _LazyConsole:
    """A rich Console made on first use: `plan --json` prints no table and never imports Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def _stderr() -> Console:
    """The console for problems and warnings: one line each, never wrapped, no markup or emoji."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def _os_problem(e: OSError) -> str:
    """One line for an OSError: the file and the reason, never a traceback."""
    if e.filename is None:
        return str(e)
    return f"{e.filename}: {e.strerror or type(e).__name__}"


@contextlib.contextmanager
def event_loops() -> Iterator[None]:
    """Run a command on a fresh event loop, and close it and every loop its threads made.

    The mock monitor answers the program from worker threads of the loop's default executor,
    and Pulumi gives each of them an event loop of its own
    (`pulumi.runtime.sync_await._ensure_event_loop`). Nobody closed those: at interpreter
    exit their `__del__` ran against half torn-down sockets and now and then printed
    "Exception ignored in BaseEventLoop.__del__ … Invalid file descriptor: -1". Here each
    worker makes its loop when it starts, and all are closed with the executor before the
    command returns.
    """
    worker_loops: list[asyncio.AbstractEventLoop] = []
    lock = threading.Lock()

    def start_worker() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # the one _ensure_event_loop finds in this thread
        with lock:
            worker_loops.append(loop)

    # The loop this thread had (tests call main() between plans), read without making one.
    previous = getattr(getattr(asyncio.get_event_loop_policy(), "_local", None), "_loop", None)
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="infra-mock", initializer=start_worker)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
        for each in [loop, *worker_loops]:
            _close_loop(each)
        if previous is not None:
            asyncio.set_event_loop(previous)
        else:
            # As at start: no loop set, and the next get_event_loop() in this thread makes one
            # (set_event_loop(None) would make it raise instead).
            asyncio.set_event_loop_policy(None)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still pending on `loop`, then close it (what asyncio.run does)."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


class _Parser(argparse.ArgumentParser):
    """argparse, with its error line escaped: it quotes the offending argument."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, printable(f"{self.prog}: error: {message}") + "\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="infra",
        description="Validate, plan and render multicloud stacks offline (no credentials, no Pulumi CLI).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        group = p.add_mutually_exclusive_group()
        group.add_argument("--stack", metavar="NAME", help="use Pulumi.NAME.yaml of the project")
        group.add_argument(
            "--config", metavar="FILE", type=Path, help="any file in the Pulumi.<stack>.yaml format"
        )
        p.add_argument(
            "--program",
            metavar="DIR",
            type=Path,
            help="a Pulumi program written with the multicloud library, with its Pulumi.<--stack>.yaml "
            "(default: its only one)",
        )
        p.set_defaults(handler=handler)
        return p

    add("validate", "Check a stack config; exit 2 with one line per problem.", _validate)
    p = add("plan", "Run the program under mocks and show every resource it would create.", _plan)
    p.add_argument("--json", action="store_true", help="machine-readable output (secrets shown as [secret])")
    p = add(
        "render", "Write the generated host files (cloud-init, compose, Caddyfile, env templates).", _render
    )
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write into")
    p = add(
        "dev",
        "Write a Compose file and env files that run the stack's data services locally "
        "(Postgres, Redis/Valkey, an S3 server) with the deployed variable names.",
        _dev,
    )
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write into")
    p.add_argument("--with-apps", action="store_true", help="also run the stack's apis, workers and jobs")
    p.add_argument("--up", action="store_true", help="then start them: docker compose up -d")
    _cost_arguments(
        add(
            "cost",
            "Monthly cost of the stack, offline; compare targets, diff a change, check the budget.",
            _cost,
        )
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
    from multicloud.infra import prices

    prices.add_arguments(sub)
    return parser


def _prices(args: argparse.Namespace, out: Console) -> int:
    """`infra prices refresh`: a refresh that cannot start or trust its source is one line, exit 2."""
    from multicloud.costs.refresh import RefreshError
    from multicloud.infra import prices

    try:
        return prices.run(args, out)
    except (RefreshError, prices.RefreshUsage) as e:
        raise UsageError(f"{e}; the catalog is unchanged") from None


def _cost_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `infra cost`."""
    p.add_argument(
        "--format",
        choices=["table", "json", "multicloud-json", "markdown"],
        default="table",
        help="json: Infracost's schema; multicloud-json: the same plus what it has no field for",
    )
    p.add_argument(
        "--compare",
        metavar="TARGETS",
        help="also price the stack moved to these targets, e.g. aws,hetzner,cloudflare",
    )
    p.add_argument(
        "--chart", metavar="FILE", type=Path, help="with --compare: write an SVG bar chart of the totals"
    )
    p.add_argument(
        "--emit",
        metavar="FILE",
        type=Path,
        help="with --compare and one target: write the moved stack file (validate, plan and cost it like any)",
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
    p.add_argument(
        "--max-price-age",
        metavar="DAYS",
        type=_days,
        help="flag prices read longer ago than this (default 120)",
    )
    p.add_argument(
        "--strict-prices",
        action="store_true",
        help="with --check-budget: also exit 3 when a price (or the exchange rate) is older than "
        "--max-price-age, or stands in for one the catalog lacks (an AWS region it does not price)",
    )


def _days(text: str) -> int:
    """A whole number of days, 1 to 3650."""
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise argparse.ArgumentTypeError("a whole number of days from 1 to 3650")
    return int(text)


def _program_dir(args: argparse.Namespace) -> tuple[Path, str]:
    """`--program DIR [--stack NAME]`: the program's directory and the stack it runs as — the
    one given, else its only Pulumi.<stack>.yaml, else "dev" without config."""
    from multicloud.infra.offline import ProgramDir

    if args.config is not None:
        raise UsageError("--program takes its config from DIR/Pulumi.<stack>.yaml: use --stack, not --config")
    directory = ProgramDir(args.program)
    if not directory.is_dir():
        raise UsageError(f"--program {directory}: not a directory")
    stacks = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in directory.glob("Pulumi.*.yaml")
    )
    if args.stack is not None:
        if not STACK_NAME.fullmatch(args.stack):
            raise UsageError("--stack: a stack name has letters, digits, '_', '.' and '-' only (at most 100)")
        return directory, args.stack
    if len(stacks) > 1:
        raise UsageError(
            f"--program {directory}: several stacks ({', '.join(stacks)}); choose one with --stack"
        )
    return directory, stacks[0] if stacks else "dev"


def _stack_file(args: argparse.Namespace) -> tuple[Path, str]:
    """The stack file and the stack's name. Whether the file can be read is the loader's to
    say (stacks.loader.read_stack_file: missing, a directory, not UTF-8, not YAML)."""
    if getattr(args, "program", None) is not None:
        return _program_dir(args)
    if args.config is None and args.stack is None:
        raise UsageError("give --stack NAME, --config FILE or --program DIR")
    if args.config is not None:
        path = Path(args.config)
        name = path.stem.removeprefix("Pulumi.") if path.name.startswith("Pulumi.") else path.stem
        return path, name
    if not STACK_NAME.fullmatch(args.stack):
        raise UsageError("--stack: a stack name has letters, digits, '_', '.' and '-' only (at most 100)")
    path = find_project() / f"Pulumi.{args.stack}.yaml"
    if not path.is_file():
        raise UsageError(f"no Pulumi.{args.stack}.yaml in {path.parent}")
    return path, args.stack


# --- validate --------------------------------------------------------------------------


def _validate(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    # The config, then the program under mocks: every resource it would register is checked
    # against its provider's rules (components.contracts), as `pulumi preview` would.
    result = plan(stack_file, stack)
    spec = result.spec
    custom = sum(1 for r in result.registrations if r.custom and not r.type.startswith(types.PULUMI_PREFIX))
    _print_warnings(spec)
    out.print(
        printable(
            f"{stack_file}: valid ({len(spec.services)} services, {len(spec.hosts)} hosts, {spec.environment}; "
            f"{custom} resources within their providers' rules)"
        ),
        markup=False,
    )
    return EXIT_OK


def _print_warnings(spec: Any) -> None:
    """What is valid but probably wrong (stacks.checks.warnings), one line each on stderr."""
    from multicloud.stacks.checks import warnings
    from multicloud.stacks.loader import NAMESPACE

    found = warnings(spec)
    if found:
        err = _stderr()
        for path, message in found:
            err.print(printable(f"warning: {NAMESPACE}:{path}: {message}"), markup=False)


def _is_program(path: Path) -> bool:
    from multicloud.infra.offline import ProgramDir

    return isinstance(path, ProgramDir)


def load_file_offline(stack_file: Path, stack: str = "dev") -> Any:
    """Validate a stack file, treating absent credentials as provided (they are secrets); for
    a program's directory, the application it deploys."""
    from multicloud.infra.offline import PLACEHOLDER

    if _is_program(stack_file):
        return plan(stack_file, stack).spec
    from multicloud.stacks.loader import CREDENTIALS, RawConfig, parse, read_stack_file

    raw = read_stack_file(stack_file)
    missing = set(CREDENTIALS) - set(raw.values)
    return parse(RawConfig(raw.values | {k: PLACEHOLDER for k in missing}, raw.secret_keys | missing))


# --- plan ------------------------------------------------------------------------------


def _plan(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    result = plan(stack_file, stack)
    _print_warnings(result.spec)
    if args.json:
        print(_json_text(plan_json(result)))
    else:
        out.print(plan_tree(result))
        stateful = sum(1 for r in result.registrations if r.protect)
        custom = sum(
            1 for r in result.registrations if r.custom and not r.type.startswith(types.PROVIDER_PREFIX)
        )
        out.print(
            f"\n{custom} resources in {len(_top_level(result))} components; "
            f"{stateful} protected ({result.spec.environment}). Nothing was created: this ran under mocks.",
            markup=False,
        )
    return EXIT_OK


def _json_text(doc: Any) -> str:
    """`doc` as JSON, and only JSON: a number that is not finite (no JSON form) is refused."""
    try:
        return json.dumps(doc, indent=2, allow_nan=False)
    except ValueError:
        raise UsageError(
            "a number in the output is not finite (infinite or not a number); "
            "check multicloud:usage and the sizes in the stack or document"
        ) from None


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
                # The URNs it had before a refactor moved it: the engine adopts the old state.
                **({"aliases": r.aliases} if r.aliases else {}),
            }
            for r in result.registrations
        ],
    }
    _assert_no_secret(json.dumps(doc), result.secret_values)
    return doc


def _top_level(result: Plan) -> list[Any]:
    return [
        r
        for r in result.registrations
        if not r.custom and r.parent.endswith(f"::{result.project}-{result.stack}")
    ]


def plan_tree(result: Plan) -> Any:
    """The resource tree, grouped by component (a rich Tree)."""
    from rich.text import Text
    from rich.tree import Tree

    from multicloud.costs.estimate import estimate_plan

    costs = estimate_plan(result)
    children: dict[str, list[Any]] = {}
    for r in result.registrations:
        children.setdefault(r.parent, []).append(r)
    # Labels are Text, never markup: names and inputs come from the stack file, and a branch
    # such as "main[/]" must print as it is (printable() escapes control characters too).
    tree = Tree(
        Text.assemble(
            (printable(result.project), "bold"),
            " · stack ",
            (printable(result.stack), "bold"),
            f" ({result.spec.environment}) · ",
            (f"{fmt(costs.total, costs.currency)}/month", "green"),
            " estimated (details: infra cost)",
        )
    )

    def add(node: Any, reg: Any) -> None:
        branch = node.add(_tree_label(reg, result, costs))
        for child in children.get(reg.urn, []):
            add(branch, child)

    for siblings in children.values():
        siblings.sort(key=lambda r: (not r.custom, r.name))
    urns = {r.urn for r in result.registrations}
    roots = [
        r
        for r in result.registrations
        if not r.type.startswith(types.PROVIDER_PREFIX) and r.parent not in urns
    ]
    for reg in sorted(roots, key=lambda r: (_ORDER.get(r.type, 99), r.name)):
        add(tree, reg)
    return tree


def _tree_label(reg: Any, result: Plan, costs: Estimate) -> Any:
    """One branch of the plan tree: type, name, a top-level component's monthly cost, the
    resource's summary, and whether it is protected (rich Text, never markup)."""
    from rich.text import Text

    label = Text.assemble(f"{printable(_short(reg.type))} ", (printable(reg.name), "bold"))
    comp = costs.components.get(reg.name) if reg.type.startswith(types.OWN_PACKAGE_PREFIX) else None
    svc = result.spec.services.get(reg.name)
    on_host = svc is not None and placed_on_host(svc.kind, svc.target, getattr(svc, "runtime", None))
    if comp is not None and reg.parent.endswith(f"::{result.project}-{result.stack}"):
        if not on_host:
            label.append(f"  {fmt(comp.monthly, costs.currency)}/mo", style="green")
        elif comp.monthly:  # a load balancer in front of the hosts
            label.append(f"  {fmt(comp.monthly, costs.currency)}/mo", style="green")
            label.append(" + its hosts", style="dim")
        else:
            label.append("  (priced on its host)", style="dim")
        if svc is not None and svc.kind == "job":
            label.append(f"  {printable(_next_runs(svc))}", style="dim")
    detail = _summary(reg)
    if detail:
        label.append(f"  {printable(detail)}", style="dim")
    if reg.protect:
        label.append("  protected", style="yellow")
    return label


def _next_runs(svc: Any) -> str:
    """A job's schedule and its next three runs from now, in UTC."""
    from datetime import UTC, datetime

    from multicloud.components._lib.schedule import parse

    runs = parse(svc.schedule).next_runs(datetime.now(UTC), 3)
    return f"cron {svc.schedule} (UTC), next: " + ", ".join(f"{r:%Y-%m-%d %H:%M}" for r in runs)


_ORDER = {
    f"{types.COMPONENT_PREFIX}{kind}": i
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
            "Job",
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
        case types.HCLOUD_SERVER:
            return f"{i.get('serverType')} in {i.get('location')}, {i.get('image')}, backups {'on' if i.get('backups') else 'off'}"
        case types.HCLOUD_VOLUME:
            return f"{i.get('size')} GB in {i.get('location')}"
        case types.HCLOUD_FIREWALL:
            return "; ".join(
                f"{r.get('protocol')}/{r.get('port', '*')} from {', '.join(r.get('sourceIps', []))}"
                for r in i.get("rules", [])
            )
        case types.CLOUDFLARE_DNS_RECORD:
            return f"{i.get('type')} {i.get('name')} → {i.get('content')}{' (proxied)' if i.get('proxied') else ''}"
        case types.DO_DNS_RECORD:
            return f"{i.get('type')} {i.get('name')}.{i.get('domain')} → {i.get('value')}"
        case types.DO_DROPLET:
            return f"{i.get('size')} in {i.get('region')}, {i.get('image')}, backups {'on' if i.get('backups') else 'off'}"
        case types.DO_LOAD_BALANCER:
            rules = ", ".join(
                f"{r.get('entryProtocol')}/{r.get('entryPort')}→{r.get('targetProtocol')}/{r.get('targetPort')}"
                for r in i.get("forwardingRules", [])
            )
            return f"{rules}{', HTTP redirected to HTTPS' if i.get('redirectHttpToHttps') else ''}"
        case types.DO_APP:
            spec = i.get("spec", {})
            parts = [
                f"{c.get('name')} {c.get('instanceSizeSlug')}"
                for c in [*spec.get("services", []), *spec.get("workers", [])]
            ]
            parts += [f"static {c.get('github', {}).get('repo')}" for c in spec.get("staticSites", [])]
            return f"{', '.join(parts)} in {spec.get('region')}"
        case types.CLOUDFLARE_R2_BUCKET:
            return f"{i.get('name')} ({i.get('location', 'auto')})"
        case types.CLOUDFLARE_PAGES_PROJECT:
            src = i.get("source", {}).get("config", {})
            return f"{src.get('owner')}/{src.get('repoName')}@{i.get('productionBranch')}"
    return _alert_summary(reg.type, i)


def _alert_summary(type_token: str, i: dict[str, Any]) -> str:
    """What an uptime check watches and where its alerts go (components/alerts)."""
    match type_token:
        case types.AWS_ROUTE53_HEALTH_CHECK:
            return f"{i.get('type')} {i.get('fqdn')}{i.get('resourcePath', '')} every {i.get('requestInterval')} s"
        case types.AWS_CLOUDWATCH_METRIC_ALARM:
            return f"{i.get('metricName')} below {i.get('threshold'):g} → SNS"
        case types.AWS_SNS_TOPIC_SUBSCRIPTION:
            return f"{i.get('protocol')} {i.get('endpoint')} (confirm the e-mail AWS sends)"
        case types.DO_UPTIME_CHECK:
            return f"{i.get('target')} from {', '.join(i.get('regions', []))}"
        case types.DO_UPTIME_ALERT:
            (notify,) = i.get("notifications") or [{}]
            slack = " + Slack" if notify.get("slacks") else ""
            return f"{i.get('type')} → {', '.join(notify.get('emails') or [])}{slack}"
        case types.CHECKLY_ALERT_CHANNEL:
            return i["email"]["address"] if i.get("email") else "Slack"
        case types.CHECKLY_URL_MONITOR:
            channels = len(i.get("alertChannelSubscriptions", []))
            return f"{i.get('request', {}).get('url')} every {i.get('frequency')} min → {channels} channels"
        case types.CHECKLY_SSL_MONITOR:
            request = i.get("request", {})
            return (
                f"{request.get('hostname')}: warns {request.get('alertDaysBeforeExpiry')} days before expiry"
            )
        case types.HEALTHCHECKS_CHECK:
            return f"a success every {i.get('timeout', 0) / 3600:g} h, {i.get('grace', 0) / 3600:g} h grace"
    return ""


def _assert_no_secret(text: str, secrets: set[str]) -> None:
    # A last line of defence: if any made-up secret reaches printed output, that is a bug.
    leaked = [s for s in secrets if s and s in text]
    if leaked:
        raise RuntimeError("internal error: a secret value would have been printed; output suppressed")


# --- cost ------------------------------------------------------------------------------


@dataclass
class _Costs:
    """What `infra cost` prints: the estimate, the one it is compared with, and what changes."""

    current: Estimate
    title: str
    before: Estimate | None = None
    ops: dict[str, str] = field(default_factory=dict)


def _cost(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    if args.chart and not args.compare:
        raise UsageError("--chart goes with --compare")
    if sum(bool(x) for x in (args.base, args.from_preview, args.from_export, args.compare)) > 1:
        raise UsageError("use one of --base, --compare, --from-preview, --from-export")
    if _is_program(stack_file) and (args.compare or args.base):
        raise UsageError(
            "--compare and --base read stack files; a program describes its application in code "
            "(change its targets there and price it again)"
        )
    spec = load_file_offline(stack_file, stack)
    currency = spec.budget.currency if spec.budget else None
    title = f"multicloud/{printable(stack)}"
    if args.from_preview or args.from_export:
        priced = _document_costs(args, spec.usage, currency, title)
    else:
        priced = _Costs(_plan_cost(stack_file, stack, currency), title)
        if args.base:
            priced.before = _plan_cost(_base_file(args.base, stack_file), stack, priced.current.currency)
    _check_finite(priced.current, priced.before)
    if args.strict_prices and not args.check_budget:
        raise UsageError("--strict-prices goes with --check-budget")
    if args.max_price_age is not None:
        for each in (priced.current, priced.before):
            if each is not None:
                each.max_price_age_days = args.max_price_age
    if args.compare:
        return _compare(args, stack_file, stack, priced.current, out)
    _print_costs(args.format, priced, stack, out)
    if not args.check_budget:
        return EXIT_OK
    budget = _check_budget(spec, priced)
    return _check_price_age(priced.current) if args.strict_prices and budget == EXIT_OK else budget


def _check_price_age(est: Any) -> int:
    """`--strict-prices`: exit 3, with one line per stale price, when any is older than the limit."""
    stale = [f"{name}: {line.name} (price read {line.price_date})" for name, line in est.stale_lines]
    if est.rate_stale:
        stale.append(
            f"the EUR→USD rate ({est.today} is more than {est.max_price_age_days} days after its date)"
        )
    for item in stale:
        _stderr().print(
            printable(f"stale price, older than {est.max_price_age_days} days: {item}"), markup=False
        )
    for approximation in est.approximations:
        _stderr().print(printable(f"approximate price: {approximation}"), markup=False)
    return EXIT_BUDGET if stale or est.approximations else EXIT_OK


def _plan_cost(stack_file: Path, stack: str, currency: str | None) -> Estimate:
    from multicloud.costs.estimate import estimate_plan

    return estimate_plan(plan(stack_file, stack), currency)


def _document_costs(args: argparse.Namespace, usage: Any, currency: str | None, title: str) -> _Costs:
    """`--from-preview` (before and after, and each URN's step) or `--from-export`."""
    from multicloud.costs.estimate import estimate
    from multicloud.costs.sources import from_export, from_preview

    source = args.from_preview or args.from_export
    doc = read_document(source)
    if not args.from_preview:
        _check_export(source, doc)
        with _priced(source):
            return _Costs(estimate(from_export(doc), usage, currency), f"{title} (stack export)")
    _check_preview(source, doc)
    with _priced(source):
        change = from_preview(doc)
        before = estimate(change.before, usage, currency)
        current = estimate(change.after, usage, currency or before.currency)
    return _Costs(current, f"{title} (pulumi preview)", before, change.ops)


def _check_finite(*estimates: Estimate | None) -> None:
    """A cost that is not a finite number stops the command (exit 2) before anything prints."""
    from multicloud.costs.estimate import NotFinite, check_finite

    try:
        for each in estimates:
            if each is not None:
                check_finite(each)
    except NotFinite as e:
        raise UsageError(str(e)) from None


def _infracost(
    est: Estimate, stack: str, before: Estimate | None = None, extended: bool = False, path: str = ""
) -> dict[str, Any]:
    from multicloud.costs.estimate import NotFinite, infracost_json

    try:
        return infracost_json(est, "multicloud", stack, before, path=path, vcs=_vcs(), extended=extended)
    except NotFinite as e:
        raise UsageError(str(e)) from None


def _vcs() -> dict[str, str]:
    """The commit Infracost's `metadata` describes: the checkout's HEAD when git can say, else
    nothing (the fields stay empty)."""
    import subprocess

    fields = {
        "vcsBranch": ["rev-parse", "--abbrev-ref", "HEAD"],
        "vcsCommitSha": ["rev-parse", "HEAD"],
        "vcsCommitAuthorName": ["log", "-1", "--format=%an"],
        "vcsCommitAuthorEmail": ["log", "-1", "--format=%ae"],
        "vcsCommitTimestamp": ["log", "-1", "--format=%cI"],
        "vcsCommitMessage": ["log", "-1", "--format=%s"],
    }
    found = {}
    for key, argv in fields.items():
        try:
            done = subprocess.run(["git", *argv], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return {}
        if done.returncode != 0:
            return {}
        found[key] = printable(done.stdout.strip())
    return found


def _print_costs(output: str, priced: _Costs, stack: str, out: Console) -> None:
    from multicloud.costs import report
    from multicloud.costs.estimate import diff

    current, before = priced.current, priced.before
    if output in ("json", "multicloud-json"):
        print(_json_text(_infracost(current, stack, before, extended=output == "multicloud-json")))
    elif output == "markdown" and before is not None:
        changes = report.resource_changes(priced.ops, before, current) if priced.ops else None
        print(report.diff_markdown(diff(before, current), before, current, priced.title, changes))
    elif output == "markdown":
        print(report.markdown(current, priced.title))
    else:
        for part in report.terminal(current, priced.title, before, priced.ops):
            out.print(part)


def _check_budget(spec: Any, priced: _Costs) -> int:
    """`--check-budget`: exit 3, with one line per broken rule, when the estimate breaks it."""
    from multicloud.costs.budget import violations

    budget = spec.budget
    if budget is None:
        raise UsageError("--check-budget needs multicloud:budget: {monthly: ..., currency: ...}")
    if not math.isfinite(budget.monthly):
        raise UsageError("multicloud:budget.monthly is not a finite number; no estimate can break it")
    broken = violations(
        priced.current.total,
        priced.current.currency,
        budget.monthly,
        budget.currency,
        previous=priced.before.total if priced.before else None,
        max_increase=budget.max_increase,
        max_increase_percent=budget.max_increase_percent,
    )
    for reason in broken:
        _stderr().print(printable(f"over budget: {reason}"), markup=False)
    return EXIT_BUDGET if broken else EXIT_OK


def read_document(path: Path) -> Any:
    """A JSON document Pulumi wrote (`preview --json`, `stack export`), or UsageError with one
    line: missing, unreadable, not UTF-8, not JSON, numbers JSON has no form for (NaN,
    Infinity, 1e999) or nesting too deep to be one of Pulumi's."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a JSON file") from None
    except OSError as e:
        raise UsageError(f"{path} cannot be read ({e.strerror or type(e).__name__})") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UsageError(f"{path} is larger than {MAX_DOCUMENT_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; expected JSON") from None
    try:
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise UsageError(f"{path} is not JSON (line {e.lineno})") from None
    except RecursionError:
        raise UsageError(f"{path} nests values too deeply to be a Pulumi document") from None
    except ValueError:  # NaN, Infinity, 1e999, or an integer of thousands of digits
        raise UsageError(f"{path} holds a number that is out of range or not finite") from None


def _not_a_number(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number out of range")
    return value


def _check_preview(source: Path, doc: Any) -> None:
    from multicloud.infra.guard import PreviewError, read_preview

    try:
        read_preview(doc)
    except PreviewError as e:
        raise UsageError(f"{source} {e}") from None


def _check_export(source: Path, doc: Any) -> None:
    """Fail on anything that is not a `pulumi stack export` document (what from_export reads)."""
    from multicloud.infra.guard import parse_urn

    expected = 'expected the output of `pulumi stack export` (a JSON object with "deployment")'
    if not isinstance(doc, dict):
        raise UsageError(f"{source} is not a JSON object; {expected}")
    if "steps" in doc:
        raise UsageError(f"{source} is a `pulumi preview --json` document; price it with --from-preview")
    deployment = doc.get("deployment", doc if "resources" in doc else None)
    if not isinstance(deployment, dict):
        raise UsageError(f'{source} has no "deployment" object; {expected}')
    resources = deployment.get("resources")
    if resources is None:
        resources = []  # an empty stack's export has none
    if not isinstance(resources, list):
        raise UsageError(f"{source}: deployment.resources is not a list; {expected}")
    for i, res in enumerate(resources):
        where = f"{source}: deployment.resources[{i}]"
        if not isinstance(res, dict):
            raise UsageError(f"{where} is not an object")
        if parse_urn(res.get("urn")) is None:
            raise UsageError(
                f"{where}.urn is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)"
            )
        for key, kind, optional in (
            ("type", str, False),
            ("parent", str, True),
            ("inputs", dict, True),
            ("outputs", dict, True),
        ):
            value = res.get(key)
            if not isinstance(value, kind) and not (optional and value is None):
                raise UsageError(f"{where}.{key} is not {'a string' if kind is str else 'an object'}")


@contextlib.contextmanager
def _priced(source: Path) -> Iterator[None]:
    """Pricing reads each resource's inputs in the shape its provider gives them; a document
    that was edited by hand may not have it. That is bad input (exit 2), not our bug."""
    try:
        yield
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        raise UsageError(
            f"{source}: a resource's inputs do not have the shape its provider gives them; "
            "price the unmodified output of pulumi"
        ) from None


def _compare(args: argparse.Namespace, stack_file: Path, stack: str, current: Estimate, out: Console) -> int:
    from multicloud.components.capabilities import BACKENDS
    from multicloud.costs import report
    from multicloud.stacks.compare import redundant
    from multicloud.stacks.loader import read_stack_file

    known = sorted({t for kind in BACKENDS.values() for t in kind} - {"route53"})
    targets = [t.strip() for t in args.compare.split(",") if t.strip()]
    unknown = [t for t in targets if t not in known]
    if unknown:
        raise UsageError(f"--compare: unknown target {', '.join(unknown)}; known: {', '.join(known)}")
    raw = read_stack_file(stack_file)
    if args.emit and len(targets) != 1:
        raise UsageError("--emit writes one stack file: give --compare exactly one target")
    # Each target's stack file: what its column plans and prices, and what --emit writes.
    files = {target: _retargeted_file(raw.values, target, current) for target in targets}
    columns = [report.Column("as configured", current, [], redundant=redundant(raw.values, current))]
    columns += [_retargeted(raw.values, files[target], target, stack, current) for target in targets]
    if args.emit:
        failed = [note for note in columns[1].notes if note.startswith("cannot be planned")]
        if failed:
            # A file that does not plan would be a comparison nobody can reproduce.
            raise UsageError(f"--emit: the stack moved to {targets[0]} {failed[0]}; nothing written")
        args.emit.write_text(files[targets[0]])
    currency = current.currency
    if args.chart:
        title = f"multicloud/{stack}: monthly cost by target"
        args.chart.write_text(report.bar_chart_svg(columns, currency, title))
    if args.format in ("json", "multicloud-json"):
        extended = args.format == "multicloud-json"
        print(
            _json_text(
                {
                    c.label: _infracost(c.estimate, stack, extended=extended)
                    | {
                        "notes": c.notes,
                        "capacity": c.estimate.capacity.as_dict() | {"redundant": c.redundant},
                        "capacity_differences": [d.as_dict() for d in c.differences],
                    }
                    for c in columns
                }
            )
        )
    elif args.format == "markdown":
        print(report.compare_markdown(columns, currency))
    else:
        title = f"multicloud/{stack}: monthly cost by target ({currency})"
        for part in report.compare_terminal(columns, currency, title):
            out.print(part)
        if args.chart:
            out.print(printable(f"chart written to {args.chart}"), markup=False)
    return EXIT_OK


def _retargeted(values: dict[str, Any], text: str, target: str, stack: str, current: Estimate) -> Column:
    """The stack moved to `target` (`text`, from _retargeted_file), planned and priced, with
    what it buys beside what the configured stack does; a stack that cannot be planned there
    is an empty column with the reasons as notes."""
    import tempfile

    from multicloud.costs.estimate import Estimate, estimate_plan
    from multicloud.costs.report import Column
    from multicloud.stacks.compare import differences, redundant, retarget

    moved, notes = retarget(values, target, current.capacity_by_component)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"Pulumi.{stack}.yaml"
        path.write_text(text)
        try:
            result = plan(path, stack)
        except (ConfigError, ContractBreach) as e:
            notes = notes + [f"cannot be planned on {target}: {line}" for line in e.lines()]
            return Column(target, Estimate(current.currency, {}, [], 0, current.usage, 0), notes)
    priced = estimate_plan(result, current.currency)
    _check_finite(priced)
    return Column(
        target,
        priced,
        notes,
        differences=differences(values, current, moved, priced, target),
        redundant=redundant(moved, priced),
    )


def _retargeted_file(values: dict[str, Any], target: str, current: Estimate) -> str:
    """The stack moved to `target`, as a Pulumi.<stack>.yaml file (what --compare prices and
    --emit writes), its notes as comments at the top. Services keep the capacity they have
    in `current` (the configured stack's estimate)."""
    from multicloud.stacks.compare import retarget

    moved, notes = retarget(values, target, current.capacity_by_component)
    header = [f"# Moved to {target} by `infra cost --compare {target} --emit`."]
    header += [f"# {printable(note)}" for note in notes]
    doc = {"config": {f"multicloud:{k}": v for k, v in moved.items()}}
    return "\n".join(header) + "\n" + yaml.safe_dump(doc, sort_keys=False)


def _base_file(base: str, stack_file: Path) -> Path:
    """`--base`: a stack file, or the same stack file at a git ref."""
    import subprocess
    import tempfile

    candidate = Path(base)
    if candidate.is_file():
        return candidate
    if not base or base.startswith("-"):
        # git would read it as an option (`--output=…` writes a file).
        raise UsageError("--base: neither a file nor a git ref")
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        check=False,
        capture_output=True,
        text=True,
        cwd=stack_file.resolve().parent,
    )
    if root.returncode != 0:
        raise UsageError(f"--base {base}: not a file, and not inside a git checkout")
    try:
        rel = stack_file.resolve().relative_to(Path(root.stdout.strip()))
    except ValueError:
        raise UsageError(f"--base {base}: {stack_file} is not inside that git checkout") from None
    shown = subprocess.run(
        ["git", "show", f"{base}:{rel.as_posix()}"],
        check=False,
        capture_output=True,
        cwd=root.stdout.strip(),
    )
    if shown.returncode != 0:
        raise UsageError(f"--base {base}: {rel} does not exist at that git ref")
    tmp = Path(tempfile.mkdtemp()) / stack_file.name
    tmp.write_bytes(shown.stdout)  # read by the same strict loader as any stack file
    return tmp


def _guard(args: argparse.Namespace, out: Console) -> int:
    from multicloud.infra.guard import PreviewError, findings

    preview = read_document(args.from_preview)
    try:
        found = findings(preview, set(args.allow_replace))
    except PreviewError as e:
        raise UsageError(f"{args.from_preview} {e}") from None
    err = _stderr()
    for f in found:
        err.print(
            printable(f"refusing: {f.op} of {f.type} {f.name} would lose its data ({f.urn})"), markup=False
        )
    if found:
        err.print(
            "allow each deliberately with --allow-replace URN; migrations: docs/migrations.md", markup=False
        )
        return EXIT_GUARD
    out.print(printable(f"{args.from_preview}: no stateful resource is replaced or deleted"), markup=False)
    return EXIT_OK


# Secret settings of the backup scripts' env file.
BACKUP_SECRETS = frozenset({"RESTIC_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})


class UsageError(Exception):
    """Bad input that is not stack config: an option, a document, an output path (exit 2)."""


# --- render ----------------------------------------------------------------------------


def _render(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    out_dir = output_dir(args.out)  # before the plan: a bad --out fails fast, and creates nothing
    result = plan(stack_file, stack)
    written = render_hosts(result, out_dir)
    for path in written:
        out.print(printable(str(path)), markup=False)
    out.print(
        "\n" + printable(f"{len(written)} files written to {out_dir}; secret values are shown as <secret>."),
        markup=False,
    )
    return EXIT_OK


def _dev(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    """`infra dev`: the data services' compose file and each linking service's env file."""
    import subprocess

    from multicloud.stacks.dev import render

    out_dir = output_dir(args.out)
    spec = load_file_offline(stack_file, stack)
    try:
        files = render(spec, with_apps=args.with_apps)
    except ValueError as err:
        raise UsageError(str(err)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.files.items()):
        mode = 0o644 if name == "compose.yaml" else 0o600  # env files hold the throwaway passwords
        out.print(printable(str(write_under(out_dir, name, text.encode(), mode))), markup=False)
    services = ", ".join(sorted(files.variables)) or "no service links a data service"
    out.print(
        printable(f"env files for: {services}; start with: docker compose -f {out_dir}/compose.yaml up -d"),
        markup=False,
    )
    if not args.up:
        return EXIT_OK
    try:
        done = subprocess.run(
            ["docker", "compose", "-f", str(out_dir / "compose.yaml"), "up", "-d"], check=False
        )
    except OSError:
        raise UsageError(
            "--up needs Docker with the compose plugin (docker compose); start them yourself"
        ) from None
    return EXIT_OK if done.returncode == 0 else EXIT_ERROR


def output_dir(raw: str) -> Path:
    """`--out`, checked before anything runs: a path to a directory, or to nothing yet under
    a directory we may write to. The directory itself may be reached through a link (the
    user named it); nothing below it is (see `write_under`)."""
    if not raw.strip():
        raise UsageError("--out is empty; name the directory to write into (for the current one: --out .)")
    path = Path(raw)
    if path.is_symlink() and not path.exists():
        raise UsageError(f"--out {raw} is a symbolic link to nothing")
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"--out {raw} exists and is not a directory")
        existing = path
    else:
        existing = path.parent
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise UsageError(f"--out {raw}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {raw}: {existing} is not writable")
    return path


MACHINE_TYPES = (types.HCLOUD_SERVER, types.DO_DROPLET)


def render_hosts(result: Plan, out_dir: Path) -> list[Path]:
    """Write each host's user-data and release files under out_dir/<host>/, and each App
    Platform app's spec under out_dir/apps/ (secrets replaced)."""
    import tarfile

    by_urn = {r.urn: r for r in result.registrations}
    app_secrets = frozenset(n for svc in result.spec.services.values() for n in getattr(svc, "secrets", []))
    written: list[Path] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for reg in result.registrations:
        if reg.type == types.DO_APP:
            spec = _redact_app_envs(reg.inputs.get("spec", {}))
            text = yaml.safe_dump(spec, sort_keys=False, width=1000)
            written.append(_write(out_dir, f"apps/{reg.name}.yaml", text, result))
        if reg.type in MACHINE_TYPES:
            host = by_urn[reg.parent].name
            written.append(
                _write(out_dir, f"{host}/cloud-init.yaml", reg.raw_inputs.get("userData", ""), result)
            )
        if reg.type == types.REMOTE_COMMAND:
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
                        text = _env_template(text, app_secrets)
                    target = f"{host}/release/{member.name}"
                    written.append(_write(out_dir, target, text, result, mode=member.mode))
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


def _env_template(text: str, app_secrets: frozenset[str] = frozenset()) -> str:
    """An env file with the values of secret variables — the links' credentials, the backup
    keys and the application's own `secrets:` — replaced by <secret>."""
    lines = []
    for line in text.splitlines():
        key = line.partition("=")[0]
        lines.append(f"{key}=<secret>" if key in SECRET_VARS | BACKUP_SECRETS | app_secrets else line)
    return "\n".join(lines) + "\n"


def _write(out_dir: Path, relative: str, text: str, result: Plan, mode: int = 0o644) -> Path:
    for secret in sorted(result.secret_values, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "<secret>")
    if PurePosixPath(relative).parts[-2:] == ("docker", "config.json"):
        text = _without_logins(text)
    return write_under(out_dir, relative, text.encode(), mode & 0o755 | 0o600)


def _without_logins(text: str) -> str:
    """A rendered docker config.json with every registry login's `auth` as <secret>, whatever
    the login was (a placeholder, or a plain value a program passed in code)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return text
    for entry in (doc.get("auths") or {}).values() if isinstance(doc, dict) else []:
        if isinstance(entry, dict) and "auth" in entry:
            entry["auth"] = "<secret>"
    return json.dumps(doc, indent=2) + "\n"


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def write_under(root: Path, relative: str, data: bytes, mode: int) -> Path:
    """Write `data` to root/relative, creating directories, without following a symbolic link
    anywhere below `root`.

    Each directory is opened relative to its parent with O_NOFOLLOW, so a link planted in
    the output directory (`main -> /etc`) is refused, not written through, even if it
    appears while we write. The file itself is written to a new name and renamed into
    place: an existing link or hard link in its place is never written through.
    """
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("", ".", "..") or "\0" in p for p in parts) or relative.startswith("/"):
        raise UsageError(f"refusing to write {relative}: not a plain path below --out")
    shown = root
    fd = os.open(root, os.O_RDONLY | _DIRECTORY)
    try:
        for part in parts[:-1]:
            shown = shown / part
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            try:
                child = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            except OSError as e:
                raise _unsafe(shown, e) from None
            os.close(fd)
            fd = child
        name = parts[-1]
        shown = shown / name
        try:
            existing = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and stat.S_ISLNK(existing.st_mode):
            raise UsageError(f"{shown} is a symbolic link; render writes nothing through a link")
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            raise UsageError(f"{shown} exists and is not a regular file")
        temporary = f".{name}.{os.urandom(6).hex()}.tmp"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=fd)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                os.fchmod(stream.fileno(), mode)
            os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=fd)
            raise
    finally:
        os.close(fd)
    return shown


def _unsafe(path: Path, e: OSError) -> UsageError:
    if e.errno == errno.ELOOP or (e.errno == errno.ENOTDIR and path.is_symlink()):
        return UsageError(f"{path} is a symbolic link; render writes nothing through a link")
    if e.errno == errno.ENOTDIR:
        return UsageError(f"{path} exists and is not a directory")
    return UsageError(f"{path}: {e.strerror or type(e).__name__}")


if __name__ == "__main__":
    sys.exit(main())
