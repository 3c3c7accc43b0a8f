"""Schema (SV1xx): what supervisord's loader refuses or silently changes, and
sections, keys and values it does not know.

The load walk (``loader.Loader``) records what each key's converter, the
``%`` expansion and the environment grammar make of the config, under the
code of the rule that reports it: SV103 (``Loader.invalid`` and the
section-level refusals), SV104 (``Loader.require``), SV105/SV106
(``Loader.expand``), SV107/SV112 (``Loader.environment``), SV108/SV110
(``Loader.load_program``, ``check_name``), SV109 (``Loader.load_group``); SV111
comes from the include resolution (``tree.build_main``).  The rules below
only hand those findings on."""

from . import rule, also
from ._program import at_key, finding, programs
from .. import schema
from ..diagnostics import Finding


def _from_loader(code):
    def check(ctx):
        for found in ctx.loaded.findings:
            if found.code == code:
                yield found
        for found in ctx.tree.include_problems:
            if found.code == code:
                yield found
    return check


_LOAD_RULES = (
    ("SV103", "invalid-value", "error", "always", False),
    ("SV104", "missing-required-key", "error", "always", False),
    ("SV105", "bad-expansion", "error", "per case", True),
    ("SV106", "unescaped-percent", "warning", "per case", False),
    ("SV107", "bad-environment", "error", "always", False),
    ("SV108", "numprocs-without-process-num", "error", "always", False),
    ("SV109", "unknown-group-member", "error", "per case", True),
    ("SV110", "invalid-name", "error", "always", False),
    ("SV111", "include-problem", "warning", "per case", True),
    ("SV112", "mangled-environment", "warning", "never", False),
)

for _code, _name, _severity, _fatal, _cross in _LOAD_RULES:
    rule(_code, _name, _severity, category="schema", fatal=_fatal,
         cross_file=_cross)(_from_loader(_code))


@rule("SV101", "unknown-section", "warning", category="schema")
def unknown_section(ctx):
    for name, blocks in ctx.tree.blocks.items():
        if name == "DEFAULT" or schema.kind_of(name) is not None:
            continue
        suggestion = _suggest_section(name)
        hint = "; did you mean [%s]?" % suggestion if suggestion else ""
        for block in blocks:
            yield Finding("supervisord ignores the section [%s]: it is no section type "
                          "it knows (names are case-sensitive and need a ':' before the "
                          "program name)%s" % (name, hint), False, at=block, section=name)


def _suggest_section(name):
    import difflib
    stripped = name.strip()
    if ":" in stripped:
        prefix, rest = stripped.split(":", 1)
        rest = rest.strip()
        prefixes = ["program", "group", "eventlistener", "fcgi-program", "rpcinterface",
                    "ctlplugin", "inet_http_server", "unix_http_server"]
        if prefix.lower().strip() in prefixes:
            return "%s:%s" % (prefix.lower().strip(), rest)
        match = difflib.get_close_matches(prefix.lower(), prefixes, n=1, cutoff=0.6)
        if match:
            return "%s:%s" % (match[0], rest)
        return None
    bare = stripped.lower()
    if bare in ("program", "group", "eventlistener", "fcgi-program", "rpcinterface"):
        return "%s:NAME" % bare
    names = ["supervisord", "supervisorctl", "include", "unix_http_server", "inet_http_server"]
    if bare in names:
        return bare
    match = difflib.get_close_matches(bare, names, n=1, cutoff=0.6)
    return match[0] if match else None


def _unknown_keys(ctx):
    from ..target import active
    """The entries whose key the section's kind does not know, in file order."""
    for doc in ctx.docs:
        for block in doc.blocks:
            name = block.name
            if name == "DEFAULT":
                known = schema.ALL_KEYS
            else:
                kind = schema.kind_of(name)
                if kind is None or kind.open_keys:
                    continue
                known = kind.keys
            if name == "supervisord" and not active().silent_key:
                known = set(known) - {"silent"}          # supervisor 4.2.0 added it
            for entry in block.entries:
                if entry.key not in known and entry.raw_key and \
                        not entry.raw_key.startswith("["):
                    yield entry


@rule("SV102", "unknown-key", "warning", category="schema")
def unknown_key(ctx):
    for entry in _unknown_keys(ctx):
        section = entry.section.name
        if section == "DEFAULT":
            candidates = sorted(schema.ALL_KEYS)
            where = "any section"
            kind_name = None
        else:
            kind = schema.kind_of(section)
            candidates = sorted(kind.keys)
            where = "[%s]" % section
            kind_name = kind.name
        legacy = schema.LEGACY_KEYS.get(
            "program" if kind_name in schema.PROGRAM_KINDS else kind_name, {}).get(entry.key)
        if entry.key == "silent" and kind_name == "supervisord":
            from ..target import active
            legacy = "supervisor %s does not know it (4.2.0 added it)" % active().supervisor_text
        if legacy:
            hint = ": " + legacy
        else:
            import difflib
            match = difflib.get_close_matches(entry.key, candidates, n=1, cutoff=0.75)
            if match:
                hint = "; did you mean %s?" % match[0]
            else:
                owners = [k.name for k in schema.KINDS if entry.key in k.keys]
                hint = "; it is a key of [%s]" % owners[0] if owners else ""
        yield Finding("supervisord ignores the key %s in %s%s" % (
            entry.key, where, hint), False, section=section, key=entry.key,
            at=entry.document.span(entry.line, entry.line.value_start,
                                   entry.line.value_start + len(entry.raw_key)))



