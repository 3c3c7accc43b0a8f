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


def run(tree, selection=None, suppressions=True, registry=None, root=None, live=None,
        warn=None):
    """Lint ``tree``.  Inline suppressions apply unless ``suppressions`` is
    false; ``registry`` (a ``redact.Registry``) learns the tree's documents,
    so that output can mask their secrets.  With ``root`` (a ``host.Root``:
    the audit) the host rules judge the tree on that host; with ``live`` (a
    ``live.Live``, the running supervisord) the live rules run last, after
    every other finding is known, and supervisord's own identity, working
    directory and PATH are the running process's."""
    selection = selection or Selection()
    if registry is not None:
        for doc in tree.docs:
            registry.add(doc)
    loaded = load(tree)
    host = None
    if root is not None:
        from .host import Service
        host = Service.of(root, tree, loaded)
        if live is not None and live.supervisord is not None:
            host.adopt(live.supervisord)
    ctx = Context(tree, loaded, host, live)
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

    per_program, last = [], []
    # a rule that judges whether the files would be refused (SV602) needs every
    # fatal finding, selected or not
    unselected_fatal = []
    whole = live is not None and any(r.sees_all_fatal and selection.enabled(r)
                                     for r in rules.values())
    for rule in rules.values():
        if (host is None and rule.category == "host") or \
                (live is None and rule.category == "live"):
            continue
        if not selection.enabled(rule):
            if whole and rule.fatal != "never":
                for scope, check in rule.checks:
                    if scope in ("tree", "file"):      # (every fatal rule's scope)
                        unselected_fatal.extend(_diagnostic(rule, f, default_path)
                                                for f in check(ctx) if f.fatal)
            continue
        if rule.category == "live":
            last.append(rule)
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
    if last:
        ctx.found = sorted(found + unselected_fatal, key=Diagnostic.sort_key)
        for rule in last:
            for scope, check in rule.checks:
                for finding in check(ctx):
                    add(rule, finding)
    if suppressions:
        from . import suppress
        found = suppress.apply(tree, found, selection, rules, warn)
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
    message = finding.message
    if "TEMPLATE_EXPRESSION" in message:
        # a template's {{ }} as it was written, not the stand-in the loader read
        message = message.replace("%(ENV_TEMPLATE_EXPRESSION)s", "{{ }}").replace(
            "ENV_TEMPLATE_EXPRESSION", "{{ }}")
    # the message stays as the rule wrote it: the reporters mask and escape
    # every field on the way out (redact.Registry)
    return Diagnostic(rule.code, rule.name, severity, fatal, message, path, line, col,
                      end_line, end_col, finding.section, finding.key, fix)
