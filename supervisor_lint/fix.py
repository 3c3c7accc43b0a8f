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
    """One physical file being fixed (however many paths reach it)."""

    def __init__(self, key, path, original):
        self.key = key                # real path ('-' for standard input)
        self.path = path              # the path it is reported under
        self.original = original      # the bytes linted first: the file must still hold them
        self.data = original
        self.applied = []             # Diagnostics whose fix was applied
        self.passes = []              # (bytes before the pass, edits applied in it)
        self.error = None             # why the file was left untouched

    @property
    def changed(self):
        return self.error is None and self.data != self.original


def apply_fixes(data, diagnostics):
    """Apply the fixes of ``diagnostics`` (in order) that do not overlap an
    earlier one; two insertions at one place both go in, in order.  Returns
    (new bytes, the diagnostics applied).  O(n log n) in the number of edits."""
    import bisect
    range_starts, range_ends = [], []     # accepted ranges, disjoint, sorted
    points = []                           # accepted insertion points, sorted
    taken = []                            # (start, seq, end, replacement)
    applied = []
    size = len(data)
    for diag in diagnostics:
        edits = diag.fix.edits
        spans = sorted((e.start, e.end) for e in edits)
        if any(s < 0 or e > size or s > e for s, e in spans):
            continue
        if any(_overlaps(spans[i], spans[i + 1]) for i in range(len(spans) - 1)):
            continue
        clash = False
        for s, e in spans:
            k = bisect.bisect_left(range_starts, e if s < e else s) - 1
            if k >= 0 and range_ends[k] > s and (s < e or range_starts[k] < s):
                clash = True          # a range taken crosses this edit
                break
            if s < e:
                j = bisect.bisect_right(points, s)
                if j < len(points) and points[j] < e:
                    clash = True      # an insertion taken sits inside this range
                    break
        if clash:
            continue
        for e in edits:
            if e.start == e.end:
                bisect.insort(points, e.start)
            else:
                k = bisect.bisect_left(range_starts, e.start)
                range_starts.insert(k, e.start)
                range_ends.insert(k, e.end)
            taken.append((e.start, len(taken), e.end,
                          e.replacement.encode("utf-8", "surrogateescape")))
        applied.append(diag)
    if not taken:
        return data, []
    taken.sort()
    out, pos = [], 0
    for start, _, end, replacement in taken:
        out.append(data[pos:start])
        out.append(replacement)
        pos = max(pos, end)
    out.append(data[pos:])
    return b"".join(out), applied


def _overlaps(a, b):
    (s1, e1), (s2, e2) = a, b
    if s1 == e1 and s2 == e2:
        return False                  # two insertions at one place: both go in, in order
    if s1 == e1:
        return s2 < s1 < e2
    if s2 == e2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def changed_keys(before, after):
    """(section, key) pairs whose value differs between two versions of a file
    (bytes, or Documents already read), and whether the set of sections differs."""
    a = (reader.parse(before, "a") if isinstance(before, bytes) else before).sections()
    b = (reader.parse(after, "b") if isinstance(after, bytes) else after).sections()
    keys = set()
    for name in set(a) | set(b):
        sa, sb = a.get(name, {}), b.get(name, {})
        for key in set(sa) | set(sb):
            if sa.get(key) != sb.get(key):
                keys.add((name, key))
    return keys, set(a) != set(b)


def verify(result, fatal_before, fatal_after, read=(None, None)):
    """Why ``result`` must not be written, or None.  ``read``: the run's own
    Documents of the file before and after, used when they hold these bytes."""
    before, after = read
    # (a template as the run read it: by its name, or its configuration)
    template = next((d.template for d in read if d is not None), None)
    if after is None or after.data != result.data:
        after = reader.parse(result.data, result.path, template)
    if before is None or before.data != result.original:
        before = reader.parse(result.original, result.path, template)
    if after.fatal and not before.fatal:
        return "the fixed text no longer parses"
    named = set()
    for diag in result.applied:
        named.update(diag.fix.keys)
    keys, sections = changed_keys(before, after)
    if sections:
        return "the fixes would add or remove a section"
    unexpected = keys - named
    if unexpected:
        return "the fixes would change %s, which no fix names" % ", ".join(
            "[%s] %s" % k for k in sorted(unexpected))
    if fatal_after and not fatal_before:
        return "supervisord would refuse the fixed file"
    return None


