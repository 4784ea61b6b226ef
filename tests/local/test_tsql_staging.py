"""COPY INTO read through (``tsql_staging``): every script runs twice, with the copy made as
written and with it left pending, and must leave every table, and fail with every error, the same."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakewharf.local.tsql_staging import NOTE, Staging
from lakewharf.local.tsql_text import CopyInto
from lakewharf.local.warehouse import DuckDBWarehouse, WarehouseError

SETUP = """
CREATE SCHEMA [stg];
CREATE SCHEMA [dw];
CREATE TABLE [stg].[t]
(
    [id] BIGINT NULL,
    [name] NVARCHAR(5) COLLATE SQL_Latin1_General_CP1_CI_AS NULL,
    [code] NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NULL,
    [_run_id] NVARCHAR(64) NULL
)
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);
CREATE TABLE [dw].[t] ([id] BIGINT NULL, [name] NVARCHAR(5) NULL, [code] NVARCHAR(10) NULL, [run_id] NVARCHAR(64) NULL);
CREATE TABLE [dw].[log] ([run_id] NVARCHAR(64) NULL, [rows] BIGINT NULL);
CREATE TABLE [dw].[codes] ([code] NVARCHAR(10) NULL);
"""
COPY = "COPY INTO [stg].[t] ([id] 1, [name] 2, [code] 3) FROM 'https://lake/trusted/t/' WITH (FILE_TYPE = 'PARQUET');"
STAMP = "UPDATE [stg].[t] SET [_run_id] = @run_id WHERE [_run_id] IS NULL;"
# the generated append load's shape: stamp, insert what the log does not list, log, empty staging
LOAD = f"""
TRUNCATE TABLE [stg].[t];
{COPY}
DECLARE @run_id NVARCHAR(64) = N'run-1';
{STAMP}
BEGIN TRANSACTION;
INSERT INTO [dw].[t] ([id], [name], [code], [run_id])
SELECT s.[id], s.[name], s.[code], s.[_run_id] FROM [stg].[t] AS s
WHERE NOT EXISTS (SELECT 1 FROM [dw].[log] AS l WHERE l.[run_id] = s.[_run_id]);
INSERT INTO [dw].[log] ([run_id], [rows]) SELECT s.[_run_id], COUNT_BIG(*) FROM [stg].[t] AS s GROUP BY s.[_run_id];
COMMIT TRANSACTION;
TRUNCATE TABLE [stg].[t];
"""
ROWS = pa.table({"id": [1, 2, 3], "name": ["ab", "AB", None], "code": ["A", "a", "A"]})


@dataclass
class Outcome:
    tables: dict[str, list[tuple]]
    error: str | None
    read_through: int
    counted: int


class Files:
    """COPY INTO from one Parquet file; ``pending`` makes it a handler the interpreter may read
    through (the local run's ``LakeCopy`` is one)."""

    def __init__(self, path: Path) -> None:
        self.path, self.counted_rows = path, 0
        self.wh: DuckDBWarehouse | None = None

    def locate(self, c: CopyInto) -> str:
        return str(self.path)

    def counted(self, c: CopyInto, rows: int) -> None:
        self.counted_rows += rows

    def __call__(self, c: CopyInto) -> int:
        assert self.wh is not None
        rows = self.wh.load_parquet(c.table, c.columns, str(self.path))
        self.counted_rows += rows
        return rows


TABLES = ("stg.t", "dw.t", "dw.log", "dw.codes")


def _run(where: Path, scripts: str | list[str], rows: pa.Table, *, pending: bool, before: str = "",
         tables: tuple[str, ...] = TABLES, reopen: bool = False) -> Outcome:
    where.mkdir()
    pq.write_table(rows, where / "t.parquet")
    files = Files(where / "t.parquet")
    wh = DuckDBWarehouse(where / "wh.duckdb", copy_into=files if pending else lambda c: files(c))
    files.wh = wh
    wh.execute(SETUP + before)
    errors = []
    for script in [scripts] if isinstance(scripts, str) else scripts:
        try:
            wh.execute(script)
        except WarehouseError as exc:
            errors.append(str(exc))
    read_through = wh.translations.rewritten.get(NOTE, 0)
    if reopen:  # what was committed, once the session is gone
        wh.close()
        wh = DuckDBWarehouse(where / "wh.duckdb")
    found = {t: sorted(wh.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    wh.close()
    return Outcome(found, " | ".join(errors) or None, read_through, files.counted_rows)


def _both(tmp_path: Path, scripts: str | list[str], rows: pa.Table = ROWS, **options: Any) -> tuple[Outcome, Outcome]:
    written = _run(tmp_path / "written", scripts, rows, pending=False, **options)
    through = _run(tmp_path / "through", scripts, rows, pending=True, **options)
    assert written.read_through == 0
    assert through.tables == written.tables
    assert through.error == written.error
    assert through.counted == written.counted
    return written, through


def test_an_append_load_reads_the_files_through_with_the_same_rows(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    written_into_staging = []
    monkeypatch.setattr(Staging, "materialize", lambda self, pending, con=None: written_into_staging.append(pending))
    written, through = _both(tmp_path, LOAD)
    assert written_into_staging == []  # every statement read the files (dw.t is no stg.t)
    assert through.read_through == 1 and through.counted == 3
    assert written.tables["dw.t"] == sorted([(1, "ab", "A", "run-1"), (2, "AB", "a", "run-1"), (3, None, "A", "run-1")],
                                            key=repr)
    assert written.tables["dw.log"] == [("run-1", 3)] and written.tables["stg.t"] == []


def test_a_case_sensitive_column_keeps_its_collation(tmp_path: Path) -> None:
    # code is BIN2: 'A' and 'a' are two codes; name is CI_AS: 'ab' and 'AB' are one name
    script = f"""{COPY}
INSERT INTO [dw].[codes] ([code]) SELECT DISTINCT s.[code] FROM [stg].[t] AS s;
INSERT INTO [dw].[log] ([run_id], [rows]) SELECT s.[name], COUNT_BIG(*) FROM [stg].[t] AS s GROUP BY s.[name];
TRUNCATE TABLE [stg].[t];"""
    written, through = _both(tmp_path, script)
    assert through.read_through == 1
    assert written.tables["dw.codes"] == [("A",), ("a",)]
    assert len(written.tables["dw.log"]) == 2  # NULL and one case-blind 'ab'


@pytest.mark.parametrize(("rows", "message"), [
    (pa.table({"id": [1, 2], "name": ["ok", "too long"], "code": ["A", "A"]}), "COPY INTO stg.t"),
    (pa.table({"id": ["1", "x"], "name": ["ok", "ok"], "code": ["A", "A"]}), "Could not convert string 'x'"),
])
def test_a_row_copy_into_refuses_fails_the_copy_itself(tmp_path: Path, rows: pa.Table, message: str) -> None:
    written, through = _both(tmp_path, LOAD, rows)
    assert written.error is not None and message in written.error
    assert through.read_through == 0
    assert written.tables["dw.t"] == [] and written.tables["dw.log"] == []


def test_a_statement_writing_staging_sees_the_copied_rows(tmp_path: Path) -> None:
    script = f"""{COPY}
UPDATE [stg].[t] SET [name] = N'zz' WHERE [id] = 1;
INSERT INTO [dw].[t] ([id], [name], [code], [run_id])
SELECT s.[id], s.[name], s.[code], s.[_run_id] FROM [stg].[t] AS s;"""
    written, _ = _both(tmp_path, script)
    assert ("1", "zz") in {(str(r[0]), r[1]) for r in written.tables["dw.t"]}
    assert len(written.tables["stg.t"]) == 3  # staging keeps what it holds


def test_rows_still_pending_at_the_end_of_the_script_are_in_staging(tmp_path: Path) -> None:
    written, through = _both(tmp_path, f"{COPY}\nDECLARE @run_id NVARCHAR(64) = N'r';\n{STAMP}")
    assert through.read_through == 1
    assert [r[3] for r in written.tables["stg.t"]] == ["r", "r", "r"]


def test_a_rolled_back_truncate_leaves_the_copied_rows(tmp_path: Path) -> None:
    script = f"""{COPY}
BEGIN TRANSACTION;
TRUNCATE TABLE [stg].[t];
ROLLBACK TRANSACTION;"""
    written, _ = _both(tmp_path, script)
    assert len(written.tables["stg.t"]) == 3


def test_a_failure_after_the_copy_leaves_the_rows_in_staging(tmp_path: Path) -> None:
    script = f"""{COPY}
BEGIN TRANSACTION;
INSERT INTO [dw].[t] ([id]) SELECT s.[id] FROM [stg].[t] AS s;
INSERT INTO [dw].[no_such_table] ([id]) SELECT 1;
COMMIT TRANSACTION;"""
    procedure = f"CREATE PROCEDURE [dw].[load] AS\nBEGIN\n{script}\nEND;\nGO\n"
    written, _ = _both(tmp_path, "EXEC [dw].[load];", before=f"\nGO\n{procedure}")
    assert written.error is not None and "no_such_table" in written.error
    assert written.tables["dw.t"] == [] and len(written.tables["stg.t"]) == 3


def test_a_copy_into_staging_that_holds_rows_appends_to_them(tmp_path: Path) -> None:
    before = "\nINSERT INTO [stg].[t] ([id], [name]) VALUES (9, N'old');"
    written, through = _both(tmp_path, f"{COPY}\nINSERT INTO [dw].[t] ([id]) SELECT s.[id] FROM [stg].[t] AS s;",
                             before=before)
    assert through.read_through == 0 and len(written.tables["dw.t"]) == 4


def test_a_stamp_on_a_copied_column_is_run_as_an_update(tmp_path: Path) -> None:
    script = f"""{COPY}
UPDATE [stg].[t] SET [name] = N'none' WHERE [name] IS NULL;
INSERT INTO [dw].[t] ([id], [name]) SELECT s.[id], s.[name] FROM [stg].[t] AS s;
TRUNCATE TABLE [stg].[t];"""
    written, _ = _both(tmp_path, script)
    assert sorted(r[1] for r in written.tables["dw.t"]) == ["AB", "ab", "none"]


def test_two_copies_into_one_table_add_up(tmp_path: Path) -> None:
    script = f"{COPY}\n{COPY}\nINSERT INTO [dw].[t] ([id]) SELECT s.[id] FROM [stg].[t] AS s;\n" \
             "TRUNCATE TABLE [stg].[t];"
    written, through = _both(tmp_path, script)
    assert len(written.tables["dw.t"]) == 6 and through.counted == 6


# Found in review: each script must come out the same both ways, read through or not.
U = "\nCREATE TABLE [stg].[u] ([id] BIGINT NULL, [_run_id] BIGINT NULL);"
BATCH = "\nCREATE TABLE [stg].[batch] ([id] BIGINT NULL, [_run_id] NVARCHAR(64) NULL);"
WIDE = "\nCREATE TABLE [dw].[wide] ([run_id] NVARCHAR(200) NULL);"
LOG_BY_RUN = ("INSERT INTO [dw].[log] ([run_id], [rows]) SELECT s.[_run_id], COUNT_BIG(*) FROM [stg].[t] AS s "
              "GROUP BY s.[_run_id];")
CASES: dict[str, tuple[str | list[str], dict[str, Any], int]] = {  # script, options, copies read through
    "a stamp whose value is the table's name": (
        f"{COPY}\nUPDATE [stg].[t] SET [_run_id] = N't' WHERE [_run_id] IS NULL;\n{LOG_BY_RUN}", {}, 1),
    "a stamp from a variable named as the table": ("""
COPY INTO [stg].[batch] ([id] 1) FROM 'https://lake/trusted/t/' WITH (FILE_TYPE = 'PARQUET');
DECLARE @batch NVARCHAR(10) = N'b1';
UPDATE [stg].[batch] SET [_run_id] = @batch WHERE [_run_id] IS NULL;
INSERT INTO [dw].[log] ([run_id], [rows]) SELECT s.[_run_id], COUNT_BIG(*) FROM [stg].[batch] AS s GROUP BY s.[_run_id];
TRUNCATE TABLE [stg].[batch];""", {"before": BATCH}, 1),
    "a stamp longer than its column": (f"""{COPY}
DECLARE @run_id NVARCHAR(100) = N'{'r' * 70}';
{STAMP}
INSERT INTO [dw].[wide] ([run_id]) SELECT DISTINCT s.[_run_id] FROM [stg].[t] AS s;
TRUNCATE TABLE [stg].[t];""", {"before": WIDE, "tables": (*TABLES, "dw.wide")}, 1),
    "a stamp too long, then a write": (f"""{COPY}
DECLARE @run_id NVARCHAR(100) = N'{'r' * 70}';
{STAMP}
UPDATE [stg].[t] SET [name] = N'x' WHERE [id] = 1;""", {}, 1),
    "a stamp that does not convert": ("""
COPY INTO [stg].[u] ([id] 1) FROM 'https://lake/trusted/t/' WITH (FILE_TYPE = 'PARQUET');
UPDATE [stg].[u] SET [_run_id] = N'run-1' WHERE [_run_id] IS NULL;
INSERT INTO [dw].[codes] ([code]) SELECT N'x' FROM [stg].[u] AS s;
TRUNCATE TABLE [stg].[u];""", {"before": U, "tables": (*TABLES, "stg.u")}, 1),
    "a stamp from an undeclared variable": (f"{COPY}\n{STAMP}\nTRUNCATE TABLE [stg].[t];", {}, 1),
    "a DELETE led by a WITH": (f"""{COPY}
WITH k AS (SELECT [code] FROM [dw].[codes]) DELETE FROM [stg].[t] WHERE [code] IN (SELECT [code] FROM k);
INSERT INTO [dw].[log] ([rows]) SELECT s.[id] FROM [stg].[t] AS s;""",
        {"before": "\nINSERT INTO [dw].[codes] VALUES (N'a');"}, 1),
    "a view reading staging": (f"""{COPY}
INSERT INTO [dw].[codes] ([code]) SELECT v.[code] FROM [dw].[v] AS v;
TRUNCATE TABLE [stg].[t];""", {"before": "\nGO\nCREATE VIEW [dw].[v] AS SELECT [code] FROM [stg].[t];\nGO\n"}, 0),
    "a PIVOT of staging": (f"""{COPY}
INSERT INTO [dw].[log] ([rows]) SELECT p.[1] FROM [stg].[t] PIVOT (COUNT([code]) FOR [id] IN ([1], [2])) AS p;
TRUNCATE TABLE [stg].[t];""", {}, 1),
    "BEGIN and TRANSACTION on two lines": (
        f"{COPY}\nBEGIN\nTRANSACTION;\nTRUNCATE TABLE [stg].[t];\nROLLBACK TRANSACTION;", {}, 1),
    "COMMIT of an aborted transaction": ([f"""{COPY}
BEGIN TRANSACTION;
TRUNCATE TABLE [stg].[t];
INSERT INTO [dw].[log] ([rows]) SELECT CAST(N'x' AS INT);""", "COMMIT TRANSACTION;"], {"reopen": True}, 1),
    "a failure in a script's own transaction": (f"""{COPY}
BEGIN TRANSACTION;
INSERT INTO [dw].[codes] ([code]) SELECT s.[code] FROM [stg].[t] AS s;
INSERT INTO [dw].[log] ([rows]) SELECT CAST(N'x' AS INT);""", {"reopen": True}, 1),
    "a column copied twice": ("""COPY INTO [stg].[t] ([name] 2, [name] 3) FROM 'x' WITH (FILE_TYPE = 'PARQUET');
INSERT INTO [dw].[codes] ([code]) SELECT s.[name] FROM [stg].[t] AS s;
TRUNCATE TABLE [stg].[t];""", {}, 0),
    "a failing statement that reads staging": (
        f"{COPY}\nINSERT INTO [dw].[log] ([rows]) SELECT s.[name] FROM [stg].[t] AS s;", {}, 1),
}

# ... and in a second review
UPDATE_IN_TX = f"{COPY}\nBEGIN TRANSACTION;\nUPDATE [stg].[t] SET [name] = N'x' WHERE [id] = 1;\n"
M = {"before": "\nCREATE TABLE [main].[m] ([id] BIGINT NULL, [_run_id] NVARCHAR(64) NULL);",
     "tables": (*TABLES, "main.m")}
D = {"before": "\nCREATE TABLE [stg].[d] ([id] BIGINT NULL, [v] DECIMAL(10,2) NULL, [i] INT NULL);"
               "\nCREATE TABLE [dw].[v] ([v] DECIMAL(10,2) NULL, [i] INT NULL);", "tables": (*TABLES, "dw.v")}
COPY_D = "COPY INTO [stg].[d] ([id] 1) FROM 'x' WITH (FILE_TYPE = 'PARQUET');\n"
CASES.update({
    "COMMIT after an error that does not abort": (
        [UPDATE_IN_TX + "INSERT INTO [dw].[no_such] ([id]) SELECT 1;", "COMMIT TRANSACTION;"], {}, 1),
    "COMMIT after a THROW": ([UPDATE_IN_TX + "THROW 50001, N'data test failed', 1;", "COMMIT TRANSACTION;"], {}, 1),
    "COMMIT after a failed IF condition": (
        [UPDATE_IN_TX + "IF CAST(N'x' AS INT) = 1 SET NOCOUNT ON;", "COMMIT TRANSACTION;"], {}, 1),
    "a transaction left open across scripts": ([
        f"{COPY}\nBEGIN TRANSACTION;\nINSERT INTO [dw].[codes] ([code]) SELECT s.[code] FROM [stg].[t] AS s;",
        "INSERT INTO [dw].[log] ([rows]) SELECT COUNT_BIG(*) FROM [stg].[t] AS s;\n"
        "TRUNCATE TABLE [stg].[t];\nCOMMIT TRANSACTION;"], {}, 1),
    "a table of the default schema, named alone": (
        "COPY INTO [main].[m] ([id] 1) FROM 'x' WITH (FILE_TYPE = 'PARQUET');\n"
        "INSERT INTO [dw].[log] ([rows]) SELECT COUNT_BIG(*) FROM [m] AS s;", M, 0),
    "a table of the default schema, copied by its name alone": (
        "COPY INTO [m] ([id] 1) FROM 'x' WITH (FILE_TYPE = 'PARQUET');\n"
        "INSERT INTO [dw].[log] ([rows]) SELECT COUNT_BIG(*) FROM [main].[m] AS s;", M, 0),
    "[stg.t], one identifier": (f"{COPY}\nINSERT INTO [dw].[log] ([rows]) SELECT COUNT_BIG(*) FROM [stg.t] AS s;\n"
                                "TRUNCATE TABLE [stg].[t];", {}, 1),
    "a FLOAT stamp into DECIMAL": (COPY_D + "DECLARE @v FLOAT = CAST(1.005 AS FLOAT);\n"
                                   "UPDATE [stg].[d] SET [v] = @v WHERE [v] IS NULL;\n"
                                   "INSERT INTO [dw].[v] ([v]) SELECT DISTINCT s.[v] FROM [stg].[d] AS s;", D, 1),
    "a FLOAT stamp into INT": (COPY_D + "DECLARE @v FLOAT = CAST(2.5 AS FLOAT);\n"
                               "UPDATE [stg].[d] SET [i] = @v WHERE [i] IS NULL;\n"
                               "INSERT INTO [dw].[v] ([i]) SELECT DISTINCT s.[i] FROM [stg].[d] AS s;", D, 1),
    "a missing column of an alias": (f"{COPY}\nINSERT INTO [dw].[log] ([rows]) SELECT s.[nope] FROM [stg].[t] AS s;",
                                     {}, 1),
    "an IDENTITY table while a copy is pending": (
        f"{COPY}\nCREATE TABLE [dw].[t] ([key] BIGINT IDENTITY(1,1) NOT NULL, [id] BIGINT NULL);", {}, 1),
    "a column named [order]": ("COPY INTO [stg].[k] ([id] 1, [order] 3) FROM 'x' WITH (FILE_TYPE = 'PARQUET');\n"
                               "INSERT INTO [dw].[codes] ([code]) SELECT s.[order] FROM [stg].[k] AS s;",
                               {"before": "\nCREATE TABLE [stg].[k] ([id] BIGINT NULL, [order] NVARCHAR(10) NULL);"},
                               1),
})

# ... and in a third: a transaction still open, or aborted, when the session closes
TX = f"{COPY}\nBEGIN TRANSACTION;\n"
CASES.update({
    "a runtime error of a reading INSERT in a transaction": (
        TX + "INSERT INTO [dw].[log] ([rows]) SELECT s.[name] FROM [stg].[t] AS s;", {"reopen": True}, 1),
    "a runtime error of a reading IF in a transaction": (
        TX + "IF EXISTS (SELECT 1 FROM [stg].[t] AS s WHERE CAST(s.[name] AS INT) = 1) SET NOCOUNT ON;",
        {"reopen": True}, 1),
    "a runtime error of a reading DECLARE in a transaction": (
        TX + "DECLARE @n INT = (SELECT MAX(CAST(s.[name] AS INT)) FROM [stg].[t] AS s);", {"reopen": True}, 1),
    "a transaction left open at the end of the script": (
        TX + "INSERT INTO [dw].[codes] ([code]) SELECT s.[code] FROM [stg].[t] AS s;", {"reopen": True}, 1),
    "a write to staging in a transaction an error then aborts": (
        TX + "UPDATE [stg].[t] SET [name] = N'x' WHERE [id] = 1;\n"
        "INSERT INTO [dw].[log] ([rows]) SELECT CAST(N'x' AS INT);",
        {"reopen": True}, 1),
})
# ... and in a fourth: a transaction the script leaves open, which the closing session rolls back
IF_0 = f"{TX}IF 1 = 0 BEGIN\nSET NOCOUNT ON;\n"
CASES.update({
    "a COMMIT in an IF block": (IF_0 + "COMMIT TRANSACTION;\nEND;\nUPDATE [stg].[t] SET [name] = N'x' WHERE [id] = 1;",
                                {"reopen": True}, 1),
    "a ROLLBACK in an IF block, then an abort": (
        IF_0 + "ROLLBACK TRANSACTION;\nEND;\nUPDATE [stg].[t] SET [name] = N'x' WHERE [id] = 1;\n"
        "INSERT INTO [dw].[log] ([rows]) SELECT CAST(N'x' AS INT);\nCOMMIT TRANSACTION;", {"reopen": True}, 1),
    "a reading statement's error that does not abort, before the COMMIT": (
        TX + "INSERT INTO [dw].[log] ([rows]) SELECT s.[nope] FROM [stg].[t] AS s;\nCOMMIT TRANSACTION;",
        {"reopen": True}, 1),
    "a transaction left open after an error that does not abort": ([
        TX + "INSERT INTO [dw].[no_such] ([id]) SELECT 1;\nCOMMIT TRANSACTION;",
        "INSERT INTO [dw].[log] ([rows]) SELECT COUNT_BIG(*) FROM [stg].[t] AS s;\n"
        "TRUNCATE TABLE [stg].[t];\nCOMMIT TRANSACTION;"], {}, 1),
})


@pytest.mark.parametrize("case", list(CASES))
def test_scripts_come_out_the_same_read_through_or_not(tmp_path: Path, case: str) -> None:
    script, options, read_through = CASES[case]
    _, through = _both(tmp_path, script, **options)
    assert through.read_through == read_through


def test_unreadable_files_fail_the_copy_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pq, "write_table", lambda rows, path: Path(path).write_text("not parquet"))
    written = _run(tmp_path / "written", LOAD, ROWS, pending=False)
    through = _run(tmp_path / "through", LOAD, ROWS, pending=True)
    assert written.error is not None and written.error.startswith("COPY INTO stg.t: ")
    assert through.error == written.error.replace(str(tmp_path / "written"), str(tmp_path / "through"))


def _after_ddl_in_another_session(where: Path, *, pending: bool) -> tuple[str | None, list[tuple]]:
    """Session a recreates stg.t with a NOT NULL in a transaction, while session b copies into
    another table (reading the definitions); then a copies a NULL id."""
    where.mkdir()
    pq.write_table(pa.table({"id": [1, None], "name": ["a", "b"], "code": ["A", "B"]}), where / "t.parquet")
    wh = DuckDBWarehouse(where / "wh.duckdb")
    wh.execute(SETUP + "\nCREATE TABLE [stg].[other] ([id] BIGINT NULL);")
    a, b = wh.for_item(), wh.for_item()
    for session in (a, b):
        files = Files(where / "t.parquet")
        files.wh = session
        session.copy_into = files if pending else (lambda c, f=files: f(c))
    a.execute("BEGIN TRANSACTION;\nDROP TABLE [stg].[t];\nCREATE TABLE [stg].[t] ([id] BIGINT NOT NULL, "
              "[name] NVARCHAR(5) NULL, [code] NVARCHAR(10) NULL, [_run_id] NVARCHAR(64) NULL);")
    b.execute("COPY INTO [stg].[other] ([id] 1) FROM 'x' WITH (FILE_TYPE = 'PARQUET');\nTRUNCATE TABLE [stg].[other];")
    a.execute("COMMIT TRANSACTION;")
    try:
        a.execute(f"{COPY}\nINSERT INTO [dw].[log] ([rows]) SELECT s.[id] FROM [stg].[t] AS s;\n"
                  "TRUNCATE TABLE [stg].[t];")
        error = None
    except WarehouseError as exc:
        error = str(exc)
    return error, wh.con.execute("SELECT * FROM dw.log").fetchall()


def test_a_definition_changed_by_another_session_is_read_again(tmp_path: Path) -> None:
    written = _after_ddl_in_another_session(tmp_path / "written", pending=False)
    assert written[0] is not None and "NOT NULL" in written[0]
    assert _after_ddl_in_another_session(tmp_path / "through", pending=True) == written


def test_a_failed_procedure_with_begin_on_two_lines_is_rolled_back(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.execute("CREATE SCHEMA [dw];\nCREATE TABLE [dw].[codes] ([code] NVARCHAR(10) NULL);\nGO\n"
               "CREATE PROCEDURE [dw].[p] AS\nBEGIN\n    BEGIN\n    TRANSACTION;\n"
               "    INSERT INTO [dw].[codes] ([code]) VALUES (N'x');\n"
               "    INSERT INTO [dw].[no_such] ([code]) VALUES (N'x');\n"
               "    COMMIT TRANSACTION;\nEND;\nGO\n")
    with pytest.raises(WarehouseError):
        wh.execute("EXEC [dw].[p];")
    assert wh.con.execute("SELECT COUNT(*) FROM dw.codes").fetchone()[0] == 0