@rule("SV113", "size-without-unit", "warning", category="schema", scope="program")
def size_without_unit(ctx, prog):
    settings = prog.settings
    for key in ("stdout_logfile_maxbytes", "stderr_logfile_maxbytes",
                "stdout_capture_maxbytes", "stderr_capture_maxbytes"):
        if key in settings:
            yield from _size(ctx, prog, key)


@also("SV113")
def size_without_unit_supervisord(ctx):
    for key in ("logfile_maxbytes",):
        setting = ctx.loaded.supervisord_settings.get(key)
        if setting is not None:
            value = setting.value.strip()
            if value.isdigit() and 0 < int(value) < 10240:
                yield Finding("%s=%s means %s bytes, so the log rotates every few "
                              "lines; write %sMB (or 0 to never rotate)" % (
                                  key, value, value, value), False, at=setting.entry,
                              section="supervisord", key=key)


def _size(ctx, prog, key):
    setting = at_key(prog, key)
    if setting is None:
        return
    value = setting.value.strip()
    if value.isdigit() and 0 < int(value) < 10240:
        unit = "byte" if value == "1" else "bytes"
        if "logfile" in key:
            yield finding("%s=%s means %s %s, so the log rotates every few lines; write "
                          "%sMB (or 0 to never rotate)" % (key, value, value, unit, value),
                          ctx, prog, key)
        else:
            yield finding("%s=%s means %s %s: capture mode keeps only that much of the "
                          "output; write %sMB (0 turns capture mode off)" % (key, value, value, unit,
                                                                             value), ctx, prog, key)


@rule("SV114", "supervisord-load-warning", "warning", category="schema", scope="program")
def load_warning(ctx, prog):
    """The warnings supervisord itself prints while it loads a program
    (supervisor 4.3.0's options.py, in its words)."""
    from ..target import active
    values = prog.values
    section = prog.section
    for stream in ("stdout", "stderr"):
        key = "%s_logfile" % stream
        value = values.get(key)
        if value == "SYSLOG" and at_key(prog, key) is not None and active().logfile_syslog:
            yield finding("supervisord warns at every start: \"For [%s], %s=syslog but this is "
                          "deprecated and will be removed.  Use %s_syslog=true to enable syslog "
                          "instead.\"; write %s_syslog=true and drop %s" % (
                              section, key, stream, stream, key), ctx, prog, key)
        maxbytes = values.get("%s_logfile_maxbytes" % stream)
        if value == "AUTO" and maxbytes == 0 and \
                not (stream == "stderr" and values.get("redirect_stderr")):
            yield finding("supervisord warns: \"For [%s], AUTO logging used for %s without "
                          "rollover, set maxbytes > 0 to avoid filling up filesystem "
                          "unintentionally\": the AUTO file in childlogdir grows for ever; set "
                          "%s_logfile_maxbytes, or a log file of your own" % (section, key, stream),
                          ctx, prog, "%s_logfile_maxbytes" % stream)
    err = values.get("stderr_logfile")
    if values.get("redirect_stderr") and isinstance(err, str) and \
            err not in ("AUTO", "SYSLOG", "") and at_key(prog, "stderr_logfile") is not None:
        yield finding("supervisord warns: \"For [%s], redirect_stderr=true but stderr_logfile "
                      "has also been set to a filename, the filename has been ignored\": stderr "
                      "goes to stdout_logfile; drop stderr_logfile" % section,
                      ctx, prog, "stderr_logfile")


@rule("SV115", "log-path-is-directory", "error", category="schema")
def log_path_is_directory(ctx):
    """A log file named by a directory: %(here)s alone, or a path ending in '/'."""
    here = ctx.tree.here.rstrip("/")
    setting = ctx.loaded.supervisord_settings.get("logfile")
    value = ctx.loaded.supervisord.get("logfile")
    if setting is not None and _a_directory(value, setting, here):
        yield Finding("logfile=%s is a directory: supervisord crashes at start "
                      "(IsADirectoryError) before it runs anything; name a file, e.g. "
                      "%s/supervisord.log" % (setting.value.strip(), value.rstrip("/")), False,
                      at=setting.entry, section="supervisord", key="logfile")
    for prog in programs(ctx):
        for key in ("stdout_logfile", "stderr_logfile"):
            written = at_key(prog, key)
            value = prog.values.get(key)
            if written is not None and _a_directory(value, written, here):
                yield finding("%s=%s is a directory: supervisord cannot open it as the "
                              "program's log (\"spawnerr: unknown error making dispatchers for "
                              "'%s': EISDIR\") and the program ends FATAL; name a file in it"
                              % (key, written.value.strip(), prog.name), ctx, prog, key)


def _a_directory(value, setting, here):
    if not isinstance(value, str) or value in ("AUTO", "SYSLOG", "NONE"):
        return False
    written = setting.value.strip()
    return value.endswith("/") or written in ("%(here)s", "%(here)s/") or \
        value.rstrip("/") == here
