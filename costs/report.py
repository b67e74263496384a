"""Present estimates: terminal tables, Markdown (pull-request comments) and an SVG chart.

Names in an estimate can come from a document anyone wrote (`--from-preview`): they are shown
with control characters escaped (components._lib.grammars.printable), as Rich Text rather than markup
in tables, and with `|` escaped in Markdown table cells. Rich is imported by the functions
that build tables only: the JSON and Markdown outputs never load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from multicloud.components._lib.grammars import printable
from multicloud.costs.capacity import Difference
from multicloud.costs.estimate import ComponentDiff, Estimate, convert, diff, eur_usd, fmt

MARKER = "<!-- multicloud-cost -->"


def _cell(text: str) -> str:
    """A name in a Markdown table cell: one line, no column break."""
    return printable(text).replace("|", "\\|")


def usage_note(est: Estimate) -> str:
    """The usage quantities an estimate assumed (printed with every estimate)."""
    u = est.usage
    return (
        f"usage assumed (multicloud:usage): {u.storage_gb:g} GB per bucket, {u.egress_gb:g} GB egress, "
        f"{u.nat_gb:g} GB through NAT, {u.link_gb:g} GB per database reached across the internet, "
        f"{u.alb_lcu:g} LCU per load balancer, {u.log_gb:g} GB logs per service, "
        f"{u.job_minutes:g} min per job run"
    )


STALE_MARK = " ‡"


def age_note(est: Estimate) -> str:
    """How old the prices behind the total are, in words: the oldest and newest read dates,
    the lines read longer ago than the limit (marked ‡), and the exchange rate's date."""
    oldest, newest = est.oldest_price_date, est.newest_price_date
    if oldest is None or newest is None:
        return "no priced line"
    span = f"prices read {oldest.isoformat()}" + (f" to {newest.isoformat()}" if newest != oldest else "")
    stale = est.stale_lines
    if stale:
        span += (
            f"; {len(stale)} line{'s' if len(stale) > 1 else ''} priced more than {est.max_price_age_days} days "
            f"before {est.today.isoformat()} (marked ‡)"
        )
    else:
        span += f"; none older than {est.max_price_age_days} days"
    if est.converted:
        rate = eur_usd()
        span += f"; EUR→USD rate of {rate.date}" + (" (stale)" if est.rate_stale else "")
    return "; ".join([span, *est.approximations])


def fx_note() -> str:
    """The exchange rate used for totals."""
    r = eur_usd()
    return f"EUR→USD {r.rate} ({r.date}, ECB); every line keeps its own currency, totals are converted"


def table(est: Estimate, title: str) -> object:
    """A rich Table: one row per component, with its lines beneath."""
    from rich.table import Table
    from rich.text import Text

    # Text cells, never markup: a "[/]" in a name prints as it is instead of ending a style.
    t = Table(title=Text(printable(title)), show_lines=False, title_justify="left")
    t.add_column("component")
    t.add_column("line")
    t.add_column("quantity", justify="right")
    t.add_column("monthly", justify="right")
    for comp in sorted(est.components.values(), key=lambda c: (-c.monthly, c.name)):
        t.add_row(
            Text.assemble((printable(comp.name), "bold"), f" ({printable(comp.kind)})"),
            "",
            "",
            Text(fmt(comp.monthly, est.currency), style="bold"),
        )
        for line in comp.lines:
            mark = (" *" if line.usage_based else "") + (STALE_MARK if est.is_stale(line) else "")
            t.add_row(
                "",
                Text(printable(line.name + mark)),
                Text(printable(f"{line.quantity:,.4g} {line.unit}")),
                fmt(line.monthly, line.currency),
            )
    t.add_row(Text("total", style="bold"), "", "", Text(fmt(est.total, est.currency), style="bold"))
    return t


