"""Syntax (SV0xx): the INI dialect itself, what the reader sees line by line,
and what configparser makes of repeated sections and keys."""

import re

from . import rule
from .. import schema
from ..diagnostics import Edit, Finding, Fix, short as _short
from ..loader import holds_secret

_KEYISH = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*[=:]")
_HEADERISH = re.compile(r"\[(.+)\]")
_TYPED = {"boolean", "integer", "byte_size", "octal", "signal", "auto_restart", "exitcodes",
          "logging_level", "buffer_size", "socket_backlog", "inet_address"}


@rule("SV001", "invalid-syntax", "error", category="syntax", fatal="per case", scope="file")
def invalid_syntax(ctx):
    for doc in ctx.docs:
        if doc.opaque:
            # no [section] header anywhere: a key file, /etc/shadow, an environ
            # dump; say so by path and line number only, never by content
            for p in doc.problems:
                if p.kind == "no-section-header":
                    yield Finding("this file holds no [section] header, so it is no "
                                  "supervisor config: supervisord refuses to load it (File "
                                  "contains no section headers); nothing of its text is shown",
                                  True, at=doc.span(p.line, p.column, p.column))
            continue
        for p in doc.problems:
            text = p.line.text[p.column:p.end_column]
            if p.kind == "no-section-header":
                msg = ("%r comes before any [section] header: supervisord refuses to load "
                       "(File contains no section headers); start the file with a header such "
                       "as [program:name]" % _short(text))
            elif p.kind == "no-delimiter":
                msg = ("%r is not a key=value line, a [section] header or a comment: "
                       "supervisord refuses to load (Source contains parsing errors); indent "
                       "it to continue the previous value, or comment it out with '; '"
                       % _short(text))
            elif p.kind == "empty-key":
                msg = ("%r has no key before the '%s': supervisord refuses to load (Source "
                       "contains parsing errors)" % (_short(text), p.line.text[p.column]))
            else:
                continue
            yield Finding(msg, True, at=doc.span(p.line, p.column, p.end_column))
        for entry in doc.marked:
            if entry.raw_key.startswith("[") and entry.delimiter == ":":
                line = entry.line
                yield Finding("unclosed section header %r: supervisord reads it as the "
                              "key %r in [%s]; close it with ']'" % (
                                  _short(line.text[line.value_start:line.value_end]),
                                  entry.key, entry.section.name), False,
                              at=doc.span(line, line.value_start, line.value_end),
                              section=entry.section.name, key=entry.key, severity="warning")


@rule("SV002", "not-utf8", "error", category="syntax", fatal="always", scope="file")
def not_utf8(ctx):
    for doc in ctx.docs:
        if doc.decode_error is not None:
            number, col, byte = doc.decode_error
            line = doc.line_at(number)
            shown = "" if doc.opaque else "0x%02x " % doc.data[byte]
            yield Finding("byte %sat offset %d is not UTF-8: supervisord refuses to "
                          "load ('utf-8' codec can't decode); save the file as UTF-8"
                          % (shown, byte), True, at=doc.span(line, col, col + 1))
            continue
        from ..target import active
        if active().ascii_only:
            # Python 3.6 reads in the locale's encoding: ASCII in a service's C locale
            line = next((l for l in doc.lines if not l._ascii), None)
            if line is not None:
                col = next(i for i, c in enumerate(line.text) if ord(c) > 127)
                byte = line.byte_offset(col) - (3 if doc.bom else 0)
                yield Finding("byte 0x%02x at offset %d is not ASCII: supervisord on Python %s "
                              "in the C locale a service gets refuses to load ('ascii' codec "
                              "can't decode byte 0x%02x in position %d); keep the file ASCII"
                              % (doc.data[line.byte_offset(col)], line.byte_offset(col),
                                 active().python_text, doc.data[line.byte_offset(col)], byte),
                              True, at=doc.span(line, col, col + 1))


