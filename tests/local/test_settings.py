"""WHARF_* environment variables: a bad value is a one-line error (exit 1) before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakewharf.cli.main import main
from lakewharf.local.settings import LocalSettings, SettingsError, duckdb_memory_limit

ROOT = Path(__file__).resolve().parents[2]


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("WHARF_LAKE", "WHARF_AZURITE_PORT", "WHARF_SAMPLE_SCALE", "WHARF_DUCKDB_MEMORY", "WHARF_SQLSERVER"):
        monkeypatch.delenv(name, raising=False)
    settings = LocalSettings.from_env(tmp_path)
    assert (settings.lake_backend, settings.azurite_port, settings.sample_scale, settings.sqlserver) == (
        "folder", 10000, 1.0, None)
    assert duckdb_memory_limit() == "1GB"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WHARF_LAKE", "s3", "WHARF_LAKE='s3': use one of folder, azurite, adls"),
    ("WHARF_AZURITE_PORT", "http", "WHARF_AZURITE_PORT='http': give a whole number from 1 to 65535"),
    ("WHARF_AZURITE_PORT", "70000", "give a whole number from 1 to 65535"),
    ("WHARF_SAMPLE_SCALE", "big", "WHARF_SAMPLE_SCALE='big': give a number from 0.001 to 1000"),
    ("WHARF_SAMPLE_SCALE", "0", "give a number from 0.001 to 1000"),
    ("WHARF_DUCKDB_MEMORY", "lots", "WHARF_DUCKDB_MEMORY='lots': give an amount such as 1GB or 512MB"),
    ("WHARF_DUCKDB_MEMORY", "1GB'; SELECT 1; --", "give an amount such as 1GB or 512MB"),  # never reaches SQL
])
def test_bad_values_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str,
                              message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        LocalSettings.from_env(tmp_path)
    assert message in str(info.value)


@pytest.mark.parametrize("value", ["512MB", "1.5GB", "2 GiB", "800kb"])
def test_memory_amounts_duckdb_understands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    import duckdb

    from lakewharf.local.duck import configure

    monkeypatch.setenv("WHARF_DUCKDB_MEMORY", value)
    con = configure(duckdb.connect(), tmp_path)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].endswith("B")


@pytest.mark.parametrize("command", [["run", "nightly"], ["local", "status"], ["query", "SELECT 1"]])
def test_the_cli_reports_a_bad_setting_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    monkeypatch.setenv("WHARF_SAMPLE_SCALE", "abc")
    assert main(["--project", str(ROOT), *command]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"wharf {command[0]}: WHARF_SAMPLE_SCALE='abc': give a number from 0.001 to 1000"
