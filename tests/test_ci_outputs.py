"""Reports for CI: SARIF valid against the 2.1.0 schema, GitHub workflow
commands, GitLab Code Quality, JUnit; generated rule docs in sync; lazy imports."""

import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from supervisor_lint import catalog
import hosts
from support import SHARED, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(SHARED, "schemas", "sarif-schema-2.1.0.json")
DOCS = catalog.load_all()




def _examples():
    for code, doc in sorted(DOCS.items()):
        for i, ex in enumerate(doc.get("examples", [])):
            yield code, i, ex


@pytest.mark.skipif(not os.path.isfile(SCHEMA), reason="../shared/schemas is absent")
def test_sarif_for_every_example_is_valid(tmp_path):
    import jsonschema
    with open(SCHEMA) as fh:
        schema = json.load(fh)
    validator = jsonschema.Draft7Validator(schema)
    (tmp_path / ".git").mkdir()     # the repository root the URIs are relative to
    (tmp_path / "deploy").mkdir()
    for code, i, ex in _examples():
        for which in ("bad", "good"):
            if not ex.get(which) or ex.get("live"):
                continue                    # (a live example needs a running supervisord)
            path = tmp_path / "deploy" / ("%s-%d-%s.conf" % (code, i, which))
            if ex.get("host"):
                # a host rule's example: audit a root built from it, under the repository
                host = dict(ex["host"])
                if which == "good":
                    host.update(ex.get("good_host") or {})
                try:
                    root = hosts.build(tmp_path / "deploy" / ("%s-%d-%s" % (code, i, which)),
                                       host, ex[which])
                except pytest.skip.Exception:
                    continue                # its owners need root
                status, out, err = run(["audit", "--format", "sarif", "--extend-select", code,
                                        "--root", root], cwd=str(tmp_path / "deploy"))
                uri = os.path.relpath(root, str(tmp_path)) + "/"      # any file under it
            elif which == "bad" and ex.get("bad_bytes_hex"):
                path.write_bytes(bytes.fromhex(ex["bad_bytes_hex"]))
            else:
                path.write_text(ex[which])
            if not ex.get("host"):
                args = list(ex.get("args" if which == "bad" else "good_args") or [])
                status, out, err = run(["check", "--format", "sarif", "--extend-select", code]
                                       + args + [path.name], cwd=str(tmp_path / "deploy"))
                uri = "deploy/" + path.name
            log = json.loads(out)
            errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
            assert errors == [], (code, [e.message for e in errors[:3]])
            results = log["runs"][0]["results"]
            if which == "bad":
                assert code in {r["ruleId"] for r in results}
            for r in results:
                loc = r["locations"][0]["physicalLocation"]
                assert loc["artifactLocation"]["uriBaseId"] == "SRCROOT"
                if uri.endswith("/"):
                    assert loc["artifactLocation"]["uri"].startswith(uri)
                else:
                    assert loc["artifactLocation"] == {"uri": uri, "uriBaseId": "SRCROOT"}
                assert "partialFingerprints" not in r and "fingerprints" not in r


