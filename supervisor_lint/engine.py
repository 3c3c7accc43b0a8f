"""The engine: runs the registered rules over a tree and turns their findings
into sorted, selected Diagnostics."""

from .checks import Context, all_rules
from .diagnostics import Diagnostic
from .model import load
from . import redact


class Selection:
    """Which rules run: ``select``/``ignore``/``extend`` take codes, names or
    code prefixes.  Without ``select`` the default rules run, plus what
    ``extend`` names (the way to turn on an opt-in rule)."""

    def __init__(self, select=None, ignore=None, extend=None):
        self.select = list(select or [])
        self.ignore = list(ignore or [])
        self.extend = list(extend or [])

    @staticmethod
    def _matches(rule, token):
        token = token.strip()
        return token in (rule.code, rule.name) or (token.upper() == token and rule.code.startswith(token))

    def enabled(self, rule):
        if any(self._matches(rule, t) for t in self.ignore):
            return False
        if any(self._matches(rule, t) for t in self.extend):
            return True
        if self.select:
            return any(self._matches(rule, t) for t in self.select)
        return rule.default

    def unknown(self):
        """Tokens that name no rule."""
        rules = all_rules().values()
        return [t for t in self.select + self.ignore + self.extend
                if not any(self._matches(r, t) for r in rules)]


def _locate(finding):
    """(path, line, col, end_line, end_col) of a finding, 1-based columns."""
    if finding.columns is not None and finding.columns[0] is not None:
        line, start, end = finding.columns
        doc_path = None
        if finding.entry is not None:
            doc_path = finding.entry.document.path
        elif finding.block is not None:
            doc_path = finding.block.document.path
        return doc_path, line.number, start + 1, line.number, end + 1
    if finding.entry is not None:
        entry = finding.entry
        start, end = entry.value_start, entry.value_end
        if start == end:                            # empty value: point at the key
            start, end = entry.key_start, entry.key_start + len(entry.raw_key)
        number = entry.line.number
        last = entry.last_line
        if entry.continuations and last.kind == "continuation":
            return entry.document.path, number, start + 1, last.number, last.value_end + 1
        return entry.document.path, number, start + 1, number, end + 1
    if finding.block is not None:
        line = finding.block.line
        return (finding.block.document.path, line.number, line.value_start + 1, line.number,
                line.value_end + 1)
    return None, 1, 1, 1, 1


def _anchored(anchor):
    """A stand-in finding located at a fix's anchor (a SectionBlock or Entry)."""
    from .model import Finding
    if hasattr(anchor, "raw_key"):
        return Finding(None, None, False, entry=anchor)
    return Finding(None, None, False, block=anchor)


def run(tree, selection=None, paths=None, suppressions=True):
    """Lint ``tree``; keep diagnostics for documents whose path is in ``paths``
    (all when None).  Inline suppressions apply unless ``suppressions`` is
    false."""
    selection = selection or Selection()
    registry = redact.current()
    for doc in tree.docs:
        registry.add(doc)
    loaded = load(tree)
    ctx = Context(tree, loaded)
    found = []
    seen = set()
    default_path = tree.docs[0].path if tree.docs else "-"
    for rule in all_rules().values():
        if not selection.enabled(rule):
            continue
        for finding in rule.func(ctx):
            path, line, col, end_line, end_col = _locate(finding)
            if path is None:
                # a line-anchored finding: find the document that owns the line
                path = _owner(tree, finding) or default_path
            fix = finding.fix
            if fix is not None:
                if fix.document.opaque:
                    fix = None          # never write into a file that is no config
                elif fix.document.path != path:
                    # found in one file, fixed in another (a section split across
                    # files): the diagnostic goes where its edit goes
                    if fix.anchor is not None and fix.anchor.document is fix.document:
                        path, line, col, end_line, end_col = _locate(_anchored(fix.anchor))
                    else:
                        fix = None
            if paths is not None and path not in paths:
                continue
            fatal = bool(finding.fatal)
            severity = "error" if fatal else (finding.severity or rule.severity)
            # the message stays as the rule wrote it: the reporters mask and
            # escape every field on the way out (redact.Registry)
            diag = Diagnostic(rule.code, rule.name, severity, fatal, finding.message, path, line,
                              col, end_line, end_col, finding.section, finding.key, fix)
            ident = (diag.code, path, line, col, diag.message)
            if ident in seen:
                continue
            seen.add(ident)
            found.append(diag)
    if suppressions:
        found = _suppress(tree, found, selection, paths)
    found.sort(key=Diagnostic.sort_key)
    return found


