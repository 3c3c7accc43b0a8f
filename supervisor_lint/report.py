"""Reporters: text (concise or full), json, sarif, github, gitlab, junit.

Each takes the diagnostics and the run's ``redact.Registry`` and returns the
report as a string.  Every field that comes from input goes out through the
registry: messages, section and key names masked, escaped and capped
(``registry.text``), paths escaped (``_p``), source lines read from the
reader's own lines with their secrets masked (``registry.source_line``).
The heavy imports (json, xml, the rule catalog) happen only in the formats
that need them."""

import os


_COLORS = {"error": "\033[1;31m", "warning": "\033[1;33m", "info": "\033[1;36m",
           "path": "\033[1m", "code": "\033[1;35m", "dim": "\033[2m", "reset": "\033[0m"}


def use_color(choice, stream):
    """--color auto|always|never, NO_COLOR and FORCE_COLOR."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


_PATHS = {}


def _p(path):
    """A path as reports show it (escaped), computed once per path."""
    found = _PATHS.get(path)
    if found is None:
        from .redact import printable
        if len(_PATHS) > 65536:
            _PATHS.clear()
        found = _PATHS[path] = printable(path)
    return found


def _line_start(path):
    """A path that starts a report line: never one a CI runner reads as a
    command of its own (a file named '::error ...::x.conf')."""
    return "./" + path if path.startswith(":") else path


def text(diags, registry, color=False, full=False, summary=True):
    from .redact import printable
    c = _COLORS if color else dict.fromkeys(_COLORS, "")
    out = []
    for d in diags:
        out.append("%s%s%s:%d:%d: %s%s%s [%s%s%s] %s" % (
            c["path"], _line_start(_p(d.path)), c["reset"], d.line, d.column, c["code"], d.code, c["reset"],
            c[d.severity], d.severity, c["reset"], registry.text(d.message)))
        if full:
            found = registry.source_line(d.path, d.line)
            if found is not None:
                line, column = found
                line = line.replace("\t", " ")
                start = column(d.column - 1)
                end = column(d.end_column - 1) if d.end_line == d.line else len(line)
                prefix = printable(line[:start])
                width = max(1, len(printable(line[start:max(end, start)])))
                out.append("  %s%4d |%s %s" % (c["dim"], d.line, c["reset"], printable(line)))
                out.append("       | %s%s%s%s" % (" " * len(prefix), c[d.severity],
                                                  "^" * width, c["reset"]))
    if summary and diags:
        out.append(_summary(diags))
    return "".join(l + "\n" for l in out)


def grouped(diags, registry, color=False, summary=True):
    """``audit``'s text report: the findings under the section they concern
    (a program, [supervisord], ...), sections in the order their first
    finding comes; each line as ``text`` writes it, indented."""
    from .redact import printable
    c = _COLORS if color else dict.fromkeys(_COLORS, "")
    groups = {}
    for d in diags:
        groups.setdefault(d.section, []).append(d)
    out = []
    for section, found in groups.items():
        fatal = sum(1 for d in found if d.fatal)
        head = "[%s]" % registry.text(section) if section is not None else \
            printable(found[0].path)
        count = "%d problem%s" % (len(found), "" if len(found) == 1 else "s")
        if fatal:
            count += ", %d that supervisord refuses to load" % fatal
        out.append("%s%s%s  %s\n" % (c["code"], head, c["reset"], count))
        out.extend("  " + line for line in text(found, registry, color, summary=False)
                   .splitlines(True))
    if summary and diags:
        out.append(_summary(diags) + "\n")
    return "".join(out)


def _summary(diags):
    fatal = sum(1 for d in diags if d.fatal)
    fixable = sum(1 for d in diags if d.fix is not None)
    line = "Found %d problem%s (%d that supervisord refuses to load)." % (
        len(diags), "" if len(diags) == 1 else "s", fatal)
    if fixable:
        line += " %d fixable with --fix%s." % (
            fixable, "" if all(d.fix.applicability == "safe" for d in diags if d.fix)
            else " (some with --unsafe-fixes)")
    return line


def statistics(diags):
    counts = {}
    for d in diags:
        key = (d.code, d.name)
        counts[key] = counts.get(key, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "".join("%5d  %s  %s\n" % (n, code, name) for (code, name), n in rows)


def json_dump(value):
    """JSON text, UTF-8 friendly: every character a terminal or a log could
    act on (C1 and bidi controls, line separators, lone surrogates) written
    as a \\u escape, which keeps the data exact.  A list is written one
    item per line (greppable, and the standard library's C encoder writes
    each: an indented dump would take its pure-Python path)."""
    from .redact import JSON_UNSAFE
    encode = _item_encoder()
    if isinstance(value, list):
        text = "[\n%s\n]" % ",\n".join("  " + encode(item) for item in value) if value else "[]"
    else:
        text = encode(value)
    if not text.isascii():
        text = JSON_UNSAFE.sub(lambda m: "\\u%04x" % ord(m.group()), text)
    return text + "\n"


def _item_encoder():
    """Compact JSON of one value, UTF-8 left as it is: the standard library's
    C encoder made once (JSONEncoder.encode makes one per call), else its own."""
    import json
    from json import encoder
    if encoder.c_make_encoder is None:
        return json.JSONEncoder(ensure_ascii=False).encode

    def refuse(o):
        raise TypeError("not JSON serializable: %r" % type(o).__name__)
    make = encoder.c_make_encoder(None, refuse, encoder.encode_basestring, None, ": ", ", ",
                                  False, False, True)
    return lambda value: "".join(make(value, 0))


def json_report(diags, registry, version):
    """``{"version": ..., "diagnostics": [...]}``: the linter's version beside
    its findings (room for more about the run), one diagnostic per line."""
    items = json_dump([d.to_dict(registry) for d in diags]).rstrip("\n")
    return '{"version": %s, "diagnostics": %s}\n' % (json_dump(version).rstrip("\n"), items)


def _escape_data(s):
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s):
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(diags, registry):
    """GitHub Actions workflow commands (annotations)."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    relative = _relativizer(repository_root())
    out = []
    for d in diags:
        props = "file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s" % (
            _escape_property(_p(relative(d.path))), d.line, d.column, d.end_line, d.end_column,
            _escape_property("%s %s" % (d.code, d.name)))
        out.append("::%s %s::%s\n" % (level[d.severity], props,
                                      _escape_data(registry.text(d.message))))
    return "".join(out)


