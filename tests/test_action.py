"""The GitHub Action (issue 14, item 1): action.yml's one step runs
scripts/action-run; run here as the runner would, from a checkout copy, on a
repository whose job works in a subdirectory."""

import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_action_yml_runs_the_script_with_every_input():
    from ruamel.yaml import YAML
    with open(os.path.join(ROOT, "action.yml"), encoding="utf-8") as fh:
        action = YAML(typ="safe").load(fh)
    (step,) = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    assert step["run"] == 'bash "$GITHUB_ACTION_PATH/scripts/action-run"'
    assert set(step["env"]) == {"INPUT_%s" % name.upper() for name in action["inputs"]}
    with open(os.path.join(ROOT, "scripts", "action-run"), encoding="utf-8") as fh:
        script = fh.read()
    for name in action["inputs"]:
        assert "INPUT_%s" % name.upper() in script, name


@pytest.fixture(scope="module")
def action(tmp_path_factory):
    """The action's checkout (a copy: pip builds where it installs from) and
    a runner's temporary directory with its virtualenv, installed once."""
    base = tmp_path_factory.mktemp("runner")
    path = str(base / "action")
    shutil.copytree(ROOT, path, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis", "tests"))
    return path, str(base / "temp")


def _run(action, workspace, sarif=""):
    path, temp = action
    os.makedirs(temp, exist_ok=True)
    output = os.path.join(temp, "output")
    open(output, "w").close()
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=path, RUNNER_TEMP=temp,
               GITHUB_WORKSPACE=str(workspace), GITHUB_OUTPUT=output, INPUT_PATHS="x.conf",
               INPUT_ARGS="--isolated", INPUT_VERSION="", INPUT_SARIF=sarif)
    done = subprocess.run(["bash", os.path.join(path, "scripts", "action-run")],
                          cwd=str(workspace / "deploy"), env=env, capture_output=True, text=True)
    if done.returncode == 2 and "pip" in done.stderr:
        pytest.skip("cannot install here: %s" % done.stderr.strip()[-200:])
    with open(output) as fh:
        return done, fh.read()


def test_the_action_annotates_the_line_once_and_says_the_exit_status(action, tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "x.conf").write_text(
        "[program:a]\ncommand=/srv/a\nuser=a\nautostart=ture\n")
    done, output = _run(action, tmp_path)
    assert done.returncode == 1 and output == "exit-code=1\n"
    lines = done.stdout.splitlines()
    assert lines[0].startswith("x.conf:4:11: SV103 [error] autostart=ture")
    assert [l for l in lines if l.startswith("::")] == [
        l for l in lines if l.startswith("::error file=deploy/x.conf,line=4,col=11,")]
    assert len([l for l in lines if l.startswith("::")]) == 1
    # with a SARIF file: no annotation, the findings in the file, the same status
    sarif = str(tmp_path / "out.sarif")
    done, output = _run(action, tmp_path, sarif)
    assert done.returncode == 1 and output == "exit-code=1\n" and "::error" not in done.stdout
    with open(sarif) as fh:
        log = json.load(fh)
    (result,) = log["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert (result["ruleId"], location["artifactLocation"]["uri"],
            location["region"]["startLine"]) == ("SV103", "deploy/x.conf", 4)
    # clean: exit 0
    (tmp_path / "deploy" / "x.conf").write_text(
        "[program:a]\ncommand=/srv/a\nuser=a\nautorestart=true\n")
    done, output = _run(action, tmp_path)
    assert (done.returncode, output, done.stdout) == (0, "exit-code=0\n", "")
