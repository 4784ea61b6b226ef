"""What a one-shot ``wharf`` process may do with its heap (``cli.main.entry``).

``gc.freeze`` (Python's gc docs) moves every object alive to the collector's permanent generation:
later collections no longer walk them, and objects in cycles among them are not finalised. That is
right for a process that runs one command and exits, and wrong for one that calls ``main`` and
lives on (the tests), or that loaded a library whose objects must be finalised at exit."""

from __future__ import annotations

import gc
import sys

# Libraries whose objects must be finalised while the interpreter is still whole: the expression
# engine's .NET runtime (clr_loader's Runtime.__del__ shuts it down, and fails once cffi is torn
# down: "Exception ignored ... TypeError"), DuckDB, Arrow. A command that loaded one exits the usual
# way. (`wharf plan` runs Pulumi's engine over gRPC offline and exits cleanly frozen: it saves 2 s
# there at 1,000 tables.)
FINALISED_AT_EXIT = ("clr_loader", "pythonnet", "clr", "duckdb", "pyarrow")
_one_shot = False  # set by cli.main.entry, never by main: a separate module, as -m runs main as __main__


def mark_one_shot() -> None:
    global _one_shot
    _one_shot = True


def freeze_if_one_shot() -> bool:
    """Freeze the heap if this process runs one command and has loaded no library in
    ``FINALISED_AT_EXIT``; whether it did."""
    if _one_shot and not any(name in sys.modules for name in FINALISED_AT_EXIT):
        gc.freeze()
        return True
    return False