def terminal(
    est: Estimate, title: str, before: Estimate | None = None, ops: dict[str, str] | None = None
) -> list[Any]:
    """What `infra cost` prints on a terminal: the change against `before` (with the resources
    that change, from a preview's `ops`), the estimate, and the usage and unpriced notes."""
    from rich.text import Text

    parts: list[Any] = []
    if before is not None:
        parts.append(change_table(diff(before, est), est.currency, title))
        if ops:
            parts.append(resources_table(resource_changes(ops, before, est), est.currency))
    parts += [
        table(est, title),
        Text(usage_note(est), style="dim"),
        Text(
            age_note(est),
            style="yellow" if est.stale_lines or est.rate_stale or est.approximations else "dim",
        ),
        Text(unpriced_note(est), style="dim"),
    ]
    return parts


def change_table(rows: list[ComponentDiff], currency: str, title: str) -> Any:
    """Per component: previous, new and the difference."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(printable(f"{title}: change")), title_justify="left")
    for col in ("component", "previous", "new", "diff"):
        t.add_column(col, justify="left" if col == "component" else "right")
    for row in rows:
        t.add_row(
            Text(printable(row.name)),
            fmt(row.before, currency),
            fmt(row.after, currency),
            fmt(row.change, currency, signed=True),
        )
    return t


def resources_table(changes: list[tuple[str, str, float, float]], currency: str) -> Any:
    """Per changed resource (see `resource_changes`): the change, previous and new cost."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title="resources that change", title_justify="left")
    for col in ("change", "resource", "previous", "new"):
        t.add_column(col, justify="right" if col in ("previous", "new") else "left")
    for op, name, before, after in changes:
        t.add_row(Text(printable(op)), Text(printable(name)), fmt(before, currency), fmt(after, currency))
    return t


def unpriced_note(est: Estimate) -> str:
    """Which resources have no price (never counted as 0 silently)."""
    if not est.unpriced:
        return "every resource is priced or known to be free"
    kinds = sorted({printable(r.type) for r in est.unpriced})
    return f"{len(est.unpriced)} resources UNPRICED (not in the total): {', '.join(kinds)}"


def markdown(est: Estimate, title: str) -> str:
    """The estimate as Markdown."""
    rows = [
        f"### {printable(title)}",
        "",
        f"**{fmt(est.total, est.currency)} per month**",
        "",
        "| Component | Kind | Monthly |",
        "|---|---|---:|",
    ]
    for comp in sorted(est.components.values(), key=lambda c: (-c.monthly, c.name)):
        rows.append(f"| {_cell(comp.name)} | {_cell(comp.kind)} | {fmt(comp.monthly, est.currency)} |")
    rows += [
        "",
        "<details><summary>Lines</summary>",
        "",
        "| Component | Line | Quantity | Monthly |",
        "|---|---|---:|---:|",
    ]
    for comp in sorted(est.components.values(), key=lambda c: c.name):
        for line in comp.lines:
            rows.append(
                f"| {_cell(comp.name)} | {_cell(line.name)}{' *' if line.usage_based else ''}"
                f"{STALE_MARK if est.is_stale(line) else ''} | "
                f"{line.quantity:,.4g} {_cell(line.unit)} | {fmt(line.monthly, line.currency)} |"
            )
    rows += [
        "",
        "\\* usage-based; ‡ price read more than the age limit ago",
        "",
        "</details>",
        "",
        f"_{usage_note(est)}; {age_note(est)}; {fx_note()}; {unpriced_note(est)}._",
    ]
    return "\n".join(rows) + "\n"


def resource_changes(
    ops: dict[str, str], before: Estimate, after: Estimate
) -> list[tuple[str, str, float, float]]:
    """(op, resource, before, after) for every changed resource that costs something."""
    from multicloud.costs.estimate import per_resource

    old = {k: convert(v, before.currency, after.currency) for k, v in per_resource(before).items()}
    new = per_resource(after)
    rows = []
    for urn, op in ops.items():
        if op in ("same", "read", "refresh") or (urn not in old and urn not in new):
            continue
        rows.append((op, urn.split("::")[-1], old.get(urn, 0.0), new.get(urn, 0.0)))
    return sorted(rows, key=lambda r: (r[0], r[1]))


