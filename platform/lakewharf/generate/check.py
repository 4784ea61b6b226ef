"""Run the real validators over a generated tree (``wharf generate --check``)."""

from __future__ import annotations

from pathlib import Path

from lakewharf.verify import Problem


def check_tree(out: Path) -> list[Problem]:
    problems: list[Problem] = []
    if (out / "adf").is_dir():
        from lakewharf.verify.adf_flow import evaluate_pipelines
        from lakewharf.verify.adf_models import check_adf_tree

        problems += _prefixed("adf", check_adf_tree(out / "adf"))
        problems += _prefixed("adf", evaluate_pipelines(out / "adf"))
    if (out / "aml").is_dir():
        from lakewharf.verify.aml import check_aml_tree

        problems += _prefixed("aml", check_aml_tree(out / "aml"))
    if (out / "synapse").is_dir():
        from lakewharf.verify.tsql import check_sql_tree

        problems += _prefixed("synapse", check_sql_tree(out / "synapse"))
    return problems


def _prefixed(folder: str, problems: list[Problem]) -> list[Problem]:
    return [Problem(f"{folder}/{p.file}", p.message) for p in problems]
