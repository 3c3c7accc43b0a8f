"""The lossless reader.

It reads a file's bytes and classifies every line the way supervisor 4.3.0's
``UnhosedConfigParser`` (``configparser.RawConfigParser`` with
``inline_comment_prefixes=(';', '#')`` and ``strict=False``) would, keeping
every byte: ``Document.emit()`` returns the input unchanged.  It never raises
on bad input; problems are recorded in ``Document.problems``.

Line breaks follow Python's universal-newline reading (``\\r\\n``, ``\\r`` and
``\\n``), because supervisor opens its files in text mode.
"""

import contextlib
import contextvars
import re
import sys

_NEWLINE = re.compile(r"(\r\n|\r|\n)")
_SECTCRE = re.compile(r"\[(?P<header>.+)\]")
_SECTCRE_39 = re.compile(r"\[(?P<header>[^]]+)\]")     # Python 3.9 and older: the first ']'
_INLINE_313 = re.compile(r"(?:^|(?<=\s))[;#]")
_INLINE_PREFIXES = (";", "#")
_COMMENT_PREFIXES = ("#", ";")
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")
# what a {{ expression }} stands for: an %(ENV_)s name no host sets, which the
# loader reads as a value it cannot know (and never reports as a name)
TEMPLATE_STAND_IN = "%(ENV_TEMPLATE_EXPRESSION)s"
_TEMPLATE_EXPR = re.compile(r"\{\{.*?\}\}")
_TEMPLATE_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}")     # inside a value: rendered away
BOM = b"\xef\xbb\xbf"


class Position:
    """A place in a file: 1-based line and column (in characters), byte offset."""

    __slots__ = ("line", "column", "offset")

    def __init__(self, line, column, offset):
        self.line = line
        self.column = column
        self.offset = offset

    def __repr__(self):
        return "Position(%d, %d, %d)" % (self.line, self.column, self.offset)


class Span:
    """From one Position to another in one document: the one position type
    findings carry (the engine reads path, lines and columns off it)."""

    __slots__ = ("start", "end", "document")

    def __init__(self, start, end, document=None):
        self.start = start
        self.end = end
        self.document = document

    def __repr__(self):
        return "Span(%r, %r)" % (self.start, self.end)


class Line:
    """One physical line: its text (decoded, without line ending) and ending."""

    __slots__ = ("number", "offset", "text", "eol", "kind", "comment_start",
                 "value_start", "value_end", "_ascii")

    def __init__(self, number, offset, text, eol, ascii=None):
        self.number = number          # 1-based
        self.offset = offset          # byte offset of the first character
        self.text = text
        self.eol = eol
        self._ascii = text.isascii() if ascii is None else ascii
        # set by _classify for every line:
        # kind: blank, comment, header, entry, continuation, error or orphan
        # comment_start: character index where a comment starts, or None
        # value_start, value_end: the meaningful text's character span (its
        # start is the indentation configparser compares for continuations)

    def byte_offset(self, column):
        """Byte offset in the file of character index ``column`` (0-based)."""
        if self._ascii:
            return self.offset + column
        return self.offset + len(self.text[:column].encode("utf-8", "surrogateescape"))

    def byte_range(self, start, end):
        """Byte offsets in the file of character indexes ``start`` and ``end``."""
        if self._ascii:
            return self.offset + start, self.offset + end
        return self.byte_offset(start), self.byte_offset(end)

    def position(self, column):
        return Position(self.number, column + 1, self.byte_offset(column))

    @property
    def end_offset(self):
        """Byte offset just past the line ending."""
        return self.byte_offset(len(self.text)) + len(self.eol)

    @property
    def comment(self):
        if self.comment_start is None:
            return None
        return self.text[self.comment_start:]