def test_sarif_rules_carry_descriptions_help_and_security_severity(tmp_path):
    path = tmp_path / "x.conf"
    path.write_text("[inet_http_server]\nport=*:9001\n")
    status, out, err = run(["check", "--format", "sarif", str(path)])
    rules = {r["id"]: r for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == set(DOCS)
    r = rules["SV301"]
    assert r["shortDescription"]["text"] == DOCS["SV301"]["summary"].strip()
    assert r["fullDescription"]["text"] == DOCS["SV301"]["why"].strip()
    assert r["helpUri"].endswith("/docs/rules/SV301.md") and r["help"]["text"]
    assert r["defaultConfiguration"] == {"level": "error"}
    assert r["properties"]["security-severity"] == "8.8"
    assert "security-severity" not in rules["SV201"]["properties"]
    assert {k for k, v in rules.items() if "security-severity" in v["properties"]} == \
        {"SV301", "SV302", "SV303", "SV304", "SV305", "SV306"}


# ::error file=...,line=...::message ; properties escape % \r \n : ,  data escapes % \r \n
_COMMAND = re.compile(r"^::(error|warning|notice) (?P<props>[^:]*)::(?P<data>[^\r\n]*)$")


def test_github_workflow_commands_are_escaped(tmp_path):
    d = tmp_path / "odd,dir:x"
    d.mkdir()
    path = d / "w.conf"
    path.write_text("[program:clock]\ncommand=/bin/date +%s\nuser=clock\n")
    status, out, err = run(["check", "--format", "github", str(path)])
    lines = out.splitlines()
    assert len(lines) == 1
    m = _COMMAND.match(lines[0])
    assert m, lines[0]
    props = dict(p.split("=", 1) for p in m.group("props").split(","))
    assert props["file"].endswith("odd%2Cdir%3Ax/w.conf")
    assert (props["line"], props["col"], props["title"]) == ("2", "20", "SV106 unescaped-percent")
    assert m.group("data").startswith("%25s in command is not a %25(name)s expansion")


def test_github_annotations_added_in_actions_keep_the_text(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    path = tmp_path / "w.conf"
    path.write_text("[program:clock]\ncommand=/bin/date +%s\nuser=clock\n")
    status, out, err = run(["check", str(path)])
    lines = out.splitlines()
    assert lines[0].startswith("%s:2:20: SV106 [warning]" % path)
    assert lines[-1].startswith("::warning file=")


def test_gitlab_and_junit(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:clock]\ncommand=/bin/date +%s\nautostart=ture\nuser=clock\n")
    status, out, err = run(["check", "--format", "gitlab", "w.conf"], cwd=str(tmp_path))
    items = json.loads(out)
    assert [(i["check_name"], i["severity"], i["location"]) for i in items] == [
        ("SV106", "minor", {"path": "w.conf", "lines": {"begin": 2, "end": 2}}),
        ("SV103", "blocker", {"path": "w.conf", "lines": {"begin": 3, "end": 3}})]
    assert len({i["fingerprint"] for i in items}) == 2
    status, out, err = run(["check", "--format", "junit", "w.conf"], cwd=str(tmp_path))
    root = ET.fromstring(out)
    assert root.get("failures") == "2"
    assert [f.get("type") for f in root.iter("failure")] == ["warning", "error"]


def test_output_file_statistics_and_quiet(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:clock]\ncommand=/bin/date +%s\nautostart=ture\nuser=clock\n")
    report = tmp_path / "report.json"
    status, out, err = run(["check", "--format", "json", "--output", str(report), str(path)])
    assert (status, out) == (1, "") and len(json.loads(report.read_text())["diagnostics"]) == 2
    status, out, err = run(["check", "--statistics", str(path)])
    assert out == "    1  SV103  invalid-value\n    1  SV106  unescaped-percent\n"
    status, out, err = run(["check", "--quiet", str(path)])
    assert len(out.splitlines()) == 2 and "Found" not in out


def test_full_format_shows_the_line_and_a_caret(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:web]\ncommand=/bin/true\nautostart=ture\nuser=web\n")
    status, out, err = run(["check", "--format", "full", "--color", "never", str(path)])
    assert out.splitlines()[1:3] == ["     3 | autostart=ture", "       |           ^^^^"]
    status, out, err = run(["check", "--format", "full", "--color", "always", str(path)])
    assert "\033[1;31m" in out


def test_no_color_and_force_color(tmp_path, monkeypatch):
    from supervisor_lint.report import use_color
    tty = type("T", (), {"isatty": lambda self: True})()
    pipe = io.StringIO()
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert (use_color("auto", tty), use_color("always", pipe)) == (False, True)
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_color("auto", pipe) is True
    assert use_color("never", tty) is False


@pytest.mark.parametrize("code", sorted(DOCS))
def test_rule_docs_are_in_sync(code):
    with open(os.path.join(ROOT, "docs", "rules", code + ".md"), encoding="utf-8") as fh:
        assert fh.read() == catalog.markdown(DOCS[code]), \
            "docs/rules/%s.md is stale: run scripts/gen-rule-docs" % code


def test_rule_command_points_at_the_docs():
    status, out, err = run(["rule", "SV203"])
    assert out.rstrip().endswith("/docs/rules/SV203.md")


def test_check_of_one_file_imports_no_yaml_json_or_reporters(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("[program:web]\ncommand=/bin/true\nuser=web\n")
    code = ("import sys; from supervisor_lint.cli import main; main(['check', %r]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ruamel', 'json', 'xml', 'tomllib', 'tomli', 'difflib') "
            "or m in ('supervisor_lint.report', 'supervisor_lint.catalog', 'supervisor_lint.fix')))"
            % str(path))
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path))
    assert proc.stdout.strip().splitlines()[-1] == "['supervisor_lint.report']"


def test_github_escaping_of_percent_and_line_breaks():
    from supervisor_lint.report import _escape_data, _escape_property
    assert _escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    assert _escape_property("a:b,c%d\n") == "a%3Ab%2Cc%25d%0A"


def test_ci_paths_are_relative_to_the_checkout(tmp_path, monkeypatch):
    """Issue 14, item 2: a job with working-directory: deploy still annotates
    deploy/x.conf, for GitHub (GITHUB_WORKSPACE), GitLab (CI_PROJECT_DIR) and
    without either (the git work tree)."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / "x.conf").write_text("[program:a]\ncommand=/bin/cat\nuser=a\nautostart=ture\n")
    for variable in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", None):
        for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
            monkeypatch.delenv(name, raising=False)
        if variable:
            monkeypatch.setenv(variable, str(tmp_path))
        else:
            (tmp_path / ".git").mkdir(exist_ok=True)
        status, out, err = run(["check", "--isolated", "--format", "github", "x.conf"],
                               cwd=str(deploy))
        assert out.startswith("::error file=deploy/x.conf,line=4,col=11,"), variable
        status, out, err = run(["check", "--isolated", "--format", "gitlab", "x.conf"],
                               cwd=str(deploy))
        assert json.loads(out)[0]["location"]["path"] == "deploy/x.conf", variable
        status, out, err = run(["check", "--isolated", "--format", "junit", "x.conf"],
                               cwd=str(deploy))
        assert '<testsuite name="deploy/x.conf"' in out, variable


def test_gitlab_fingerprints_survive_edits_elsewhere(tmp_path):
    path = tmp_path / "x.conf"
    text = "[program:a]\ncommand=/bin/cat\nuser=a\nautostart=ture\n[program:b]\n" \
           "command=/bin/cat\nuser=b\nautostart=ture\n"
    path.write_text(text)
    (tmp_path / ".git").mkdir()

    def prints():
        status, out, err = run(["check", "--isolated", "--format", "gitlab", "x.conf"],
                               cwd=str(tmp_path))
        return [(i["check_name"], i["location"]["lines"]["begin"], i["fingerprint"])
                for i in json.loads(out)]
    before = prints()
    path.write_text("; a comment\n\n" + text)
    after = prints()
    assert [b[1] + 2 for b in before] == [a[1] for a in after]
    assert [b[2] for b in before] == [a[2] for a in after]
    assert len({b[2] for b in before}) == len(before)     # two alike findings stay apart


def test_junit_info_is_no_failure_and_a_clean_run_passes(tmp_path):
    import xml.dom.minidom
    clean = tmp_path / "clean.conf"
    clean.write_text("[program:a]\ncommand=/srv/a\nuser=a\nautorestart=true\n")
    status, out, err = run(["check", "--isolated", "--format", "junit", str(clean)])
    dom = xml.dom.minidom.parseString(out)
    (suites,) = dom.getElementsByTagName("testsuites")
    assert (suites.getAttribute("tests"), suites.getAttribute("failures")) == ("1", "0")
    assert len(dom.getElementsByTagName("testcase")) == 1
    assert dom.getElementsByTagName("failure") == []
    info = tmp_path / "info.conf"
    info.write_text("[program:a]\ncommand=/srv/a\nuser=a\nautorestart=true\n"
                    "stdout_logfile=syslog\n[program:b]\ncommand=/srv/b\nuser=b\nautostart=ture\n")
    status, out, err = run(["check", "--isolated", "--format", "junit", "--severity",
                            "SV114=info", str(info)])
    dom = xml.dom.minidom.parseString(out)
    (suites,) = dom.getElementsByTagName("testsuites")
    assert (suites.getAttribute("tests"), suites.getAttribute("failures")) == ("2", "1")
    assert [f.getAttribute("type") for f in dom.getElementsByTagName("failure")] == ["error"]
    assert len(dom.getElementsByTagName("system-out")) == 1


def test_every_link_to_a_rule_page_comes_from_one_setting_with_an_offline_fallback(tmp_path):
    """Issue 14, items 5-7: JSON's url, SARIF's helpUri and rules --format
    json share one setting; SARIF's help names `supervisor-lint rule CODE`."""
    from supervisor_lint.diagnostics import _DOCS_URL
    path = tmp_path / "a.conf"
    path.write_text("[program:a]\ncommand=/srv/a\nuser=a\nautostart=ture\n")
    status, out, err = run(["check", "--isolated", "--format", "json", str(path)])
    (d,) = json.loads(out)["diagnostics"]
    assert d["url"] == _DOCS_URL % "SV103"
    status, out, err = run(["check", "--isolated", "--format", "sarif", str(path)])
    log = json.loads(out)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["version"]
    rule = next(r for r in driver["rules"] if r["id"] == "SV103")
    assert rule["helpUri"] == _DOCS_URL % "SV103"
    assert rule["help"]["text"].endswith("Offline: supervisor-lint rule SV103")
    status, out, err = run(["rules", "--format", "json", "--select", "SV103"])
    assert [r["url"] for r in json.loads(out)] == [_DOCS_URL % "SV103"]


def test_paths_are_the_same_whether_main_config_is_configured_or_given(tmp_path, monkeypatch):
    """Issue 14, item 2: main-config from pyproject.toml (relative to it) or
    from the command line: every format names the files alike."""
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".git").mkdir()
    deploy = tmp_path / "deploy"
    (deploy / "conf.d").mkdir(parents=True)
    (deploy / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/var/log/s.log\n[include]\nfiles=conf.d/*.conf\n")
    (deploy / "conf.d" / "x.conf").write_text(
        "[program:a]\ncommand=/bin/cat\nuser=a\nautostart=ture\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.supervisor-lint]\nmain-config = "deploy/supervisord.conf"\n')
    for cwd, path, given in ((tmp_path, "deploy/conf.d/x.conf", "deploy/supervisord.conf"),
                             (deploy / "conf.d", "x.conf", "../supervisord.conf")):
        for fmt in ("text", "json", "github", "gitlab", "junit", "sarif"):
            configured = run(["check", "--format", fmt, path], cwd=str(cwd))
            assert configured == run(["check", "--format", fmt, "--main-config", given, path],
                                     cwd=str(cwd)), (cwd, fmt)
            assert configured[0] == 1 and "SV103" in configured[1]
            assert str(tmp_path) not in configured[1].replace("file://%s/" % tmp_path, ""), fmt
    status, out, err = run(["check", "deploy/conf.d/x.conf"], cwd=str(tmp_path))
    assert out.startswith("deploy/conf.d/x.conf:4:11: SV103 [error]")


def test_a_configured_main_config_through_a_link_is_the_one_it_names(tmp_path):
    """'..' after a linked directory is the link target's parent: the main
    config is read where the configuration's path leads, not where the
    shortened path would."""
    real = tmp_path / "real"
    (real / "deploy" / "conf.d").mkdir(parents=True)
    (real / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/l\n[include]\nfiles=deploy/conf.d/*.conf\n")
    (real / "deploy" / "conf.d" / "x.conf").write_text(
        "[program:a]\ncommand=/bin/cat\nuser=a\nautostart=ture\n")
    (real / "deploy" / ".supervisor-lint.yaml").write_text("main-config: ../supervisord.conf\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "deploy").symlink_to(real / "deploy")
    (work / "supervisord.conf").write_text("[supervisord]\nlogfile=/decoy\n")
    status, out, err = run(["check", "--show-files", "deploy/conf.d/x.conf"], cwd=str(work))
    assert out.splitlines()[0] == "%s: main config" % (work / "deploy" / ".." /
                                                      "supervisord.conf")
    status, out, err = run(["check", "deploy/conf.d/x.conf"], cwd=str(work))
    assert status == 1 and "x.conf:4:11: SV103 [error]" in out, err
