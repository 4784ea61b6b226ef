"""What every ``wharf`` command shares: exit statuses, examples in ``--help``, a quiet end when the reader
of its output stops early, and ``--json`` on ``wharf run`` (README, "Exit status and output")."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import lakewharf.cli.validate as validate_command
from lakewharf.cli.main import COMMANDS, build_parser, main

WHARF = [sys.executable, "-m", "lakewharf.cli.main"]
_WHARF_CALL = re.compile(r"(?:^|[\s;&|(])wharf\s+([^|;&>#]*)")


def wharf_argvs(text: str) -> list[list[str]]:
    """The arguments of every ``wharf …`` call in shell text, up to a pipe, redirect, ``;``, ``&&`` or comment."""
    return [shlex.split(m.group(1)) for m in _WHARF_CALL.finditer(text)]


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


# --- --help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_help_shows_examples_the_parser_accepts(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys, command)
    assert "\nexamples:\n" in text, text
    examples = [argv for line in text.split("\nexamples:\n", 1)[1].splitlines() for argv in wharf_argvs(line)]
    assert len(examples) >= 1
    for argv in examples:
        args = build_parser(argv).parse_args(argv)  # a wrong example exits 2 here
        assert args.command == command, argv


def test_top_level_help_states_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    assert "examples:" in text and "exit status:" in text
    for code in ("0 done", "1 invalid", "2 usage", "3 internal error"):
        assert code in text, code


# --- exit statuses --------------------------------------------------------------------------------


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["bogus"], ["diff", "--against", "a", "--against-ref", "b"], ["query"], ["validate", "--jsn"]):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 2, argv
        assert "usage: wharf" in capsys.readouterr().err


def test_an_internal_error_exits_3_with_one_line(sample_root: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(args: object) -> int:
        raise KeyError("a bug in lakewharf")

    monkeypatch.setattr(validate_command, "run", bug)
    monkeypatch.delenv("WHARF_DEBUG", raising=False)
    assert main(["--project", str(sample_root), "validate"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("wharf: internal error: KeyError") and "--debug" in err and "WHARF_DEBUG=1" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # With the debug flag or variable: the traceback, and still the internal error's own status.
    assert main(["--project", str(sample_root), "--debug", "validate"]) == 3
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("WHARF_DEBUG", "1")
    assert main(["--project", str(sample_root), "validate"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_diff_exits_1_only_with_exit_code(sample_root: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    base = ["--project", str(sample_root), "diff", "--against", str(empty)]
    assert main(base) == 0  # every file is new: shown, and not an error (as git diff)
    assert main([*base, "--exit-code"]) == 1
    capsys.readouterr()
    assert main([*base, "--json", "--exit-code"]) == 1
    assert json.loads(capsys.readouterr().out)["identical"] is False


def test_diff_reads_only_the_generated_files(sample_root: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """What `wharf docs` and `wharf run --report` write beside the tree in build/ is not generated
    output, so `wharf diff` does not list it as removed; a generated file that went missing is."""
    out = tmp_path / "build"
    assert main(["--project", str(sample_root), "generate", "--out", str(out)]) == 0
    (out / "docs").mkdir()
    (out / "docs" / "index.html").write_text("<html></html>")
    (out / "run-report.json").write_text("{}")
    capsys.readouterr()
    argv = ["--project", str(sample_root), "diff", "--against", str(out), "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["identical"] is True
    next(p for p in sorted(out.rglob("*.json")) if p.name != "manifest.json" and "docs" not in p.parts).unlink()
    main(argv)
    assert json.loads(capsys.readouterr().out)["identical"] is False


# --- a reader that stops early --------------------------------------------------------------------


def _env(buffered: bool) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("PYTHONUNBUFFERED", None)  # a terminal user's default: stdout block-buffered into the pipe
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def _closed_early(argv: list[str], cwd: Path, *, read: int, buffered: bool) -> tuple[int, str]:
    """Run ``wharf argv`` with stdout a pipe whose reader closes it after ``read`` bytes."""
    process = subprocess.Popen([*WHARF, *argv], cwd=cwd, env=_env(buffered), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    if read:
        assert len(process.stdout.read(read)) == read
    process.stdout.close()
    err = process.stderr.read().decode(errors="replace")
    return process.wait(timeout=120), err


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("argv", [["validate", "--json"], ["validate"], ["--help"], ["diff", "--help"]],
                         ids=" ".join)
def test_a_pipe_closed_before_any_output_ends_quietly(sample_root: Path, argv: list[str], buffered: bool) -> None:
    # The reader is gone before the command writes (validate takes ~0.4 s to start): its first write fails.
    code, err = _closed_early(argv, sample_root, read=0, buffered=buffered)
    assert (code, err) == (0, "")


def test_a_pipe_closed_after_a_few_bytes_ends_quietly(sample_root: Path, tmp_path: Path) -> None:
    # Against an empty tree every generated file is an added diff: megabytes, far past the pipe's 64 KB.
    empty = tmp_path / "empty"
    empty.mkdir()
    for argv in (["diff", "--against", str(empty)], ["diff", "--against", str(empty), "--json"]):
        code, err = _closed_early(argv, sample_root, read=5, buffered=True)
        assert (code, err) == (0, ""), argv


# --- wharf run --json -----------------------------------------------------------------------------


def test_run_json_prints_the_report_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "shop"
    assert main(["init", str(project)]) == 0
    capsys.readouterr()
    report = tmp_path / "report.json"
    assert main(["--project", str(project), "run", "--json", "--report", str(report)]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)  # stdout holds the report and nothing else
    assert data == json.loads(report.read_text(encoding="utf-8"))  # the shape --report writes
    assert data["succeeded"] is True and data["warehouse_tables"]["mart.fact_orders"] > 0
    assert "nightly/" in err  # progress, one line per activity, on stderr