SUPPRESSION_CODES = ("SV901", "SV902")


class Outcome:
    """What a fix run did: ``results`` by physical file, the diagnostics that
    remain, ``problems`` (files left untouched for a reason: exit 2),
    ``outside`` (files not written because no named path holds them) and
    whether anything was ``rejected``."""

    def __init__(self, results, diags, problems, rejected, outside):
        self.results = results
        self.diags = diags
        self.problems = problems
        self.rejected = rejected
        self.outside = outside


def run(run_lint, key_of, applicable=("safe",), only=None, allowed=None, sources=None,
        registry=None, target=None):
    """Fix in memory, through the overlay of ``sources`` (the run's
    ``sources.Sources``, which ``run_lint`` reads through): lint, apply what applies, lint
    again, until nothing applicable is left (at most MAX_PASSES), then verify
    each changed file.

    Fixes are gathered per physical file: ``key_of(path)`` gives a reported
    path's real path (its overlay key), so a file reached twice (two include
    patterns, a symlink twin) is fixed once, from one set of edits; a fix
    that removes a suppression needs every copy to agree.  ``only`` limits
    the fixes to these reported paths; ``allowed(key)`` says whether a file
    may be written at all (the others are linted and reported, never fixed)."""
    from .target import DEFAULT, using
    overlay = sources.overlay
    diags = run_lint()
    fatal_before = _fatal_by_key(diags, key_of)
    results = {}
    outside = {}
    converged = False
    for _ in range(MAX_PASSES):
        todo = {}
        for d in diags:
            if d.fix is None or d.fix.applicability not in applicable:
                continue
            if only is not None and key_of(d.path) not in only:
                continue
            key = key_of(d.path)
            if allowed is not None and not allowed(key):
                outside.setdefault(key, d.path)
                continue
            todo.setdefault(key, {}).setdefault(d.path, []).append(d)
        progress = False
        removing = any(d.code in SUPPRESSION_CODES for by_path in todo.values()
                       for found in by_path.values() for d in found)
        copies = _copies(key_of, registry) if removing else {}
        for key, by_path in todo.items():
            found = _one_set(by_path, copies.get(key, ()))
            path = _first_read(by_path, registry)
            current = overlay.get(key)
            if current is None:
                current = sources.snapshot.get(key)
            if current is None:
                current = sources.read(path)
            result = results.get(key)
            if result is None:
                result = results[key] = FileResult(key, path, current)
            new, used = apply_fixes(current, found)
            if used:
                result.passes.append((current, [e for d in used for e in d.fix.edits]))
                overlay[key] = new
                result.data = new
                result.applied.extend(used)
                progress = True
        if not progress:
            converged = True
            break
        diags = run_lint()
    problems = []
    fatal_after = _fatal_by_key(diags, key_of)
    notes = sorted(outside.values())
    if not converged:
        # never loop, never keep a half-settled file: leave everything as it was
        for key, result in results.items():
            if result.data != result.original:
                result.error = "fixes did not settle after %d passes" % MAX_PASSES
                overlay[key] = result.original
                problems.append("%s: not fixed: %s" % (result.path, result.error))
        return Outcome(results, run_lint(), problems, True, notes)
    # a fix in one file can make supervisord refuse the configuration because
    # of another (a [DEFAULT] in the main config, say): judge the whole run too
    whole_before, whole_after = any(fatal_before.values()), any(fatal_after.values())
    rejected = False
    for key, result in results.items():
        if result.data == result.original:
            continue
        read = (registry.first.get(result.path), registry.docs.get(result.path)) \
            if registry is not None else (None, None)
        with using((target() if target is not None else None) or DEFAULT):
            # (re-read in the dialect of the run's target)
            reason = verify(result, fatal_before.get(key, False) or whole_before,
                            fatal_after.get(key, False) or whole_after, read)
        if reason:
            result.error = reason
            overlay[key] = result.original
            rejected = True
            codes = ", ".join(sorted({d.code for d in result.applied}))
            problems.append("%s: not fixed: %s (fixes of %s)" % (result.path, reason, codes))
    if rejected:
        diags = run_lint()
    return Outcome(results, diags, problems, rejected, notes)


