"""The engine: runs the registered rules over a tree and turns their findings
into sorted, selected Diagnostics."""

from .checks import Context, all_rules
from .diagnostics import Diagnostic
from .model import load
from .redact import redact


class Selection:
    """Which rules run: ``select``/``ignore`` take codes, names or code prefixes."""

    def __init__(self, select=None, ignore=None):
        self.select = list(select or [])
        self.ignore = list(ignore or [])

    @staticmethod
    def _matches(rule, token):
        token = token.strip()
        return token in (rule.code, rule.name) or (token.upper() == token and rule.code.startswith(token))

    def enabled(self, rule):
        if self.select and not any(self._matches(rule, t) for t in self.select):
            return False
        return not any(self._matches(rule, t) for t in self.ignore)

    def unknown(self):
        """Tokens that name no rule."""
        rules = all_rules().values()
        return [t for t in self.select + self.ignore
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


def run(tree, selection=None, paths=None):
    """Lint ``tree``; keep diagnostics for documents whose path is in ``paths``
    (all when None)."""
    selection = selection or Selection()
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
            if paths is not None and path not in paths:
                continue
            fatal = bool(finding.fatal)
            severity = "error" if fatal else (finding.severity or rule.severity)
            diag = Diagnostic(rule.code, rule.name, severity, fatal, redact(finding.message), path, line,
                              col, end_line, end_col, finding.section, finding.key, finding.fix)
            ident = (diag.code, path, line, col, diag.message)
            if ident in seen:
                continue
            seen.add(ident)
            found.append(diag)
    found.sort(key=Diagnostic.sort_key)
    return found


def _owner(tree, finding):
    line = finding.columns[0] if finding.columns else None
    if line is None:
        return None
    for doc in tree.docs:
        if doc.lines and any(l is line for l in doc.lines[line.number - 1:line.number]):
            return doc.path
    return None