def _once_per_path(work):
    """``work(path)``, worked out once per path of a report."""
    done = {}

    def get(path):
        found = done.get(path)
        if found is None:
            found = done[path] = work(path)
        return found
    return get


def _relativizer(base=None):
    """``_relative`` against one base, each path worked out once."""
    base = base or os.getcwd()
    return _once_per_path(lambda path: _relative(path, base))


def _relative(path, base=None):
    if path in ("-",):
        return path
    base = base or os.getcwd()
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, base)
    return absolute if rel.startswith("..") else rel


def gitlab(diags, registry):
    """GitLab Code Quality report (its format requires a fingerprint): the
    fingerprint is the code, path, section, key and the finding's rank among
    those alike, so that an edit elsewhere in the file keeps it."""
    import hashlib
    severity = {"error": "major", "warning": "minor", "info": "info"}
    relative = _relativizer(repository_root())
    items = []
    seen = {}
    for d in diags:
        path = _p(relative(d.path))
        message = registry.text(d.message)
        alike = (d.code, path, d.section or "", d.key or "")
        seen[alike] = rank = seen.get(alike, -1) + 1
        digest = hashlib.sha256(("%s\0%s\0%s\0%s\0%d" % (alike + (rank,)))
                                .encode("utf-8", "surrogateescape")).hexdigest()
        items.append({
            "description": "%s %s" % (d.code, message),
            "check_name": d.code,
            "fingerprint": digest,
            "severity": "blocker" if d.fatal else severity[d.severity],
            "location": {"path": path, "lines": {"begin": d.line, "end": d.end_line}},
        })
    return json_dump(items)


def junit(diags, registry, paths=()):
    """JUnit XML: a testsuite per file, a failing testcase per error or
    warning, a passing one (its message in system-out) per info finding, and
    a passing testcase for a clean run."""
    from xml.sax.saxutils import escape, quoteattr
    relative = _relativizer(repository_root())
    by_file = {}
    for p in paths:
        by_file.setdefault(_p(relative(p)), [])
    for d in diags:
        by_file.setdefault(_p(relative(d.path)), []).append(d)
    failing = sum(1 for d in diags if d.severity != "info")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuites name="supervisor-lint" tests="%d" failures="%d">' % (
               max(len(diags), len(by_file), 1), failing)]
    if not by_file:
        out += ['  <testsuite name="supervisor-lint" tests="1" failures="0">',
                '    <testcase name="supervisor-lint" classname="supervisor-lint"/>',
                '  </testsuite>']
    for path, found in sorted(by_file.items()):
        out.append('  <testsuite name=%s tests="%d" failures="%d">' % (
            quoteattr(path), max(1, len(found)),
            sum(1 for d in found if d.severity != "info")))
        if not found:
            out.append('    <testcase name=%s classname=%s/>' % (quoteattr(path),
                                                                 quoteattr(path)))
        for d in found:
            message = registry.text(d.message)
            line = escape("%s:%d:%d: %s %s" % (path, d.line, d.column, d.code, message))
            out.append('    <testcase name=%s classname=%s>' % (
                quoteattr("%s %s:%d:%d" % (d.code, path, d.line, d.column)), quoteattr(path)))
            if d.severity == "info":
                out.append('      <system-out>%s</system-out>' % line)
            else:
                out.append('      <failure type=%s message=%s>%s</failure>' % (
                    quoteattr(d.severity), quoteattr(message), line))
            out.append('    </testcase>')
        out.append('  </testsuite>')
    out.append('</testsuites>')
    return "\n".join(out) + "\n"


