"""Entry point of ``wharf``. Parses arguments and dispatches; commands import what they need.

Exit status, the same for every command (README, "Exit status"):

- 0: done (``wharf diff`` without ``--exit-code`` included, whatever it found);
- 1: the user's input, data or environment said no: an invalid catalog, a failed local run, a
  refused write, ``wharf diff --exit-code`` finding a difference (as ``git diff --exit-code``);
- 2: the command line itself is wrong (argparse's own usage error, and only that);
- 3: an internal error, a bug in lakewharf: one line on stderr, the traceback with ``--debug``
  or ``WHARF_DEBUG=1`` (pytest's INTERNAL_ERROR is 3 too);
- 130: interrupted (Ctrl-C).

A reader that stops early (``wharf validate --json | head``) ends the command quietly with 0, as
ripgrep does: the reader had what it wanted, and ``set -o pipefail`` scripts stay green.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from lakewharf import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

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
    "docs": ("lakewharf.cli.docs", "write a static docs and lineage site of the catalog, build/ and the last run"),
}

EPILOG = """\
examples:
  wharf init shop && cd shop      # a new project that validates and runs at once
  wharf validate                  # check the catalog
  wharf generate --check          # write build/ and run Microsoft's validators over it
  wharf run                       # run every pipeline locally
  wharf diff --against-ref origin/main

exit status: 0 done; 1 invalid input or data, a failed run, a refused write (and `diff --exit-code`
finding a difference); 2 usage error; 3 internal error (details: --debug or WHARF_DEBUG=1).
A reader closing the pipe early (`wharf … | head`) ends the command quietly with 0."""


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
    command module costs its imports, ~0.3 s for all of them), all of them when none is chosen.
    Each command module's ``EXAMPLES`` is the epilog of its ``--help``."""
    chosen = _chosen_command(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="wharf", description="Describe an Azure data platform once, in YAML.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lakewharf {__version__}")
    parser.add_argument("--project", type=Path, default=None, metavar="DIR",
                        help="project folder (holds pipelines.yaml and catalog/); default: found from the cwd")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an internal error (or set WHARF_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("--project", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                             help="project folder (same as before the command)")
        if chosen in (None, name):
            module = importlib.import_module(module_name)
            module.add_arguments(command)
            command.epilog = "examples:\n" + module.EXAMPLES.rstrip()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A catalog loads as ~100 live objects per table: with CPython's default first-generation
    # threshold (700 allocations) the collector walks the growing heap again and again, a quarter
    # of `wharf validate` at 1,000 tables (bench/RESULTS.md). 50,000 keeps the cost flat; the
    # older generations keep their defaults, so cycles are still collected.
    gc.set_threshold(50_000, *gc.get_threshold()[1:])
    try:
        try:
            return _dispatch(argv)
        finally:  # buffered output meets a closed pipe here (--help too), not at interpreter exit
            sys.stdout.flush()
    except BrokenPipeError:  # `wharf … | head` stopped reading: what it read is all it wanted
        # The Python recipe (docs.python.org, "Note on SIGPIPE"): the rest of stdout goes to devnull,
        # so the flush at interpreter exit cannot raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_OK


def _dispatch(argv: Sequence[str] | None) -> int:
    args = build_parser(argv).parse_args(argv)  # a usage error exits 2 here, argparse's convention
    from lakewharf.cli.output import print_catalog_errors
    from lakewharf.errors import CatalogInvalid, WharfError

    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args))
    except CatalogInvalid as exc:
        print_catalog_errors(exc.errors, as_json=getattr(args, "json", False))
        return EXIT_ERROR
    except WharfError as exc:  # the user's input or environment, not a bug: one clear line, exit 1
        print(f"wharf {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # main() ends the command quietly
    except Exception as exc:  # an internal bug, not bad input: say so briefly unless asked
        if args.debug or os.environ.get("WHARF_DEBUG", "") not in ("", "0"):
            traceback.print_exc()
            return EXIT_INTERNAL
        print(f"wharf: internal error: {type(exc).__name__}: {exc} (a bug in lakewharf; "
              f"`wharf --debug {args.command} …` or WHARF_DEBUG=1 shows where)", file=sys.stderr)
        return EXIT_INTERNAL


def entry() -> None:
    """The ``wharf`` command (pyproject.toml) and ``python -m lakewharf.cli.main``: ``main``, then
    an exit that skips the collector's passes over the heap at interpreter shutdown.

    Those passes walk every object still alive (a 1,000-table catalog, its documents, the generated
    tree): 0.3 s of `wharf validate` and of `generate` at 1,000 tables, 2 s of `plan`, for memory the
    process is about to hand back anyway. ``gc.freeze`` (Python's documented way to leave objects
    out of every later collection) moves them out of the collector's reach; atexit handlers and
    stream flushes run as before, and objects without cycles are still freed. Objects in cycles are
    not finalised then, so a command that loaded a library needing that (``heap.FINALISED_AT_EXIT``:
    ``wharf run``'s .NET runtime and DuckDB) exits the usual way; only its catalog, frozen by
    ``command_catalog`` before the library loaded, stays out of the collector. Only for a process
    started here (``heap.mark_one_shot``), never by ``main`` alone: a process that calls ``main``
    and lives on (the tests) must keep collecting."""
    from lakewharf.cli import heap

    heap.mark_one_shot()
    status = main()
    heap.freeze_if_one_shot()
    sys.exit(status)


if __name__ == "__main__":
    entry()
