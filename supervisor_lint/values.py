"""supervisor 4.3.0's value converters, returning ``(value, error)``.

``error`` is None or the exact message supervisord would print.  Checks that
depend on the machine (user names, existing directories, importable modules)
are assumed to pass here; the host audit looks at them separately.
"""

import os
import re


class Invalid(Exception):
    pass


TRUTHY = ("yes", "true", "on", "1")
FALSY = ("no", "false", "off", "0")


def boolean(s):
    ss = str(s).lower()
    if ss in TRUTHY:
        return True
    if ss in FALSY:
        return False
    raise Invalid("not a valid boolean value: " + repr(s))


def integer(value):
    try:
        return int(value)
    except (ValueError, OverflowError) as exc:
        raise Invalid(str(exc))


def byte_size(v):
    v = v.lower()
    try:
        for suffix, mult in (("kb", 1024), ("mb", 1024 ** 2), ("gb", 1024 ** 3)):
            if v[-2:] == suffix:
                return int(v[:-2]) * mult
        return int(v)
    except ValueError as exc:
        raise Invalid(str(exc))


def octal(arg):
    try:
        return int(arg, 8)
    except (TypeError, ValueError):
        raise Invalid("%s can not be converted to an octal type" % arg)


_SIGNUMS = None


def _signums():
    global _SIGNUMS
    if _SIGNUMS is None:
        import signal
        _SIGNUMS = set(int(getattr(signal, k)) for k in dir(signal) if k.startswith("SIG"))
    return _SIGNUMS


def signal_number(value):
    import signal
    try:
        num = int(value)
    except (ValueError, TypeError):
        name = value.strip().upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        num = getattr(signal, name, None)
        if num is None:
            raise Invalid("value %r is not a valid signal name" % value)
    try:
        num = int(num)
    except (TypeError, ValueError):
        raise Invalid("value %r is not a valid signal number" % value)
    if num not in _signums():
        raise Invalid("value %r is not a valid signal number" % value)
    return num



def auto_restart(value):
    value = str(value.lower())
    if value in TRUTHY:
        return True
    if value in FALSY:
        return False
    if value == "unexpected":
        return "unexpected"
    raise Invalid("invalid 'autorestart' value %r" % value)


def exitcodes(arg):
    try:
        if not arg:
            return []
        vals = list(map(int, arg.split(",")))
        for val in vals:
            if val > 255 or val < 0:
                raise ValueError(val)
        return vals
    except Exception:
        raise Invalid("not a valid list of exit codes: " + repr(arg))


def list_of_strings(arg):
    if not arg:
        return []
    return [x.strip() for x in arg.split(",")]


class _Levels:
    critical = 50
    error = 40
    warn = 30
    info = 20
    debug = 10
    trace = 5
    blather = 3


def logging_level(value):
    s = str(value).lower()
    if getattr(_Levels, s, None) is None:
        raise Invalid("bad logging level name %r" % value)
    return s


def dirpath(v):
    # existing_dirpath: the directory part must exist on the loading machine;
    # assumed to here (the host audit checks it).  '~' is kept: it is
    # supervisord's home, not the linter's.
    return v


def directory(v):
    return v


def logfile(val):
    low = val.lower()
    if low in ("none", "off"):
        return None
    if low == "auto":
        return "AUTO"
    if low == "syslog":
        return "SYSLOG"
    return dirpath(val)


def user(name):
    # name_to_uid: a numeric id or a name that must exist in passwd; names
    # are assumed to exist, so only an empty or impossible name is refused.
    try:
        return int(name)
    except ValueError:
        if not name or any(c.isspace() or c == ":" for c in name):
            raise Invalid("Invalid user name %s" % name)
        return name


def user_group(arg):
    parts = arg.split(":", 1)
    try:
        user(parts[0])
        if len(parts) > 1:
            user(parts[1])
    except Invalid:
        raise Invalid("Invalid user:group definition %s" % arg)
    return arg


