"""The fixer: applies the byte-range edits that diagnostics carry, re-lints,
repeats until nothing applicable is left, verifies the result and writes it
atomically.

Conservative by construction: only the bytes an edit names change.  A fixed
file is kept only when it still parses, when the only keys whose value
changed are the ones the applied fixes name, and when it does not turn a file
supervisord accepts into one it refuses; otherwise it is left untouched and
the failure reported.
"""

import os
import stat

from . import reader

MAX_PASSES = 10


class FileResult:
    def __init__(self, path, original):
        self.path = path
        self.original = original
        self.data = original
        self.applied = []             # Diagnostics whose fix was applied
        self.passes = []              # (bytes before the pass, edits applied in it)
        self.error = None             # why the file was left untouched

    @property
    def changed(self):
        return self.error is None and self.data != self.original


def _overlaps(a, b):
    (s1, e1), (s2, e2) = a, b
    if s1 == e1 and s2 == e2:
        return False                  # two insertions at one place: both go in, in order
    if s1 == e1:
        return s2 < s1 < e2
    if s2 == e2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def apply_fixes(data, diagnostics):
    """Apply the fixes of ``diagnostics`` (in order) that do not overlap an
    earlier one.  Returns (new bytes, the diagnostics applied)."""
    taken = []                        # (start, end, seq, replacement)
    applied = []
    for diag in diagnostics:
        edits = diag.fix.edits
        spans = [(e.start, e.end) for e in edits]
        if any(s < 0 or e > len(data) or s > e for s, e in spans):
            continue
        if any(_overlaps(span, (t[0], t[1])) for span in spans for t in taken):
            continue
        if any(_overlaps(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]):
            continue
        for e in edits:
            taken.append((e.start, e.end, len(taken), e.replacement.encode("utf-8", "surrogateescape")))
        applied.append(diag)
    if not taken:
        return data, []
    taken.sort(key=lambda t: (t[0], t[2]))
    out, pos = [], 0
    for start, end, _, replacement in taken:
        out.append(data[pos:start])
        out.append(replacement)
        pos = max(pos, end)
    out.append(data[pos:])
    return b"".join(out), applied


def changed_keys(before, after):
    """(section, key) pairs whose value differs between two versions of a file,
    and whether the set of sections differs."""
    a = reader.parse(before, "a").sections()
    b = reader.parse(after, "b").sections()
    keys = set()
    for name in set(a) | set(b):
        sa, sb = a.get(name, {}), b.get(name, {})
        for key in set(sa) | set(sb):
            if sa.get(key) != sb.get(key):
                keys.add((name, key))
    return keys, set(a) != set(b)


def verify(result, fatal_before, fatal_after):
    """Why ``result`` must not be written, or None."""
    if reader.parse(result.data, result.path).fatal and not reader.parse(result.original, "x").fatal:
        return "the fixed text no longer parses"
    named = set()
    for diag in result.applied:
        named.update(diag.fix.keys)
    keys, sections = changed_keys(result.original, result.data)
    if sections:
        return "the fixes would add or remove a section"
    unexpected = keys - named
    if unexpected:
        return "the fixes would change %s, which no fix names" % ", ".join(
            "[%s] %s" % k for k in sorted(unexpected))
    if fatal_after and not fatal_before:
        return "supervisord would refuse the fixed file"
    return None


def run(run_lint, key_of, applicable=("safe",), only=None):
    """Fix in memory, through tree.OVERLAY: lint, apply what applies, lint
    again, until nothing applicable is left (at most MAX_PASSES), then verify
    each changed file.  ``key_of(path)`` gives a reported path's OVERLAY key.
    Returns (results by path, the last diagnostics, problems, rejected)."""
    from .tree import OVERLAY, read_bytes
    diags = run_lint()
    fatal_before = _fatal_by_path(diags)
    results = {}
    converged = False
    for _ in range(MAX_PASSES):
        todo = {}
        for d in diags:
            if d.fix is not None and d.fix.applicability in applicable and \
                    (only is None or d.path in only):
                todo.setdefault(d.path, []).append(d)
        progress = False
        for path, found in todo.items():
            key = key_of(path)
            current = OVERLAY.get(key)
            if current is None:
                current = read_bytes(path)
            result = results.get(path)
            if result is None:
                result = results[path] = FileResult(path, current)
            new, used = apply_fixes(current, found)
            if used:
                result.passes.append((current, [e for d in used for e in d.fix.edits]))
                OVERLAY[key] = new
                result.data = new
                result.applied.extend(used)
                progress = True
        if not progress:
            converged = True
            break
        diags = run_lint()
    problems = []
    fatal_after = _fatal_by_path(diags)
    if not converged:
        # never loop, never keep a half-settled file: leave everything as it was
        for path, result in results.items():
            if result.data != result.original:
                result.error = "fixes did not settle after %d passes" % MAX_PASSES
                OVERLAY[key_of(path)] = result.original
                problems.append("%s: not fixed: %s" % (path, result.error))
        return results, run_lint(), problems, True
    # a fix in one file can make supervisord refuse the configuration because
    # of another (a [DEFAULT] in the main config, say): judge the whole run too
    whole_before, whole_after = any(fatal_before.values()), any(fatal_after.values())
    rejected = False
    for path, result in results.items():
        if result.data == result.original:
            continue
        reason = verify(result, fatal_before.get(path, False) or whole_before,
                        fatal_after.get(path, False) or whole_after)
        if reason:
            result.error = reason
            OVERLAY[key_of(path)] = result.original
            rejected = True
            codes = ", ".join(sorted({d.code for d in result.applied}))
            problems.append("%s: not fixed: %s (fixes of %s)" % (path, reason, codes))
    if rejected:
        diags = run_lint()
    return results, diags, problems, rejected


def _fatal_by_path(diags):
    found = {}
    for d in diags:
        found[d.path] = found.get(d.path, False) or d.fatal
    return found


class FixError(Exception):
    pass


def write_atomic(path, data):
    """Replace ``path`` (its target, when it is a symlink) with ``data``,
    keeping mode, owner and group: write a temporary file beside it, fsync,
    rename.  Raises FixError when the file or its directory is read-only."""
    import tempfile
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise FixError("%s: cannot stat: %s" % (path, exc.strerror))
    if not os.access(real, os.W_OK) or not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise FixError("%s: is read-only; not fixed" % path)
    directory = os.path.dirname(real)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(real), suffix=".tmp",
                                   dir=directory)
    except OSError as exc:
        raise FixError("%s: cannot write in %s: %s; not fixed" % (path, directory, exc.strerror))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                raise FixError("%s: cannot keep its owner %d:%d; not fixed" % (
                    path, st.st_uid, st.st_gid))
        os.replace(tmp, real)
    except FixError:
        os.unlink(tmp)
        raise
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise FixError("%s: cannot replace: %s; not fixed" % (path, exc.strerror))
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
