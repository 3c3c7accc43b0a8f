"""Inline suppressions: parsed, applied to a tree's diagnostics, and the
unused or unknown ones reported (SV901, SV902).  Rules never see them; the
engine calls ``apply`` last.

    command=...   ; supervisor-lint: disable=SV201,missing-umask
        that line, and the whole key with its continuation lines
    ; supervisor-lint: disable=SV305
        on its own line: the next key or section (a whole section); or, when a
        later ``; supervisor-lint: enable`` follows, every line up to it
    ; supervisor-lint: disable-file[=CODES]
        the whole file (every rule when no codes are given)

A token is anything ``selector.py`` takes (a code, a name, a prefix, a
category).  A suppression that hides nothing is reported as SV901, a token
that names no rule as SV902; both carry a safe fix that removes it.  What
makes supervisord refuse the file is never hidden.
"""

import bisect
import re

from . import selector
from .checks import rule
from .diagnostics import Diagnostic, Edit, Fix


@rule("SV901", "unused-suppression", "warning", category="suppression", scope="engine")
def unused_suppression(ctx):
    return iter(())     # reported by apply(), after every rule has run


@rule("SV902", "unknown-code-in-suppression", "warning", category="suppression",
      scope="engine")
def unknown_code_in_suppression(ctx):
    return iter(())     # reported by apply()

_DIRECTIVE = re.compile(r"^[;#]\s*supervisor-lint:\s*(?P<verb>disable-file|disable|enable)"
                        r"(?:\s*=\s*(?P<codes>[^;#]*?))?\s*$")


class Suppression:
    __slots__ = ("line", "verb", "tokens", "start", "end", "inline", "used", "whole_file",
                 "ends", "blocked", "renamed")

    def __init__(self, line, verb, tokens, inline):
        self.line = line
        self.verb = verb
        self.tokens = tokens          # codes or names as written; [] means every rule
        self.inline = inline
        self.start = self.end = line.number
        self.used = set()             # tokens that hid a diagnostic
        self.blocked = {}             # token -> a fatal diagnostic it may not hide
        self.renamed = ()             # a warning for each renamed code it names
        self.whole_file = verb == "disable-file"
        self.ends = {}                # token -> last line, where an enable ends it early

    def matches(self, diag, rule, line=None):
        """The token that covers ``diag`` of ``rule`` (at ``line``), or None."""
        line = diag.line if line is None else line
        if not self.tokens:
            return "*" if self.start <= line <= self.ends.get("*", self.end) else None
        for token in self.tokens:
            if selector.matches(rule, token) and \
                    self.start <= line <= self.ends.get(token, self.end):
                return token
        return None


def parse(doc):
    """(every disable comment of a document with the lines it covers, its
    enable comments)."""
    found = []
    enables = []
    for line in doc.lines:
        comment = line.comment
        if not comment or "supervisor-lint" not in comment:
            continue
        m = _DIRECTIVE.match(comment.strip())
        if m is None:
            continue
        written = [t for t in (m.group("codes") or "").split(",") if t.strip()]
        tokens = [selector.normalize(t) for t in written]
        inline = line.kind not in ("comment", "blank")
        s = Suppression(line, m.group("verb"), tokens, inline)
        s.renamed = selector.redirected(written)
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
    block_end = {start: end for start, end in section_ranges(doc).values()}
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
    return found, enables


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


def section_ranges(doc):
    """{header line: (header line, last line of the section)}"""
    out = {}
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        end = blocks[i + 1].line.number - 1 if i + 1 < len(blocks) else len(doc.lines)
        out[block.line.number] = (block.line.number, end)
    return out


