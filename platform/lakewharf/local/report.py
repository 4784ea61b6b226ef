"""The run report: one row per activity, what could not be verified locally, the warehouse tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lakewharf.local.privacy_check import PrivacyCheck
from lakewharf.local.runner import PipelineRun


@dataclass
class RunReport:
    pipelines: list[PipelineRun]
    not_verified_locally: list[str]
    tables: dict[str, int]
    privacy: PrivacyCheck
    translations: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    sources: dict[str, str] = field(default_factory=dict)  # source → where its data came from
    failure: str = ""  # what ended the run early (the warehouse went away…); the report is written anyway
    notices: list[str] = field(default_factory=list)  # what the run did to local state on its own (a reset)
    data_tests: list[dict[str, Any]] = field(default_factory=list)  # etl.test_results rows of this run

    @property
    def warnings(self) -> list[str]:
        return [f"{a.pipeline}/{a.activity}: {w}" for p in self.pipelines for a in p.activities
                for w in a.measured.warnings]

    @property
    def failed_tests(self) -> list[dict[str, Any]]:
        return [t for t in self.data_tests if t["status"] == "fail"]

    @property
    def succeeded(self) -> bool:
        return (not self.failure and all(p.status == "Succeeded" for p in self.pipelines)
                and not self.privacy.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "succeeded": self.succeeded,
            "seconds": round(self.seconds, 2),
            "failure": self.failure,
            "sources": self.sources,
            "warnings": self.warnings,
            "notices": self.notices,
            "pipelines": [
                {
                    "pipeline": p.pipeline,
                    "run_id": p.run_id,
                    "status": p.status,
                    "seconds": round(p.seconds, 2),
                    "error": p.error,
                }
                for p in self.pipelines
            ],
            "activities": [
                {
                    "pipeline": a.pipeline,
                    "activity": a.activity,
                    "type": a.type,
                    "status": a.status,
                    "rows_read": a.measured.rows_read,
                    "rows_written": a.measured.rows_written,
                    "rows_rejected": a.measured.rows_rejected,
                    "seconds": round(a.seconds, 3),
                    **({"error": a.error} if a.error else {}),
                    **({"notes": a.measured.notes} if a.measured.notes else {}),
                    **({"warnings": a.measured.warnings} if a.measured.warnings else {}),
                }
                for p in self.pipelines
                for a in p.activities
            ],
            "models_trained": [
                {"pipeline": a.pipeline, "activity": a.activity, **a.measured.trained}
                for p in self.pipelines
                for a in p.activities
                if a.measured.trained
            ],
            "not_verified_locally": self.not_verified_locally,
            "privacy_check": {"checked": self.privacy.checked, "violations": self.privacy.violations,
                              "allowed": self.privacy.allowed},
            "sql_translations": self.translations,
            "warehouse_tables": self.tables,
            "data_tests": self.data_tests,
        }


def read_test_results(warehouse: Any, run_ids: list[str]) -> list[dict[str, Any]]:
    """The data tests this run's audit procedures recorded, as they recorded them (etl.test_results):
    the counts are the warehouse's, measured by the generated SQL, not recomputed here."""
    ids = [r for r in run_ids if r]
    if not ids or "etl.test_results" not in warehouse.tables({"etl.test_results"}):
        return []
    listed = ", ".join("N'" + r.replace("'", "''") + "'" for r in ids)
    columns, rows = warehouse.query(
        "SELECT run_id, test_name, table_name, severity, status, failing_rows, measured, checked_at "
        f"FROM etl.test_results WHERE run_id IN ({listed}) ORDER BY checked_at, table_name, test_name")
    out = []
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        record["checked_at"] = str(record["checked_at"])
        out.append({k: record[k] for k in ("test_name", "table_name", "severity", "status", "failing_rows",
                                            "measured", "run_id", "checked_at")})
    return out
