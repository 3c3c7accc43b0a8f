"""The rule registry.  Each rule is declared once, on its check function:

    @rule("SV201", "missing-killasgroup", "warning", category="hygiene",
          scope="program")
    def missing_killasgroup(ctx, prog):
        ...
        yield finding("...", ctx, prog, "killasgroup", fix=...)

Everything else about a rule derives from that declaration: selection by
code, name, prefix or category (``selector.py``), ``rule``/``rules`` and the
generated ``docs/rules/`` and README rules table (``catalog.py``), SARIF
metadata (``report.py``), which suppressions a fragment cannot judge
(``cross_file``).  Its words (summary, why, examples, fix) live in the
top-level ``rules/CODE.yaml``, which must not restate the declaration.

Scopes: ``file`` and ``tree`` checks take the Context (a tree's documents and
its load) once; ``program`` checks take the Context and one program, and the
engine walks the programs once for all of them.  A rule may add a check of
another scope with ``@also(code)`` (a program rule with a [supervisord] part).
Rules yield Findings (``diagnostics.Finding``) without restating their code:
the engine stamps it.
"""

CATEGORIES = ("syntax", "schema", "hygiene", "security", "celery", "host", "live",
              "suppression")
FATALITY = ("never", "always", "per case")
SCOPES = ("file", "tree", "program", "engine")
SEVERITIES = ("error", "warning", "info")

RULES = {}          # code -> Rule, in registration order


class Rule:
    __slots__ = ("code", "name", "severity", "fatal", "scope", "category", "cross_file",
                 "security_severity", "default", "sees_all_fatal", "checks")

    def __init__(self, code, name, severity, fatal, scope, category, cross_file,
                 security_severity, default, sees_all_fatal=False):
        self.code = code
        self.name = name
        self.severity = severity              # the default: error, warning or info
        self.fatal = fatal                    # never, always, or per case
        self.scope = scope                    # of its main check
        self.category = category
        self.cross_file = cross_file          # looks across files (duplicates, members, ...)
        self.security_severity = security_severity   # SARIF's 0.0-10.0, security rules only
        self.default = default                # False: runs only when selected
        # it judges whether supervisord refuses the configuration: it is shown
        # every fatal finding (ctx.found), selected or not
        self.sees_all_fatal = sees_all_fatal
        self.checks = []                      # (scope, function)

    @property
    def func(self):
        return self.checks[0][1] if self.checks else None

    def __repr__(self):
        return "<Rule %s %s>" % (self.code, self.name)


def rule(code, name, severity, category, fatal="never", scope="tree", cross_file=False,
         security_severity=None, default=True, sees_all_fatal=False):
    """Declare a rule on its check function."""
    if code in RULES:
        raise ValueError("rule %s registered twice" % code)
    if severity not in SEVERITIES or fatal not in FATALITY or scope not in SCOPES or \
            category not in CATEGORIES:
        raise ValueError("rule %s: bad declaration" % code)
    if sees_all_fatal and category != "live":
        raise ValueError("rule %s: sees_all_fatal goes with the live category (the engine "
                         "shows ctx.found to live rules only)" % code)
    if (security_severity is not None) != (category == "security"):
        raise ValueError("rule %s: security_severity goes with the security category" % code)
    declared = RULES[code] = Rule(code, name, severity, fatal, scope, category, cross_file,
                                  security_severity, default, sees_all_fatal)

    def register(func):
        declared.checks.append((scope, func))
        return func
    return register


def also(code, scope="tree"):
    """Add a check of another scope to a declared rule."""
    def register(func):
        RULES[code].checks.append((scope, func))
        return func
    return register


class Context:
    """What rules look at: the tree and its load, and under ``audit`` the
    host (host rules run only then)."""

    __slots__ = ("tree", "loaded", "host", "live", "found")

    def __init__(self, tree, loaded, host=None, live=None):
        self.tree = tree
        self.loaded = loaded
        self.host = host          # a host.Service under audit, else None
        self.live = live          # a live.Live under audit --live, else None
        self.found = ()           # for the live rules: every other rule's Diagnostics

    @property
    def docs(self):
        return self.tree.docs


FAMILIES = ("syntax", "schema", "hygiene", "security", "celery", "host", "live")


def all_rules():
    """Every declared rule by code, families in code order (importing a
    family's module declares its rules; SV901 and SV902 are suppress.py's)."""
    if not _LOADED:
        import importlib
        for family in FAMILIES:
            importlib.import_module("." + family, __name__)
        importlib.import_module("..suppress", __name__)
        # in code order, whichever module was imported first
        ordered = sorted(RULES.items())
        RULES.clear()
        RULES.update(ordered)
        _LOADED.append(True)
    return RULES


_LOADED = []