def sarif(diags, registry, version):
    """SARIF 2.1.0, with every rule's descriptions and help from rules/CODE.yaml."""
    from .catalog import DOCS_URL, index
    from .checks import all_rules
    docs = index()
    rules = list(all_rules().values())
    index = {r.code: i for i, r in enumerate(rules)}
    level = {"error": "error", "warning": "warning", "info": "note"}
    descriptors = []
    for r in rules:
        doc = docs.get(r.code, {})
        summary = doc.get("summary") or r.name
        why = doc.get("why") or summary
        fix = doc.get("fix", "")
        descriptor = {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": summary},
            "fullDescription": {"text": why},
            "help": {"text": ("%s\n\n%s" % (why, fix) if fix else why) +
                     "\n\nOffline: supervisor-lint rule %s" % r.code,
                     "markdown": "**%s** %s\n\n%s%s" % (r.code, summary, why,
                                                        "\n\nFix: " + fix if fix else "")},
            "helpUri": DOCS_URL % r.code,
            "defaultConfiguration": {"level": level[r.severity]},
            "properties": {"tags": _tags(r)},
        }
        if r.security_severity is not None:
            descriptor["properties"]["security-severity"] = r.security_severity
        descriptors.append(descriptor)
    root = repository_root()
    uri_of = _once_per_path(lambda path: _uri(path, root))
    results = []
    for d in diags:
        region = {"startLine": d.line, "startColumn": d.column, "endLine": d.end_line,
                  "endColumn": max(d.end_column, d.column + (1 if d.end_line == d.line else 0))}
        results.append({
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": level[d.severity],
            "message": {"text": registry.text(d.message)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri_of(d.path), "uriBaseId": "SRCROOT"},
                "region": region}}],
        })
    base = root.replace(os.sep, "/")
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "supervisor-lint", "version": version,
                "informationUri": "https://github.com/supervisor-lint/supervisor-lint",
                "rules": descriptors}},
            "originalUriBaseIds": {"SRCROOT": {"uri": "file://" + _quote(base.rstrip("/") + "/")}},
            "results": results,
        }],
    }
    return json_dump(log)


def _tags(rule):
    tags = [rule.category]
    if rule.fatal == "always":
        tags.append("supervisord-refuses")
    return tags


def _quote(path):
    from urllib.parse import quote
    return quote(path.encode("utf-8", "surrogateescape"), safe="/:")


def repository_root(start=None):
    """What CI paths are relative to: the CI's checkout (GITHUB_WORKSPACE,
    CI_PROJECT_DIR) when the run is inside it, else the enclosing git work
    tree of the current directory, else the directory."""
    here = os.path.abspath(start or os.getcwd())
    for name in ("GITHUB_WORKSPACE", "CI_PROJECT_DIR"):
        workspace = os.environ.get(name)
        if workspace and os.path.isdir(workspace):
            workspace = os.path.abspath(workspace)
            if here == workspace or here.startswith(workspace.rstrip("/") + "/"):
                return workspace
    probe = here
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return here
        probe = parent


def _uri(path, root):
    if path == "-":
        return "stdin"
    return _quote(_relative(path, root).replace(os.sep, "/"))


def _split(data):
    """(offset, bytes) of each line as patch splits them (after LF only)."""
    lines, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        end = len(data) if end == -1 else end + 1
        lines.append((pos, data[pos:end]))
        pos = end
    return lines


def _untouched(before, edits, after):
    """{line of ``before``: line of ``after``} for every line no edit touches:
    no range crosses it, nothing is inserted inside it or glued to it."""
    import bisect
    lines = _split(before)
    starts = [offset for offset, _ in lines]
    touched = set()
    order = sorted(range(len(edits)), key=lambda k: (edits[k].start, k))
    deltas, at = [], []
    for k in order:
        e = edits[k]
        size = len(e.replacement.encode("utf-8", "surrogateescape"))
        at.append(e.start)
        deltas.append(size - (e.end - e.start))
        first = bisect.bisect_right(starts, e.start) - 1
        if e.start == e.end:
            if first < 0:
                continue
            ls = starts[first]
            le = ls + len(lines[first][1])
            if ls < e.start < le or (e.start == ls and not e.replacement.endswith("\n")) or \
                    (e.start == le and not lines[first][1].endswith(b"\n")):
                touched.add(first)  # inside a line, glued to its start or to a last line
            continue
        last = bisect.bisect_left(starts, e.end) - 1
        touched.update(range(max(first, 0), last + 1))
    total, shifts = 0, []
    for d in deltas:
        total += d
        shifts.append(total)
    after_starts = {offset: i for i, (offset, _) in enumerate(_split(after))}
    found = {}
    for i, offset in enumerate(starts):
        if i in touched:
            continue
        k = bisect.bisect_right(at, offset)
        j = after_starts.get(offset + (shifts[k - 1] if k else 0))
        if j is not None:
            found[i] = j
    return found


