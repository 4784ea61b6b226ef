"""Fault injection for the crash trials (tests/local/test_crash_trials.py), loaded only by the
`wharf run` subprocesses those tests start, through PYTHONPATH.

WHARF_CRASH_AT=<item target>:<n> kills the process with SIGKILL right after the n-th warehouse
statement run while the item loading <target> executes; n = 0 only counts them, into the JSON
file WHARF_CRASH_COUNTS names, so a trial can aim at the middle of a load.
"""

import json
import os
import signal
import threading

_spec = os.environ.get("WHARF_CRASH_AT")
if _spec:
    import lakewharf.local.runner as _runner
    import lakewharf.local.tsql_local as _tsql

    _target, _, _nth = _spec.rpartition(":")
    # Items of a level run on threads: the item being run is per thread, the counts are shared.
    _current, _counts, _lock = threading.local(), {}, threading.Lock()
    _execute, _run = _runner._execute, _tsql.TsqlInterpreter._run

    def _tracked_execute(ctx, activity):  # type: ignore[no-untyped-def]
        _current.target = ctx.target
        return _execute(ctx, activity)

    def _counted_run(self, tsql, params):  # type: ignore[no-untyped-def]
        result = _run(self, tsql, params)
        target = getattr(_current, "target", "")
        with _lock:
            _counts[target] = _counts.get(target, 0) + 1
            if target == _target and _counts[target] == int(_nth):
                os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no finally, no flush
            if os.environ.get("WHARF_CRASH_COUNTS"):
                with open(os.environ["WHARF_CRASH_COUNTS"], "w", encoding="utf-8") as out:
                    json.dump(_counts, out)
        return result

    _runner._execute = _tracked_execute
    _tsql.TsqlInterpreter._run = _counted_run
