"""``wharf cost [--stack NAME] [--months 12] [--json]``: what the platform would cost on Azure.

A monthly estimate per service and catalog element, a projection month by month, the first month
each service limit is reached, and every assumption the figures rest on. Offline: the prices come
from the dated table shipped with lakewharf (or ``--prices FILE``). Formulas: docs/cost.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.table import Table as RichTable

from lakewharf.cli.command_catalog import command_catalog
from lakewharf.cli.output import console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", default="dev", metavar="NAME", help="stack whose Pulumi.<NAME>.yaml gives the "
                        "region, SQL pool SKU and lake redundancy (default: dev)")
    parser.add_argument("--months", type=int, default=12, metavar="N", help="months to project (default: 12)")
    parser.add_argument("--prices", type=Path, metavar="FILE", help="your own price table (same shape as "
                        "lakewharf/cost/prices/westeurope.yaml), e.g. enterprise-agreement prices")
    parser.add_argument("--pool-hours", type=float, default=24.0, metavar="H",
                        help="hours a day the dedicated SQL pool runs (default 24: lakewharf deploys no pause "
                        "schedule)")
    parser.add_argument("--copy-mbps", type=float, default=10.0, metavar="MB/S",
                        help="throughput of one copy at 4 DIUs (default: 10, an assumption)")
    parser.add_argument("--no-measured", action="store_true", help="ignore the last local run's measurements")
    parser.add_argument("--all-lines", action="store_true", help="list every line, not only those over 0.01")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


EXAMPLES = """\
  wharf cost                          # stack dev, 12 months
  wharf cost --stack prod --months 24
  wharf cost --pool-hours 8           # price a dedicated pool paused 16 hours a day
  wharf cost --json | jq .total
"""


def run(args: argparse.Namespace) -> int:
    from lakewharf.cost.estimate import Assumptions
    from lakewharf.cost.report import Options, assumptions_of, measured_of, projection_for, to_dict
    from lakewharf.errors import WharfError
    from lakewharf.generate.generate_all import generate_all

    if not 1 <= args.months <= 120:
        raise WharfError("--months: give a number of months from 1 to 120")
    if not 0 <= args.pool_hours <= 24 or args.copy_mbps <= 0:
        raise WharfError("--pool-hours: 0 to 24; --copy-mbps: more than 0")
    catalog = command_catalog(getattr(args, "project", None))
    tree = {a.path: a.content for a in generate_all(catalog)}
    options = Options(args.stack, args.months, args.prices,
                      Assumptions(copy_mb_per_second=args.copy_mbps, pool_hours_per_day=args.pool_hours),
                      measure=not args.no_measured)
    ctx, proj = projection_for(catalog, tree, options)
    if args.json:
        json.dump(to_dict(ctx, proj), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = console()
    cur = ctx.prices.currency
    first, last = proj.months[0], proj.months[-1]
    out.print(f"[bold]wharf cost[/] — stack {ctx.stack.name}, {ctx.prices.region}, {ctx.stack.sql_pool_sku}, "
              f"{ctx.stack.storage_sku}; prices {ctx.prices.path} ({ctx.prices.currency}, retrieved "
              f"{ctx.prices.retrieved})", highlight=False)
    services = RichTable(title=f"monthly estimate per service ({cur})", header_style="bold")
    services.add_column("service")
    services.add_column("month 1", justify="right")
    services.add_column(f"month {last.month}", justify="right")
    later = last.by_service()
    for service, cost in first.by_service().items():
        services.add_row(service, f"{cost:,.2f}", f"{later.get(service, 0.0):,.2f}")
    services.add_row("[bold]total[/]", f"[bold]{first.total:,.2f}[/]", f"[bold]{last.total:,.2f}[/]")
    out.print(services)
    lines = RichTable(title="month 1 per catalog element", header_style="bold")
    for col in ("service", "element", "meter", "quantity", cur, "basis", "formula"):
        lines.add_column(col, justify="right" if col in ("quantity", cur) else "left", overflow="fold")
    for line in sorted(first.lines, key=lambda x: (x.service, -x.cost)):
        if args.all_lines or line.cost >= 0.01:
            lines.add_row(line.service, line.element, line.meter, f"{line.quantity:,.3f} {line.unit}",
                          f"{line.cost:,.2f}", line.basis, line.formula)
    out.print(lines)
    months = RichTable(title=f"{len(proj.months)}-month projection ({cur})", header_style="bold")
    months.add_column("month", justify="right")
    for service in first.by_service():
        months.add_column(service, justify="right")
    months.add_column("total", justify="right")
    for e in proj.months:
        by = e.by_service()
        months.add_row(str(e.month), *(f"{by.get(s, 0.0):,.2f}" for s in first.by_service()), f"{e.total:,.2f}")
    out.print(months)
    limits = RichTable(title="service limits", header_style="bold")
    for col in ("limit", "value", "month 1", f"month {last.month}", "first month reached", "note"):
        limits.add_column(col)
    for limit in proj.limits:
        limits.add_row(limit.name, f"{limit.limit:,g} {limit.unit}", f"{limit.month_1:,.2f}", f"{limit.last:,.2f}",
                       str(limit.first_month) if limit.first_month else f"not within {len(proj.months)} months",
                       limit.note)
    out.print(limits)
    measured = measured_of(ctx)
    out.print("[bold]measured by the last local run[/]" + ("" if measured else ": nothing (run `wharf run --report "
              "build/run-report.json` to measure bytes per row and job durations)"))
    for m in measured:
        out.print(f"  • {m}", markup=False, highlight=False)
    out.print("[bold]assumptions[/]")
    for a in assumptions_of(ctx):
        out.print(f"  • {a}", markup=False, highlight=False)
    return 0
