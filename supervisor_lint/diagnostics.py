"""Findings, diagnostics, fixes and edits: plain data, no output logic.

A rule yields Findings; the engine turns each into a Diagnostic (the rule's
code, name and severity, a path, 1-based lines and columns); a Finding may
carry a Fix, which is Edits to one document's bytes."""

def short(text, limit=60):
    """A value quoted in a message: one line (undecodable bytes as \\xNN,
    line breaks as \\n), cut to ``limit`` characters with '...'."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Edit:
    """Replace the bytes ``start:end`` of a file with ``replacement`` (str)."""

    __slots__ = ("start", "end", "replacement")

    def __init__(self, start, end, replacement):
        self.start = start
        self.end = end
        self.replacement = replacement

    def to_dict(self):
        return {"start": self.start, "end": self.end, "replacement": self.replacement}

    def __repr__(self):
        return "Edit(%d, %d, %r)" % (self.start, self.end, self.replacement)


class Fix:
    """Edits to one file, applied all together or not at all.  ``document``
    is the file whose bytes the offsets count (the engine reports the
    diagnostic in that file); ``anchor``, a SectionBlock or Entry of that
    document, is where the diagnostic goes when the rule found it elsewhere
    (a section split across files).  ``keys`` names the (section, key) pairs
    whose value the fix may change: the fixer checks that nothing else does."""

    __slots__ = ("applicability", "edits", "description", "keys", "document", "anchor")

    def __init__(self, applicability, edits, description="", keys=(), document=None,
                 anchor=None):
        assert applicability in ("safe", "unsafe")
        assert document is not None, "a Fix names the document its offsets refer to"
        self.applicability = applicability
        self.edits = list(edits)
        self.description = description
        self.keys = tuple(keys)
        self.document = document
        self.anchor = anchor

    def to_dict(self):
        return {"applicability": self.applicability,
                "edits": [e.to_dict() for e in self.edits]}


class Finding:
    """What a check found: a message, whether supervisord refuses the config
    because of it, and where: ``at`` is an Entry (its value), a SectionBlock
    (its header) or a ``reader.Span``, kept as a Span.  Rules leave ``code``
    unset (the engine stamps the rule's); the load walk, which reports for
    several rules, sets it."""

    __slots__ = ("message", "fatal", "span", "section", "key", "severity", "fix", "code")

    def __init__(self, message, fatal=False, at=None, section=None, key=None, severity=None,
                 fix=None, code=None):
        self.message = message
        self.fatal = fatal
        self.span = None if at is None else getattr(at, "location", at)
        self.section = section
        self.key = key
        self.severity = severity
        self.fix = fix
        self.code = code

    def __repr__(self):
        return "<Finding %s %s>" % (self.code or "", self.message)


# the one setting every link to a rule's page comes from (SARIF's helpUri,
# JSON's url, rules --format json), kept here so a check imports no catalog
_DOCS_URL = "https://github.com/supervisor-lint/supervisor-lint/blob/main/docs/rules/%s.md"


class Diagnostic:
    __slots__ = ("code", "name", "severity", "fatal", "message", "path", "line",
                 "column", "end_line", "end_column", "section", "key", "fix")

    def __init__(self, code, name, severity, fatal, message, path, line, column,
                 end_line, end_column, section=None, key=None, fix=None):
        self.code = code
        self.name = name
        self.severity = severity
        self.fatal = fatal
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.section = section
        self.key = key
        self.fix = fix

    def sort_key(self):
        return (self.path, self.line, self.column, self.code, self.message)

    def to_dict(self, registry):
        """The JSON object, every text field through ``registry`` (masked,
        escaped).  A fix whose replacement would carry a secret is left out."""
        fix = self.fix.to_dict() if self.fix else None
        if fix is not None and any(registry.mask(e["replacement"]) != e["replacement"]
                                   for e in fix["edits"]):
            fix = None
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "fatal": self.fatal,
            "message": registry.text(self.message),
            "path": _printable(self.path),
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "section": registry.text(self.section) if self.section is not None else None,
            "key": registry.text(self.key) if self.key is not None else None,
            "fix": fix,
            "url": _DOCS_URL % self.code,       # offline: supervisor-lint rule CODE
        }

    def __repr__(self):
        return "<%s %s:%d:%d %s>" % (self.code, self.path, self.line, self.column, self.message)


def _printable(text):
    global _printable
    from .redact import printable as _printable     # (imported on first use, then direct)
    return _printable(text)
