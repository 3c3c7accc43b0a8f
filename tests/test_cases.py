"""Every rule has a case in its family's tests."""

def test_each_code_has_a_case():
    from supervisor_lint.checks import all_rules
    import test_syntax
    import test_schema
    import test_hygiene
    import test_security
    import test_celery
    import test_suppress
    covered = set()
    for module in (test_syntax, test_schema, test_hygiene, test_security, test_celery,
                   test_suppress):
        for name in ("CASES", "SEVERITY_CASES"):
            covered |= {c[0] for c in getattr(module, name, [])}
    assert covered == set(all_rules()), set(all_rules()) ^ covered