@rule("SV003", "byte-order-mark", "error", category="syntax", fatal="always", scope="file")
def byte_order_mark(ctx):
    for doc in ctx.docs:
        if doc.bom:
            line = doc.lines[0] if doc.lines else None
            fix = Fix("safe", [Edit(0, 3, "")], "remove the byte-order mark", document=doc)
            yield Finding("the file starts with a UTF-8 byte-order mark: supervisord does "
                          "not strip it, sees no section header on line 1 and refuses to load; "
                          "save without BOM", True, at=doc.span(line, 0, 0) if line else None,
                          fix=fix)


@rule("SV004", "swallowed-line", "warning", category="syntax", scope="file")
def swallowed_line(ctx):
    for doc in ctx.docs:
        for entry in doc.marked:
            if not entry.continuations:
                continue
            previous = entry.parts[0]   # parts exist once an entry is continued
            for line, part in zip(entry.continuations, entry.parts[1:]):
                if not part:
                    continue
                header = _HEADERISH.match(part)
                key = _KEYISH.match(part)
                what = None
                if header:
                    what = "the section header [%s]" % header.group(1)
                elif key and key.group(1).lower() in schema.ALL_KEYS:
                    if not (entry.key == "environment" and previous.rstrip().endswith(",")):
                        what = "the key %s" % key.group(1)
                previous = part
                if what is None:
                    continue
                yield Finding("this indented line looks like %s but continues the value "
                              "of %s= (line %d): supervisord reads it as part of that value; "
                              "remove the indentation" % (what, entry.raw_key.strip(),
                                                          entry.line.number),
                              False, section=entry.section.name, key=entry.key,
                              at=doc.span(line, line.value_start, line.value_end))


def _commented_entries(doc):
    """The entries (environment= aside) with a ';' or '#' in their text."""
    for entry in doc.marked:
        if entry.key == "environment":
            continue
        text = entry.line.text
        if ";" in text or "#" in text or entry.continuations:
            yield entry


@rule("SV005", "comment-char-in-value", "warning", category="syntax", scope="file")
def comment_char_in_value(ctx):
    for doc in ctx.docs:
        for entry in _commented_entries(doc):
            kind = schema.kind_of(entry.section.name)
            spec = kind.keys.get(entry.key) if kind else None
            if spec is None:
                continue
            typed = spec.type in _TYPED
            for line in entry.lines:
                found = _glued_comment(line, typed, entry.key == "command")
                if found is None:
                    continue
                i, stop = found
                kept = "%r" % _short(line.text[i:stop].strip())
                if holds_secret(entry.key, entry.value):
                    kept = "it and the rest of the line (not shown here)"
                if entry.key == "command" and line.text[i + 1:i + 2].strip():
                    message = ("%r inside a word of the command does not start a comment, and "
                               "supervisord runs no shell: the program gets %s as text; for two "
                               "commands use sh -c \"...\", for a comment put a space before it"
                               % (line.text[i], kept))
                else:
                    message = ("%r has no whitespace before it, so it does not start a "
                               "comment: supervisord keeps %s in %s; put a space before it"
                               % (line.text[i], kept, entry.key))
                yield Finding(message, False, section=entry.section.name, key=entry.key,
                              at=doc.span(line, i, stop))
                break


def _glued_comment(line, typed, command=False):
    """The first ';' or '#' glued to the text before it that reads as a comment:
    in a typed value any, in a string one followed by a space and more text
    or a ';' that ends the value, in a command a ';' inside a word too;
    outside quotes.  One pass over the line."""
    text = line.text
    if ";" not in text and "#" not in text:
        return None
    stop = line.comment_start if line.comment_start is not None else len(text)
    if text.find(";", line.value_start + 1, stop) == -1 and \
            text.find("#", line.value_start + 1, stop) == -1:
        return None
    quote = None
    for i in range(line.value_start, stop):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            continue
        if ch not in ";#" or i == line.value_start or text[i - 1].isspace():
            continue
        if typed or (text[i + 1:i + 2].isspace() and text[i + 1:stop].strip()):
            return i, stop
        if ch == ";" and (not text[i + 1:stop].strip() or command):
            return i, stop        # directory=/srv/app;   /bin/cat;next
    return None


