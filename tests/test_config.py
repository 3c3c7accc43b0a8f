"""Configuration from pyproject.toml and .supervisor-lint.yaml: found upward
from each file, the nearer winning, the command line winning over both."""

import io
import os

import pytest

from supervisor_lint import cli
from support import run

BAD = "[program:web]\ncommand=/bin/true\nautostart=ture\nautostrat=1\n"   # SV103 SV102 SV305




def codes(tmp_path, argv):
    status, out, err = run(["check", "--format", "json"] + argv, str(tmp_path))
    import json
    assert err == "", err
    return sorted({d["code"] for d in json.loads(out)["diagnostics"]})


def test_pyproject_select_and_ignore(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.supervisor-lint]\nignore = ["SV305", "unknown-key"]\n')
    (tmp_path / "web.conf").write_text(BAD)
    assert codes(tmp_path, ["web.conf"]) == ["SV103"]
    # the command line beats the file
    assert codes(tmp_path, ["--ignore", "SV103", "web.conf"]) == ["SV102", "SV305"]
    assert codes(tmp_path, ["--isolated", "web.conf"]) == ["SV102", "SV103", "SV305"]


def test_yaml_file_and_the_nearer_config_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\nselect = ["SV1"]\n')
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / ".supervisor-lint.yaml").write_text("select: [SV305]\n")
    (tmp_path / "conf.d" / "web.conf").write_text(BAD)
    (tmp_path / "top.conf").write_text(BAD)
    assert codes(tmp_path, ["conf.d/web.conf"]) == ["SV305"]
    assert codes(tmp_path, ["top.conf"]) == ["SV102", "SV103"]
    assert codes(tmp_path, ["--config", "pyproject.toml", "conf.d/web.conf"]) == ["SV102", "SV103"]


def test_per_file_ignores_severity_and_fail_level(tmp_path):
    (tmp_path / ".supervisor-lint.yaml").write_text(
        "per-file-ignores:\n  'legacy/*.conf': [SV102, SV305]\n"
        "severity:\n  SV305: info\n  unknown-key: info\n"
        "fail-level: error\n")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.conf").write_text(BAD)
    (tmp_path / "web.conf").write_text(BAD.replace("autostart=ture\n", ""))
    assert codes(tmp_path, ["legacy/old.conf"]) == ["SV103"]
    status, out, err = run(["check", "web.conf"], str(tmp_path))
    assert status == 0 and "SV305 [info]" in out and "SV102 [info]" in out
    status, out, err = run(["check", "--fail-level", "info", "web.conf"], str(tmp_path))
    assert status == 1
    status, out, err = run(["check", "--exit-zero", "legacy/old.conf"], str(tmp_path))
    assert status == 0


def test_exclude_and_force_exclude(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.supervisor-lint]\nextend-exclude = ["vendor"]\n')
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.conf").write_text(BAD)
    (tmp_path / "app.conf").write_text("[program:app]\ncommand=/bin/true\nuser=app\n")
    assert run(["check", "."], str(tmp_path)) == (0, "", "")
    assert run(["check", "vendor/x.conf"], str(tmp_path))[0] == 1
    assert run(["check", "--force-exclude", "vendor/x.conf"], str(tmp_path)) == (0, "", "")


def test_stdin_filename_applies_configuration(tmp_path):
    (tmp_path / ".supervisor-lint.yaml").write_text("per-file-ignores:\n  'conf.d/*': [SV305]\n")
    stdin = io.TextIOWrapper(io.BytesIO(b"[program:web]\ncommand=/bin/true\n"))
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(str(tmp_path))
    try:
        status = cli.main(["check", "-", "--stdin-filename", "conf.d/web.conf"], stdout=out,
                          stderr=err, stdin=stdin)
    finally:
        os.chdir(old)
    assert (status, out.getvalue()) == (0, "")