def _opcodes(passes, data, a_count, b_count):
    """SequenceMatcher-style opcodes from the original to ``data`` through
    the fixer's passes: equal where no pass touched a line."""
    mapping = {i: i for i in range(a_count)}
    for k, (before, edits) in enumerate(passes):
        after = passes[k + 1][0] if k + 1 < len(passes) else data
        step = _untouched(before, edits, after)
        mapping = {i: step[j] for i, j in mapping.items() if j in step}
    pairs = sorted(mapping.items())
    codes, i0, j0 = [], 0, 0
    for i, j in pairs + [(a_count, b_count)]:
        if i < i0 or j < j0:
            continue                        # never cross: keep the order
        if i > i0 or j > j0:
            tag = "replace" if i > i0 and j > j0 else ("delete" if i > i0 else "insert")
            codes.append((tag, i0, i, j0, j))
        if i < a_count:
            if codes and codes[-1][0] == "equal":
                tag, a1, _, b1, _ = codes.pop()
                codes.append(("equal", a1, i + 1, b1, j + 1))
            else:
                codes.append(("equal", i, i + 1, j, j + 1))
        i0, j0 = i + 1, j + 1
    return codes


class _Known:
    """A SequenceMatcher whose opcodes are already known (difflib groups them)."""

    def __init__(self, codes):
        self._codes = codes

    def get_opcodes(self):
        return self._codes

    def get_grouped_opcodes(self, n=3):
        from difflib import SequenceMatcher
        return SequenceMatcher.get_grouped_opcodes(self, n)


def diff(path, before, after, registry, passes=None):
    """The lines of a unified diff from ``before`` to ``after`` (bytes), as
    patch splits them (after LF only), every line's secrets masked by their
    place in the file (registry.masked_slice) and every control character
    escaped but the CR of a CRLF ending.  With the fixer's ``passes``, the
    lines that changed are known and the diff takes linear time; without,
    difflib finds them."""
    from difflib import SequenceMatcher
    from . import reader
    from .redact import byte_spans, printable
    split = _split

    sides = []
    known = registry.first.get(path) or registry.docs.get(path)
    template = known.template if known is not None else None
    for data, doc in ((before, registry.first.get(path)), (after, registry.docs.get(path))):
        if doc is None or doc.data != data:
            # (the run's own reading when it is this text; a template as it read it)
            doc = reader.parse(data, path, template)
        sides.append((data, split(data), byte_spans(doc)))
    (a_data, a_lines, a_spans), (b_data, b_lines, b_spans) = sides

    def show(mark, data, spans, offset, raw):
        body, ending = raw, ""
        if body.endswith(b"\n"):
            body, ending = body[:-1], "\n"
            if body.endswith(b"\r"):
                body, ending = body[:-1], "\r\n"
        text, _ = registry.masked_slice(data, offset, offset + len(body), spans)
        line = mark + printable(text) + ending
        return line if ending else line + "\n\\ No newline at end of file\n"

    name = printable(path.lstrip("/"))
    if passes:
        matcher = _Known(_opcodes(passes, after, len(a_lines), len(b_lines)))
    else:
        matcher = SequenceMatcher(None, [l for _, l in a_lines], [l for _, l in b_lines])
    started = False
    for group in matcher.get_grouped_opcodes(3):
        if not started:
            started = True
            yield "--- a/%s\n" % name
            yield "+++ b/%s\n" % name
        first, last = group[0], group[-1]
        yield "@@ -%s +%s @@\n" % (_range(first[1], last[2]), _range(first[3], last[4]))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for offset, raw in a_lines[i1:i2]:
                    yield show(" ", a_data, a_spans, offset, raw)
                continue
            if tag in ("replace", "delete"):
                for offset, raw in a_lines[i1:i2]:
                    yield show("-", a_data, a_spans, offset, raw)
            if tag in ("replace", "insert"):
                for offset, raw in b_lines[j1:j2]:
                    yield show("+", b_data, b_spans, offset, raw)


def _range(start, stop):
    """A hunk's range, as difflib writes it."""
    length = stop - start
    if length == 1:
        return "%d" % (start + 1)
    return "%d,%d" % (start if not length else start + 1, length)
