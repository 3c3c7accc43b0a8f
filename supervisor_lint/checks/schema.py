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
    ("SV116", "version-dependent", "warning", "never", False),
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


def _target():
    from ..target import active
    return active()


_LOG_KEYS = (("stdout", "stdout_logfile", "stdout_logfile_maxbytes"),
             ("stderr", "stderr_logfile", "stderr_logfile_maxbytes"))


@rule("SV114", "supervisord-load-warning", "warning", category="schema", scope="program")
def load_warning(ctx, prog):
    """The warnings supervisord itself prints while it loads a program
    (supervisor 4.3.0's options.py, in its words)."""
    values = prog.values
    section = prog.section
    for stream, key, maxbytes_key in _LOG_KEYS:
        value = values.get(key)
        if value != "SYSLOG" and value != "AUTO":
            continue
        if value == "SYSLOG" and at_key(prog, key) is not None and _target().logfile_syslog:
            yield finding("supervisord warns at every start: \"For [%s], %s=syslog but this is "
                          "deprecated and will be removed.  Use %s_syslog=true to enable syslog "
                          "instead.\"; write %s_syslog=true and drop %s" % (
                              section, key, stream, stream, key), ctx, prog, key)
        if value == "AUTO" and values.get(maxbytes_key) == 0 and \
                not (stream == "stderr" and values.get("redirect_stderr")):
            yield finding("supervisord warns: \"For [%s], AUTO logging used for %s without "
                          "rollover, set maxbytes > 0 to avoid filling up filesystem "
                          "unintentionally\": the AUTO file in childlogdir grows for ever; set "
                          "%s_logfile_maxbytes, or a log file of your own" % (section, key, stream),
                          ctx, prog, maxbytes_key)
    err = values.get("stderr_logfile")
    if err is not None and values.get("redirect_stderr") and isinstance(err, str) and \
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


@also("SV116")
def version_dependent_reading(ctx):
    """What another supervisor or Python reads differently, whatever the
    target (the loader adds %(ENV_X)s from environment= and %(numprocs)d)."""
    from .. import reader
    from ..target import active
    target = active()
    for doc in ctx.docs:
        non_ascii = None
        if not doc.data.isascii():
            non_ascii = next((line for line in doc.lines if not line._ascii), None)
        # the lines either reading may differ on: headers with two ']', and the
        # lines of entries that hold ';' or '#' (doc.marked has every such entry)
        if doc.template:
            # (the reader's marks leave out a ';' inside {{ }}, which the
            # rendered file holds as it is)
            lines = doc.lines
        else:
            lines = [block.line for block in doc.blocks if block.line.text.count("]") > 1]
            lines += [line for entry in doc.marked for line in entry.lines]
            lines.sort(key=lambda line: line.number)
        for line in lines:
            if line.kind == "header":
                new = reader._SECTCRE.match(line.text.strip())
                old = reader._SECTCRE_39.match(line.text.strip())
                if new and old and new.group("header") != old.group("header"):
                    yield Finding("Python 3.9 and older read this header as [%s], 3.10 and newer "
                                  "as [%s] (the name ends at the first ']' before 3.10); keep ']' "
                                  "out of section names" % (old.group("header"),
                                                           new.group("header")),
                                  False, at=doc.span(line, 0, len(line.text)),
                                  section=new.group("header"))
            elif line.kind in ("entry", "continuation") and \
                    (";" in line.text or "#" in line.text):
                upto, since = reader._comment_start(line.text), reader._comment_start_313(line.text)
                if upto != since:
                    # (columns, not the text: a value may hold a secret)
                    yield Finding("Python 3.13 and newer end this value at column %d, 3.12 and "
                                  "older at column %s: 3.13 starts an inline comment at the "
                                  "earliest ';' or '#' after a blank, 3.12 and older may pass it "
                                  "for a later one; keep ';' and '#' out of values, or write the "
                                  "comment on a line of its own" % (
                                      since + 1, upto + 1 if upto is not None else
                                      "%d (the end)" % (len(line.text.rstrip()) + 1)), False,
                                  at=doc.span(line, since, len(line.text)))
        if non_ascii is not None and not target.ascii_only:
            yield Finding("this file holds non-ASCII text: supervisord on Python 3.6 reads it in "
                          "the locale's encoding and, in the C locale a service often gets, "
                          "refuses to load it (RHEL 8's Python 3.6); 3.7 and newer read UTF-8",
                          False, at=doc.span(non_ascii, 0, len(non_ascii.text)), severity="info")
    for section in ctx.tree.sections:
        if section.startswith("inet_http_server"):
            setting = ctx.tree.get(section, "port")
            if setting is not None and setting.value.count(":") > 1 and \
                    target.inet_splits_last_colon:
                yield Finding("port=%s has an IPv6 host: supervisor 4.2.3 and newer read it; 4.2.2 "
                              "and older (Debian 11, Ubuntu 22.04) split at the first ':' and "
                              "refuse to load" % setting.value.strip(), False, at=setting.entry,
                              section=section, key="port")
    for prog in programs(ctx):
        setting = at_key(prog, "stopsignal")
        if setting is not None and target.stkflt and \
                setting.value.strip().upper() in ("STKFLT", "SIGSTKFLT", "16"):
            yield finding("stopsignal=%s is SIGSTKFLT, which Python's signal module has from "
                          "3.11 on: supervisord on Python 3.10 and older (Ubuntu 22.04, Debian "
                          "11) refuses to load" % setting.value.strip(), ctx, prog, "stopsignal")


@rule("SV117", "target-not-modelled", "warning", category="schema")
def target_not_modelled(ctx):
    """Supervisor 3.x and Python 2 read with Python 2's configparser: say so
    once instead of judging them as 4.x on Python 3."""
    from ..target import active
    target = active()
    if target.modelled or not ctx.docs or not ctx.docs[0].lines:
        return
    doc = ctx.docs[0]
    yield Finding("the target, supervisor %s on Python %s, is not modelled: supervisor 3.x and "
                  "Python 2 read configurations with Python 2's configparser (no '#' inline "
                  "comments, any indented line continues a value, exitcodes default to 0,2, "
                  "%%(here)s is the main config's directory in every file); these findings are "
                  "those of supervisor 4.0 on Python 3" % (target.supervisor_text,
                                                          target.python_text),
                  False, at=doc.span(doc.lines[0], 0, len(doc.lines[0].text)))
