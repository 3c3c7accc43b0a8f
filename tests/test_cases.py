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
