"""The package people install (issue 14, item 6): a wheel built from this
checkout, installed in a fresh virtualenv, runs `rule` and `check` from its
own files, and its metadata says what pyproject.toml and LICENSE say."""

import glob
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    # built from a copy: setuptools writes build/ and *.egg-info where it builds
    import shutil
    source = str(tmp_path_factory.mktemp("source") / "supervisor-lint")
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    # (build isolation: setuptools and wheel from the package registry)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                           "--disable-pip-version-check", "-w", str(out), source],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("cannot build a wheel here: %s" % done.stderr.strip()[-200:])
    (path,) = glob.glob(str(out / "supervisor_lint-*.whl"))
    return path


def test_the_wheel_holds_the_rules_and_the_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(meta).decode("utf-8")
    assert "supervisor_lint/rules/SV001.yaml" in names
    assert "supervisor_lint/rules/_index.json" in names
    assert "supervisor_lint/target.py" in names
    assert "Name: supervisor-lint" in metadata
    assert "License: MIT" in metadata or "License-Expression: MIT" in metadata
    assert "Requires-Dist: ruamel.yaml" in metadata
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as fh:
        assert fh.readline().strip() == "MIT License"


def test_the_installed_wheel_runs(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
           "--disable-pip-version-check"]
    done = subprocess.run(pip + [wheel], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("cannot install the wheel's dependencies here: %s"
                    % done.stderr.strip()[-200:])
    exe = str(venv / "bin" / "supervisor-lint")
    rule = subprocess.run([exe, "rule", "SV001"], capture_output=True, text=True,
                          cwd=str(tmp_path))
    assert rule.returncode == 0 and rule.stdout.startswith("SV001 invalid-syntax\n")
    (tmp_path / "a.conf").write_text("[program:a]\ncommand=/srv/a\nuser=a\nautostart=ture\n")
    check = subprocess.run([exe, "check", "--isolated", "a.conf"], capture_output=True,
                           text=True, cwd=str(tmp_path))
    assert check.returncode == 1 and check.stdout.startswith("a.conf:4:11: SV103 [error]")
