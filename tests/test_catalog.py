"""The rule catalog (rules/CODE.yaml) agrees with the registry, and every
example in it does what it says."""

import pytest

from supervisor_lint import catalog
from supervisor_lint.checks import all_rules
import hosts
from support import lint_json, run

DOCS = catalog.load_all()
# an example with ``live:`` describes a running supervisord: tests/test_live_e2e.py
# makes those situations for real
EXAMPLES = [(code, i, ex) for code, doc in sorted(DOCS.items())
            for i, ex in enumerate(doc.get("examples", [])) if not ex.get("live")]


def test_every_rule_has_a_document_and_every_document_a_rule():
    assert sorted(DOCS) == sorted(all_rules())


@pytest.mark.parametrize("code", sorted(DOCS))
def test_document_holds_the_words_and_not_the_declaration(code):
    doc = DOCS[code]
    assert list(doc)[0] == "code"
    # name, severity, fatality, category: declared once, on the rule
    assert not set(doc) & {"name", "severity", "fatal", "category", "scope", "default"}, code
    for field in ("summary", "why", "examples", "fix"):
        assert doc.get(field), "%s has no %s" % (code, field)
    assert doc["fix"]["safety"] in ("safe", "unsafe", "none")
    assert bool(doc["fix"]["available"]) == (doc["fix"]["safety"] != "none")


def _lint(tmp_path, code, example, which):
    """An example's diagnostics: ``check`` on the file, or for a host rule's
    example ``audit --root`` on a root built from its ``host:``, the example
    its main config."""
    if example.get("host"):
        host = dict(example["host"])
        if which == "good":
            host.update(example.get("good_host") or {})    # what the good host adds
        root = hosts.build(tmp_path, host, example[which])
        return lint_json(["--extend-select", code, "--root", root], command="audit")
    args = list(example.get("args" if which == "bad" else "good_args") or [])
    return lint_json(["--extend-select", code] + args + [_write(tmp_path, example, which)])


def _write(tmp_path, example, which):
    path = tmp_path / "example.conf"
    if which == "bad" and example.get("bad_bytes_hex"):
        path.write_bytes(bytes.fromhex(example["bad_bytes_hex"]))
    else:
        path.write_text(example[which])
    return str(path)


@pytest.mark.parametrize("code,index,example", EXAMPLES,
                         ids=["%s-%d" % (c, i) for c, i, _ in EXAMPLES])
def test_bad_example_reports_the_code(tmp_path, code, index, example):
    status, diags, err = _lint(tmp_path, code, example, "bad")
    assert err == ""
    assert code in {d["code"] for d in diags}, diags
    if example.get("at"):
        # an example may say where the rule's first finding goes: "LINE:COLUMN"
        first = [d for d in diags if d["code"] == code][0]
        assert "%d:%d" % (first["line"], first["column"]) == example["at"]


@pytest.mark.parametrize("code,index,example", [e for e in EXAMPLES if e[2].get("good")],
                         ids=["%s-%d" % (c, i) for c, i, e in EXAMPLES if e.get("good")])
def test_good_example_does_not(tmp_path, code, index, example):
    status, diags, err = _lint(tmp_path, code, example, "good")
    assert err == ""
    assert code not in {d["code"] for d in diags}, diags


FIXED = [(code, i, ex) for code, i, ex in EXAMPLES if "fixed" in ex or "fixed_bytes_hex" in ex]


@pytest.mark.parametrize("code,index,example", FIXED,
                         ids=["%s-%d" % (c, i) for c, i, _ in FIXED])
def test_fixed_example_is_what_the_fix_writes(tmp_path, code, index, example):
    unsafe = ["--unsafe-fixes"] if DOCS[code]["fix"]["safety"] == "unsafe" else []
    path = _write(tmp_path, example, "bad")
    status, out, err = run(["check", "--isolated", "--fix", "--select", code] + unsafe + [path])
    with open(path, "rb") as fh:
        written = fh.read()
    if "fixed_bytes_hex" in example:
        assert written == bytes.fromhex(example["fixed_bytes_hex"])
    else:
        assert written == example["fixed"].encode("utf-8")


@pytest.mark.parametrize("code", [code for code in sorted(DOCS)
                                  if DOCS[code]["fix"]["available"]])
