"""The rule catalog (rules/CODE.yaml) agrees with the registry, and every
example in it does what it says."""

import pytest

from supervisor_lint import catalog
from supervisor_lint.checks import all_rules
from support import lint_json

DOCS = catalog.load_all()
EXAMPLES = [(code, i, ex) for code, doc in sorted(DOCS.items())
            for i, ex in enumerate(doc.get("examples", []))]


def test_every_rule_has_a_document_and_every_document_a_rule():
    assert sorted(DOCS) == sorted(all_rules())


@pytest.mark.parametrize("code", sorted(DOCS))
def test_document_matches_registry(code):
    doc, rule = DOCS[code], all_rules()[code]
    assert list(doc)[:4] == ["code", "name", "severity", "fatal"]
    assert (doc["name"], doc["severity"], doc["fatal"]) == (rule.name, rule.severity, rule.fatal)
    for field in ("summary", "why", "examples", "fix"):
        assert doc.get(field), "%s has no %s" % (code, field)
    assert doc["fix"]["safety"] in ("safe", "unsafe", "none")
    assert bool(doc["fix"]["available"]) == (doc["fix"]["safety"] != "none")


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
    status, diags, err = lint_json(["--extend-select", code, _write(tmp_path, example, "bad")])
    assert err == ""
    assert code in {d["code"] for d in diags}, diags


@pytest.mark.parametrize("code,index,example", [e for e in EXAMPLES if e[2].get("good")],
                         ids=["%s-%d" % (c, i) for c, i, e in EXAMPLES if e.get("good")])
def test_good_example_does_not(tmp_path, code, index, example):
    status, diags, err = lint_json(["--extend-select", code, _write(tmp_path, example, "good")])
    assert err == ""
    assert code not in {d["code"] for d in diags}, diags


def test_rule_command_renders_the_document():
    text = catalog.render(DOCS["SV004"])
    assert text.startswith("SV004 swallowed-line\n\nSeverity: warning    Fatal: no")
    assert DOCS["SV004"]["why"].strip().splitlines()[0] in text


@pytest.mark.parametrize("code", sorted(DOCS))
def test_documented_fix_matches_what_the_rule_offers(tmp_path, code):
    doc = DOCS[code]
    offered = set()
    for i, example in enumerate(doc.get("examples", [])):
        path = tmp_path / ("bad%d.conf" % i)
        if example.get("bad_bytes_hex"):
            path.write_bytes(bytes.fromhex(example["bad_bytes_hex"]))
        else:
            path.write_text(example["bad"])
        status, diags, err = lint_json(["--extend-select", code, str(path)])
        offered |= {d["fix"]["applicability"] for d in diags if d["code"] == code and d["fix"]}
    if doc["fix"]["available"]:
        assert doc["fix"]["safety"] in offered, (doc["fix"], offered)
    else:
        assert offered == set()