def apply(tree, found, selection, rules, warn=None):
    """The diagnostics of ``tree`` that no suppression hides (never one that
    makes supervisord refuse the file), and SV901/SV902 for its suppressions;
    ``warn`` takes a line for each renamed code a suppression names."""
    by_path = {}
    for d in found:
        by_path.setdefault(d.path, []).append(d)
    extra = []
    for doc in tree.docs:
        if doc.opaque or b"supervisor-lint" not in doc.data:
            continue
        marks, enables = parse(doc)
        if warn is not None:
            from .redact import printable
            for s in sorted(marks + enables, key=lambda s: s.line.number):
                for note in s.renamed:
                    warn("supervisor-lint: warning: %s:%d: in a suppression, %s"
                         % (printable(doc.path), s.line.number, note))
        diags = by_path.get(doc.path, [])
        by_path[doc.path] = _hide(doc, marks, diags, rules)
        for e in enables:
            extra.extend(d for d in _findings(doc, e, selection, rules) if d.code == "SV902")
        for s in marks:
            if tree.fragment:
                # linted alone, a fragment cannot tell whether a suppression of a
                # rule that looks across files (duplicates, group members,
                # ENV_ names, beat and node names) is needed in its tree
                s.used.update(t for t in s.tokens if any(
                    r.cross_file and selector.matches(r, t) for r in rules.values()))
            extra.extend(_findings(doc, s, selection, rules))
    kept = []
    for diags in by_path.values():
        kept.extend(diags)
    return kept + extra


def _hide(doc, marks, diags, rules):
    headers = section_ranges(doc)
    # index the suppressions by the lines they cover, and by section
    whole = [s for s in marks if s.whole_file]
    by_line, by_block = {}, {}
    starts = sorted(headers)
    for s in marks:
        if s.whole_file:
            continue
        for n in range(s.start, s.end + 1):
            by_line.setdefault(n, []).append(s)
        k = bisect.bisect_right(starts, s.line.number) - 1
        if k >= 0:
            by_block.setdefault(starts[k], []).append(s)
    hidden, refused = set(), set()

    def hide(s, token, i, d):
        if d.fatal:
            s.blocked.setdefault(token, d)
            refused.add(i)
            return
        s.used.add(token)
        hidden.add(i)
    for i, d in enumerate(diags):
        rule = rules[d.code]
        for s in whole + by_line.get(d.line, []):
            token = s.matches(d, rule)
            if token is not None:
                hide(s, token, i, d)
        if i in hidden or d.line not in headers:
            continue
        # a finding about a whole section (a key it lacks) sits on its header;
        # a suppression anywhere in the section covers it
        for s in by_block.get(d.line, []):
            token = s.matches(d, rule, s.line.number if s.inline else s.start)
            if token is not None:
                hide(s, token, i, d)
    for i in refused - hidden:
        diags[i].message += ("; a supervisor-lint: disable comment cannot hide this: "
                             "supervisord refuses the file whatever the comment says")
    return [d for i, d in enumerate(diags) if i not in hidden]


def _findings(doc, s, selection, rules):
    line = s.line
    col = (line.comment_start or 0) + 1
    end = len(line.text) + 1

    def diag(code, message, fix):
        rule = rules[code]
        if not selection.enabled(rule):
            return None
        return Diagnostic(code, rule.name, rule.severity, False, message, doc.path, line.number,
                          col, line.number, end, None, None, fix)

    unknown = [t for t in s.tokens if not selector.known(t)]
    for token in unknown:
        keep = [t for t in s.tokens if t != token]
        d = diag("SV902", "%r in this suppression is no supervisor-lint rule code or name (nor a "
                 "code prefix or a category); 'supervisor-lint rules' lists them" % token,
                 removal(doc, s, keep) if keep else removal(doc, s))
        if d is not None:
            yield d
    if s.tokens:
        active = [t for t in s.tokens if t not in unknown and any(
            selection.enabled(r) for r in rules.values() if selector.matches(r, t))]
        unused = [t for t in active if t not in s.used]
        if unused:
            keep = [t for t in s.tokens if t not in unused and t not in unknown]
            d = diag("SV901", "this suppression of %s hides nothing%s; remove it" % (
                ", ".join(unused), _cannot(s, unused)),
                removal(doc, s, keep) if keep else removal(doc, s))
            if d is not None:
                yield d
    elif not s.used:
        d = diag("SV901", "this suppression hides nothing%s; remove it" % _cannot(s, ["*"]),
                 removal(doc, s))
        if d is not None:
            yield d


def _cannot(s, tokens):
    """Why a suppression that matched only fatal findings hides nothing."""
    lines = sorted({s.blocked[t].line for t in tokens if t in s.blocked})
    if not lines:
        return ""
    return (" (it cannot hide what makes supervisord refuse the file, on line%s %s)"
            % ("" if len(lines) == 1 else "s", ", ".join(str(n) for n in lines)))