class Entry:
    """A ``key = value`` line and its continuation lines."""

    __slots__ = ("document", "section", "line", "raw_key", "key", "key_start",
                 "delimiter", "value_start", "value_end", "continuations", "parts",
                 "value")

    def __init__(self, document, section, line, raw_key, key, key_start,
                 delimiter, value_start, value_end, first_value):
        self.document = document
        self.section = section        # the SectionBlock it belongs to
        self.line = line              # the Line holding the key
        self.raw_key = raw_key
        self.key = key                # lower-cased, as configparser stores it
        self.key_start = key_start    # character index of the key in its line
        self.delimiter = delimiter
        self.value_start = value_start  # character span of the first line's value
        self.value_end = value_end
        self.continuations = ()       # Lines appended to the value (a list once there are any)
        self.parts = None             # as configparser collects them, when continued
        self.value = first_value      # joined as configparser does, once the file is read

    # an Entry is also the Setting of its key in the merged view (model.Tree)
    @property
    def entry(self):
        return self

    inherited = False

    def _continue(self, line, part):
        if not self.continuations:
            self.continuations = []
            self.parts = [self.value]
        self.parts.append(part)
        self.continuations.append(line)

    @property
    def key_span(self):
        return self.document.span(self.line, self.key_start, self.key_start + len(self.raw_key))

    @property
    def value_span(self):
        return self.document.span(self.line, self.value_start, self.value_end)

    @property
    def location(self):
        """Where a finding about this key points: its value (its key when the
        value is empty), to the end of its last continuation line."""
        start, end = self.value_start, self.value_end
        if start == end:
            start, end = self.key_start, self.key_start + len(self.raw_key)
        last = self.continuations[-1] if self.continuations else None
        if last is not None and last.kind == "continuation":
            return Span(self.line.position(start), last.position(last.value_end), self.document)
        line = self.line
        if line._ascii:     # the common case, without position()'s calls
            number, offset = line.number, line.offset
            return Span(Position(number, start + 1, offset + start),
                        Position(number, end + 1, offset + end), self.document)
        return Span(line.position(start), line.position(end), self.document)

    @property
    def lines(self):
        return [self.line] + list(self.continuations)

    @property
    def last_line(self):
        return self.continuations[-1] if self.continuations else self.line

    @property
    def span(self):
        last = self.last_line
        return Span(self.line.position(self.key_start), last.position(last.value_end))

    @property
    def path(self):
        return self.document.path


class SectionBlock:
    """One ``[name]`` header and the entries written under it."""

    __slots__ = ("document", "name", "line", "entries")

    def __init__(self, document, name, line):
        self.document = document
        self.name = name
        self.line = line
        self.entries = []

    @property
    def name_span(self):
        start = self.line.value_start + 1
        return self.document.span(self.line, start, start + len(self.name))

    @property
    def location(self):
        """Where a finding about the whole section points: its header."""
        return self.document.span(self.line, self.line.value_start, self.line.value_end)


class Problem:
    """Something the INI layer itself objects to, or that decoding found."""

    __slots__ = ("kind", "line", "column", "end_column", "fatal", "detail")

    def __init__(self, kind, line, column, end_column, fatal, detail=""):
        self.kind = kind              # 'no-section-header', 'no-delimiter', 'empty-key', 'not-utf8'
        self.line = line
        self.column = column          # 0-based character index
        self.end_column = end_column
        self.fatal = fatal
        self.detail = detail


class Document:
    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.bom = data.startswith(BOM)
        self.lines = []
        self.blocks = []              # SectionBlocks in file order
        self.entries = []             # Entries in file order
        # the Entries a line-level check needs to see, in file order: those
        # whose first line holds ';' or '#', whose key starts with '[', or
        # that are continued (by a blank line too)
        self.marked = []
        self.problems = []
        self.decode_error = None      # (line, column, byte) of the first undecodable byte
        # a Jinja template (Ansible's templates/x.conf.j2): {% %} and {# #} lines
        # are no config, a {{ }} expression is a value the linter cannot know
        self.template = False

    # -- output -----------------------------------------------------------
    def emit(self):
        """The file's bytes, rebuilt from the parsed lines."""
        out = [BOM] if self.bom else []
        for line in self.lines:
            out.append(line.text.encode("utf-8", "surrogateescape"))
            out.append(line.eol.encode("ascii"))
        return b"".join(out)

    # -- semantic view of this file alone -------------------------------------
    def sections(self):
        """``{section: {key: value}}`` (``DEFAULT`` kept apart) as configparser
        builds it from this one file, without applying defaults."""
        result = {}
        for block in self.blocks:
            result.setdefault(block.name, {})
        for entry in self.entries:
            result[entry.section.name][entry.key] = entry
        return {name: {k: e.value for k, e in keys.items()} for name, keys in result.items()}

    @property
    def fatal(self):
        return any(p.fatal for p in self.problems)

    @property
    def opaque(self):
        """A file with no section header is no supervisor config (a key file,
        a password file, /proc/N/environ): nothing of its text is ever shown."""
        return not self.blocks

    def line_at(self, number):
        return self.lines[number - 1]

    def span(self, line, start, end):
        """Characters ``start:end`` (0-based) of one of this document's lines."""
        return Span(line.position(start), line.position(end), self)


