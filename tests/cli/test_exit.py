"""How the ``wharf`` command exits (lakewharf.cli.main.entry): the heap frozen, so the collector
does not walk it at shutdown, unless a loaded library needs its cyclic garbage finalised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# A finaliser on an object in a reference cycle, reachable until the interpreter tears its modules
# down: as clr_loader's Runtime is (its __del__ shuts .NET down).
SCRIPT = """
import sys, types
class Runtime:
    def __del__(self):
        sys.stderr.write("finalised\\n")
runtime = Runtime()
runtime.me = runtime
holder = types.ModuleType(sys.argv[2])
holder.runtime = runtime
sys.modules[sys.argv[2]] = holder
del runtime
sys.argv = ["wharf", "schema", "--out", sys.argv[1]]
from lakewharf.cli.main import entry
entry()
"""


@pytest.mark.parametrize(("module", "finalised"), [("clr_loader", True), ("duckdb", True),
                                                   ("lakewharf_test_plain", False)])
def test_cycles_are_finalised_at_exit_only_where_a_library_needs_it(tmp_path: Path, module: str,
                                                                   finalised: bool) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "schemas"), module],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert ("finalised" in done.stderr) is finalised, done.stderr
    assert (tmp_path / "schemas").is_dir()
