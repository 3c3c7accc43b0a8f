"""One selector for every place that takes rule tokens: codes (any case),
names, prefixes and categories, on the command line, in configuration
files, in per-file ignores, in --severity and in suppression comments; and
the library API."""

import json

import pytest

from supervisor_lint import selector
from supervisor_lint.checks import all_rules
from support import run

# a worker with a Celery finding (SV403), hygiene ones (SV201, SV204) and a security one (SV305)
TEXT = "[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"


def codes(out):
    return sorted({d["code"] for d in json.loads(out)})


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
    assert [(d["code"], d["severity"]) for d in json.loads(out)] == [("SV403", "info")]
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
    assert [(d["code"], d["severity"]) for d in json.loads(out)] == [
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