def _decode(data):
    """Decode UTF-8 and report the first undecodable byte without giving up."""
    body = data[3:] if data.startswith(BOM) else data
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return body.decode("utf-8", "surrogateescape"), exc.start + (len(data) - len(body))


def _comment_start(line):
    """Where configparser (3.9-3.12) cuts a line as a comment, or None."""
    if ";" not in line and "#" not in line:
        return None
    comment_start = sys.maxsize
    inline_prefixes = {p: -1 for p in _INLINE_PREFIXES}
    while comment_start == sys.maxsize and inline_prefixes:
        next_prefixes = {}
        for prefix, index in inline_prefixes.items():
            index = line.find(prefix, index + 1)
            if index == -1:
                continue
            next_prefixes[prefix] = index
            if index == 0 or (index > 0 and line[index - 1].isspace()):
                comment_start = min(comment_start, index)
        inline_prefixes = next_prefixes
    stripped = line.strip()
    for prefix in _COMMENT_PREFIXES:
        if stripped.startswith(prefix):
            return 0
    if comment_start == sys.maxsize:
        return None
    return comment_start


def _comment_start_313(line):
    """Python 3.13's cut: the earliest ';' or '#' after a blank (or at the start)."""
    if ";" not in line and "#" not in line:
        return None
    stripped = line.strip()
    for prefix in _COMMENT_PREFIXES:
        if stripped.startswith(prefix):
            return 0
    m = _INLINE_313.search(line)
    return m.start() if m else None


# the run's configuration's say on which files are templates (a context
# variable: runs in other threads keep their own)
_TEMPLATES = contextvars.ContextVar("supervisor_lint_templates", default=None)


def is_template(path):
    """Whether ``path`` is read as a Jinja template: by its name (``.j2``,
    ``.jinja``, ``.jinja2``), or because the run's configuration says so
    (``template = "jinja"``, see ``templates``)."""
    if not isinstance(path, str):
        return False
    if path.endswith(TEMPLATE_SUFFIXES):
        return True
    said = _TEMPLATES.get()
    return bool(said and said(path))


@contextlib.contextmanager
def templates(said):
    """Within it, every file ``said(path)`` is true for is read as a template,
    whatever its name (the runner's per-file ``template`` setting)."""
    token = _TEMPLATES.set(said)
    try:
        yield
    finally:
        _TEMPLATES.reset(token)


def parse(data, path="<stdin>", template=None):
    """Read ``data`` (bytes) into a Document.  Never raises.  ``template``:
    whether it is a Jinja template (None: ``is_template(path)``)."""
    doc = Document(path, data)
    doc.template = is_template(path) if template is None else template
    text, bad_byte = _decode(data)
    offset = 3 if doc.bom else 0

    # split into physical lines, as universal newlines would
    lines = doc.lines
    ascii_text = text.isascii()
    number = 0
    append = lines.append
    if "\r" not in text:
        # the common case: LF only, split without a regex
        chunks = text.split("\n")
        last = chunks.pop()
        if ascii_text:
            for chunk in chunks:
                number += 1
                append(Line(number, offset, chunk, "\n", True))
                offset += len(chunk) + 1
        else:
            for chunk in chunks:
                number += 1
                append(Line(number, offset, chunk, "\n"))
                offset += len(chunk.encode("utf-8", "surrogateescape")) + 1
    else:
        pieces = _NEWLINE.split(text)        # text, eol, text, eol, ..., text
        last = pieces[-1]
        for i in range(0, len(pieces) - 1, 2):
            number += 1
            chunk, eol = pieces[i], pieces[i + 1]
            append(Line(number, offset, chunk, eol, True if ascii_text else None))
            offset += (len(chunk) if ascii_text else
                       len(chunk.encode("utf-8", "surrogateescape"))) + len(eol)
    if last:
        number += 1
        lines.append(Line(number, offset, last, ""))

    if bad_byte is not None:
        for line in lines:
            if bad_byte < line.end_offset or line is lines[-1]:
                prefix = data[line.offset:max(bad_byte, line.offset)]
                col = len(prefix.decode("utf-8", "surrogateescape"))
                doc.decode_error = (line.number, col, bad_byte)
                doc.problems.append(Problem("not-utf8", line, col, col + 1, True))
                break

    _classify(doc)
    return doc


