"""The load of every section as ``ServerOptions.read_config`` performs it.

``load(tree)`` walks the sections of a ``model.Tree`` in supervisord's order
(``[supervisord]``, plugins, groups and their members, programs,
eventlisteners, fcgi-programs, servers) with the converters of ``values.py``,
the expansion of ``expand.py`` and the environment grammar of
``environment.py``, and records every refusal and surprise as a Finding
instead of stopping at the first one.  The order is the point: it is the
order in which supervisord reads, expands and converts each key.
"""

import re

from . import environment as envgrammar
from . import schema, target
from .diagnostics import Finding, short as _short
from .expand import expand, positional_specs
from .redact import secret_name, text_spans
from .values import convert, EXPECTED

_CELERY_PERCENT = re.compile(r"(?<!%)%[hndiI]")

# The keys _processes_from_section reads before its per-process loop, and in it.
_EARLY = ("priority", "autostart", "autorestart", "startsecs", "startretries", "stopsignal",
          "stopwaitsecs", "stopasgroup", "killasgroup", "exitcodes", "redirect_stderr",
          "numprocs", "numprocs_start", "stdout_capture_maxbytes", "stdout_events_enabled",
          "stderr_capture_maxbytes", "stderr_events_enabled", "serverurl", "user", "umask")
_PER_PROCESS = ("directory", "stdout_logfile", "stdout_logfile_backups",
                "stdout_logfile_maxbytes", "stdout_syslog", "stderr_logfile",
                "stderr_logfile_backups", "stderr_logfile_maxbytes", "stderr_syslog", "command")


def _parse_command(text):
    global _parse_command
    from .command import parse as _parse_command
    return _parse_command(text)


def _converted(typ, text):
    cache = target.active().converted       # (a converter may follow the target)
    key = (typ, text)
    found = cache.get(key)
    if found is None:
        if len(cache) > 65536:
            cache.clear()
        found = cache[key] = convert(typ, text)
    return found


def _default(typ, default):
    """A default's converted value (None for no default)."""
    if default is None:
        return None
    return _converted(typ, default)[0]


_KIND_DEFAULTS = {}


_EARLY_SET = frozenset(_EARLY)
_PER_PROCESS_SET = frozenset(_PER_PROCESS)


def _kind_defaults(kind):
    """({early key: converted default}, {per-process key: converted
    default}) for a program kind; killasgroup is left out: it follows
    stopasgroup."""
    found = _KIND_DEFAULTS.get(kind)
    if found is None:
        early, per_process = {}, {}
        keys = schema.KIND_BY_NAME[kind].keys
        for key in _EARLY + _PER_PROCESS:
            spec = keys[key]
            default = spec.default
            if key == "priority" and kind == "eventlistener":
                default = "-1"
            if key != "killasgroup":
                (early if key in _EARLY_SET else per_process)[key] = \
                    _default(spec.type, default)
        found = _KIND_DEFAULTS[kind] = (early, per_process)
    return found


class Program:
    """The typed view of one program-like section (per supervisord).

    ``command`` (what the command runs, a ``command.Command``, or None
    without one) and ``celery`` (its ``command.Celery``, or None) are read
    on first use and are plain attributes from then on."""

    __slots__ = ("section", "kind", "group", "values", "settings", "command_text", "command",
                 "celery")

    def __init__(self, section, kind, group):
        self.section = section
        self.kind = kind
        self.group = group
        self.values = {}              # key -> converted value (None if unknown)
        self.settings = {}            # key -> Setting, where written
        self.command_text = None      # the expanded command (ENV_ stand-ins where unknown)

    def __getattr__(self, name):
        # only for the two unset slots: a slot read before it is set lands here
        if name == "command":
            cmd = None
            if self.command_text is not None:
                cmd = _parse_command(self.command_text)
            self.command = cmd
            return cmd
        if name == "celery":
            cmd = self.command
            cel = self.celery = cmd.celery if cmd is not None else None
            return cel
        raise AttributeError(name)

    @property
    def name(self):
        return self.section.split(":", 1)[1].strip()

    def written(self, key):
        """The Setting of ``key`` when the section (or [DEFAULT]) sets it."""
        return self.settings.get(key)


