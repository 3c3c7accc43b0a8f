"""Building fixes as byte-range edits: add a key to a section, replace a value."""

from .diagnostics import Edit, Fix


def _eol(doc, line=None):
    """The line ending of ``line``, else of the nearest line before it that
    has one (the section's own style), else the file's first."""
    lines = doc.lines
    if line is not None:
        for i in range(line.number - 1, -1, -1):
            if lines[i].eol:
                return lines[i].eol
    for candidate in lines:
        if candidate.eol:
            return candidate.eol
    return "\n"


def _style(block):
    """(indent, delimiter) as the section writes its keys: 'key=value' or 'key = value'."""
    entries = block.entries or block.document.entries
    if not entries:
        return "", "="
    first = entries[0]
    text = first.line.text
    key_end = first.key_start + len(first.raw_key)
    delimiter = text[key_end:first.value_start] if first.value_start > key_end else first.delimiter
    if not delimiter.strip():
        delimiter = first.delimiter
    last = block.entries[-1] if block.entries else None
    indent = last.line.text[:last.key_start] if last is not None else ""
    return indent, delimiter


def insert_key(block, key, value, applicability="safe", description=None):
    """A Fix adding ``key=value`` after the last key of ``block`` (before
    trailing comments and blank lines), in the block's own style."""
    doc = block.document
    anchor = block.line
    if block.entries:
        last = block.entries[-1]
        anchor = last.line
        for line in last.lines:
            if line.kind in ("entry", "continuation"):
                anchor = line
    if doc.template and anchor is not block.line:
        # a template: a {% if %} or {% for %} inside the section would make
        # the key conditional; it goes before the section's first statement
        first = next((line for line in doc.lines[block.line.number:anchor.number]
                      if line.text.lstrip().startswith("{%")), None)
        if first is not None:
            anchor = block.line
            for entry in block.entries:
                for line in entry.lines:
                    if line.number < first.number and line.kind in ("entry", "continuation"):
                        anchor = line
    indent, delimiter = _style(block)
    text = "%s%s%s%s" % (indent, key, delimiter, value)
    eol = _eol(doc, anchor)
    end = anchor.end_offset
    if anchor.eol:
        replacement = text + eol
    else:                       # the last line of a file without a final newline
        replacement = eol + text
    return Fix(applicability, [Edit(end, end, replacement)],
               description or "add %s%s%s" % (key, delimiter, value), keys=[(block.name, key)],
               document=doc, anchor=block)


def replace_value(entry, value, applicability="unsafe", description=None):
    """A Fix replacing the value of ``entry``; None when the value spans
    several lines (the lines between could hold comments)."""
    if entry.continuations and any(l.kind == "continuation" for l in entry.continuations):
        return None
    start, end = entry.line.byte_range(entry.value_start, entry.value_end)
    return Fix(applicability, [Edit(start, end, value)],
               description or "set %s to %s" % (entry.key, value),
               keys=[(entry.section.name, entry.key)], document=entry.document, anchor=entry)
