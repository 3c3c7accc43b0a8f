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
    digits = _digits(value)
    if digits > 4300 and _limited():
        # int()'s digit limit, in the target Python's words, whatever the
        # linter's own Python says (or does not)
        from .target import active
        raise Invalid("Exceeds the limit (%s) for integer string conversion: value has %d "
                      "digits; use sys.set_int_max_str_digits() to increase the limit"
                      % (active().digits_text, digits))
    try:
        if digits > 4300:
            return _unlimited_int(value)
        return int(value)
    except (ValueError, OverflowError) as exc:
        raise Invalid(str(exc))


def _unlimited_int(value):
    """int() of a long digit string on a linter Python that limits it."""
    import sys
    limit = getattr(sys, "get_int_max_str_digits", None)
    if limit is None:
        return int(value)
    old = limit()
    sys.set_int_max_str_digits(0)
    try:
        return int(value)
    finally:
        sys.set_int_max_str_digits(old)


def _limited():
    from .target import active
    return active().digit_limit


def _digits(value):
    """How many digits int() would count in ``value`` (0 when it is no number)."""
    if not isinstance(value, str) or len(value) <= 4300:
        return 0
    body = value.strip().lstrip("+-").replace("_", "")
    return len(body) if body.isdigit() else 0


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


def signal_number(value):
    """supervisor's signal_number, with the target Python's signal module."""
    from .target import active
    table = active().signals
    try:
        num = int(value)
    except (ValueError, TypeError):
        name = value.strip().upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        num = table.get(name)
        if num is None:
            raise Invalid("value %r is not a valid signal name" % value)
    if num not in set(table.values()):
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


LEVELS = ("critical", "error", "warn", "info", "debug", "trace", "blather")


def logging_level(value):
    """supervisor looks the name up with getattr() on a class: a dunder the
    target Python's classes have is 'a level' too (loglevel=__name__ loads)."""
    from .target import active
    s = str(value).lower()
    if s not in LEVELS and s not in active().class_dunders:
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
    from .target import active
    host = ""
    if ":" in s:
        # supervisor 4.2.3 split at the last ':' (an IPv6 host); before, the first
        host, s = s.rsplit(":", 1) if active().inet_splits_last_colon else s.split(":", 1)
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


# pkg_resources.EntryPoint.parse("x=" + spec), supervisor before 4.3
_PKG_ENTRY_POINT = re.compile(r"(?P<name>.+?)\s*=\s*(?P<module>[\w.]+)\s*"
                              r"(:\s*(?P<attr>[\w.]+))?\s*(?P<extras>\[.*\])?\s*$")


def entry_point(spec):
    # importlib.metadata.EntryPoint(None, spec, None).load(): the module is
    # assumed importable, but a spec its pattern does not match never is.
    # Before 4.3, pkg_resources' grammar, whose error is the whole message.
    from .target import active
    if not active().importlib_specs:
        if not _PKG_ENTRY_POINT.match("x=" + spec):
            raise Invalid(str(("EntryPoint must be in 'name=module:attrs [extras]' format",
                               "x=" + spec)))
        return spec
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