def port_number(s):
    v = integer(s)
    if v < 1:
        raise Invalid("%r is below lower bound (1)" % v)
    if v > 0xFFFF:
        raise Invalid("%r is above upper bound (65535)" % v)
    return v


def inet_address(s):
    host = ""
    if ":" in s:
        host, s = s.rsplit(":", 1)
        if not s:
            raise Invalid("no port number specified in %r" % s)
        port = port_number(s)
        host = host.lower()
    else:
        try:
            port = port_number(s)
        except Invalid:
            raise Invalid("not a valid port number: %r " % s)
    if not host or host == "*":
        host = ""
    return host, port


_ENTRY_POINT = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


def entry_point(spec):
    # importlib.metadata.EntryPoint(None, spec, None).load(): the module is
    # assumed importable, but a spec its pattern does not match never is.
    if not _ENTRY_POINT.match(spec):
        raise Invalid("cannot be resolved")
    return spec


def process_or_group_name(name):
    s = str(name).strip()
    for character in " :/":
        if character in s:
            raise Invalid("Invalid name: %r because of character: %r" % (name, character))
    return s


def events(value):
    names = set(x.upper() for x in list_of_strings(value))
    return names


def socket_backlog(value):
    v = integer(value)
    if v < 1 or v > 65535:
        raise Invalid("Invalid socket_backlog value %s" % v)
    return v


def buffer_size(value):
    return integer(value)


_TCP_SOCKET = re.compile(r"tcp://([^\s:]+):(\d+)$")


def fcgi_socket(sock):
    """Returns ('unix', path) or ('tcp', (host, port)); Invalid otherwise."""
    if sock.startswith("unix://"):
        path = sock[7:]
        if not os.path.isabs(path):
            raise Invalid("('Unix socket path %s is not an absolute path', " + repr(path) + ")")
        return ("unix", path)
    m = _TCP_SOCKET.match(sock)
    if m:
        return ("tcp", (m.group(1), port_number(m.group(2))))
    raise Invalid("('Bad socket format %s', " + repr(sock) + ")")


CONVERTERS = {
    "boolean": boolean,
    "integer": integer,
    "byte_size": byte_size,
    "octal": octal,
    "signal": signal_number,
    "auto_restart": auto_restart,
    "exitcodes": exitcodes,
    "list_of_strings": list_of_strings,
    "logging_level": logging_level,
    "dirpath": dirpath,
    "directory": directory,
    "logfile": logfile,
    "user": user,
    "user_group": user_group,
    "inet_address": inet_address,
    "entry_point": entry_point,
    "events": events,
    "socket_backlog": socket_backlog,
    "buffer_size": buffer_size,
    "fcgi_socket": fcgi_socket,
    "str": lambda v: v,
    "command": lambda v: v,
    "process_name": lambda v: v,
    "name": process_or_group_name,
}


def convert(type_name, value):
    """Returns (converted, error message or None)."""
    try:
        return CONVERTERS[type_name](value), None
    except Invalid as exc:
        return None, str(exc)


# What a valid value of each type looks like, for messages.
EXPECTED = {
    "boolean": "true or false (also yes/no, on/off, 1/0)",
    "integer": "a whole number such as 10",
    "byte_size": "a number of bytes, optionally with KB, MB or GB (50MB)",
    "octal": "an octal number such as 022",
    "signal": "a signal name (TERM, INT, QUIT, KILL, HUP, USR1, USR2) or number",
    "auto_restart": "true, false or unexpected",
    "exitcodes": "comma-separated exit codes 0-255 (0,2)",
    "logging_level": "one of critical, error, warn, info, debug, trace, blather",
    "inet_address": "port or host:port, port 1-65535",
    "socket_backlog": "a number from 1 to 65535",
    "entry_point": "module:attribute",
    "user_group": "user or user:group",
}