class Loaded:
    def __init__(self, tree):
        self.tree = tree
        self.findings = []
        self.programs = {}            # section -> Program
        self.env = {}                 # ENV_ names defined by [supervisord] environment
        self.group_members = {}       # group section -> [program sections]
        self.supervisord = {}         # [supervisord] key -> converted value, where written
        self.supervisord_settings = {}


def _names_for(scope, ctx):
    names = {}
    for n in schema.SCOPES[scope]:
        if n in ctx:
            names[n] = ctx[n]
    if "numprocs" in names and not target.active().numprocs_expansion:
        del names["numprocs"]           # %(numprocs)d arrived in supervisor 4.2.0
    return names


def _spec_error(spec, section, error):
    if error == "cannot be resolved":
        return "%s cannot be resolved within [%s]" % (spec, section)
    return error          # pkg_resources' message, all of supervisord's before 4.3


class Loader:
    def __init__(self, tree):
        self.tree = tree
        self.out = Loaded(tree)
        self.env = {}                 # ENV_ expansions defined by the config
        # below supervisor 4.2.2: ENV_ names environment= sets, which it does not expand
        self.env_unused = {}
        self._prog_unused = {}
        self._seen = set()
        self._names = None
        self._hints = 0

    # -- recording ------------------------------------------------------------
    def record(self, code, message, fatal, setting=None, section=None, key=None,
               block=None, severity=None, fix=None, span=None):
        """A finding for rule ``code``, on the entry of ``setting``, else on
        ``block`` or the section's first header (``span`` narrows it)."""
        entry = setting.entry if setting is not None else None
        if entry is None and block is None and section is not None:
            blocks = self.tree.blocks.get(section)
            block = blocks[0] if blocks else None
        if setting is not None and setting.inherited:
            message = "%s (inherited from [DEFAULT] by [%s])" % (message, section)
        ident = (code, message, id(entry), id(block))
        if ident in self._seen:
            return
        self._seen.add(ident)
        at = span if span is not None else (entry if entry is not None else block)
        self.out.findings.append(Finding(message, fatal, at=at, section=section, key=key,
                                         severity=severity, fix=fix, code=code))

    def require(self, kind, section, key, setting, value=None, certain=True, **names):
        """Record SV104 when the schema's required ``key`` of ``kind`` is not
        written (or, where supervisord says so, is empty); True when it did."""
        spec = schema.KIND_BY_NAME[kind].keys[key]
        if setting is not None and not (spec.empty and certain and not value):
            return False
        self.record("SV104", spec.missing % dict(names, section=section), True,
                    setting if spec.empty else None, section, key)
        return True

    # -- reading one key ----------------------------------------------------------
    def expand(self, section, key, setting, text, scope, ctx, label=None, extra_env=None):
        """Expand ``text`` read from ``setting`` with the names of ``scope``.
        Returns (value, certain)."""
        if "%" not in text:
            return text, True
        if "%" not in text.replace("%%", ""):
            # only escaped percents (Celery's %%h): what % makes of them
            return text.replace("%%", "%"), True
        names = _names_for(scope, ctx)
        names.update(self.env)
        if extra_env:
            names.update(extra_env)
        label = label or "%s.%s" % (section, key)
        result = expand(text, names, label)
        if result.error is None:
            self._version_dependent(section, key, setting, text, scope, extra_env)
        if result.error is not None:
            hint = ""
            if result.missing and result.missing not in names:
                if result.missing == "numprocs" and not target.active().numprocs_expansion:
                    hint = " %%(numprocs)d arrived in supervisor 4.2.0 (the target is %s)." % (
                        target.active().supervisor_text)
                elif result.missing in ("here", "program_name", "group_name", "host_node_name",
                                        "process_num", "numprocs"):
                    hint = " %%(%s)s is not available for %s; available: %s." % (
                        result.missing, key, ", ".join(sorted(n for n in names if not n.startswith("ENV_"))) or "only ENV_*")
                else:
                    hint = " Unknown name %%(%s)s; write %%%% for a literal %%." % result.missing
            else:
                hint = " Write %% for a literal %."
                if key == "command" and "celery" in text and _CELERY_PERCENT.search(text):
                    hint = (" Celery's %h, %n, %d, %i and %I must be written %%h, %%n, %%d, "
                            "%%i and %%I in a supervisor config.")
            error = result.error
            if holds_secret(key, text):
                # the value, the character and its index would all tell of it
                error = "Format string for %r is %s (the value holds a secret; not shown)" % (
                    label, "badly formatted" if result.missing is None else
                    "not expandable: %%(%s)s is no name it knows" % result.missing)
            self.record("SV105", "supervisord refuses to load: %s.%s" % (error, hint),
                        True, setting, section, key)
            return None, False
        if result.positional:
            self._positional(section, key, setting, text, fatal=_is_path_key(section, key))
        for name in dict.fromkeys(result.assumed_env):
            where = self._prog_unused.get(name) or self.env_unused.get(name)
            if where is not None:
                place, why = where
                self.record("SV105", "supervisord refuses to load: %%(%s)s is set by %s, which "
                            "%s; unless supervisord is started with %s in its environment, "
                            "write the value itself" % (name, place, why, name[4:]), True,
                            setting, section, key)
                continue
            if name in ("ENV_PATH", "ENV_TEMPLATE_EXPRESSION"):
                continue    # every service manager gives supervisord a PATH; a {{ }} of a template
            self.record("SV105", "%%(%s)s is not defined by this configuration: it must be set in "
                        "supervisord's own environment, or supervisord refuses to load" % name,
                        False, setting, section, key, severity="warning")
        return result.value, not result.assumed_env

    def _version_dependent(self, section, key, setting, text, scope, extra_env):
        """SV116 for expansions older supervisors refuse: %(ENV_X)s that
        environment= defines (4.2.2) and %(numprocs)d (4.2.0)."""
        t = target.active()
        for name in dict.fromkeys(_ENV_NAME.findall(text)):
            if name == "ENV_TEMPLATE_EXPRESSION":
                continue
            where = "[%s] environment=" % section if extra_env and name in extra_env else \
                "[supervisord] environment=" if name in self.env else None
            if where is not None:
                self.record("SV116", "%%(%s)s comes from %s, which supervisor 4.2.2 and newer "
                            "read; 4.2.1 and older (Ubuntu 22.04 and 20.04) take it from "
                            "supervisord's own environment only and refuse to load without it"
                            % (name, where), False, setting, section, key, severity="info")
        if "%(numprocs)" in text and scope == "proc" and t.numprocs_expansion:
            self.record("SV116", "%(numprocs)d needs supervisor 4.2.0 or newer: 4.1 and older "
                        "(Ubuntu 20.04) refuse to load (\"cannot be expanded\")", False, setting,
                        section, key, severity="warning")

    def _positional(self, section, key, setting, text, fatal=False):
        double = schema.double_expanded(section, key)
        specs = positional_specs(text)
        escaped = "%%%%" if double else "%%"
        first = text[specs[0][0]:specs[0][1]]
        fix = None
        entry = setting.entry
        if entry is not None and not setting.inherited and not entry.continuations \
                and entry.value == text:
            from .diagnostics import Edit, Fix
            line = entry.line
            vstart = entry.value_start
            edits = [Edit(line.byte_offset(vstart + a), line.byte_offset(vstart + a + 1), escaped)
                     for a, b in specs]
            fix = Fix("safe", edits, "escape % as " + escaped, keys=[(entry.section.name, entry.key)],
                      document=entry.document, anchor=entry)
        span = None
        if entry is not None and not setting.inherited and not entry.continuations \
                and entry.value == text:
            vstart = entry.value_start
            span = entry.document.span(entry.line, vstart + specs[0][0], vstart + specs[0][1])
        if fatal:
            consequence = ("the path then names a directory that cannot exist, so supervisord "
                           "refuses to load")
        else:
            consequence = "supervisord formats its whole expansion dictionary (every ENV_ " \
                          "variable) into the value"
        self.record("SV106", "%s in %s is not a %%(name)s expansion: %s; write %s for a literal %s"
                    % (first, key, consequence, escaped + first[1:], first),
                    fatal, setting, section, key, fix=fix, span=span)

    def read(self, section, key, scope, ctx, typ=None, default=None, double=False,
             extra_env=None):
        """Read, expand and convert one key as ``saneget`` + a converter would.
        Returns (value, setting, certain); value is None when invalid."""
        keys = self.tree.sections.get(section)
        setting = keys.get(key) if keys is not None else None
        if setting is None and self.tree.defaults:
            setting = self.tree.get(section, key)
        if setting is None:
            if default is None:
                return None, None, True
            if typ is None:
                return default, None, True
            value, error = _converted(typ, default)
            return value, None, error is None
        else:
            text = setting.value
            if scope is not None and "%" in text:
                text, certain = self.expand(section, key, setting, text, scope, ctx,
                                            extra_env=extra_env)
                if text is None:
                    return None, setting, False
                if double:
                    label = "environment" if key == "environment" else key
                    text2, certain2 = self.expand(section, key, setting, text, scope, ctx,
                                                  label=label, extra_env=extra_env)
                    if text2 is None:
                        return None, setting, False
                    text, certain = text2, certain and certain2
                if not certain:
                    if typ in _WHOLE_NUMBERS and not _could_be_number(text):
                        self.record("SV103", "%s=%s: supervisord refuses to load: no value of "
                                    "the %%(ENV_...)s it expands makes it a whole number" % (
                                      key, _short(setting.value)), True, setting, section, key)
                        return None, setting, False
                    return text, setting, False
        if typ is None:
            return text, setting, True
        value, error = _converted(typ, text)
        if error is not None:
            if setting is None:
                return None, None, False
            self.invalid(section, key, setting, typ, error)
            return None, setting, False
        return value, setting, True

    def invalid(self, section, key, setting, typ, error):
        expected = EXPECTED.get(typ)
        hint = "; expected %s" % expected if expected else ""
        self.record("SV103", "%s=%s: supervisord refuses to load: %s%s" % (
            key, _short(setting.value), error, hint), True, setting, section, key)

    # -- the walk -------------------------------------------------------------
    def run(self):
        tree = self.tree
        order = list(tree.sections)
        sections = set(order)                   # for membership tests
        if "supervisord" in sections:
            self.load_supervisord()
        elif tree.fragment and tree.defaults:
            self.fragment_defaults()
        for name in order:
            if name.startswith("rpcinterface:"):
                self.load_plugin(name)
        in_group = set()
        for name in order:
            if name.startswith("group:"):
                in_group.update(self.load_group(name, sections))
        for name in order:
            if name.startswith("program:") and name not in in_group:
                # (load_program checks the name)
                self.read(name, "priority", "grp", {"here": tree.here}, "integer", "999")
                self.load_program(name, "program", name.split(":", 1)[1].strip())
        for name in order:
            if name.startswith("eventlistener:"):
                self.load_eventlistener(name)
        for name in order:
            if name.startswith("fcgi-program:") and name not in in_group:
                self.load_fcgi(name)
        for name in order:
            if name.startswith("inet_http_server"):
                self.load_inet(name)
        for name in order:
            if name.startswith("unix_http_server"):
                self.load_unix(name)
        return self.out

    def check_name(self, section, suffix=False):
        raw = section.split(":", 1)[1]
        if "{{" in raw:
            return raw          # [program:{{ name }}]: the template decides
        value, error = convert("name", raw)
        if error:
            self.record("SV110", "supervisord refuses to load: %s; program and group names "
                        "may not contain spaces, ':' or '/'" % error, True, section=section)
            return None
        return value

    def load_supervisord(self):
        ctx = {"here": self.tree.here}
        values = self.out.supervisord
        # its own keys are read before its environment=, in every version
        own = self.tree.get("supervisord", "environment")
        if own is not None:
            for name in re.findall(r"(?:^|,)\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", own.value):
                self._prog_unused["ENV_%s" % name] = (
                    "[supervisord] environment=", "supervisord reads only after its own keys")
        for key, spec in schema.SUPERVISORD.items():
            if key == "environment":
                continue
            if key == "silent" and not target.active().silent_key:
                continue        # supervisor 4.2.0 added it: SV102 before
            value, setting, certain = self.read("supervisord", key, "sd", ctx, spec.type)
            if setting is not None:
                values[key] = value if certain else None
                self.out.supervisord_settings[key] = setting
        self._prog_unused = {}
        env_text, setting, certain = self.read("supervisord", "environment", "sd", ctx)
        if env_text is not None and setting is not None:
            host_ctx = {"here": self.tree.here, "host_node_name": "localhost"}
            env_text2, certain2 = self.expand("supervisord", "environment", setting, env_text,
                                              "inc", host_ctx, label="environment")
            if env_text2 is not None:
                env = self.environment("supervisord", setting, env_text2)
                if env:
                    for k, v in env.items():
                        if target.active().env_from_environment:
                            self.env["ENV_%s" % k] = v
                        else:
                            self.env_unused["ENV_%s" % k] = ("[supervisord] environment=",
                                                             _BEFORE_422 % target.active().supervisor_text)
        self.out.env = dict(self.env)

    def fragment_defaults(self):
        """A fragment's [DEFAULT] reaches the [supervisord] of whatever main
        config includes it: what would make that section fail is fatal, even
        linted alone (unless that [supervisord] sets the key itself)."""
        probe = Loader(self.tree)
        probe.load_supervisord()
        for f in probe.out.findings:
            if f.fatal:
                f.message += ("; every main config that includes this file refuses to load, "
                              "unless its [supervisord] sets %s itself" % (f.key or "that key"))
                self.out.findings.append(f)

    def environment(self, section, setting, text):
        env, error = envgrammar.parse(text)
        if error is not None:
            if " in value " in error and holds_secret("environment", text):
                error = error.split(" in value ")[0] + " (the value holds a secret; not shown)"
            self.record("SV107", "environment: supervisord refuses to load: %s. Write "
                        "KEY=\"value\",KEY2=\"value 2\": commas between pairs, values with "
                        "spaces or special characters in double quotes" % error,
                        True, setting, section, "environment")
            return None
        for var, what in envgrammar.mangled(text):
            if var and secret_name(var):
                what = ("is cut short: supervisord keeps only the start of the value and drops "
                        "the rest (the value is not shown here)")
            self.record("SV112", "environment: %s%s; quote the value, e.g. %s=\"...\"" % (
                ("%s " % var) if var else "", what, var or "KEY"), False, setting, section,
                "environment")
        return env

    def load_plugin(self, section):
        factory_key = "supervisor.rpcinterface_factory"
        spec, setting, certain = self.read(section, factory_key, "env", {})
        if self.require("rpcinterface", section, factory_key, setting):
            pass
        elif spec is not None and certain:
            value, error = convert("entry_point", spec)
            if error:
                self.record("SV103", "supervisord refuses to load: %s; write module:attribute"
                            % _spec_error(spec, section, error), True, setting,
                            section, factory_key)
        for key, _ in self.tree.items(section):
            if key != factory_key:
                self.read(section, key, "env", {})

    def _program_names(self):
        """(lower-cased section -> section, {program name: section}) for hints, once."""
        if self._names is None:
            lower = {}
            names = {}
            for s in self.tree.sections:
                lower.setdefault(s.lower(), s)
                if s.startswith(("program:", "fcgi-program:")):
                    names.setdefault(s.split(":", 1)[1], s)
            self._names = (lower, names)
        return self._names

    def load_group(self, section, sections):
        self.check_name(section)
        ctx = {"here": self.tree.here}
        programs, setting, certain = self.read(section, "programs", "grp", ctx, "list_of_strings")
        self.read(section, "priority", "grp", ctx, "integer", "999")
        members = []
        group_name = section.split(":", 1)[1].strip()
        for program in programs or []:
            p_sec, f_sec = "program:%s" % program, "fcgi-program:%s" % program
            if p_sec not in sections and f_sec not in sections:
                if program == "":
                    why = "an empty name (a trailing or doubled comma in programs=)"
                else:
                    why = "%r, which is no [program:%s] or [fcgi-program:%s] section" % (
                        program, program, program)
                hint = ""
                if program:
                    lower, names = self._program_names()
                    same = lower.get(p_sec.lower()) or lower.get(f_sec.lower())
                    if same:
                        hint = "; [%s] exists, but section names are case-sensitive" % same
                    elif self._hints < 100:     # difflib is linear in the names: cap it
                        self._hints += 1
                        listed = set(programs)
                        close = _close(program, sorted(n for n in names if n not in listed))
                        if close:
                            hint = "; did you mean [%s]?" % names[close]
                if self.tree.fragment:
                    # linted alone: the program may be defined in another included file
                    self.record("SV109", "[%s] programs= names %s in %s; supervisord "
                                "refuses to load unless another included file defines it (lint "
                                "with --main-config to check)%s" % (
                                    section, why, "this file" if len(self.tree.docs) == 1 else
                                    "the %d files linted together" % len(self.tree.docs), hint),
                                False,
                                setting, section, "programs", severity="warning")
                    continue
                self.record("SV109", "[%s] programs= names %s: supervisord refuses to load%s" % (
                    section, why, hint), True, setting, section, "programs")
                continue
            if p_sec in sections and f_sec in sections:
                self.record("SV109", "[%s] name %s is ambiguous (exists as program and "
                            "fcgi-program): supervisord refuses to load" % (section, program),
                            True, setting, section, "programs")
                continue
            member = p_sec if p_sec in sections else f_sec
            members.append(member)
            self.load_program(member, "program" if member == p_sec else "fcgi-program",
                              group_name, grouped=True)
        self.out.group_members[section] = members
        return members

    def load_eventlistener(self, section):
        ctx = {"here": self.tree.here}
        self.read(section, "priority", "grp", ctx, "integer", "-1")
        size, setting, certain = self.read(section, "buffer_size", "grp", ctx, "buffer_size", "10")
        if size is not None and certain and size < 1:
            self.record("SV103", "[%s] section sets invalid buffer_size (%d): supervisord refuses "
                        "to load; use 1 or more" % (section, size), True, setting, section,
                        "buffer_size")
        handler, setting, certain = self.read(section, "result_handler", "grp", ctx)
        if handler is not None and setting is not None and certain:
            error = convert("entry_point", handler)[1]
            if error:
                self.record("SV103", "supervisord refuses to load: %s; write module:attribute"
                            % _spec_error(handler, section, error), True, setting,
                            section, "result_handler")
        names, setting, certain = self.read(section, "events", "grp", ctx, "events", "")
        if self.require("eventlistener", section, "events", setting, names, certain):
            pass
        elif names and certain:
            custom = self.tree.has_custom_rpcinterface()
            for name in sorted(names):
                if name not in schema.EVENT_TYPES:
                    close = _close(name, sorted(schema.EVENT_TYPES))
                    hint = "; did you mean %s?" % close if close else ""
                    if " " in name.strip():
                        hint = "; separate event names with commas, not spaces"
                    if custom and name:
                        self.record("SV103", "Unknown event type %s in [%s] events, unless a "
                                    "custom [rpcinterface:x] registers it%s" % (name, section, hint),
                                    False, setting, section, "events", severity="warning")
                    else:
                        self.record("SV103", "Unknown event type %s in [%s] events: supervisord "
                                    "refuses to load%s" % (name or "''", section, hint), True,
                                    setting, section, "events")
        redirect, setting, certain = self.read(section, "redirect_stderr", "grp", ctx, "boolean",
                                               "false")
        if redirect:
            self.record("SV103", "[%s] section sets redirect_stderr=true but this is not allowed "
                        "because it will interfere with the eventlistener protocol: supervisord "
                        "refuses to load; remove it" % section, True, setting, section,
                        "redirect_stderr")
        self.load_program(section, "eventlistener", section.split(":", 1)[1])

    def load_fcgi(self, section):
        name = self.check_name(section)
        ctx = {"here": self.tree.here, "program_name": name if name is not None else ""}
        self.read(section, "priority", "grp", ctx, "integer", "999")
        self.read(section, "user", "grp", ctx, "user")
        self.read(section, "socket_backlog", "grp", ctx, "socket_backlog")
        _, owner_s, _ = self.read(section, "socket_owner", "grp", ctx, "user_group")
        mode, mode_s, _ = self.read(section, "socket_mode", "grp", ctx, "octal")
        sock, setting, certain = self.read(section, "socket", "sock", ctx)
        if self.require("fcgi-program", section, "socket", setting, sock, certain,
                        name=name or "app"):
            pass
        elif certain:
            parsed, error = convert("fcgi_socket", sock)
            if error:
                self.record("SV103", "supervisord refuses to load: %s in [%s] socket; use "
                            "unix:///absolute/path or tcp://host:port" % (error, section), True,
                            setting, section, "socket")
            elif parsed[0] == "tcp" and (owner_s is not None or mode_s is not None):
                self.record("SV103", "supervisord refuses to load: socket_owner and socket_mode "
                            "params should only be used with a Unix domain socket in [%s] socket"
                            % section, True, owner_s or mode_s, section,
                            "socket_owner" if owner_s is not None else "socket_mode")
        self.load_program(section, "fcgi-program", name or "")

    def load_program(self, section, kind, group_name, grouped=False):
        name = self.check_name(section)
        if name is None:
            name = section.split(":", 1)[1].strip()
        prog = Program(section, kind, group_name)
        if kind != "program" or section not in self.out.programs:
            self.out.programs[section] = prog
        elif grouped:
            self.out.programs[section] = prog
        ctx = {"here": self.tree.here, "program_name": name, "group_name": group_name,
               "host_node_name": "localhost"}
        keys = schema.KIND_BY_NAME[kind].keys
        # keys neither written in the section nor in [DEFAULT] take their
        # default without being read (the common case, and the hot path)
        written = self.tree.sections.get(section, {})
        plain = not self.tree.defaults     # every written value is the section's own
        if not plain:
            written = dict(self.tree.defaults, **written)
        values = prog.values
        settings = prog.settings
        # the defaults first, then only the keys the section writes (in file
        # order: no early key's reading depends on another's but killasgroup's
        # default, which is set after)
        values.update(_kind_defaults(kind)[0])
        cache = target.active().converted
        for key, setting in written.items():
            if key not in _EARLY_SET:
                continue
            spec = keys[key]
            if plain and "%" not in setting.value:
                # the common case, without read()'s bookkeeping
                found = cache.get((spec.type, setting.value))
                value, error = found if found is not None else \
                    _converted(spec.type, setting.value)
                if error is None:
                    values[key] = value
                    settings[key] = setting
                    continue
            default = spec.default
            if key == "killasgroup":
                default = "true" if values.get("stopasgroup") else "false"
            elif key == "priority" and kind == "eventlistener":
                default = "-1"
            value, setting, certain = self.read(section, key, "early", ctx, spec.type, default)
            values[key] = value if certain else None
            if setting is not None:
                prog.settings[key] = setting
        if "killasgroup" not in written:
            values["killasgroup"] = bool(values.get("stopasgroup"))
        if plain:
            env_setting = written.get("environment")
            pn_setting = written.get("process_name")
        else:
            env_setting = self.tree.get(section, "environment")
            pn_setting = self.tree.get(section, "process_name")
        process_name = pn_setting.value if pn_setting is not None else "%(program_name)s"
        if pn_setting is not None:
            prog.settings["process_name"] = pn_setting
            if convert("name", process_name)[1]:
                self.record("SV110", "process_name=%s: supervisord refuses to load: %s" % (
                    _short(process_name), convert("name", process_name)[1]), True,
                    pn_setting, section, "process_name")
        numprocs = prog.values.get("numprocs")
        if numprocs is not None and numprocs > 1 and "%(process_num)" not in process_name:
            self.record("SV108", "numprocs=%d but process_name has no %%(process_num): supervisord "
                        "refuses to load; write process_name=%%(program_name)s_%%(process_num)02d"
                        % numprocs, True, pn_setting or prog.settings.get("numprocs"), section,
                        "process_name" if pn_setting else "numprocs")
        if prog.values.get("stopasgroup") and prog.values.get("killasgroup") is False:
            self.record("SV103", "Cannot set stopasgroup=true and killasgroup=false: supervisord "
                        "refuses to load; remove killasgroup (stopasgroup=true implies it)", True,
                        prog.settings.get("killasgroup"), section, "killasgroup")
        start = prog.values.get("numprocs_start") or 0
        if numprocs is not None and numprocs < 1:
            return prog
        count = numprocs if numprocs is not None else 1
        self.load_process(prog, section, ctx, keys, written, env_setting, pn_setting,
                          process_name, start, count)
        if count > 1:
            # supervisord expands the per-process keys once per process; a
            # refusal that only the last number triggers (%(process_num)c, a
            # value the environment grammar splits) must not go unseen
            seen = {(f.code, _where(f)) for f in self.out.findings}
            mark = len(self.out.findings)
            self.load_process(Program(section, kind, group_name), section, ctx, keys, written,
                              env_setting, pn_setting, process_name, start + count - 1, count)
            extra = self.out.findings[mark:]
            del self.out.findings[mark:]
            for f in extra:
                if f.fatal and (f.code, _where(f)) not in seen:
                    self.out.findings.append(f)
        return prog


    def load_process(self, prog, section, ctx, keys, written, env_setting, pn_setting,
                     process_name, process_num, numprocs):
        values = prog.values
        proc_ctx = dict(ctx, process_num=process_num, numprocs=numprocs)
        prog_env = {}
        self._prog_unused = {}
        if env_setting is not None:
            prog.settings["environment"] = env_setting
            text, certain = self.expand(section, "environment", env_setting, env_setting.value,
                                        "proc", proc_ctx, label="environment")
            if text is not None:
                env = self.environment(section, env_setting, text)
                if env:
                    prog.values["environment"] = env
                    if target.active().env_from_environment:
                        prog_env = {"ENV_%s" % k: v for k, v in env.items()}
                    else:
                        self._prog_unused = {"ENV_%s" % k: ("[%s] environment=" % section,
                                                            _BEFORE_422 % target.active().supervisor_text)
                                             for k in env}
        plain = not self.tree.defaults
        values.update(_kind_defaults(prog.kind)[1])
        cache = target.active().converted
        for key, setting in written.items():
            if key not in _PER_PROCESS_SET:
                continue
            spec = keys[key]
            if plain and "%" not in setting.value:
                found = cache.get((spec.type, setting.value))
                value, error = found if found is not None else \
                    _converted(spec.type, setting.value)
                if error is None:
                    if key == "command":
                        prog.command_text = value
                    values[key] = value
                    prog.settings[key] = setting
                    continue
            value, setting, certain = self.read(
                section, key, "proc", proc_ctx, spec.type, spec.default,
                double=spec.scope == "proc2", extra_env=prog_env)
            if key == "command":
                prog.command_text = value
            prog.values[key] = value if certain else None
            if setting is not None:
                prog.settings[key] = setting
        self.require(prog.kind, section, "command",
                     written.get("command") if plain else self.tree.get(section, "command"))
        if pn_setting is not None:
            self.expand(section, "process_name", pn_setting, process_name, "proc", proc_ctx,
                        label="process_name", extra_env=prog_env)

    def load_inet(self, section):
        self.auth(section)
        port, setting, certain = self.read(section, "port", "env", {}, "inet_address")
        self.require("inet_http_server", section, "port", setting)

    def load_unix(self, section):
        f, setting, certain = self.read(section, "file", "here", {"here": self.tree.here})
        self.require("unix_http_server", section, "file", setting)
        self.auth(section)
        chown, setting, certain = self.read(section, "chown", "env", {})
        if chown is not None and certain and convert("user_group", chown)[1]:
            self.record("SV103", "supervisord refuses to load: Invalid sockchown value %s; write "
                        "user or user:group" % chown, True, setting, section, "chown")
        chmod, setting, certain = self.read(section, "chmod", "env", {})
        if chmod is not None and certain and convert("octal", chmod)[1]:
            self.record("SV103", "supervisord refuses to load: Invalid chmod value %s; write an "
                        "octal mode such as 0700" % chmod, True, setting, section, "chmod")

    def auth(self, section):
        user, us, _ = self.read(section, "username", "env", {})
        password, ps, _ = self.read(section, "password", "env", {})
        if (us is None) != (ps is None):
            missing = "password" if ps is None else "username"
            self.record("SV104", "Section [%s] contains incomplete authentication: supervisord "
                        "refuses to load; set both username and password, or neither (%s is "
                        "missing)" % (section, missing), True, us or ps, section, missing)


