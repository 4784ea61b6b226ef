"""Check generated artifacts with the real validators Microsoft and the community ship.

One module per artifact family, each exposing one ``check_*`` / ``evaluate_*`` function that
returns ``list[Problem]`` (empty means "the validator accepted it"):

- ``adf_models.check_adf_tree``     Data Factory JSON against azure-mgmt-datafactory 9.3.0 models
- ``adf_flow.evaluate_pipelines``   Data Factory expressions and control flow (data-factory-testing-framework)
- ``aml.check_aml_tree``            Azure ML v2 YAML through azure-ai-ml's own loaders
- ``tsql.check_sql_tree``           Synapse T-SQL through sqlfluff's tsql parser

``expression_engine.load_expression_engine`` starts dftf's .NET engine for ``adf_flow`` and for the
local runner, which executes pipelines through the same framework.

The heavy libraries are imported inside those functions, never here, so importing this package
costs nothing for the CLI start-up path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """Something a validator rejected. ``file`` is relative to the checked folder."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@contextmanager
def quiet_loggers(*names: str, level: int = logging.ERROR) -> Iterator[None]:
    """Silence library loggers for the duration of a check.

    The SDKs log what we turn into Problems anyway ("has no mapping", "experimental class"); left
    alone they would print to stderr through logging's last-resort handler.
    """
    loggers = [logging.getLogger(name) for name in names]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old in zip(loggers, saved, strict=True):
            logger.setLevel(old)


__all__ = ["Problem", "quiet_loggers"]