def test_a_rule_with_a_fix_shows_it_on_an_example(code):
    assert any("fixed" in ex or "fixed_bytes_hex" in ex for ex in DOCS[code]["examples"]), code


def test_rule_command_renders_the_document():
    text = catalog.render(DOCS["SV004"])
    assert text.startswith("SV004 swallowed-line\n\nSeverity: warning    Fatal: no: "
                           "supervisord loads the config    Category: syntax\n")
    assert DOCS["SV004"]["why"].strip().splitlines()[0] in text


@pytest.mark.parametrize("code", sorted(DOCS))
def test_documented_fix_matches_what_the_rule_offers(tmp_path, code):
    doc = DOCS[code]
    offered = set()
    for i, example in enumerate(doc.get("examples", [])):
        if example.get("live"):
            continue
        here = tmp_path / str(i)
        here.mkdir()
        status, diags, err = _lint(here, code, example, "bad")
        offered |= {d["fix"]["applicability"] for d in diags if d["code"] == code and d["fix"]}
    if doc["fix"]["available"]:
        assert doc["fix"]["safety"] in offered, (doc["fix"], offered)
    else:
        assert offered == set()


def _findings(tmp_path, code, example, which):
    status, diags, err = _lint(tmp_path, code, example, which)
    assert err == ""
    return [d for d in diags if d["code"] == code]


@pytest.mark.parametrize("code", [c for c in sorted(DOCS)
                                  if all_rules()[c].category != "live"])
def test_examples_hold_to_the_declaration(tmp_path, code):
    """A rule declared never fatal never yields a fatal finding in its
    examples; one declared always fatal only fatal ones; severities are the
    declared one (or error, for a fatal finding)."""
    rule = all_rules()[code]
    found = []
    for i, ex in enumerate(DOCS[code]["examples"]):
        (tmp_path / str(i)).mkdir()
        found += _findings(tmp_path / str(i), code, ex, "bad")
    assert found, code
    fatal = {d["fatal"] for d in found}
    if rule.fatal == "never":
        assert fatal == {False}, code
    elif rule.fatal == "always":
        assert fatal == {True}, code
    for d in found:
        assert d["severity"] in ({"error"} if d["fatal"] else {"error", "warning", "info"})
        if d["severity"] != rule.severity and not d["fatal"]:
            # another severity than declared: the document says when
            from test_cases import _documents
            assert _documents(DOCS[code], d["severity"]), (code, d["severity"])


def test_derived_places_agree_with_the_declarations():
    """docs/rules, the README rules table and SARIF come from the declarations."""
    import json
    import os
    from supervisor_lint import report
    from supervisor_lint.redact import Registry
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for code, doc in DOCS.items():
        with open(os.path.join(root, "docs", "rules", code + ".md"), encoding="utf-8") as fh:
            assert fh.read() == catalog.markdown(doc), code
    with open(os.path.join(root, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    begin, end = "<!-- rules-table: generated by scripts/gen-rule-docs -->\n", \
        "<!-- end of rules-table -->"
    assert readme[readme.index(begin) + len(begin):readme.index(end)] == catalog.rules_table()
    # what SARIF quotes, read without YAML, is what the YAML says
    with open(os.path.join(catalog.rules_dir(), catalog.INDEX), encoding="utf-8") as fh:
        assert json.load(fh) == catalog.index_of(DOCS)
    log = json.loads(report.sarif([], Registry(), "0"))
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        doc = DOCS[descriptor["id"]]
        assert descriptor["shortDescription"]["text"] == doc["summary"].strip()
        assert descriptor["fullDescription"]["text"] == doc["why"].strip()
        assert doc["fix"]["description"].strip() in descriptor["help"]["text"]
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        rule = all_rules()[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["properties"]["tags"][0] == rule.category
        assert descriptor["properties"].get("security-severity") == rule.security_severity
        assert descriptor["defaultConfiguration"]["level"] == \
            {"error": "error", "warning": "warning", "info": "note"}[rule.severity]


def test_sees_all_fatal_is_declared_only_where_the_engine_honours_it():
    import pytest as _pytest
    from supervisor_lint.checks import RULES, rule
    with _pytest.raises(ValueError, match="sees_all_fatal goes with the live category"):
        rule("SV999", "not-a-rule", "error", category="schema", sees_all_fatal=True)
    assert "SV999" not in RULES