_WHOLE_NUMBERS = ("integer", "socket_backlog", "buffer_size")
_STAND_IN = re.compile(r"ENV_\w*")
_BEFORE_422 = "supervisor %s does not expand (4.2.2 and newer do)"
_ENV_NAME = re.compile(r"%\((ENV_[^)]*)\)")


def _could_be_number(expanded):
    """False when the text around the ENV_ stand-ins already rules out every
    whole number int() accepts, whatever the variables hold."""
    rest = _STAND_IN.sub("", expanded)
    return all(c.isdigit() or c in "+-_" or c.isspace() for c in rest)


def _where(finding):
    span = finding.span
    return None if span is None else (id(span.document), span.start.offset)


def holds_secret(key, text):
    """True when a message must not quote ``text``, the value of ``key``."""
    return secret_name(key) or bool(text_spans(text, env=key == "environment"))


def _is_path_key(section, key):
    """Keys whose directory must exist at load: a formatted expansion
    dictionary (which holds the absolute ``here``) can never be one."""
    if section == "supervisord":
        return key in ("logfile", "pidfile", "childlogdir", "directory")
    return key in ("stdout_logfile", "stderr_logfile")


def _close(word, candidates):
    import difflib
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return found[0] if found else None


def load(tree):
    return Loader(tree).run()
