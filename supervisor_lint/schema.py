"""Supervisor 4.3.0's configuration schema, as one declarative table.

Each section kind lists its keys with the converter supervisord applies
(names mirror ``supervisor/datatypes.py``), the default, whether the key is
required, and the ``%(name)s`` expansion scope(s) it is read with.

Expansion scopes (which names ``%(name)s`` may use; ``ENV_*`` everywhere):

=============  ===============================================================
``sd``         ``here``                                  ([supervisord] keys)
``sd_env``     pass 1 ``here``; pass 2 ``here host_node_name`` (expanded twice; the
               Loader reads it with ``sd`` and then ``inc``)
``inc``        ``here host_node_name``                   ([include] files)
``early``      ``here program_name group_name host_node_name``
``proc``       ``early`` + ``process_num numprocs`` and the program's own
               ``environment`` as ``ENV_*``
``proc2``      ``proc``, expanded twice (``stdout_logfile``, ``stderr_logfile``; the
               Loader reads it with ``proc``, twice)
``grp``        ``here``                     (group-level reads of a section)
``sock``       ``here program_name``        (fcgi ``socket``)
``env``        no names but ``ENV_*``
``here``       ``here``
``None``       supervisord never reads the key (supervisorctl-only sections)
=============  ===============================================================
"""

SCOPES = {
    "sd": ("here",),
    "inc": ("here", "host_node_name"),
    "early": ("here", "program_name", "group_name", "host_node_name"),
    "proc": ("here", "program_name", "group_name", "host_node_name", "process_num", "numprocs"),
    "grp": ("here",),
    "sock": ("here", "program_name"),
    "env": (),
    "here": ("here",),
}



class Key:
    """One key of a section kind.  A required key carries the message of its
    absence (``%(section)s`` and ``%(name)s`` filled in) and whether an empty
    value counts as absent, as supervisord decides it."""

    __slots__ = ("name", "type", "default", "required", "scope", "missing", "empty")

    def __init__(self, name, type, default=None, required=False, scope="early", missing=None,
                 empty=False):
        self.name = name
        self.type = type
        self.default = default
        self.required = required
        self.scope = scope
        self.missing = missing
        self.empty = empty


def _keys(*keys):
    return {k.name: k for k in keys}


SUPERVISORD = _keys(
    Key("logfile", "dirpath", "supervisord.log", scope="sd"),
    Key("logfile_maxbytes", "byte_size", "50MB", scope="sd"),
    Key("logfile_backups", "integer", "10", scope="sd"),
    Key("loglevel", "logging_level", "info", scope="sd"),
    Key("pidfile", "dirpath", "supervisord.pid", scope="sd"),
    Key("umask", "octal", "022", scope="sd"),
    Key("nodaemon", "boolean", "false", scope="sd"),
    Key("silent", "boolean", "false", scope="sd"),
    Key("minfds", "integer", "1024", scope="sd"),
    Key("minprocs", "integer", "200", scope="sd"),
    Key("nocleanup", "boolean", "false", scope="sd"),
    Key("childlogdir", "directory", "$TMPDIR", scope="sd"),
    Key("user", "str", None, scope="sd"),      # resolved by realize(), after loading
    Key("directory", "directory", None, scope="sd"),
    Key("strip_ansi", "boolean", "false", scope="sd"),
    Key("environment", "environment", "", scope="sd_env"),
    Key("identifier", "str", "supervisor", scope="sd"),
)

# Keys shared by [program:x], [eventlistener:x] and [fcgi-program:x].
PROGRAM = _keys(
    Key("command", "command", None, required=True, scope="proc",
        missing="program section %(section)s does not specify a command: supervisord refuses "
                "to load; add command=/absolute/path/to/program"),
    Key("process_name", "process_name", "%(program_name)s", scope="proc"),
    Key("numprocs", "integer", "1"),
    Key("numprocs_start", "integer", "0"),
    Key("priority", "integer", "999"),
    Key("autostart", "boolean", "true"),
    Key("autorestart", "auto_restart", "unexpected"),
    Key("startsecs", "integer", "1"),
    Key("startretries", "integer", "3"),
    Key("exitcodes", "exitcodes", "0"),
    Key("stopsignal", "signal", "TERM"),
    Key("stopwaitsecs", "integer", "10"),
    Key("stopasgroup", "boolean", "false"),
    Key("killasgroup", "boolean", "(stopasgroup)"),
    Key("user", "user", None),
    Key("redirect_stderr", "boolean", "false"),
    Key("stdout_logfile", "logfile", "AUTO", scope="proc2"),
    Key("stdout_logfile_maxbytes", "byte_size", "50MB", scope="proc"),
    Key("stdout_logfile_backups", "integer", "10", scope="proc"),
    Key("stdout_capture_maxbytes", "byte_size", "0"),
    Key("stdout_events_enabled", "boolean", "false"),
    Key("stdout_syslog", "boolean", "false", scope="proc"),
    Key("stderr_logfile", "logfile", "AUTO", scope="proc2"),
    Key("stderr_logfile_maxbytes", "byte_size", "50MB", scope="proc"),
    Key("stderr_logfile_backups", "integer", "10", scope="proc"),
    Key("stderr_capture_maxbytes", "byte_size", "0"),
    Key("stderr_events_enabled", "boolean", "false"),
    Key("stderr_syslog", "boolean", "false", scope="proc"),
    Key("environment", "environment", "", scope="proc"),
    Key("directory", "str", None, scope="proc"),
    Key("umask", "octal", None),
    Key("serverurl", "str", "AUTO"),
)

