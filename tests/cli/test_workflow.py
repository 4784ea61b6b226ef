"""The deploy workflow from git (``.github/workflows/wharf.yml``), of the sample and of a ``wharf init``
project: every ``wharf`` call in it is a command the real parser accepts, and every ``pulumi`` call
names a stack file, policy pack and stack output that exist."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakewharf.cli.main import build_parser, main

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/wharf.yml"
_CALL = r"(?:^|[\s;&|(/]){tool}\s+((?:[^|;&>#)\\\n]|\\\n)*)"
_ENV_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_SCRIPT = re.compile(r"(?:^|\s)(\.ci/[\w.-]+)")


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `wharf init` project with its build/ generated (what the workflow's deploy job has)."""
    root = tmp_path_factory.mktemp("workflow") / "shop"
    assert main(["init", str(root)]) == 0
    assert main(["--project", str(root), "generate"]) == 0
    return root


@pytest.fixture(scope="module")
def stack_outputs(initialised: Path) -> set[str]:
    """The outputs `pulumi up` exports (the program run offline by `wharf plan`, as for any project)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--project", str(initialised), "plan", "--json"]) == 0
    return set(json.loads(out.getvalue())["outputs"])


def _load(root: Path) -> dict[str, Any]:
    data = yaml.safe_load((root / WORKFLOW).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _scripts(job: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Each step's shell text, with the environment it runs in (step env over job env)."""
    return [(step["run"], {**job.get("env", {}), **step.get("env", {})}) for step in job["steps"] if "run" in step]


def _calls(tool: str, text: str, env: dict[str, str]) -> list[list[str]]:
    """The arguments of every ``tool …`` call in shell text, ``$VAR``s replaced by literal env values."""
    def value(ref: re.Match[str]) -> str:  # a GitHub expression or an unknown variable: any word will do
        literal = env.get(ref.group(1), "VALUE")
        return "VALUE" if "${{" in literal else literal

    return [shlex.split(_ENV_REF.sub(value, m.group(1).replace("\\\n", " ")))
            for m in re.finditer(_CALL.format(tool=tool), text)]


def _wharf_calls(root: Path, text: str, env: dict[str, str]) -> list[list[str]]:
    """Calls in the step, and in the repository scripts it runs (``.ci/review``)."""
    calls = _calls("wharf", text, env)
    for script in _SCRIPT.findall(text):
        path = root / script
        assert path.is_file() and path.stat().st_mode & 0o111, f"{script}: missing or not executable"
        calls += _calls("wharf", path.read_text(encoding="utf-8"), env)
    return calls


@pytest.fixture(params=["sample", "wharf init"])
def project(request: pytest.FixtureRequest, initialised: Path) -> Path:
    return REPO_ROOT if request.param == "sample" else initialised


def test_runs_on_pull_requests_and_main_with_oidc_only(project: Path) -> None:
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    data = _load(project)
    assert data["on"]["pull_request"]["branches"] == ["main"] and data["on"]["push"]["branches"] == ["main"]
    assert data["permissions"]["id-token"] == "write"
    assert "secrets." not in text and "client-secret" not in text and "creds:" not in text
    for job in data["jobs"].values():
        logins = [s for s in job["steps"] if s.get("uses", "").startswith("azure/login@")]
        assert len(logins) == 1 and set(logins[0]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert "__platform__" not in text


def test_every_wharf_call_is_accepted_by_the_parser(project: Path) -> None:
    data = _load(project)
    expected = {"review": {"validate", "generate", "diff", "run"}, "deploy": {"validate", "generate"}}
    for name, job in data["jobs"].items():
        commands = {}
        for text, env in _scripts({**job, "env": {**data["env"], **job.get("env", {})}}):
            for argv in _wharf_calls(project, text, env):
                args = build_parser(argv).parse_args(argv)  # an unknown command or flag exits 2 here
                commands[args.command] = args
        assert set(commands) == expected[name], name
        assert commands["generate"].check  # the validators run before anything is deployed
    review = {}
    for text, env in _scripts({**data["jobs"]["review"], "env": data["env"]}):
        for argv in _wharf_calls(project, text, env):
            review[argv[0]] = build_parser(argv).parse_args(argv)
    assert review["diff"].against_ref and not review["diff"].exit_code  # a change is reviewed, not failed


def test_every_pulumi_call_names_what_exists(project: Path, stack_outputs: set[str]) -> None:
    data = _load(project)
    assert (project / "Pulumi.yaml").is_file()
    verbs: dict[str, set[str]] = {}
    for name, job in data["jobs"].items():
        for text, env in _scripts({**job, "env": {**data["env"], **job.get("env", {})}}):
            for argv in _calls("pulumi", text, env):
                verbs.setdefault(name, set()).add(argv[0])
                stack = argv[argv.index("--stack") + 1]
                assert (project / f"Pulumi.{stack}.yaml").is_file(), stack
                if "--policy-pack" in argv:
                    assert (project / argv[argv.index("--policy-pack") + 1] / "PulumiPolicy.yaml").is_file()
                if argv[:2] == ["stack", "output"]:
                    assert argv[2] in stack_outputs, argv
    assert "preview" in verbs["review"] and "up" not in verbs["review"]
    assert "up" in verbs["deploy"]
    # The sample has a policy pack and enforces it on both; a project without one does not name it.
    names_pack = "--policy-pack policy" in (project / WORKFLOW).read_text(encoding="utf-8")
    assert names_pack == (project / "policy/PulumiPolicy.yaml").is_file()


def test_triggers_are_stopped_before_and_started_after_the_deploy(project: Path, initialised: Path) -> None:
    steps = _load(project)["jobs"]["deploy"]["steps"]
    runs = [s.get("run", "") for s in steps]
    up = next(i for i, r in enumerate(runs) if re.search(r"\bpulumi up\b", r))
    assert any("az datafactory trigger stop" in r for r in runs[:up])
    assert any("az datafactory trigger start" in r and "build/adf/trigger/*.json" in r for r in runs[up + 1:])
    # The start step takes trigger names from the generated file names: the generator keeps them equal.
    triggers = sorted((initialised / "build/adf/trigger").glob("*.json"))
    assert triggers
    for path in triggers:
        assert json.loads(path.read_text(encoding="utf-8"))["name"] == path.stem