def _classify(doc):
    """configparser's ``_read`` state machine, recording instead of raising."""
    block = None                      # the current SectionBlock (cursect)
    entry = None                      # the Entry that continuations extend (optname)
    indent_level = 0
    seen_header_problem = False
    from .target import active
    dialect = active()
    comment_start = _comment_start_313 if dialect.earliest_comment else _comment_start
    sectcre = (_SECTCRE_39 if dialect.header_first_bracket else _SECTCRE).match
    blocks, entries, marked = doc.blocks, doc.entries, doc.marked
    template = doc.template
    for line in doc.lines:
        text = line.text
        if template and text.lstrip().startswith(("{%", "{#")):
            # a Jinja statement or comment: no line of the rendered config
            line.kind = "comment"
            line.comment_start = len(text) - len(text.lstrip())
            line.value_start = line.value_end = 0
            continue
        hashy = ";" in text or "#" in text
        if template and hashy and "{" in text:
            # a '#' inside {{ }} or {# #} (a filter's argument, a comment) is no ini comment
            bare = _TEMPLATE_STATEMENT.sub("", _TEMPLATE_EXPR.sub("", text))
            hashy = ";" in bare or "#" in bare
        if hashy:
            cstart = comment_start(text)
            line.comment_start = cstart
            value = (text[:cstart] if cstart is not None else text).strip()
        else:
            cstart = line.comment_start = None
            value = text.strip()
        # the first non-blank character (\S in configparser's NONSPACECRE)
        if not value:
            cur_indent = 0
            if cstart is None:
                line.kind = "blank"
                if block is not None and entry is not None:
                    if not entry.continuations and (not marked or marked[-1] is not entry):
                        marked.append(entry)
                    entry._continue(line, "")
            else:
                line.kind = "comment"
            line.value_start = line.value_end = cur_indent
            continue
        cur_indent = 0 if text[0] == value[0] else len(text) - len(text.lstrip())
        # the meaningful text sits at cur_indent .. cur_indent + len(value)
        line.value_start = cur_indent
        line.value_end = cur_indent + len(value)
        if block is not None and entry is not None and cur_indent > indent_level:
            line.kind = "continuation"
            if not entry.continuations and (not marked or marked[-1] is not entry):
                marked.append(entry)
            entry._continue(line, value)
            continue
        indent_level = cur_indent
        mo = sectcre(value) if value[0] == "[" else None
        if mo:
            line.kind = "header"
            block = SectionBlock(doc, mo.group("header"), line)
            blocks.append(block)
            entry = None
            continue
        if block is None:
            line.kind = "orphan"
            if not seen_header_problem:
                doc.problems.append(Problem("no-section-header", line, cur_indent,
                                            line.value_end, True))
                seen_header_problem = True
            continue
        # configparser's OPTCRE, (?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$,
        # in linear time: the lazy option ends where the blanks before the
        # first delimiter begin (the regex itself backtracks quadratically).
        d = value.find("=")
        colon = value.find(":", 0, d if d != -1 else len(value))
        if colon != -1:
            d = colon
        if d == -1:
            line.kind = "error"
            doc.problems.append(Problem("no-delimiter", line, cur_indent, line.value_end, True))
            continue
        line.kind = "entry"
        raw_key = value[:d].rstrip()
        delimiter = value[d]
        optval = value[d + 1:].strip()
        vstart = cur_indent + len(value) - len(optval)
        new = Entry(doc, block, line, raw_key, raw_key.lower(), cur_indent,
                    delimiter, vstart, vstart + len(optval), optval)
        block.entries.append(new)
        entries.append(new)
        if hashy or raw_key[:1] == "[":
            marked.append(new)
        if not raw_key:
            doc.problems.append(Problem("empty-key", line, cur_indent, line.value_end, True))
        # configparser keeps appending to an empty-named option only in name;
        # ``if optname`` is false for '', so nothing continues it.
        entry = new if raw_key else None
    for entry in entries:
        # configparser's _join_multiline_values
        if entry.continuations:
            entry.value = "\n".join(entry.parts).rstrip()
        if template and "{" in entry.value:
            value = _TEMPLATE_STATEMENT.sub("", entry.value)
            entry.value = _TEMPLATE_EXPR.sub(TEMPLATE_STAND_IN.replace("\\", "\\\\"), value)
