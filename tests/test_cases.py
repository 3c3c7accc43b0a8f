"""Every rule has a case that pins where it fires: a row in its family's
tests (line, column, message), or a rules/CODE.yaml example with ``at:``."""


def test_each_code_has_a_case():
    from supervisor_lint import catalog
    from supervisor_lint.checks import all_rules
    import test_syntax
    import test_schema
    import test_hygiene
    import test_security
    import test_celery
    import test_suppress
    import test_live
    covered = set(test_live.PINNED)
    for module in (test_syntax, test_schema, test_hygiene, test_security, test_celery,
                   test_suppress):
        for name in ("CASES", "SEVERITY_CASES"):
            covered |= {c[0] for c in getattr(module, name, [])}
    covered |= {code for code, doc in catalog.load_all().items()
                if any(ex.get("at") for ex in doc.get("examples", []))}
    assert covered == set(all_rules()), set(all_rules()) ^ covered


def _documents(doc, severity):
    import re
    text = " ".join(str(doc.get(k) or "") for k in ("summary", "why", "applies_to"))
    return re.search(r"\b%s\b" % severity, text) is not None


def test_a_severity_other_than_the_declared_one_is_documented():
    """A case reported at another severity than its rule declares is one the
    rule's document names (a warning when the file that decides cannot be
    read, info when the audit cannot decide, ...)."""
    from supervisor_lint import catalog
    from supervisor_lint.checks import all_rules
    import test_syntax
    import test_schema
    import test_hygiene
    import test_security
    import test_celery
    import test_suppress
    docs, rules = catalog.load_all(), all_rules()
    checked = 0
    for module in (test_syntax, test_schema, test_hygiene, test_security, test_celery,
                   test_suppress):
        for name in ("CASES", "SEVERITY_CASES"):
            for case in getattr(module, name, []):
                severity = next((x for x in case[1:] if x in ("error", "warning", "info")), None)
                if severity is None or severity == rules[case[0]].severity:
                    continue
                checked += 1
                assert _documents(docs[case[0]], severity), (case[0], severity)
    assert checked >= 4
