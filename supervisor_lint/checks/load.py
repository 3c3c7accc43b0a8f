"""Rules that report what supervisord's loader refuses or silently changes.

The loader (``model.Loader``) walks the tree as ``ServerOptions.read_config``
does and records each problem under the code of the rule that owns it; each
rule here reports its own."""

from . import rule


def _from_loader(code):
    def check(ctx):
        for finding in ctx.loaded.findings:
            if finding.code == code:
                yield finding
        for finding in ctx.tree.include_problems:
            if finding.code == code:
                yield finding
    return check


_LOAD_RULES = (
    ("SV103", "invalid-value", "error", True),
    ("SV104", "missing-required-key", "error", True),
    ("SV105", "bad-expansion", "error", "per case"),
    ("SV106", "unescaped-percent", "warning", False),
    ("SV107", "bad-environment", "error", True),
    ("SV108", "numprocs-without-process-num", "error", True),
    ("SV109", "unknown-group-member", "error", "per case"),
    ("SV110", "invalid-name", "error", True),
    ("SV111", "include-problem", "warning", "per case"),
    ("SV112", "mangled-environment", "warning", False),
)

for _code, _name, _severity, _fatal in _LOAD_RULES:
    rule(_code, _name, _severity, fatal=_fatal, scope="tree")(_from_loader(_code))
