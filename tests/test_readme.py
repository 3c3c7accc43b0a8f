"""The README, copied line by line (issue 14): its quick start and its
install lines (pip, pipx, the wheel) run as written in a fresh copy of the
project, with nothing but what they say on PATH; the installed command runs
from its own files; the wheel's metadata says what pyproject.toml and
LICENSE say; the report the README shows is what the linter prints."""

import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".hypothesis")


def _readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return fh.read()


def _blocks(kind):
    return re.findall(r"^```%s\n(.*?)^```" % kind, _readme(), re.M | re.S)


def _commands(block):
    """The command lines of a shell block, without their trailing comments."""
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _copy(tmp_path):
    """A fresh copy of the project, as a clone holds it."""
    copy = tmp_path / "supervisor-lint"
    shutil.copytree(ROOT, str(copy), ignore=SKIP)
    return copy


def _venv(path, pip):
    args = [sys.executable, "-m", "venv", str(path)] + ([] if pip else ["--without-pip"])
    subprocess.run(args, check=True, capture_output=True)
    return path / "bin"


def _shell(line, cwd, bin_dir, tmp_path, **extra):
    """``line`` run by sh as a user would type it: ``bin_dir`` first on a
    bare PATH, a home of its own, nothing of this test run's environment."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": "%s:/usr/local/bin:/usr/bin:/bin" % bin_dir, "HOME": str(home),
           "LANG": "C.UTF-8", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.update(extra)
    # how this machine reaches the package registry: pip's settings, proxies,
    # certificates, and the user's pip.conf that the new home would hide
    for key, value in os.environ.items():
        if key.startswith("PIP_") or key.lower() in (
                "http_proxy", "https_proxy", "no_proxy", "ssl_cert_file", "requests_ca_bundle"):
            env.setdefault(key, value)
    user_home = os.path.expanduser("~")
    for conf in (os.path.join(user_home, ".config", "pip", "pip.conf"),
                 os.path.join(user_home, ".pip", "pip.conf")):
        if "PIP_CONFIG_FILE" not in env and os.path.isfile(conf):
            env["PIP_CONFIG_FILE"] = conf
    return subprocess.run(["sh", "-c", line], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_quick_start_runs_as_written_with_the_standard_library_alone(tmp_path):
    first, second = _commands(_blocks("sh")[0])
    assert first == "python3 -m supervisor_lint check examples/"
    assert second == "sh scripts/test"
    copy = _copy(tmp_path)
    # python3 is a bare interpreter: no ruamel.yaml, no tomli, nothing installed
    bin_dir = _venv(tmp_path / "bare", pip=False)
    assert (bin_dir / "python3").exists()
    done = _shell(first, copy, bin_dir, tmp_path)
    assert done.returncode == 1, done.stderr          # the broken example's findings
    assert done.stderr == ""
    assert "examples/broken/conf.d/jobs.conf:9:13: SV112 [warning]" in done.stdout
    assert "examples/celery-good" not in done.stdout
    # the second line is the suite itself: it is what CI runs on a fresh clone
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as fh:
        assert "exec %s\n" % second in fh.read()


def test_the_report_the_readme_shows_is_what_it_prints():
    (block,) = [b for b in _blocks("text") if b.startswith("$ python3 -m supervisor_lint")]
    command, *shown = block.splitlines()
    argv = command[2:].split()
    assert argv[:3] == ["python3", "-m", "supervisor_lint"]
    done = subprocess.run([sys.executable] + argv[1:], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, NO_COLOR="1", GITHUB_ACTIONS=""))
    printed = done.stdout.splitlines()
    assert shown[-1] == printed[-1]                 # the summary line
    lines = [line for line in shown if line != "..."]
    at = 0
    for line in lines:                              # each shown line, in order
        assert line in printed[at:], line
        at = printed.index(line, at) + 1
    assert len(printed) > len(lines) and done.returncode == 1


def _install_lines():
    """The README's install lines: pip, pipx, and the wheel's two."""
    text = _readme()
    start = text.index("Installed from the clone")
    para = text[start:text.index("\n\n", start)]
    lines = [re.sub(r"\s+", " ", c) for c in re.findall(r"`((?:pip|pipx) [^`]*)`", para)]
    assert lines == ["pip install .", "pipx install .", "pip wheel --no-deps -w dist .",
                     "pip install dist/supervisor_lint-*.whl"], lines
    return lines


def _installed_runs(exe, tmp_path):
    done = subprocess.run([exe, "rule", "SV001"], capture_output=True, text=True,
                          cwd=str(tmp_path))
    assert done.returncode == 0 and done.stdout.startswith("SV001 invalid-syntax\n"), done.stderr
    (tmp_path / "a.conf").write_text("[program:a]\ncommand=/srv/a\nuser=a\nautostart=ture\n")
    done = subprocess.run([exe, "check", "--isolated", "a.conf"], capture_output=True,
                          text=True, cwd=str(tmp_path))
    assert done.returncode == 1 and done.stdout.startswith("a.conf:4:11: SV103 [error]")


def _registry_or_skip(done):
    if done.returncode != 0 and re.search(r"(?i)could not find a version|connection|"
                                          r"network|resolve|timed out", done.stderr):
        pytest.skip("the package registry is out of reach: %s" % done.stderr.strip()[-200:])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("how", ["pip", "wheel"])
def test_the_install_lines_work_from_a_clone(tmp_path, how):
    pip, pipx, wheel, install_wheel = _install_lines()
    copy = _copy(tmp_path)
    bin_dir = _venv(tmp_path / "venv", pip=True)     # an activated virtualenv's pip
    for line in ([pip] if how == "pip" else [wheel, install_wheel]):
        _registry_or_skip(_shell(line, copy, bin_dir, tmp_path))
    _installed_runs(str(bin_dir / "supervisor-lint"), tmp_path)
    if how == "wheel":
        (wheel,) = glob.glob(str(copy / "dist" / "supervisor_lint-*.whl"))
        _holds_the_rules_and_the_metadata(wheel)


def _holds_the_rules_and_the_metadata(wheel):
    """What the wheel carries: the rule documents, the index SARIF quotes,
    every module, and metadata that says what pyproject.toml and LICENSE say."""
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(meta).decode("utf-8")
    assert "supervisor_lint/rules/SV001.yaml" in names
    assert "supervisor_lint/rules/_index.json" in names
    assert "supervisor_lint/target.py" in names
    from supervisor_lint import __version__
    assert "Name: supervisor-lint" in metadata
    assert "\nVersion: %s\n" % __version__ in metadata        # JSON's and SARIF's version
    assert "License: MIT" in metadata or "License-Expression: MIT" in metadata
    assert "Requires-Dist: ruamel.yaml" in metadata
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as fh:
        assert fh.readline().strip() == "MIT License"


def test_pipx_install_works_from_a_clone(tmp_path):
    pipx_line = _install_lines()[1]
    copy = _copy(tmp_path)
    tools = _venv(tmp_path / "tools", pip=True)
    _registry_or_skip(_shell("pip install --quiet pipx", tmp_path, tools, tmp_path))
    apps = tmp_path / "apps"
    done = _shell(pipx_line, copy, tools, tmp_path, PIPX_HOME=str(tmp_path / "pipx"),
                  PIPX_BIN_DIR=str(apps), PIPX_MAN_DIR=str(tmp_path / "man"))
    _registry_or_skip(done)
    _installed_runs(str(apps / "supervisor-lint"), tmp_path)