def diff_markdown(
    rows: list[ComponentDiff],
    before: Estimate,
    after: Estimate,
    title: str,
    changes: list[tuple[str, str, float, float]] | None = None,
) -> str:
    """A pull-request comment: summary line, previous/new/diff per component."""
    cur = after.currency
    old_total = sum(r.before for r in rows)
    change = after.total - old_total
    pct = f" ({change / old_total * 100:+.1f} %)" if old_total else ""
    verb = "increase" if change > 0.005 else "decrease" if change < -0.005 else "not change"
    headline = f"Monthly cost will **{verb}**" + (
        f" by **{fmt(abs(change), cur)}**{pct}" if verb != "not change" else ""
    )
    lines = [
        MARKER,
        f"### 💰 {printable(title)}",
        "",
        f"{headline}: {fmt(old_total, cur)} → **{fmt(after.total, cur)}**",
        "",
        "| Component | Previous | New | Diff |",
        "|---|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: -abs(r.change)):
        lines.append(
            f"| {_cell(r.name)} | {fmt(r.before, cur)} | {fmt(r.after, cur)} | {fmt(r.change, cur, signed=True)} |"
        )
    if changes:
        lines += [
            "",
            "<details><summary>Resources that change</summary>",
            "",
            "| Change | Resource | Previous | New |",
            "|---|---|---:|---:|",
        ]
        lines += [
            f"| {_cell(op)} | {_cell(name)} | {fmt(b, cur)} | {fmt(a, cur)} |" for op, name, b, a in changes
        ]
        lines += ["", "</details>"]
    lines += [
        "",
        f"_{usage_note(after)}; {age_note(after)}; {fx_note()}; {unpriced_note(after)}._",
        "",
        "This comment is updated when the estimate changes.",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Column:
    """One provider's estimate in a comparison."""

    label: str
    estimate: Estimate
    notes: list[str]
    differences: list[Difference] = field(default_factory=list)
    """Moved components whose capacity differs by more than 25 %, with why (stacks.compare)."""
    redundant: list[str] = field(default_factory=list)
    """Components that survive losing one machine (stacks.compare.redundant)."""


def compare_terminal(columns: list[Column], currency: str, title: str) -> list[Any]:
    """Side-by-side terminal table (components by rows, targets by columns), then each
    target's notes."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(printable(title)), title_justify="left")
    t.add_column("component")
    for col in columns:
        t.add_column(col.label, justify="right")
    for name in sorted({n for c in columns for n in c.estimate.components}):
        t.add_row(Text(printable(name)), *[_in(col, name, currency) for col in columns])
    totals = [_money(col.estimate.total, col.estimate.currency, currency) for col in columns]
    t.add_row(Text("total", style="bold"), *[Text(total, style="bold") for total in totals])
    for label, cells in capacity_rows(columns):
        t.add_row(Text(label, style="dim"), *[Text(cell, style="dim") for cell in cells])
    notes = [Text(printable(f"{col.label}: {note}"), style="dim") for col in columns for note in col.notes]
    notes += [Text(printable(note), style="yellow") for note in capacity_notes(columns)]
    return [t, *notes]


CAPACITY_TOLERANCE = 0.25  # a target buying more or less than this is called out


def capacity_rows(columns: list[Column]) -> list[tuple[str, list[str]]]:
    """vCPU, memory and storage per column (costs.capacity)."""
    caps = [col.estimate.capacity for col in columns]
    return [
        ("vCPU", [f"{c.vcpu:g}" for c in caps]),
        ("memory GB", [f"{c.memory_gb:g}" for c in caps]),
        ("storage GB", [f"{c.storage_gb:g}" for c in caps]),
        ("redundant", [", ".join(col.redundant) or "—" for col in columns]),
    ]


def capacity_notes(columns: list[Column]) -> list[str]:
    """Each target whose vCPUs or memory differ from the configured stack's by more than 25 %,
    with the figures, then every moved component that differs by as much and why, so unequal
    capacity is never compared silently."""
    if not columns:
        return []
    base = columns[0].estimate.capacity
    notes = []
    for col in columns[1:]:
        cap = col.estimate.capacity
        off = [
            f"{what} {mine:g} against {theirs:g} ({(mine - theirs) / theirs * 100:+.0f} %)"
            for what, mine, theirs in (
                ("vCPU", cap.vcpu, base.vcpu),
                ("memory GB", cap.memory_gb, base.memory_gb),
            )
            if theirs and abs(mine - theirs) / theirs > CAPACITY_TOLERANCE
        ]
        if off:
            notes.append(f"{col.label}: capacity not like for like, {' and '.join(off)} as configured")
        notes += [f"{col.label}: {d.text()}" for d in col.differences]
    return notes


def _money(amount: float, currency: str, to_currency: str) -> str:
    return fmt(convert(amount, currency, to_currency), to_currency)


def _in(col: Column, name: str, currency: str) -> str:
    """A component's monthly cost in one column of a comparison, or — where it has none."""
    comp = col.estimate.components.get(name)
    return _money(comp.monthly, col.estimate.currency, currency) if comp else "—"


def compare_markdown(columns: list[Column], currency: str) -> str:
    """Side-by-side table: components by rows, providers by columns."""
    names = sorted({n for c in columns for n in c.estimate.components})
    header = "| Component | " + " | ".join(c.label for c in columns) + " |"
    rows = [header, "|---|" + "---:|" * len(columns)]
    for name in names:
        rows.append(f"| {_cell(name)} | " + " | ".join(_in(col, name, currency) for col in columns) + " |")
    totals = [f"**{_money(c.estimate.total, c.estimate.currency, currency)}**" for c in columns]
    rows.append("| **total** | " + " | ".join(totals) + " |")
    for label, cells in capacity_rows(columns):
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    notes = [f"- {col.label}: {printable(note)}" for col in columns for note in col.notes]
    notes += [f"- {printable(note)}" for note in capacity_notes(columns)]
    if notes:
        rows += ["", *notes]
    return "\n".join(rows) + "\n"


# Segment colours, one per component in a fixed order (names sorted), cycling.
PALETTE = ("#3b6fd4", "#e07b39", "#3aa57a", "#b45ab8", "#d4b13b", "#5ab8c4", "#c44e5a", "#7d8a99")


def bar_chart_svg(columns: list[Column], currency: str, title: str) -> str:
    """A horizontal bar per target, split by component (stacked, one colour per component, a
    legend below), its total beside it and the capacity it buys under it (plain SVG, no
    plotting library needed)."""
    names = sorted({n for c in columns for n in c.estimate.components})
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    totals = [convert(c.estimate.total, c.estimate.currency, currency) for c in columns]
    width, bar_h, gap, left, top = 680, 28, 30, 170, 50
    legend_rows = (len(names) + 3) // 4
    height = top + len(columns) * (bar_h + gap) + 20 * legend_rows + 40
    biggest = max(totals, default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="16" y="28" font-size="16" font-weight="bold">{escape(printable(title))}</text>',
    ]
    span = width - left - 110
    for i, (col, total) in enumerate(zip(columns, totals, strict=True)):
        y = top + i * (bar_h + gap)
        x = float(left)
        for name in names:
            comp = col.estimate.components.get(name)
            monthly = convert(comp.monthly, col.estimate.currency, currency) if comp else 0.0
            if monthly <= 0:
                continue
            w = span * monthly / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour[name]}">'
                f"<title>{escape(printable(name))}: {escape(fmt(monthly, currency))}/mo</title></rect>"
            )
            x += w
        cap = col.estimate.capacity
        parts += [
            f'<text x="16" y="{y + bar_h * 0.68:.1f}">{escape(printable(col.label))}</text>',
            f'<text x="{max(x, left + 2.0) + 8:.1f}" y="{y + bar_h * 0.68:.1f}">{escape(fmt(total, currency))}/mo</text>',
            (
                f'<text x="{left}" y="{y + bar_h + 14}" font-size="11" fill="#555">'
                f"{cap.vcpu:g} vCPU · {cap.memory_gb:g} GB memory · {cap.storage_gb:g} GB storage</text>"
            ),
        ]
    legend_top = top + len(columns) * (bar_h + gap) + 6
    for i, name in enumerate(names):
        lx, ly = 16 + (i % 4) * 165, legend_top + (i // 4) * 20
        parts += [
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour[name]}"/>',
            f'<text x="{lx + 18}" y="{ly + 11}" font-size="12">{escape(printable(name))}</text>',
        ]
    parts.append(f'<text x="16" y="{height - 10}" font-size="11" fill="#555">{escape(fx_note())}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