def _suppress(tree, found, selection, paths):
    from . import suppress
    rules = all_rules()
    known = set(rules) | {r.name for r in rules.values()}
    kept = []
    by_path = {}
    for d in found:
        by_path.setdefault(d.path, []).append(d)
    extra = []
    for doc in tree.docs:
        if paths is not None and doc.path not in paths:
            continue
        if b"supervisor-lint" not in doc.data:
            continue
        marks = suppress.parse(doc)
        diags = by_path.get(doc.path, [])
        headers = _section_ranges(doc)
        # index the suppressions by the lines they cover, and by section
        whole = [s for s in marks if s.whole_file]
        by_line, by_block = {}, {}
        starts = sorted(headers)
        import bisect
        for s in marks:
            if s.whole_file:
                continue
            for n in range(s.start, s.end + 1):
                by_line.setdefault(n, []).append(s)
            k = bisect.bisect_right(starts, s.line.number) - 1
            if k >= 0:
                by_block.setdefault(starts[k], []).append(s)
        hidden = set()
        refused = set()

        def hide(s, token, i, d):
            if d.fatal:
                # what makes supervisord refuse the file is never hidden
                s.blocked.setdefault(token, d)
                refused.add(i)
                return
            s.used.add(token)
            hidden.add(i)
        for i, d in enumerate(diags):
            for s in whole + by_line.get(d.line, []):
                token = s.matches(d)
                if token is not None:
                    hide(s, token, i, d)
            if i in hidden or d.line not in headers:
                continue
            # a finding about a whole section (a key it lacks) sits on its header;
            # a suppression anywhere in the section covers it
            for s in by_block.get(d.line, []):
                token = s.matches(d, s.line.number if s.inline else s.start)
                if token is not None:
                    hide(s, token, i, d)
        for i in refused - hidden:
            diags[i].message += ("; a supervisor-lint: disable comment cannot hide this: "
                                 "supervisord refuses the file whatever the comment says")
        by_path[doc.path] = [d for i, d in enumerate(diags) if i not in hidden]
        for e in suppress.enables_of(doc):
            extra.extend(d for d in _suppression_findings(doc, e, known, rules, selection)
                         if d.code == "SV902")
        for s in marks:
            if tree.fragment:
                # linted alone, a fragment cannot tell whether a suppression of a
                # rule that looks across files (duplicates, group members,
                # ENV_ names, beat and node names) is needed in its tree
                s.used.update(t for t in s.tokens if t in _CROSS_FILE)
            extra.extend(_suppression_findings(doc, s, known, rules, selection))
    for diags in by_path.values():
        kept.extend(diags)
    return kept + extra


def _section_ranges(doc):
    """{header line: (header line, last line of the section)}"""
    out = {}
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        end = blocks[i + 1].line.number - 1 if i + 1 < len(blocks) else len(doc.lines)
        out[block.line.number] = (block.line.number, end)
    return out


_CROSS_FILE = {"SV007", "duplicate-section", "SV008", "duplicate-key", "SV109",
               "unknown-group-member", "SV105", "bad-expansion", "SV111", "include-problem",
               "SV402", "beat-not-singleton", "SV405", "duplicate-nodename"}


def _suppression_findings(doc, s, known, rules, selection):
    from . import suppress
    line = s.line
    col = (line.comment_start or 0) + 1
    end = len(line.text) + 1

    def diag(code, message, fix):
        rule = rules[code]
        if not selection.enabled(rule):
            return None
        return Diagnostic(code, rule.name, rule.severity, False, message, doc.path, line.number,
                          col, line.number, end, None, None, fix)

    unknown = [t for t in s.tokens if t not in known]
    for token in unknown:
        keep = [t for t in s.tokens if t != token]
        d = diag("SV902", "%r in this suppression is no supervisor-lint rule code or name; "
                 "'supervisor-lint rules' lists them" % token,
                 suppress.removal(doc, s, keep) if keep else suppress.removal(doc, s))
        if d is not None:
            yield d
    if s.tokens:
        active = [t for t in s.tokens if t in known and any(
            selection.enabled(r) for r in rules.values() if t in (r.code, r.name))]
        unused = [t for t in active if t not in s.used]
        if unused:
            keep = [t for t in s.tokens if t not in unused and t not in unknown]
            d = diag("SV901", "this suppression of %s hides nothing%s; remove it" % (
                ", ".join(unused), _cannot(s, unused)),
                suppress.removal(doc, s, keep) if keep else suppress.removal(doc, s))
            if d is not None:
                yield d
    elif not s.used:
        d = diag("SV901", "this suppression hides nothing%s; remove it" % _cannot(s, ["*"]),
                 suppress.removal(doc, s))
        if d is not None:
            yield d


def _cannot(s, tokens):
    """Why a suppression that matched only fatal findings hides nothing."""
    lines = sorted({s.blocked[t].line for t in tokens if t in s.blocked})
    if not lines:
        return ""
    return (" (it cannot hide what makes supervisord refuse the file, on line%s %s)"
            % ("" if len(lines) == 1 else "s", ", ".join(str(n) for n in lines)))


def _owner(tree, finding):
    line = finding.columns[0] if finding.columns else None
    if line is None:
        return None
    for doc in tree.docs:
        if doc.lines and any(l is line for l in doc.lines[line.number - 1:line.number]):
            return doc.path
    return None