@rule("SV006", "comment-cuts-value", "warning", category="syntax", scope="file")
def comment_cuts_value(ctx):
    for doc in ctx.docs:
        for entry in doc.marked:
            if entry.line.comment_start is None and not entry.continuations:
                continue
            for line in entry.lines:
                c = line.comment_start
                if c is None or c == 0 or c <= line.value_start:
                    continue
                before = line.text[line.value_start:c]
                if before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
                    continue
                yield Finding("%r starts a comment even inside quotes: supervisord cuts "
                              "%s= before it and drops the rest of the line (%d characters); "
                              "there is no escape, so remove the space before %r or the %r "
                              "itself" % (" " + line.text[c], entry.raw_key.strip(),
                                          len(line.text[c:].rstrip()), line.text[c],
                                          line.text[c]),
                              False, section=entry.section.name, key=entry.key,
                              at=doc.span(line, c - 1, len(line.text)))


@rule("SV007", "duplicate-section", "warning", category="syntax", cross_file=True)
def duplicate_section(ctx):
    for name, blocks in ctx.tree.blocks.items():
        if len(blocks) < 2 or name == "include":
            continue
        first = blocks[0]
        for block in blocks[1:]:
            if _twins(first.document, block.document):
                continue    # one file read twice: SV111 says so once
            if block.document.template and block.document is first.document:
                continue    # {% if %} ... {% else %}: one of them is rendered
            where = "line %d" % first.line.number
            if block.document is not first.document:
                where += " of %s" % first.document.path
            yield Finding("[%s] is already defined at %s: supervisord merges the two, "
                          "and keys set in both take the later value; keep one section"
                          % (name, where), False, at=block, section=name)


@rule("SV008", "duplicate-key", "warning", category="syntax", cross_file=True)
def duplicate_key(ctx):
    main = ctx.docs[0] if ctx.docs else None
    final = {}
    for earlier, later in ctx.tree.overridden:
        final[(earlier.section.name, earlier.key)] = later
    for earlier, later in ctx.tree.overridden:
        if not earlier.raw_key or _twins(earlier.document, later.document):
            continue
        if earlier.document.template and earlier.document is later.document:
            continue    # {% if %} ... {% else %}: one of them is rendered
        section, key = earlier.section.name, earlier.key
        if section == "include" and (earlier.document is not main or later.document is not main):
            continue   # an [include] in an included file is never acted on (SV111 says so)
        last = final[(section, key)]
        where = "line %d" % last.line.number
        if last.document is not earlier.document:
            where += " of %s" % last.document.path
        fix = None
        if last.document is earlier.document:
            fix = _remove_entry(earlier)
        value = "not shown here" if holds_secret(key, last.value) else _short(last.value, 40)
        yield Finding("%s is set again at %s in [%s]: supervisord silently uses the "
                      "last value (%s); remove one of them" % (
                          earlier.raw_key.strip(), where, section, value),
                      False, at=earlier, section=section, key=key, fix=fix)


def _twins(a, b):
    """Two reads of one file (an include that matches it twice)."""
    return a is not b and (getattr(a, "twin_of", None) is not None or
                           getattr(b, "twin_of", None) is not None) and \
        (getattr(b, "twin_of", None) or b) is (getattr(a, "twin_of", None) or a)


def _remove_entry(entry):
    """An unsafe fix deleting the lines of ``entry`` (its key line and its
    continuation lines, not the blank lines after them); None when a comment
    sits among its lines."""
    lines = entry.document.lines
    last = entry.line
    for line in entry.continuations:
        if line.kind == "continuation":
            last = line
    between = lines[entry.line.number:last.number - 1]
    if any(line.kind == "comment" for line in between):
        return None
    return Fix("unsafe", [Edit(entry.line.offset, last.end_offset, "")],
               "remove the overridden %s" % entry.key, keys=[(entry.section.name, entry.key)],
               document=entry.document, anchor=entry)


@rule("SV009", "default-section", "warning", category="syntax")
def default_section(ctx):
    for block in ctx.tree.blocks.get("DEFAULT", []):
        keys = ", ".join(e.key for e in block.entries) or "nothing yet"
        yield Finding("[DEFAULT] keys (%s) are inherited by every section, "
                      "[supervisord], servers and [rpcinterface:x] factories included; set them "
                      "in each program instead" % _short(keys), False, at=block,
                      section="DEFAULT")


