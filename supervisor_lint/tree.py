"""Which files a run lints: the supervisor configs under a directory, a main
config and what its ``[include]`` pulls in (as supervisord does), fragments.
Every file is read through the run's ``sources.Sources``."""

import os
import posixpath

from . import reader, schema
from .sources import PSEUDO_FS, ToolError, pseudo_fs, special
from .diagnostics import Finding
from .model import Tree
from .expand import expand

SUPERVISOR_PREFIXES = ("[supervisord]", "[program:", "[group:", "[eventlistener:",
                       "[fcgi-program:", "[rpcinterface:", "[unix_http_server",
                       "[inet_http_server", "[supervisorctl]", "[include]", "[ctlplugin:")


_PROGRAM_KEYS = (b"command", b"autostart", b"autorestart", b"stopasgroup", b"killasgroup",
                 b"stopwaitsecs", b"stdout_logfile", b"redirect_stderr", b"numprocs",
                 b"process_name", b"startsecs", b"stopsignal")


def looks_like_supervisor(data, path=None):
    """True when a file holds a supervisor section header, or (a fragment
    whose header is missing or broken) at least two supervisor program keys;
    for a template taken only because it is in a ``templates`` directory
    (``path``: ``roles/x/templates/compose.yml.j2`` may be anything), the
    header alone counts."""
    keys = 0
    headers_only = path is not None and _for_its_directory(path)
    for raw in data.splitlines():
        line = raw.strip().lstrip(b"\xef\xbb\xbf")
        if line.startswith(b"["):
            text = line.decode("utf-8", "replace")
            if text.startswith(SUPERVISOR_PREFIXES):
                return True
        elif not headers_only and line.startswith(_PROGRAM_KEYS):
            rest = line.split(b"=", 1)[0].split(b":", 1)[0].strip()
            if rest in _PROGRAM_KEYS:
                keys += 1
                if keys >= 2:
                    return True
    return False


def _stem(path):
    """(the name without a template suffix, whether it had one)."""
    from .reader import TEMPLATE_SUFFIXES
    name = os.path.basename(path)
    for suffix in TEMPLATE_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)], True
    return name, False


def _for_its_directory(path):
    """A template that only its ``templates`` directory makes a candidate."""
    name, template = _stem(path)
    return template and not name.endswith((".conf", ".ini"))


def walked(path):
    """Whether a directory walk reads ``path`` (its content decides then):
    ``*.conf``, ``*.ini``, their Jinja templates (``x.conf.j2``), and any
    template in a ``templates`` directory (Ansible's ``roles/*/templates/x.j2``)."""
    name, template = _stem(path)
    if template and os.path.basename(os.path.dirname(os.path.abspath(path))) == "templates":
        return True
    return name.endswith((".conf", ".ini"))


def walk(directory, sources, skipped=None):
    """The files below ``directory`` that ``walked`` takes and that hold
    supervisor sections, sorted; symlink loops are not followed twice.  The others are
    appended to ``skipped`` as (path, why)."""
    found = []
    if skipped is None:
        skipped = []
    seen = set()

    def unreadable(exc):
        raise ToolError("%s: cannot read: %s" % (exc.filename or directory,
                                                 exc.strerror or exc))
    if not os.access(directory, os.R_OK | os.X_OK):
        raise ToolError("%s: cannot read: Permission denied" % directory)
    for root, dirs, files in os.walk(directory, onerror=unreadable, followlinks=True):
        try:
            real = os.path.realpath(root)
        except OSError:
            continue
        if real in seen or pseudo_fs(real):
            dirs[:] = []            # a loop, or a way into /proc, /sys or /dev
            continue
        seen.add(real)
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if not walked(path):
                continue
            try:
                data = sources.read(path)
            except ToolError as exc:
                skipped.append((path, "cannot be read (%s)" % str(exc).rpartition(": ")[2]))
                continue
            if looks_like_supervisor(data, path):
                found.append((path, data))
            else:
                skipped.append((path, "holds no supervisor section"))
    return found


def is_main(doc):
    """A main config holds [supervisord], or [include] (which may pull it in)."""
    return any(block.name in ("supervisord", "include") for block in doc.blocks)


