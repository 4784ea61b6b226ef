"""Entry point of ``wharf``. Parses arguments and dispatches; commands import what they need."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from lakewharf import __version__

# name → (module, one-line help). Modules are imported when their command runs, so
# `wharf validate` never pays for pulumi, the Azure SDKs or DuckDB.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("lakewharf.cli.init", "create a new project folder that validates and runs at once"),
    "validate": ("lakewharf.cli.validate", "check the catalog and show a summary"),
    "schema": ("lakewharf.cli.schema", "export the catalog JSON Schemas"),
    "generate": ("lakewharf.cli.generate", "write Data Factory, Synapse and Azure ML artifacts into build/"),
    "diff": ("lakewharf.cli.diff", "show what a catalog change does to the generated artifacts"),
    "run": ("lakewharf.cli.run", "run the generated pipelines locally and report"),
    "local": ("lakewharf.cli.local", "start, stop or inspect the local lake, sources and emulator"),
    "query": ("lakewharf.cli.query", "run a read-only SELECT on the local warehouse"),
    "plan": ("lakewharf.cli.plan", "show offline what `pulumi up` would create for a stack"),
    "cost": ("lakewharf.cli.cost", "estimate the monthly Azure cost of the platform, with a projection"),
}


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (the first known name that is not ``--project``'s value)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--project":
            skip = True
        elif token in COMMANDS:
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command is listed; only the chosen one's module is imported for its arguments (each
    command module costs its imports, ~0.3 s for all of them), all of them when none is chosen."""
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="wharf", description="Describe an Azure data platform once, in YAML.")
    parser.add_argument("--version", action="version", version=f"lakewharf {__version__}")
    parser.add_argument("--project", type=Path, default=None, metavar="DIR",
                        help="project folder (holds pipelines.yaml and catalog/); default: found from the cwd")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--project", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                             help="project folder (same as before the command)")
        if chosen in (None, name):
            importlib.import_module(module).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    from lakewharf.cli.output import print_catalog_errors
    from lakewharf.errors import CatalogInvalid, WharfError

    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args))
    except CatalogInvalid as exc:
        print_catalog_errors(exc.errors, as_json=getattr(args, "json", False))
        return 1
    except WharfError as exc:  # the user's input or environment, not a bug: one clear line, exit 1
        print(f"wharf {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `wharf … | head` closed the pipe: not an error
        return 0
    except Exception as exc:  # an internal bug, not bad input: say so briefly unless asked
        if args.debug:
            raise
        print(f"wharf: internal error: {type(exc).__name__}: {exc} (`wharf --debug {args.command} …` shows where)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