@pytest.mark.parametrize("name,text,message", [
    (".supervisor-lint.yaml", "select: [SV1]\nignor: [SV305]\n",
     ".supervisor-lint.yaml:2: unknown key 'ignor'; did you mean 'ignore'?"),
    (".supervisor-lint.yaml", "fail-level: warn\n",
     ".supervisor-lint.yaml:1: fail-level: 'warn' is no level (error, warning, info)"),
    (".supervisor-lint.yaml", "select: [SV2O1]\n",
     ".supervisor-lint.yaml:1: select: unknown rule 'SV2O1'; did you mean 'SV201'?"),
    ("pyproject.toml", '[tool.other]\nx = 1\n\n[tool.supervisor-lint]\nselect = ["SV1"]\n'
                       'severty = {SV305 = "info"}\n',
     "pyproject.toml:6: unknown key 'severty'; did you mean 'severity'?"),
    (".supervisor-lint.yaml", "select: [\n", ".supervisor-lint.yaml:2: not valid YAML"),
])
def test_config_errors_name_file_and_line(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    (tmp_path / "web.conf").write_text(BAD)
    status, out, err = run(["check", "web.conf"], str(tmp_path))
    assert (status, out) == (2, "")
    assert err.startswith("supervisor-lint: error: %s" % os.path.join(str(tmp_path), message)) \
        or err.startswith("supervisor-lint: error: " + message), err
    assert len(err.splitlines()) == 1


def test_main_config_setting(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nenvironment=APP=\"/srv\"\n[include]\nfiles=conf.d/*.conf\n")
    (tmp_path / "conf.d" / "web.conf").write_text(
        "[program:web]\ncommand=/bin/x %(ENV_APP)s\nuser=web\n")
    assert codes(tmp_path, ["conf.d/web.conf"]) == ["SV105"]
    (tmp_path / ".supervisor-lint.yaml").write_text("main-config: supervisord.conf\n")
    # defined by the main config's environment=, which supervisor 4.2.1 would not read
    assert codes(tmp_path, ["conf.d/web.conf"]) == ["SV116"]
    (tmp_path / ".supervisor-lint.yaml").write_text("main-config: supervisord.conf\n"
                                                    "target-version: '4.2.1'\n")
    assert codes(tmp_path, ["conf.d/web.conf"]) == ["SV105"]


def test_targets_in_the_configuration(tmp_path):
    (tmp_path / "a.conf").write_text("[program:a]\ncommand=/bin/cat\nstopsignal=STKFLT\nuser=a\n")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.supervisor-lint]\ntarget-version = \"4.2.1\"\ntarget-python = \"3.10\"\n")
    status, out, err = run(["check", "a.conf"], cwd=str(tmp_path))
    assert (status, err) == (1, "") and "SV103 [error] stopsignal=STKFLT" in out
    # the command line wins
    status, out, err = run(["check", "--target-python", "3.11", "a.conf"], cwd=str(tmp_path))
    assert "SV103" not in out and "SV116 [warning] stopsignal=STKFLT is SIGSTKFLT" in out
    (tmp_path / "pyproject.toml").write_text("[tool.supervisor-lint]\ntarget-python = 3.10\n")
    status, out, err = run(["check", "a.conf"], cwd=str(tmp_path))
    assert (status, out) == (2, "")
    assert err == ("supervisor-lint: error: %s:2: target-python: write the version as a string "
                   "(\"3.10\", not 3.10, which reads as the number 3.1)\n"
                   % (tmp_path / "pyproject.toml"))
    status, out, err = run(["check", "--target-version", "four", "a.conf"], cwd=str(tmp_path))
    assert status == 2 and err.endswith("--target-version 'four' is no version (write it as "
                                        "4.2.5 or 3.11)\n")


def test_a_pyproject_without_our_table_needs_no_toml_reader(tmp_path, monkeypatch):
    """The README's first command runs from a clone on Python 3.9 without
    tomli: the project's own pyproject.toml names the package, not a table."""
    from supervisor_lint import config
    monkeypatch.setattr(config, "_toml", lambda: None)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "supervisor-lint"\n')
    assert config.load_pyproject(str(tmp_path / "pyproject.toml")) is None
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\nselect = ["SV1"]\n')
    with pytest.raises(config.ConfigError):
        config.load_pyproject(str(tmp_path / "pyproject.toml"))