def build_main(doc, sources, extra=(), root=None):
    """The tree supervisord reads for main config ``doc``: the file, then each
    file its ``[include] files=`` matches (sorted per pattern).  ``extra``
    documents are appended as if included (``--main-config`` context).
    With ``root`` (a ``host.Root``), patterns are the host's: matched inside
    the root, every link resolved inside it, each file read at its resolved
    place (which is also the path reported)."""
    here = os.path.dirname(os.path.abspath(doc.path))
    tree = Tree(here)
    tree.add(doc, how="main config")
    beside = "given with the main config %s (read as if it included it)" % doc.path
    if "include" not in tree.sections:
        for other in extra:
            tree.add(other, os.path.dirname(os.path.abspath(other.path)), how=beside)
        return _require_supervisord(tree, doc)
    tree.expand_here(here)
    setting = tree.get("include", "files")
    if setting is None:
        blocks = tree.blocks["include"]
        tree.include_problems.append(Finding(
            schema.INCLUDE["files"].missing, True, at=blocks[0], section="include",
            key="files", code="SV111"))
        patterns = []
    else:
        result = expand(setting.value, {"here": here, "host_node_name": "localhost"},
                        "include.files")
        if result.error:
            tree.include_problems.append(Finding("supervisord refuses to load: %s" % result.error, True,
                                                 at=setting.entry, section="include", key="files", code="SV105"))
            patterns = []
        else:
            patterns = result.value.split()
    seen = {os.path.abspath(doc.path)}
    doc.twin_of = None
    read = {os.path.realpath(doc.path): (doc, None)}     # real path -> (first Document, pattern)
    host_here = root.host_of(os.path.realpath(here)) if root is not None else None
    for pattern in patterns:
        joined = os.path.join(here, pattern)
        import glob
        try:
            if "\0" in joined:
                raise ValueError("embedded null byte")
            host = _host_pattern(root, here, host_here, pattern) if root is not None else None
            if host is not None:
                tree.host_patterns.append(host)
                # shown as the host resolves it: under the root, '..' stopped there
                joined = os.path.join(root.directory, posixpath.normpath(host).lstrip("/"))
                matches, loops = [], []
                for found in root.glob(host):
                    resolved = root.real(found)
                    if resolved is None:
                        loops.append(found)
                    else:
                        matches.append(resolved)
                for found in loops:
                    # a link loop: supervisord cannot read it either; never touched
                    tree.include_problems.append(Finding(
                        "%s matches the include pattern %r but is a symlink loop: supervisord "
                        "silently skips it" % (os.path.join(root.directory, found.lstrip("/")),
                                                pattern), False, at=setting.entry,
                        section="include", key="files", severity="warning", code="SV111"))
                if loops and not matches:
                    continue            # matched, all unreadable: said above
            else:
                matches = glob.glob(joined)
        except ValueError as exc:
            # a NUL byte: glob raises, and so supervisord refuses the config
            tree.include_problems.append(Finding("include pattern %r: supervisord refuses to load (%s); remove the "
                                                 "character" % (pattern, exc), True, at=setting.entry, section="include",
                                                 key="files", code="SV111"))
            continue
        if not matches:
            if "host_node_name" in setting.value and "localhost" in pattern:
                tree.include_problems.append(Finding(
                    "include pattern %r depends on the name of the host supervisord runs on "
                    "(%%(host_node_name)s): this run cannot tell which files it picks there; "
                    "lint them with --main-config" % setting.value.strip(), False,
                    at=setting.entry, section="include", key="files", severity="info",
                    code="SV111"))
                continue
            if root is None and os.path.isabs(pattern) and \
                    not os.path.abspath(joined).startswith(here.rstrip("/") + "/"):
                # another machine's path, most likely (an image's, a server's):
                # this one's files say nothing about it
                tree.include_problems.append(Finding(
                    "No file matches via include %r on this machine; if it names a server's or "
                    "an image's files, lint them with --main-config, or the server's tree with "
                    "audit --root" % joined, False, at=setting.entry, section="include",
                    key="files", severity="info", code="SV111"))
                continue
            tree.include_problems.append(Finding("No file matches via include %r: supervisord only logs a warning and "
                                                 "loads without it" % joined, False, at=setting.entry, section="include",
                                                 key="files", severity="warning", code="SV111"))
            continue
        kernel = []
        for filename in sorted(matches):
            kind = special(filename, sources.realpath)
            if kind in PSEUDO_FS:
                kernel.append((kind, filename))
                continue
            if kind is not None and kind != "missing":
                tree.include_problems.append(_special_include(kind, filename, pattern,
                                                              setting.entry))
                continue
            try:
                data = sources.read(filename)
            except ToolError:
                tree.include_problems.append(Finding("%s matches the include pattern %r but cannot be read: supervisord "
                                                     "silently skips it" % (filename, pattern), False, at=setting.entry,
                                                     section="include", key="files", severity="warning", code="SV111"))
                continue
            sub = reader.parse(data, _display(filename, doc.path, pattern))
            real = sources.realpath(filename)
            first = read.get(real)
            sub.twin_of = first[0] if first else None
            if first is None:
                read[real] = (sub, pattern)
            else:
                tree.include_problems.append(_read_twice(first, sub, filename, pattern,
                                                         setting.entry))
            tree.add(sub, os.path.abspath(os.path.dirname(filename)),
                     how="included by %s's [include] pattern %s" % (doc.path, pattern))
            seen.add(os.path.abspath(filename))
            if sub.twin_of is None:
                _nested_include(tree, sub)
        if kernel:
            # one finding for the pattern, however many processes /proc holds
            kind, first = kernel[0]
            many = "%s and %d more files" % (first, len(kernel) - 1) if len(kernel) > 1 \
                else first
            tree.include_problems.append(_special_include(kind, many, pattern, setting.entry))
    for other in extra:
        if os.path.abspath(other.path) not in seen:
            tree.add(other, os.path.dirname(os.path.abspath(other.path)), how=beside)
            _nested_include(tree, other)
    return _require_supervisord(tree, doc)


