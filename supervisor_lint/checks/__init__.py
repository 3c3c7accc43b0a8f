"""The rule registry.  A rule is a function over a ``Context`` that yields
``Finding``s; its code, name, default severity, fatality and scope are
declared where it is registered.  Rules know nothing of output, selection or
suppression: the engine owns those."""

RULES = {}          # code -> Rule, in registration order


class Rule:
    __slots__ = ("code", "name", "severity", "fatal", "scope", "func", "default")

    def __init__(self, code, name, severity, fatal, scope, func, default=True):
        self.default = default        # False: runs only when selected by code, name or prefix
        self.code = code
        self.name = name
        self.severity = severity
        self.fatal = fatal            # True, False or "per case"
        self.scope = scope            # "file" (one document) or "tree" (merged view)
        self.func = func


def rule(code, name, severity, fatal=False, scope="file", default=True):
    def register(func):
        if code in RULES:
            raise ValueError("rule %s registered twice" % code)
        RULES[code] = Rule(code, name, severity, fatal, scope, func, default)
        return func
    return register


class Context:
    """What rules look at: the tree, its load, and the documents to report on."""

    def __init__(self, tree, loaded):
        self.tree = tree
        self.loaded = loaded

    @property
    def docs(self):
        return self.tree.docs


def _engine_rule(ctx):
    return iter(())     # reported by the engine, which applies the suppressions


def all_rules():
    from . import dialect, load, programs, security, celery  # noqa: F401  (registration)
    if "SV901" not in RULES:
        rule("SV901", "unused-suppression", "warning", scope="engine")(_engine_rule)
        rule("SV902", "unknown-code-in-suppression", "warning", scope="engine")(_engine_rule)
    return RULES
