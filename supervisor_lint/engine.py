"""The engine: loads a tree, runs the selected rules over it (tree and file
checks once, program checks in one walk over the programs), turns their
Findings into Diagnostics located by their spans, applies the suppressions
(``suppress.apply``) and sorts."""

from .checks import Context, all_rules
from .diagnostics import Diagnostic
from .loader import load
from .selector import Selection


def _locate(finding, default_path):
    """(path, line, col, end_line, end_col), 1-based columns."""
    span = finding.span
    if span is None:
        return default_path, 1, 1, 1, 1
    start, end = span.start, span.end
    return span.document.path, start.line, start.column, end.line, end.column


def run(tree, selection=None, suppressions=True, registry=None, root=None):
    """Lint ``tree``.  Inline suppressions apply unless ``suppressions`` is
    false; ``registry`` (a ``redact.Registry``) learns the tree's documents,
    so that output can mask their secrets.  With ``root`` (a ``host.Root``:
    the audit) the host rules judge the tree on that host."""
    selection = selection or Selection()
    if registry is not None:
        for doc in tree.docs:
            registry.add(doc)
    loaded = load(tree)
    host = None
    if root is not None:
        from .host import Service
        user = loaded.supervisord.get("user")
        env = {k[4:]: v for k, v in loaded.env.items()}
        main = tree.docs[0].path if tree.docs else None
        main = root.host_of(main) if main and main.startswith("/") else None
        host = Service(root, user if isinstance(user, str) else None, env, main)
    ctx = Context(tree, loaded, host)
    rules = all_rules()
    found = []
    seen = set()
    default_path = tree.docs[0].path if tree.docs else "-"

    def add(rule, finding):
        diag = _diagnostic(rule, finding, default_path)
        ident = (diag.code, diag.path, diag.line, diag.column, diag.message)
        if ident not in seen:
            seen.add(ident)
            found.append(diag)

    per_program = []
    for rule in rules.values():
        if not selection.enabled(rule) or (host is None and rule.category == "host"):
            continue
        for scope, check in rule.checks:
            if scope == "program":
                per_program.append((rule, check))
            elif scope != "engine":
                for finding in check(ctx):
                    add(rule, finding)
    if per_program:
        for prog in loaded.programs.values():
            for rule, check in per_program:
                for finding in check(ctx, prog):
                    add(rule, finding)
    if suppressions:
        from . import suppress
        found = suppress.apply(tree, found, selection, rules)
    found.sort(key=Diagnostic.sort_key)
    return found


def _diagnostic(rule, finding, default_path):
    path, line, col, end_line, end_col = _locate(finding, default_path)
    fix = finding.fix
    if fix is not None:
        if fix.document.opaque:
            fix = None          # never write into a file that is no config
        elif fix.document.path != path:
            # found in one file, fixed in another (a section split across
            # files): the diagnostic goes where its edit goes
            if fix.anchor is not None and fix.anchor.document is fix.document:
                span = fix.anchor.location
                path, line, col = span.document.path, span.start.line, span.start.column
                end_line, end_col = span.end.line, span.end.column
            else:
                fix = None
    fatal = bool(finding.fatal)
    severity = "error" if fatal else (finding.severity or rule.severity)
    # the message stays as the rule wrote it: the reporters mask and escape
    # every field on the way out (redact.Registry)
    return Diagnostic(rule.code, rule.name, severity, fatal, finding.message, path, line, col,
                      end_line, end_col, finding.section, finding.key, fix)