EVENTLISTENER = dict(PROGRAM)
EVENTLISTENER.update(_keys(
    Key("events", "events", None, required=True, scope="grp", empty=True,
        missing="supervisord refuses to load: [%(section)s] section requires an \"events\" "
                "line, e.g. events=PROCESS_STATE"),
    Key("buffer_size", "buffer_size", "10", scope="grp"),
    Key("result_handler", "entry_point", "supervisor.dispatchers:default_handler", scope="grp"),
))

FCGI_PROGRAM = dict(PROGRAM)
FCGI_PROGRAM.update(_keys(
    Key("socket", "fcgi_socket", None, required=True, scope="sock", empty=True,
        missing="supervisord refuses to load: [%(section)s] section requires a \"socket\" "
                "line, e.g. socket=unix:///run/%(name)s.sock or tcp://127.0.0.1:9000"),
    Key("socket_backlog", "socket_backlog", None, scope="grp"),
    Key("socket_owner", "user_group", None, scope="grp"),
    Key("socket_mode", "octal", None, scope="grp"),
))

GROUP = _keys(
    Key("programs", "list_of_strings", "", scope="grp"),
    Key("priority", "integer", "999", scope="grp"),
)

UNIX_HTTP_SERVER = _keys(
    Key("file", "str", None, required=True, scope="here",
        missing="supervisord refuses to load: section [%(section)s] has no file value; add "
                "file=/run/supervisor.sock"),
    Key("chmod", "octal", "0700", scope="env"),
    Key("chown", "user_group", None, scope="env"),
    Key("username", "str", None, scope="env"),
    Key("password", "str", None, scope="env"),
)

INET_HTTP_SERVER = _keys(
    Key("port", "inet_address", None, required=True, scope="env",
        missing="supervisord refuses to load: section [%(section)s] has no port value; add "
                "port=127.0.0.1:9001"),
    Key("username", "str", None, scope="env"),
    Key("password", "str", None, scope="env"),
)

SUPERVISORCTL = _keys(
    Key("serverurl", "str", "http://localhost:9001", scope=None),
    Key("username", "str", None, scope=None),
    Key("password", "str", None, scope=None),
    Key("prompt", "str", "supervisor", scope=None),
    Key("history_file", "str", None, scope=None),
)

INCLUDE = _keys(Key("files", "str", None, required=True, scope="inc",
                    missing=".ini file has [include] section, but no files setting: "
                            "supervisord refuses to load; add files=conf.d/*.conf"))

RPCINTERFACE = _keys(Key("supervisor.rpcinterface_factory", "entry_point", None,
                         required=True, scope="env",
                         missing="supervisord refuses to load: section [%(section)s] does not "
                                 "specify a supervisor.rpcinterface_factory; the standard value "
                                 "is supervisor.rpcinterface:make_main_rpcinterface"))
CTLPLUGIN = _keys(Key("supervisor.ctl_factory", "entry_point", None, required=True,
                      scope=None))


class Kind:
    __slots__ = ("name", "keys", "prefix", "exact", "open_keys")

    def __init__(self, name, keys, prefix=None, exact=None, open_keys=False):
        self.name = name
        self.keys = keys
        self.prefix = prefix
        self.exact = exact
        self.open_keys = open_keys      # every other key is passed to a factory

    def matches(self, section):
        if self.exact is not None:
            return section == self.exact
        return section.startswith(self.prefix)