def _first_read(paths, registry):
    """Of the paths one file was reached by, the one reports show (its first read)."""
    docs = registry.docs if registry is not None else {}
    return next((p for p in paths if getattr(docs.get(p), "twin_of", None) is None),
                next(iter(paths)))


def _copies(key_of, registry):
    """{real path: [every path the run's documents reach it by]}."""
    found = {}
    for path in (registry.docs if registry is not None else ()):
        found.setdefault(key_of(path), []).append(path)
    return found


def _one_set(by_path, copies):
    """The fixes of one physical file from the diagnostics of each path it
    was reached by: each distinct fix once; a suppression's removal only
    when every copy asks for it (a comment one copy needs stays)."""
    seen = {}
    removals = {}
    for path, found in by_path.items():
        for d in found:
            sig = tuple((e.start, e.end, e.replacement) for e in d.fix.edits)
            if d.code in SUPPRESSION_CODES and len(copies) > 1:
                removals.setdefault(sig, [d, set()])[1].add(path)
                continue
            seen.setdefault(sig, d)
    for sig, (d, paths) in removals.items():
        if paths >= set(copies):
            seen.setdefault(sig, d)
    return sorted(seen.values(), key=lambda d: (d.line, d.column, d.code))


def _fatal_by_key(diags, key_of):
    found = {}
    for d in diags:
        key = key_of(d.path)
        found[key] = found.get(key, False) or d.fatal
    return found


class FixError(Exception):
    pass


def write_atomic(path, data, expected=None):
    """Replace ``path`` (its target, when it is a symlink) with ``data``,
    keeping mode (setuid, setgid and sticky bits too), owner and group: write
    a temporary file beside it, fsync, rename.  With ``expected``, the file
    is replaced only while it still holds exactly those bytes.  Raises
    FixError when the file or its directory is read-only or the file changed;
    on SIGINT or SIGTERM the temporary file is removed."""
    import signal
    import tempfile
    from .sources import Interrupted
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError as exc:
        raise FixError("%s: cannot stat: %s" % (path, exc.strerror))
    if not os.access(real, os.W_OK) or not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise FixError("%s: is read-only; not fixed" % path)
    directory = os.path.dirname(real)

    def terminate(signum, frame):
        raise Interrupted()
    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:                # not the main thread
        previous = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(real), suffix=".tmp",
                                       dir=directory)
        except OSError as exc:
            raise FixError("%s: cannot write in %s: %s; not fixed" % (path, directory,
                                                                      exc.strerror))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                # chown first: it clears the setuid and setgid bits chmod sets
                os.chown(tmp, st.st_uid, st.st_gid)
            except PermissionError:
                if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                    raise FixError("%s: cannot keep its owner %d:%d; not fixed" % (
                        path, st.st_uid, st.st_gid))
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if expected is not None:
                try:
                    with open(real, "rb") as fh:
                        now = fh.read()
                except OSError:
                    now = None
                if now != expected:
                    raise FixError("%s: changed on disk while it was being fixed; not fixed "
                                   "(run again)" % path)
            os.replace(tmp, real)
        except FixError:
            _unlink(tmp)
            raise
        except OSError as exc:
            _unlink(tmp)
            raise FixError("%s: cannot replace: %s; not fixed" % (path, exc.strerror))
        except BaseException:         # SIGINT, SIGTERM
            _unlink(tmp)
            raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass
