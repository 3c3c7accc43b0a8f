"""One selector for every place that takes rule tokens: codes (any case),
names, prefixes and categories, on the command line, in configuration
files, in per-file ignores, in --severity and in suppression comments; and
the library API."""

import json
import re

import pytest

from supervisor_lint import selector
from supervisor_lint.checks import all_rules
from support import run

# a worker with a Celery finding (SV403), hygiene ones (SV201, SV204) and a security one (SV305)
TEXT = "[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"


def codes(out):
    return sorted({d["code"] for d in json.loads(out)["diagnostics"]})


def lint(tmp_path, *args, text=TEXT):
    path = tmp_path / "w.conf"
    path.write_text(text)
    status, out, err = run(["check", "--format", "json"] + list(args) + [str(path)],
                           cwd=str(tmp_path))
    assert err == "", err
    return codes(out)


def test_every_token_kind_names_its_rules():
    rule = all_rules()["SV403"]
    for token in ("SV403", "short-stopwaitsecs", "SV4", "SV40", "celery"):
        assert selector.matches(rule, selector.normalize(token)), token
    for token in ("SV402", "SV2", "hygiene", "security", "stopwaitsecs"):
        assert not selector.matches(rule, selector.normalize(token)), token
    assert selector.normalize("sv40") == "SV40" and selector.normalize("celery") == "celery"
    assert selector.unknown(["celery", "SV4", "sv401", "kelery", "SV999"]) == \
        ["sv401", "kelery", "SV999"]    # tokens are normalized by whoever reads them
    assert selector.suggestion("kelery") == "; did you mean 'celery'?"


def test_categories_on_the_command_line(tmp_path):
    assert lint(tmp_path, "--isolated") == ["SV201", "SV204", "SV305", "SV403"]
    assert lint(tmp_path, "--isolated", "--select", "celery") == ["SV403"]
    assert lint(tmp_path, "--isolated", "--ignore", "security,hygiene") == ["SV403"]
    assert lint(tmp_path, "--isolated", "--select", "celery", "--extend-select", "sv305") == \
        ["SV305", "SV403"]
    assert lint(tmp_path, "--isolated", "--extend-select", "hygiene") == \
        ["SV201", "SV204", "SV205", "SV305", "SV403"]          # the opt-in SV205 too
    status, out, err = run(["check", "--select", "celry", str(tmp_path / "w.conf")])
    assert (status, err) == (2, "supervisor-lint: error: unknown rule code or name: celry\n")


def test_categories_in_a_configuration_file(tmp_path):
    (tmp_path / ".supervisor-lint.yaml").write_text(
        "select: [celery, security]\nper-file-ignores:\n  'w.conf': [security]\n"
        "severity: {celery: info}\n")
    path = tmp_path / "w.conf"
    path.write_text(TEXT)
    status, out, err = run(["check", "--format", "json", str(path)])
    assert [(d["code"], d["severity"]) for d in json.loads(out)["diagnostics"]] == [("SV403", "info")]
    (tmp_path / ".supervisor-lint.yaml").write_text("ignore: [celary]\n")
    status, out, err = run(["check", str(path)])
    assert (status, err) == (2, "supervisor-lint: error: %s:1: ignore: unknown rule 'celary'; "
                                "did you mean 'celery'?\n" % (tmp_path / ".supervisor-lint.yaml"))


def test_severity_takes_the_closest_token(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text(TEXT)
    status, out, err = run(["check", "--isolated", "--format", "json", "--severity",
                            "hygiene=info", "--severity", "SV2=error", "--severity",
                            "missing-killasgroup=warning", "--severity", "security=info",
                            str(path)])
    assert [(d["code"], d["severity"]) for d in json.loads(out)["diagnostics"]] == [
        ("SV201", "warning"), ("SV204", "error"), ("SV305", "info"), ("SV403", "warning")]


@pytest.mark.parametrize("comment,left", [
    ("; supervisor-lint: disable=celery\n", ["SV201", "SV204", "SV305"]),
    ("; supervisor-lint: disable=SV2,security\n", ["SV403"]),
    ("; supervisor-lint: disable=hygiene\n", ["SV305", "SV403"]),
])
def test_categories_in_suppressions(tmp_path, comment, left):
    assert lint(tmp_path, "--isolated", text=comment + TEXT) == left


def test_a_category_no_rule_has_is_reported_in_a_suppression(tmp_path):
    path = tmp_path / "w.conf"
    path.write_text("; supervisor-lint: disable=celry\n" + TEXT)
    status, out, err = run(["check", "--isolated", "--select", "SV902", str(path)])
    assert out.splitlines()[0].endswith(
        "SV902 [warning] 'celry' in this suppression is no supervisor-lint rule code or name "
        "(nor a code prefix or a category); 'supervisor-lint rules' lists them")


def test_the_library_api_returns_safe_diagnostics(tmp_path):
    import supervisor_lint
    path = tmp_path / "w.conf"
    path.write_text(TEXT + "environment=DB_PASSWORD=\"Hunter2xyz\" x\x1b[2J\n")
    found = supervisor_lint.check([str(path)], isolated=True, select=["SV107", "celery"])
    assert [(d.code, d.line, d.fatal) for d in found] == [("SV403", 1, False), ("SV107", 4, True)]
    found.sort(key=lambda d: d.code)
    assert "Hunter2xyz" not in found[0].message and "\x1b" not in found[0].message
    with pytest.raises(supervisor_lint.sources.ToolError):
        supervisor_lint.check([str(tmp_path / "missing.conf")])


# -- renamed rules: old codes keep working, with a warning -------------------

WARN = ("supervisor-lint: warning: %sSV299 is now SV204 (autorestart-not-true): write SV204 "
        "(SV299 stops working in 0.4)\n")


@pytest.fixture
def renamed(monkeypatch):
    """SV204 as if it had been SV299, and named no-autorestart before."""
    monkeypatch.setitem(selector.REDIRECTS, "SV299", ("SV204", "0.4"))
    monkeypatch.setitem(selector.REDIRECTS, "no-autorestart", ("autorestart-not-true", "0.4"))


def _lint_warned(tmp_path, *args, text=TEXT):
    path = tmp_path / "w.conf"
    path.write_text(text)
    status, out, err = run(["check", "--format", "json"] + list(args) + [str(path)],
                           cwd=str(tmp_path))
    return status, json.loads(out)["diagnostics"], err


def test_an_unknown_old_code_without_its_redirect(tmp_path):
    status, out, err = run(["check", "--ignore", "SV299", str(tmp_path)])
    assert (status, err) == (2, "supervisor-lint: error: unknown rule code or name: SV299\n")


def test_renamed_codes_work_on_the_command_line_with_a_warning(tmp_path, renamed):
    status, diags, err = _lint_warned(tmp_path, "--isolated", "--ignore", "sv299")
    assert "SV204" not in [d["code"] for d in diags] and "SV403" in [d["code"] for d in diags]
    assert err == WARN % ""
    status, diags, err = _lint_warned(tmp_path, "--isolated", "--severity", "SV299=error")
    assert [d["severity"] for d in diags if d["code"] == "SV204"] == ["error"]
    assert err == WARN % ""
    status, diags, err = _lint_warned(tmp_path, "--isolated", "--select", "SV4,no-autorestart")
    assert sorted(d["code"] for d in diags) == ["SV204", "SV403"]
    assert err == ("supervisor-lint: warning: no-autorestart is now autorestart-not-true: write "
                   "autorestart-not-true (no-autorestart stops working in 0.4)\n")
    status, diags, err = _lint_warned(tmp_path, "--isolated", "--per-file-ignores",
                                      "*.conf:SV299")
    assert "SV204" not in [d["code"] for d in diags] and err == WARN % ""
    # said once, however many times it is written
    status, diags, err = _lint_warned(tmp_path, "--isolated", "--select", "SV4,SV299",
                                      "--extend-ignore", "sv299,SV299", "--severity",
                                      "SV299=info")
    assert err == WARN % ""


def test_renamed_codes_in_a_configuration_file_warn_once_with_its_line(tmp_path, renamed):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.supervisor-lint]\nfail-level = "error"\nignore = ["SV299"]\n')
    status, diags, err = _lint_warned(tmp_path)
    assert "SV204" not in [d["code"] for d in diags]
    assert err == WARN % ("%s:3: ignore: " % config)
    # --fix lints more than once: the warning is still said once
    path = tmp_path / "w.conf"
    status, out, err = run(["check", "--fix", str(path)], cwd=str(tmp_path))
    assert "killasgroup=true" in path.read_text()
    assert err == WARN % ("%s:3: ignore: " % config)


def test_renamed_codes_in_suppressions_hide_with_a_warning(tmp_path, renamed):
    text = TEXT.replace("[program:worker]", "[program:worker]  ; supervisor-lint: disable=SV299")
    status, diags, err = _lint_warned(tmp_path, "--isolated", text=text)
    assert [d["code"] for d in diags] == ["SV201", "SV305", "SV403"]    # no SV901, no SV902
    assert err == WARN % ("%s:1: in a suppression, " % (tmp_path / "w.conf"))
    # an old code that hides nothing is unused, as the new one would be
    text = TEXT + "autorestart=true  ; supervisor-lint: disable=SV299\n"
    status, diags, err = _lint_warned(tmp_path, "--isolated", text=text)
    assert [(d["code"], d["line"]) for d in diags if d["code"] == "SV901"] == [("SV901", 4)]
    assert diags[-1]["message"] == "this suppression of SV204 hides nothing; remove it"


def test_rule_and_rules_take_renamed_codes(tmp_path, renamed):
    status, out, err = run(["rule", "SV299"])
    assert (status, err) == (0, WARN % "")
    assert out.startswith("SV204 autorestart-not-true\n")
    status, out, err = run(["rules", "--format", "json", "--select", "SV299"])
    assert (status, [r["code"] for r in json.loads(out)], err) == (0, ["SV204"], WARN % "")


def test_every_redirect_names_a_rule_that_exists_and_an_old_token_that_does_not():
    for old, (new, until) in selector.REDIRECTS.items():
        assert selector.known(new) and not selector.known(old), old
        assert re.match(r"\d+\.\d+$", until), old