# Order matters only for recognition; it mirrors options.py's tests.
KINDS = (
    Kind("supervisord", SUPERVISORD, exact="supervisord"),
    Kind("supervisorctl", SUPERVISORCTL, exact="supervisorctl"),
    Kind("include", INCLUDE, exact="include"),
    Kind("program", PROGRAM, prefix="program:"),
    Kind("group", GROUP, prefix="group:"),
    Kind("eventlistener", EVENTLISTENER, prefix="eventlistener:"),
    Kind("fcgi-program", FCGI_PROGRAM, prefix="fcgi-program:"),
    Kind("rpcinterface", RPCINTERFACE, prefix="rpcinterface:", open_keys=True),
    Kind("ctlplugin", CTLPLUGIN, prefix="ctlplugin:", open_keys=True),
    Kind("unix_http_server", UNIX_HTTP_SERVER, prefix="unix_http_server"),
    Kind("inet_http_server", INET_HTTP_SERVER, prefix="inet_http_server"),
)
KIND_BY_NAME = {k.name: k for k in KINDS}
PROGRAM_KINDS = ("program", "eventlistener", "fcgi-program")

ALL_KEYS = set()
for _kind in KINDS:
    ALL_KEYS.update(_kind.keys)


_KIND_CACHE = {}


def double_expanded(section, key):
    """True when supervisord 4.3.0 %-expands ``key`` of ``section`` twice (a
    literal % must be written %%%% there): the sd_env and proc2 scopes."""
    kind = kind_of(section)
    spec = kind.keys.get(key) if kind is not None else None
    return spec is not None and spec.scope in ("sd_env", "proc2")


def kind_of(section):
    """The Kind supervisord gives ``section``, or None when it ignores it."""
    try:
        return _KIND_CACHE[section]
    except KeyError:
        pass
    found = None
    if section != "DEFAULT":
        for kind in KINDS:
            if kind.matches(section):
                found = kind
                break
    if len(_KIND_CACHE) < 100000:
        _KIND_CACHE[section] = found
    return found


# Keys people write that supervisord 4 ignores without a word: old keys it
# once read, and a few it never had.  The text completes "supervisord ignores
# the key K in [section]: ...".
LEGACY_KEYS = {
    "supervisord": {
        "http_port": "a 2.x key; since 3.0 use [inet_http_server] port or [unix_http_server] file",
        "http_username": "a 2.x key; since 3.0 use username in [inet_http_server]/[unix_http_server]",
        "http_password": "a 2.x key; since 3.0 use password in [inet_http_server]/[unix_http_server]",
        "sockchmod": "a 2.x key; since 3.0 use [unix_http_server] chmod",
        "sockchown": "a 2.x key; since 3.0 use [unix_http_server] chown",
        "daemon": "an old key; use nodaemon=true to stay in the foreground",
        "profile_options": "it is only accepted on the command line",
    },
    "program": {
        "logfile": "a 2.x key; use stdout_logfile",
        "logfile_maxbytes": "a 2.x key; use stdout_logfile_maxbytes",
        "logfile_backups": "a 2.x key; use stdout_logfile_backups",
        "log_stdout": "a 2.x key; use stdout_logfile",
        "log_stderr": "a 2.x key; use stderr_logfile or redirect_stderr=true",
        "stdout_capturefile": "a 3.0 alpha key; use stdout_capture_maxbytes",
        "stderr_capturefile": "a 3.0 alpha key; use stderr_capture_maxbytes",
        "group": "there is no per-program group; the process gets the primary and "
                 "supplementary groups of user=",
    },
    "inet_http_server": {
        "host": "there is no host key; write the host into port, as port=127.0.0.1:9001",
    },
}

EVENT_TYPES = frozenset("""EVENT PROCESS_STATE PROCESS_STATE_STOPPED
PROCESS_STATE_STARTING PROCESS_STATE_RUNNING PROCESS_STATE_BACKOFF
PROCESS_STATE_STOPPING PROCESS_STATE_EXITED PROCESS_STATE_FATAL
PROCESS_STATE_UNKNOWN REMOTE_COMMUNICATION PROCESS_LOG PROCESS_LOG_STDOUT
PROCESS_LOG_STDERR PROCESS_COMMUNICATION PROCESS_COMMUNICATION_STDOUT
PROCESS_COMMUNICATION_STDERR SUPERVISOR_STATE_CHANGE
SUPERVISOR_STATE_CHANGE_RUNNING SUPERVISOR_STATE_CHANGE_STOPPING TICK TICK_5
TICK_60 TICK_3600 PROCESS_GROUP PROCESS_GROUP_ADDED PROCESS_GROUP_REMOVED""".split())
