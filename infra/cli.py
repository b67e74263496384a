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
import io
import json
import os
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from components.connection import SECRET_VARS
from infra.offline import Plan, find_project, plan
from stacks.loader import ConfigError

EXIT_OK, EXIT_ERROR, EXIT_CONFIG = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point."""
    parser = _parser()
    args = parser.parse_args(argv)
    # Wide enough that plan lines are never cut when piped to a file or CI log.
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        stack_file, stack = _stack_file(args)
        return int(args.handler(args, stack_file, stack, out))
    except ConfigError as e:
        for line in e.lines():
            err.print(line, markup=False)
        return EXIT_CONFIG
    except (FileNotFoundError, NotADirectoryError, PermissionError) as e:
        err.print(f"error: {e}", markup=False)
        return EXIT_ERROR
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
    spec = load_file_offline(stack_file)
    out.print(
        f"{stack_file}: valid ({len(spec.services)} services, {len(spec.hosts)} hosts, {spec.environment})"
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

    children: dict[str, list[Any]] = {}
    for r in result.registrations:
        children.setdefault(r.parent, []).append(r)
    tree = Tree(f"[bold]{result.project}[/] · stack [bold]{result.stack}[/] ({result.spec.environment})")

    def add(node: Any, reg: Any) -> None:
        label = f"{_short(reg.type)} [bold]{reg.name}[/]"
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


# --- render ----------------------------------------------------------------------------


def _render(args: argparse.Namespace, stack_file: Path, stack: str, out: Console) -> int:
    result = plan(stack_file, stack)
    written = render_hosts(result, args.out)
    for path in written:
        out.print(str(path))
    out.print(f"\n{len(written)} files written to {args.out}; secret values are shown as <secret>.")
    return EXIT_OK


def render_hosts(result: Plan, out_dir: Path) -> list[Path]:
    """Write each host's user-data and release files (secrets replaced) under out_dir/<host>/."""
    by_urn = {r.urn: r for r in result.registrations}
    written: list[Path] = []
    for reg in result.registrations:
        if reg.type == "hcloud:index/server:Server":
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
                    if member.name.startswith("env/"):
                        text = _env_template(text)
                    target = out_dir / host / "release" / member.name
                    written.append(_write(target, text, result, mode=member.mode))
    return written


def _env_template(text: str) -> str:
    lines = []
    for line in text.splitlines():
        key = line.partition("=")[0]
        lines.append(f"{key}=<secret>" if key in SECRET_VARS else line)
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
