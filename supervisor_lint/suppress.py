"""Inline suppressions, applied by the engine (rules never see them).

    command=...   ; supervisor-lint: disable=SV201,missing-umask
        that line, and the whole key with its continuation lines
    ; supervisor-lint: disable=SV305
        on its own line: the next key or section (a whole section); or, when a
        later ``; supervisor-lint: enable`` follows, every line up to it
    ; supervisor-lint: disable-file[=CODES]
        the whole file (every rule when no codes are given)

A suppression that hides nothing is reported as SV901, a code it names that
is no rule as SV902; both carry a safe fix that removes it.
"""

import re

from .diagnostics import Edit, Fix

_DIRECTIVE = re.compile(r"^[;#]\s*supervisor-lint:\s*(?P<verb>disable-file|disable|enable)"
                        r"(?:\s*=\s*(?P<codes>[^;#]*?))?\s*$")


class Suppression:
    __slots__ = ("line", "verb", "tokens", "start", "end", "inline", "used", "whole_file",
                 "ends", "blocked")

    def __init__(self, line, verb, tokens, inline):
        self.line = line
        self.verb = verb
        self.tokens = tokens          # codes or names as written; [] means every rule
        self.inline = inline
        self.start = self.end = line.number
        self.used = set()             # tokens that hid a diagnostic
        self.blocked = {}             # token -> a fatal diagnostic it may not hide
        self.whole_file = verb == "disable-file"
        self.ends = {}                # token -> last line, where an enable ends it early

    def matches(self, diag, line=None):
        """The token that covers ``diag`` (at ``line``), or None."""
        line = diag.line if line is None else line
        if not self.tokens:
            return "*" if self.start <= line <= self.ends.get("*", self.end) else None
        for token in self.tokens:
            if token in (diag.code, diag.name) and \
                    self.start <= line <= self.ends.get(token, self.end):
                return token
        return None


def parse(doc):
    """Every suppression comment of a document, with the lines it covers."""
    found = []
    enables = []
    for line in doc.lines:
        comment = line.comment
        if not comment or "supervisor-lint" not in comment:
            continue
        m = _DIRECTIVE.match(comment.strip())
        if m is None:
            continue
        tokens = [t.strip() for t in (m.group("codes") or "").split(",") if t.strip()]
        inline = line.kind not in ("comment", "blank")
        s = Suppression(line, m.group("verb"), tokens, inline)
        if s.verb == "enable":
            enables.append(s)
            continue
        found.append(s)
    last = len(doc.lines)
    entry_of = {}
    for entry in doc.entries:
        lines = entry.lines
        end = max(l.number for l in lines if l.kind != "blank") if lines else entry.line.number
        for l in lines:
            entry_of[l.number] = (entry.line.number, end)
    block_end = {}
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        end = blocks[i + 1].line.number - 1 if i + 1 < len(blocks) else last
        block_end[block.line.number] = end
    for s in found:
        n = s.line.number
        if s.whole_file:
            s.start, s.end = 1, last
        elif s.inline:
            s.start, s.end = entry_of.get(n, (n, n))
        else:
            # each code runs to the first later enable that names it (or names
            # nothing); codes no enable closes cover the next key or section
            for token in s.tokens or ["*"]:
                closing = next((e for e in enables if e.line.number > n and
                                (not e.tokens or token in e.tokens or token == "*")), None)
                if closing is not None:
                    s.ends[token] = closing.line.number
            if s.ends:
                s.start, s.end = n, max(s.ends.values())
                nxt = next((l for l in doc.lines[n:] if l.kind not in ("comment", "blank")), None)
                if len(s.ends) < len(s.tokens or ["*"]) and nxt is not None:
                    # the codes without an enable: the next key or section
                    if nxt.kind == "header":
                        short = block_end.get(nxt.number, nxt.number)
                    else:
                        short = entry_of.get(nxt.number, (nxt.number, nxt.number))[1]
                    for token in s.tokens:
                        s.ends.setdefault(token, short)
                    s.end = max(s.ends.values())
            else:
                nxt = next((l for l in doc.lines[n:] if l.kind not in ("comment", "blank")), None)
                if nxt is None:
                    s.start = s.end = n
                elif nxt.kind == "header":
                    s.start, s.end = nxt.number, block_end.get(nxt.number, nxt.number)
                else:
                    s.start, s.end = entry_of.get(nxt.number, (nxt.number, nxt.number))
    return found


def enables_of(doc):
    """The enable comments of a document (for unknown-code checks)."""
    out = []
    for line in doc.lines:
        comment = line.comment
        if comment and "supervisor-lint" in comment:
            m = _DIRECTIVE.match(comment.strip())
            if m and m.group("verb") == "enable":
                tokens = [t.strip() for t in (m.group("codes") or "").split(",") if t.strip()]
                out.append(Suppression(line, "enable", tokens, line.kind not in ("comment",
                                                                                "blank")))
    return out


def removal(doc, s, keep=None):
    """A safe fix removing suppression ``s`` (or only the tokens not in ``keep``)."""
    line = s.line
    if keep:
        start = line.byte_offset(line.comment_start)
        end = line.byte_offset(len(line.text))
        prefix = line.text[line.comment_start]
        return Fix("safe", [Edit(start, end, "%s supervisor-lint: %s=%s" % (
            prefix, s.verb, ",".join(keep)))], "drop the unused codes", document=doc)
    if s.inline:
        cut = line.comment_start
        while cut > 0 and line.text[cut - 1] in " \t":
            cut -= 1
        return Fix("safe", [Edit(line.byte_offset(cut), line.byte_offset(len(line.text)), "")],
                   "remove the suppression",
                   document=doc)
    if not line.eol and line.number > 1:
        # the last line of a file without a final newline: take the line
        # ending before it, so the file still ends without one
        previous = doc.lines[line.number - 2]
        start = previous.byte_offset(len(previous.text))
        return Fix("safe", [Edit(start, line.end_offset, "")], "remove the suppression",
                   document=doc)
    return Fix("safe", [Edit(line.offset, line.end_offset, "")], "remove the suppression",
                   document=doc)