def _read_twice(first, sub, filename, pattern, entry):
    first_doc, first_pattern = first
    if first_pattern is None:
        how = "it is the main config itself, which supervisord has read already"
    elif first_pattern == pattern:
        how = "it matches the pattern twice (through a symlink, say): %s and %s" % (
            first_doc.path, filename)
    else:
        how = "it matches %r too (as %s)" % (first_pattern, first_doc.path)
    return Finding("include pattern %r matches %s, and %s: supervisord reads the file "
                   "twice and merges each of its sections with itself; make the patterns match "
                   "it once" % (pattern, filename, how), False, at=entry, section="include",
                   key="files", severity="warning", code="SV111")


def _special_include(kind, filename, pattern, entry):
    """The finding for an include match that is no regular file: what
    supervisord does with it, the path only (nothing is read)."""
    fatal, severity = False, "warning"
    if kind == "directory":
        what = "the directory %s, which supervisord silently skips" % filename
    elif kind == "fifo":
        what = ("%s, a FIFO (named pipe): supervisord blocks reading it and never finishes "
                "loading; remove it from files=" % filename)
        fatal, severity = True, None
    elif kind == "socket":
        what = "%s, a socket: supervisord cannot open it and silently skips it" % filename
    elif kind in ("device", "other"):
        what = ("%s, a device or special file: supervisord reads it as a config file, the "
                "linter never does; remove it from files=" % filename)
        severity = "error"
    elif kind == "/dev":
        what = ("%s under /dev: the linter never reads what lies there (devices, shared "
                "memory), but supervisord reads it as a config file; remove the pattern from "
                "files=" % filename)
        severity = "error"
    else:
        # /proc and /sys files hold text without a [section] header
        what = ("%s under %s, which hold no [section] header: supervisord reads them as config "
                "files and refuses to load (File contains no section headers); the linter "
                "never reads them; remove the pattern from files=" % (filename, kind))
        fatal, severity = True, None
    return Finding("include pattern %r matches %s" % (pattern, what), fatal,
                   at=entry, section="include", key="files", severity=severity, code="SV111")


def _require_supervisord(tree, doc):
    if "supervisord" not in tree.sections:
        tree.include_problems.append(Finding(".ini file does not include supervisord section: supervisord refuses to "
                                             "load; add a [supervisord] section to the main config", True,
                                             at=doc.blocks[0] if doc.blocks else None, section=None, code="SV104"))
    return tree


def _host_pattern(root, here, host_here, pattern):
    """An include pattern as the host reads it (None when it is no host path):
    one from %(here)s, the host's own absolute path, or one relative to the
    main config's directory, kept as written for the host's resolution (a
    '..' stops at the root)."""
    base = here.rstrip("/")
    if host_here is not None and (pattern == here or pattern.startswith(base + "/")):
        return host_here.rstrip("/") + pattern[len(base):]
    if os.path.isabs(pattern):
        return root.host_of(pattern) or pattern
    if host_here is not None:
        return host_here.rstrip("/") + "/" + pattern
    return None


def _display(filename, main_path, pattern):
    """Paths of included files, shown relative when the main path was."""
    if os.path.isabs(main_path) or os.path.isabs(pattern):
        return filename
    rel = os.path.relpath(filename)
    return rel if not rel.startswith("..") else filename


def _nested_include(tree, doc):
    for block in doc.blocks:
        if block.name == "include":
            tree.include_problems.append(Finding("[include] in an included file is ignored: supervisord only processes "
                                                 "the main config's [include]; move these patterns there", False, at=block,
                                                 section="include", severity="warning", code="SV111"))


def build_fragments(docs):
    """Files without [supervisord] that no main config includes, from one
    directory: linted together as supervisord reads one ``conf.d/*.conf``
    (sorted by name, each section merged into the one tree)."""
    docs = sorted(docs, key=lambda d: os.path.basename(d.path))   # as glob sorts one directory
    here = os.path.dirname(os.path.abspath(docs[0].path)) if docs[0].path != "-" \
        else os.getcwd()
    tree = Tree(here, fragment=True)
    how = "fragment: no main config includes it; linted alone" if len(docs) == 1 else \
        "fragment: no main config includes it; linted with the %d other file%s of its " \
        "directory as one conf.d" % (len(docs) - 1, "" if len(docs) == 2 else "s")
    for doc in docs:
        tree.add(doc, os.path.dirname(os.path.abspath(doc.path)) if doc.path != "-" else here,
                 how=how)
        _nested_include(tree, doc)
    return tree
