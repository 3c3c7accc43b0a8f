"""Diagnostics, fixes and edits: plain data, no output logic."""

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
    """Edits to one file, applied all together or not at all.  ``keys`` names
    the (section, key) pairs whose value the fix may change: the fixer checks
    that nothing else does."""

    __slots__ = ("applicability", "edits", "description", "keys")

    def __init__(self, applicability, edits, description="", keys=()):
        assert applicability in ("safe", "unsafe")
        self.applicability = applicability
        self.edits = list(edits)
        self.description = description
        self.keys = tuple(keys)

    def to_dict(self):
        return {"applicability": self.applicability,
                "edits": [e.to_dict() for e in self.edits]}


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

    def to_dict(self):
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "fatal": self.fatal,
            "message": self.message,
            "path": _printable(self.path),
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "section": self.section,
            "key": self.key,
            "fix": self.fix.to_dict() if self.fix else None,
        }

    def __repr__(self):
        return "<%s %s:%d:%d %s>" % (self.code, self.path, self.line, self.column, self.message)


def _printable(text):
    from .redact import printable
    return printable(text)
