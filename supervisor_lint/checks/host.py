"""Host rules (SV5xx): what a config needs from the host that runs it,
judged from the host's own files (``ctx.host``, a ``host.Service`` over a
``host.Root``) as the identities that will use them: supervisord's (S,
``[supervisord] user=``, else root), which opens every log file itself
before it forks, and a program's (P, ``user=``, else S), which opens what
the child opens: its directory, its executable and interpreter, Celery's
own files.  They run under ``audit`` only; nothing is executed.

Messages name the identity judged and quote what supervisord (or Celery)
will print, so that an admin can match them with the logs."""

import os
import posixpath
import stat

from . import also, rule
from ._program import finding, programs, first_block
from ..diagnostics import Finding
from ..host import WRITE, EXECUTE

_LOGS = ("stdout_logfile", "stderr_logfile")
_NOT_FILES = (None, "AUTO", "SYSLOG")


def _sd_finding(ctx, message, key=None, severity=None, fatal=False, section="supervisord"):
    setting = ctx.tree.get(section, key) if key else None
    at = setting.entry if setting is not None and not setting.inherited else \
        first_block(ctx, section)
    return Finding(message, fatal, at=at, section=section, key=key, severity=severity)


def _sd_path(ctx, key):
    """(written text, host path) of a [supervisord] path key, when written."""
    value = ctx.loaded.supervisord.get(key)
    if not isinstance(value, str):
        return None, None
    return value, ctx.host.host_path(value)


def _sd(s):
    """supervisord's identity as messages name it."""
    if s.uid == 0:
        return "supervisord (root)"
    return "supervisord (%s, uid %d, groups %s)" % (s.name, s.uid, ",".join(map(str, s.gids)))


def _identity(ctx, prog):
    """P: the program's user= as the root's passwd resolves it, else S; None
    when user= names no account (SV502) or is unknown."""
    if "user" not in prog.settings:
        return ctx.host.identity
    user = prog.values.get("user")
    return ctx.host.root.identity(str(user)) if user is not None else None


def _log_paths(ctx, prog, opened=True):
    """(key, written, host path) of the program's log files: those
    supervisord opens, or with ``opened`` false every one it checks at load
    (a stderr_logfile beside redirect_stderr=true too)."""
    for key in _LOGS:
        if opened and key == "stderr_logfile" and prog.values.get("redirect_stderr"):
            continue
        value = prog.values.get(key)
        if value in _NOT_FILES or not isinstance(value, str):
            continue
        yield key, value, ctx.host.host_path(value)


# [supervisord] paths checked while the config is read: the directory of a
# file (existing_dirpath), or the directory itself (existing_directory)
_SD_PATHS = (("logfile", False), ("pidfile", False), ("childlogdir", True), ("directory", True))


def _sd_directories(ctx, keys=_SD_PATHS):
    """(key, written, host path, whole, directory) of the [supervisord] paths
    written."""
    for key, whole in keys:
        value, path = _sd_path(ctx, key)
        if path is not None:
            yield key, value, path, whole, path if whole else posixpath.dirname(path)


# -- SV501 ---------------------------------------------------------------------------------
@rule("SV501", "missing-directory", "error", category="host", fatal="always", scope="tree")
def missing_directory(ctx):
    host = ctx.host
    for key, value, path, whole, directory in _sd_directories(ctx):
        if _made_at_run_time(host, path):
            continue
        if (not whole and not posixpath.dirname(value)) or host.root.is_dir(directory):
            continue
        said = ("%s is not an existing directory" % value) if whole else (
            "The directory named as part of the path %s does not exist" % value)
        yield _sd_finding(ctx, "%s=%s: %s does not exist on this host%s: supervisord refuses "
                          "to load (\"Error: %s\"); create it, owned by the user supervisord "
                          "runs as" % (key, value, directory, _relative(ctx, value), said),
                          key, fatal=True)
    for prog in programs(ctx):
        for key, value, path in _log_paths(ctx, prog, opened=False):
            if path is None or _made_at_run_time(host, path):
                continue
            directory = posixpath.dirname(path)
            if not posixpath.dirname(value) or host.root.is_dir(directory):
                continue
            yield finding("%s=%s: %s does not exist on this host%s: supervisord refuses to "
                          "load every program (\"Error: The directory named as part of the path "
                          "%s does not exist in section '%s'\"); create it" % (
                              key, value, directory, _relative(ctx, value), value,
                              prog.section), ctx, prog, key, fatal=True)


def _relative(ctx, value):
    if value.startswith(("/", "~")):
        return ""
    return " (a relative path, from supervisord's working directory %s)" % ctx.host.cwd


def _made_at_run_time(host, path):
    """Paths of a copy's /dev, /proc and /sys: the kernel fills them when the
    image runs (/dev/stdout for a container's logs), so a copy cannot tell."""
    return host.root.directory != "/" and path.startswith(("/dev/", "/proc/", "/sys/"))


# -- SV502 ---------------------------------------------------------------------------------
# what nss-systemd adds to the files when nsswitch.conf names it (Debian builds
# it with the nobody group named nogroup)
_SYNTHESIZED_USERS = {"root": 0, "nobody": 65534}
_SYNTHESIZED_GROUPS = {"root": 0, "nobody": 65534, "nogroup": 65534}


def _user_problem(root, text, synthesized=False):
    """supervisord's name_to_uid on the root: its error, or None."""
    return _lookup_problem("user", ((a.name, a.uid) for a in root.accounts()), text,
                           _SYNTHESIZED_USERS if synthesized else {})


def _group_problem(root, text, synthesized=False):
    """supervisord's name_to_gid on the root: its error, or None."""
    return _lookup_problem("group", ((g[0], g[1]) for g in root.groups()), text,
                           _SYNTHESIZED_GROUPS if synthesized else {})


def _lookup_problem(kind, table, text, extra):
    """A number must be the id of an entry of ``table`` (name, id) or of
    ``extra`` (name -> id), a name the name of one."""
    pairs = list(table) + list(extra.items())
    try:
        number = int(text)
    except ValueError:
        found = any(name == text for name, _ in pairs)
        return None if found else "Invalid %s name %s" % (kind, text)
    found = any(ident == number for _, ident in pairs)
    return None if found else "Invalid %s id %s" % (kind, text)


def _nss_sources(root):
    """{database: [sources]} of the root's /etc/nsswitch.conf for passwd and group."""
    found = {}
    data = root.read("/etc/nsswitch.conf") or b""
    for line in data.decode("utf-8", "replace").splitlines():
        key, _, sources = line.partition(":")
        if key.strip() in ("passwd", "group"):
            found[key.strip()] = [s for s in sources.split("#")[0].split()
                                  if not s.startswith("[")]
    return found


def _undecided(root):
    """Why an absent name may still exist (NSS sources beyond the files), or None."""
    if root.incomplete:
        return "/etc/passwd or /etc/group has NIS (+/-) lines"
    for sources in _nss_sources(root).values():
        extra = [s for s in sources if s not in ("files", "compat", "systemd")]
        if extra:
            return "/etc/nsswitch.conf looks users up in %s too" % ", ".join(extra)
    return None


@rule("SV502", "unknown-user", "error", category="host", fatal="per case", scope="tree")
def unknown_user(ctx):
    root = ctx.host.root
    maybe = _undecided(root)
    nss = _nss_sources(root)
    module = bool(root.glob("/usr/lib/*/libnss_systemd.so.2") or
                  root.glob("/lib/*/libnss_systemd.so.2"))
    users = module and "systemd" in nss.get("passwd", ())
    groups = module and "systemd" in nss.get("group", ())

    def report(problem, said, where):
        message, key, section, prog = where
        if maybe:
            text = ("%s: the audit cannot decide: %s, which it does not read; if the name is "
                    "missing there too, supervisord refuses to load (\"Error: %s\")"
                    % (message, maybe, said))
            fatal, severity = False, "info"
        else:
            text = "%s: supervisord refuses to load (\"Error: %s\"); %s" % (message, said, problem)
            fatal, severity = True, None
        if prog is not None:
            return finding(text, ctx, prog, key, fatal=fatal, severity=severity)
        return _sd_finding(ctx, text, key, severity=severity, fatal=fatal, section=section)

    user = ctx.loaded.supervisord.get("user")
    if isinstance(user, str):
        said = _user_problem(root, user, users)
        if said:
            yield report("create the account, or remove user= to run as root", said,
                         ("[supervisord] user=%s: no such account in /etc/passwd" % user,
                          "user", "supervisord", None))
    for prog in programs(ctx):
        value = prog.values.get("user")
        if value is None or "user" not in prog.settings:
            continue
        said = _user_problem(root, str(value), users)
        if said:
            yield report("create the account (useradd --system %s) or fix the name" % value,
                         "%s in section '%s'" % (said, prog.section),
                         ("user=%s: no such account in /etc/passwd" % value, "user", None, prog))
    for section, key, label in _owner_keys(ctx):
        setting = ctx.tree.get(section, key)
        if setting is None or "%" in setting.value:
            continue
        text = setting.value.strip()
        name, _, group = text.partition(":")
        said = _user_problem(root, name, users) or (
            group and _group_problem(root, group, groups))
        if said:
            yield report("create the account or group, or fix the value",
                         "%s %s" % (label, text),
                         ("%s=%s: %s" % (key, text, said.replace("Invalid ", "no such ")),
                          key, section, None))


def _owner_keys(ctx):
    for section in ctx.tree.sections:
        if section == "unix_http_server":
            yield section, "chown", "Invalid sockchown value"
        elif section.startswith("fcgi-program:"):
            yield section, "socket_owner", "Invalid socket_owner value"


# -- SV503 ---------------------------------------------------------------------------------
@rule("SV503", "supervisord-cannot-start", "error", category="host", scope="tree")
def supervisord_cannot_start(ctx):
    host = ctx.host
    s = host.identity
    if s is None:
        return
    value, path = _sd_path(ctx, "logfile")
    if path is not None and value.lower() != "syslog" and \
            host.root.is_dir(posixpath.dirname(path)):
        ok, why = host.root.access(s, path, WRITE, create=True)
        if ok is False:
            yield _sd_finding(ctx, "logfile=%s: %s cannot open its own log: %s; "
                              "it stops at start with a traceback ending in PermissionError "
                              "(exit status 1) and an empty log" % (value, _sd(s), why), "logfile")
    auto = [p for p in programs(ctx)
            if p.values.get("stdout_logfile") == "AUTO" or (
                p.values.get("stderr_logfile") == "AUTO" and not p.values.get("redirect_stderr"))]
    if auto:
        value, path = _sd_path(ctx, "childlogdir")
        if value is None:
            value, path = "/tmp", "/tmp"      # tempfile.gettempdir() under a service
        if path is not None and host.root.is_dir(path):
            ok, why = host.root.access(s, path, WRITE | EXECUTE)
            if ok is False:
                yield _sd_finding(ctx, "childlogdir=%s: %s cannot create the "
                                  "AUTO log files of [%s]%s there: %s; it stops at start with "
                                  "a traceback (PermissionError from mkstemp, exit status 1)"
                                  % (value, _sd(s), auto[0].section,
                                     " and %d more" % (len(auto) - 1) if len(auto) > 1 else "",
                                     why), "childlogdir")
    value, path = _sd_path(ctx, "pidfile")
    if path is not None and host.root.is_dir(posixpath.dirname(path)):
        ok, why = host.root.access(s, path, WRITE, create=True)
        if ok is False:
            yield _sd_finding(ctx, "pidfile=%s: %s cannot write it: %s; it logs "
                              "\"CRIT could not write pidfile %s\" and runs on without one"
                              % (value, _sd(s), why, value), "pidfile", severity="warning")
    setting = ctx.tree.get("unix_http_server", "file")
    if setting is not None and "%" not in setting.value.replace("%(here)s", ""):
        text = setting.value.strip()
        path = host.host_path(text.replace("%(here)s", ctx.tree.here or ""))
        if path is not None:
            directory = posixpath.dirname(path)
            if not host.root.is_dir(directory):
                ok, why, errno = False, "%s does not exist" % directory, "ENOENT (2)"
            else:
                ok, why = host.root.access(s, directory, WRITE | EXECUTE)
                errno = "EACCES (13)"
            if ok is False:
                yield _sd_finding(ctx, "file=%s: %s cannot create its socket: %s; "
                                  "it stops at start (\"Error: Cannot open an HTTP server: "
                                  "socket.error reported errno.%s\", exit status 2)"
                                  % (text, _sd(s), why, errno), "file", section="unix_http_server")


# -- SV505 ---------------------------------------------------------------------------------
@rule("SV505", "log-not-writable", "error", category="host", scope="program")
def log_not_writable(ctx, prog):
    host = ctx.host
    s = host.identity
    if s is None:
        return
    for key, value, path in _log_paths(ctx, prog):
        if path is None or not host.root.is_dir(posixpath.dirname(path)):
            continue              # relative, or SV501
        ok, why = host.root.access(s, path, WRITE, create=True)
        if ok is False:
            yield finding("%s=%s: %s opens the program's log itself, before "
                          "switching to user=, and cannot: %s; every start fails (\"spawnerr: "
                          "unknown error making dispatchers for '%s'\") and the program ends "
                          "FATAL" % (key, value, _sd(s), why, prog.name), ctx, prog, key)
            continue
        if ok is None:
            yield finding("%s=%s: whether %s can open it is not decided: %s"
                          % (key, value, _sd(s), why), ctx, prog, key, severity="info")
            continue
        prefix = key.replace("logfile", "")
        maxbytes = prog.values.get(prefix + "logfile_maxbytes")
        backups = prog.values.get(prefix + "logfile_backups")
        if maxbytes and backups:
            directory = posixpath.dirname(host.root.resolve(path) or path)
            ok, why = host.root.access(s, directory, WRITE | EXECUTE)
            if ok is False:
                yield finding("%s=%s: %s can append to it but cannot rotate it "
                              "(rename it in %s): %s; at the first rotation it logs \"CRIT "
                              "uncaptured python exception\" and the program's output is lost"
                              % (key, value, _sd(s), directory, why), ctx, prog, key,
                              severity="warning")


# -- SV506, SV509, SV510 ---------------------------------------------------------------------
def _program_path(ctx, prog):
    env = prog.values.get("environment") or {}
    return env.get("PATH") or ctx.host.path


def _path_source(ctx, prog):
    if (prog.values.get("environment") or {}).get("PATH"):
        return "the PATH of its environment="
    if "PATH" in ctx.host.env:
        return "the PATH of [supervisord] environment="
    return "the PATH supervisord has as a systemd service, not your shell's"


def _resolved(ctx, prog):
    """(argv0, host path or None, stat or None, how) of the command's
    executable as supervisord's get_execv_args finds it; None when the
    command or its path is unknown here."""
    cmd = prog.command
    if cmd is None or not cmd.argv or "ENV_" in (cmd.argv[0] or ""):
        return None
    argv0 = cmd.argv[0]
    if "/" in argv0:
        path = ctx.host.host_path(argv0, tilde=False)     # no ~ expansion for commands
        if path is None:
            return None
        return argv0, path, ctx.host.root.stat(path), "as written"
    found, st = ctx.host.which(argv0, _program_path(ctx, prog))
    return argv0, found, st, "on %s (%s)" % (_path_source(ctx, prog), _program_path(ctx, prog))


def celery_version(ctx, prog):
    """``(version, where)`` of the Celery distribution a program's command
    runs with, read on the audited host (the virtualenv or the Python of its
    executable); None under ``check`` or when it cannot be told."""
    if ctx.host is None:
        return None
    found = _resolved(ctx, prog)
    if found is None or found[1] is None or found[2] is None:
        return None
    from ..host import distribution_version, packages_of
    root = ctx.host.root
    return distribution_version(root, packages_of(root, found[1]), "celery")


@rule("SV506", "command-not-found", "error", category="host", scope="program")
def command_not_found(ctx, prog):
    found = _resolved(ctx, prog)
    if found is None:
        return
    argv0, path, st, how = found
    s = ctx.host.identity
    if st is None:
        where = "no such file" if "/" in argv0 else "not found %s" % how
        yield finding("command: %s: %s; every start fails (\"spawnerr: can't find command "
                      "'%s'\") and the program ends FATAL" % (argv0, where, argv0),
                      ctx, prog, "command")
    elif stat.S_ISDIR(st.st_mode):
        yield finding("command: %s is a directory (\"spawnerr: command at '%s' is a "
                      "directory\")" % (path, path), ctx, prog, "command")
    elif not st.st_mode & 0o111:
        yield finding("command: %s (%s) has no execute bit (\"spawnerr: command at '%s' is "
                      "not executable\"); chmod +x it" % (path, ctx.host.root.describe(st),
                                                         path), ctx, prog, "command")
    elif s is not None:
        mount = ctx.host.root.mount_of(path)
        if mount is not None and mount.noexec:
            yield finding("command: %s is on a noexec mount (%s): %s refuses it "
                          "(\"spawnerr: no permission to run command '%s'\")"
                          % (path, mount.point, _sd(s), path), ctx, prog, "command")


@rule("SV509", "command-not-executable-by-user", "error", category="host", scope="program")
def command_not_executable_by_user(ctx, prog):
    found = _resolved(ctx, prog)
    p = _identity(ctx, prog)
    if found is None or p is None or found[2] is None or p.uid == 0:
        return
    argv0, path, st, how = found
    mount = ctx.host.root.mount_of(path)
    if stat.S_ISDIR(st.st_mode) or not st.st_mode & 0o111 or (mount and mount.noexec):
        return                    # SV506
    ok, why = ctx.host.root.access(p, path, EXECUTE)
    if ok is False:
        yield finding("command: %s cannot run %s: %s; the child fails after switching user "
                      "(\"supervisor: couldn't exec %s: EACCES\", exit status 127) and the "
                      "program ends FATAL" % (p, path, why, argv0), ctx, prog, "command")
    elif ok is None:
        yield finding("command: whether %s can run %s is not decided: %s" % (p, path, why),
                      ctx, prog, "command", severity="info")


def _shebang(root, path):
    """(interpreter, argument, problem) of an executable's first line as the
    kernel reads it (split at the first blank or tab), or None for a binary."""
    import re
    head = root.head(path)
    if head is None:
        return None
    if head.startswith(b"\x7fELF"):
        return None
    if not head.startswith(b"#!"):
        return None, None, ("it has no #! line and is no binary", "ENOEXEC")
    line = head[2:].split(b"\n", 1)[0]
    text = line.decode("utf-8", "surrogateescape").lstrip(" \t")
    parts = re.split(r"[ \t]+", text, maxsplit=1)
    interpreter, argument = parts[0], (parts[1] if len(parts) > 1 else "")
    if not interpreter.strip("\r"):
        return None, None, ("its #! line names no interpreter", "ENOEXEC")
    if text.endswith("\r"):
        crlf = "its #! line ends in a carriage return (CRLF line ends), so"
        if argument.rstrip(" \t\r"):
            return interpreter, None, ("%s %s gets the argument %r and fails at start"
                                       % (crlf, interpreter, argument.rstrip(" \t")), None)
        return interpreter, None, ("%s the kernel looks for the interpreter %r"
                                   % (crlf, interpreter), "ENOENT")
    return interpreter, argument.strip(" \t"), None


@rule("SV510", "broken-interpreter", "error", category="host", scope="program")
def broken_interpreter(ctx, prog):
    found = _resolved(ctx, prog)
    p = _identity(ctx, prog)
    if found is None or found[2] is None or p is None:
        return
    argv0, path, st, how = found
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
        return
    root = ctx.host.root
    resolved = root.resolve(path)
    venv = _venv_of(root, resolved)
    if venv is not None:
        problem = _venv_home_problem(root, venv)
        if problem:
            yield finding("command: %s belongs to the virtualenv %s, whose %s"
                          % (path, venv, problem), ctx, prog, "command")
            return
    shebang = _shebang(root, path)
    if shebang is None:
        return
    interpreter, argument, problem = shebang
    said = "\"supervisor: couldn't exec %s: %%s\", exit status 127" % argv0
    if problem:
        problem, errno = problem
        if errno is None:
            outcome = "exit status 127 from env, 2 from sh, and supervisord restarts it"
        else:
            outcome = said % errno
        yield finding("command: %s: %s; the child fails (%s)" % (path, problem, outcome),
                      ctx, prog, "command")
        return
    if posixpath.basename(interpreter) == "env" and argument:
        name = argument.split()[0]
        if name.startswith("-"):
            return
        child_path = _program_path(ctx, prog)
        where, _ = ctx.host.which(name, child_path)
        if where is None:
            yield finding("command: %s starts with #!%s %s, and %s is on no directory of the "
                          "PATH the child gets (%s); the child fails (\"/usr/bin/env: '%s': "
                          "No such file or directory\", exit status 127)"
                          % (path, interpreter, argument, name, child_path, name),
                          ctx, prog, "command")
        return
    ist = root.stat(interpreter)
    if ist is None:
        venv_hint = ""
        link = root.resolve(interpreter)
        if link is not None and link != posixpath.normpath(interpreter):
            venv_hint = " (a link to %s, which does not exist)" % link
        yield finding("command: %s runs the interpreter %s, which does not exist on this "
                      "host%s; the child fails (%s)" % (path, interpreter, venv_hint,
                                                        said % "ENOENT"), ctx, prog, "command")
        return
    if not stat.S_ISREG(ist.st_mode):
        yield finding("command: %s runs the interpreter %s, which is not a file; the child "
                      "fails (%s)" % (path, interpreter, said % "EACCES"), ctx, prog, "command")
        return
    ok, why = root.access(p, interpreter, EXECUTE)
    if ok is None:
        yield finding("command: whether %s can run the interpreter %s of %s is not decided: %s"
                      % (p, interpreter, path, why), ctx, prog, "command", severity="info")
    elif ok is False:
        yield finding("command: %s runs the interpreter %s, which %s cannot run: %s; the child "
                      "fails (%s)" % (path, interpreter, p, why, said % "EACCES"),
                      ctx, prog, "command")
        return
    ivenv = _venv_of(root, root.resolve(interpreter, follow=False) or interpreter)
    if ivenv is not None and ivenv != venv:
        problem = _venv_home_problem(root, ivenv)
        if problem:
            yield finding("command: %s runs %s from the virtualenv %s, whose %s"
                          % (path, interpreter, ivenv, problem), ctx, prog, "command")


def _venv_of(root, path):
    """The virtualenv directory holding ``path`` as ``VENV/bin/NAME``, or None."""
    if not path:
        return None
    bindir = posixpath.dirname(path)
    if posixpath.basename(bindir) != "bin":
        return None
    venv = posixpath.dirname(bindir)
    st = root.stat(venv + "/pyvenv.cfg")
    return venv if st is not None and stat.S_ISREG(st.st_mode) else None


def _venv_home_problem(root, venv):
    data = root.read(venv + "/pyvenv.cfg", limit=1 << 16) or b""
    for line in data.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            home = value.strip()
            if home.startswith("/") and not root.is_dir(home):
                return ("pyvenv.cfg names home = %s, which does not exist on this host: the "
                        "Python the virtualenv was made from is gone (upgraded or removed); "
                        "recreate the virtualenv" % home)
    python = venv + "/bin/python"
    if root.stat(python) is None and root.resolve(python, follow=False) and \
            root.resolve(python) != root.resolve(python, follow=False):
        return ("bin/python is a link to %s, which does not exist on this host; recreate the "
                "virtualenv" % root.resolve(python))
    return None


# -- SV507, SV508 ---------------------------------------------------------------------------
@rule("SV507", "cannot-switch-user", "error", category="host", scope="program")
def cannot_switch_user(ctx, prog):
    s = ctx.host.identity
    p = _identity(ctx, prog)
    if s is None or p is None or s.uid == 0 or p.uid == s.uid:
        return
    yield finding("user=%s: supervisord runs as %s (not root) and cannot switch to %s; every "
                  "start fails in the child (\"supervisor: couldn't setuid to %d: Can't drop "
                  "privilege as nonroot user\", exit status 127)" % (
                      prog.values.get("user"), s, p, p.uid), ctx, prog, "user")


@rule("SV508", "directory-not-enterable", "error", category="host", scope="program")
def directory_not_enterable(ctx, prog):
    value = prog.values.get("directory")
    p = _identity(ctx, prog)
    if not isinstance(value, str) or p is None or "directory" not in prog.settings:
        return
    path = ctx.host.host_path(value, tilde=False)       # chdir() expands nothing
    if path is None:
        return
    root = ctx.host.root
    if not root.is_dir(path):
        st = root.stat(path)
        what = "does not exist" if st is None else "is not a directory"
        errno = "ENOENT" if st is None else "ENOTDIR"
        yield finding("directory=%s %s on this host; every start fails in the child "
                      "(\"supervisor: couldn't chdir to %s: %s\", exit status 127)"
                      % (value, what, value, errno), ctx, prog, "directory")
        return
    ok, why = root.access(p, path, EXECUTE)
    if ok is None:
        yield finding("directory=%s: whether %s can enter it is not decided: %s"
                      % (value, p, why), ctx, prog, "directory", severity="info")
    elif ok is False:
        yield finding("directory=%s: %s cannot enter it (supervisord switches user before it "
                      "changes directory): %s; every start fails (\"supervisor: couldn't chdir "
                      "to %s: EACCES\", exit status 127)" % (value, p, why, value),
                      ctx, prog, "directory")


# -- SV512 ---------------------------------------------------------------------------------
_CELERY_FILES = (("--logfile", "logfile"), ("--pidfile", "pidfile"), ("--statedb", "state db"))
_DBM_SUFFIXES = ("", ".db", ".dat", ".dir", ".bak", ".pag")


@rule("SV512", "celery-path-not-writable", "error", category="host", scope="program")
def celery_path_not_writable(ctx, prog):
    cel = prog.celery
    p = _identity(ctx, prog)
    if cel is None or p is None or cel.removed or cel.subcommand not in ("worker", "beat"):
        return
    root = ctx.host.root
    cwd = _celery_cwd(ctx, prog, cel)
    wanted = []
    for option, what in _CELERY_FILES:
        value = cel.options.get(option)
        if option == "--statedb" and value is None and cel.subcommand == "worker":
            value = cel.options.get("-S")
        if isinstance(value, str):
            wanted.append((option, what, value, option == "--statedb"))
    if cel.runs_beat:
        value = cel.options.get("--schedule")
        scheduler = cel.options.get("--scheduler") or (
            cel.options.get("-S") if cel.subcommand == "beat" else None)
        if isinstance(value, str):
            wanted.append(("--schedule", "beat schedule", value, True))
        elif not scheduler:
            wanted.append(("--schedule", "beat schedule (the default celerybeat-schedule in "
                           "its working directory)", "celerybeat-schedule", True))
    for option, what, value, dbm in wanted:
        if "ENV_" in value:
            continue
        path = value if value.startswith("/") else (
            posixpath.join(cwd, value) if cwd is not None else None)
        path = ctx.host.host_path(path, tilde=False) if path is not None else None
        if path is None:
            continue
        directory = posixpath.dirname(path)
        name = posixpath.basename(path)
        if "%" in directory:
            continue
        if "%" in name:
            path = directory + "/" + name.replace("%", "x")    # a name Celery formats
        if not root.is_dir(directory):
            yield finding("command: %s %s: the directory %s does not exist on this host; "
                          "Celery exits at start and supervisord restarts it over and over "
                          "(a crash loop, never FATAL with startsecs=1)"
                          % (option, value, directory), ctx, prog, "command")
            continue
        suffixes = _DBM_SUFFIXES if dbm else ("",)
        problems, undecided = [], None
        for suffix in suffixes:
            ok, why = root.access(p, path + suffix, WRITE, create=True)
            if ok is False:
                problems.append((path + suffix, why))
            elif ok is None:
                undecided = why
        if not problems:
            if undecided:
                yield finding("command: %s %s: whether %s can write it is not decided: %s"
                              % (option, value, p, undecided), ctx, prog, "command",
                              severity="info")
            continue
        target, why = problems[0]
        dir_ok = root.access(p, directory, WRITE | EXECUTE)[0]
        if dbm and dir_ok and root.stat(target) is not None:
            yield finding("command: %s %s: %s cannot write the existing %s (%s): beat logs "
                          "\"Removing corrupted schedule file\", deletes it and starts a new "
                          "one, so the last run times are lost; chown it to %s"
                          % (option, value, p, target, why, p.name), ctx, prog, "command",
                          severity="warning")
            continue
        yield finding("command: %s %s: %s cannot write the %s: %s; Celery exits at start "
                      "(PermissionError) and supervisord restarts it over and over (a crash "
                      "loop, never FATAL with startsecs=1)" % (option, value, p, what, why),
                      ctx, prog, "command")


def _celery_cwd(ctx, prog, cel):
    workdir = cel.options.get("--workdir")
    directory = prog.values.get("directory")
    base = directory if isinstance(directory, str) and "directory" in prog.settings else "/"
    if isinstance(workdir, str):
        return workdir if workdir.startswith("/") else posixpath.join(base, workdir)
    return base


# -- SV511 ---------------------------------------------------------------------------------
@rule("SV511", "wrong-venv-binary", "warning", category="host", scope="program")
def wrong_venv_binary(ctx, prog):
    found = _resolved(ctx, prog)
    if found is None or found[2] is None or not stat.S_ISREG(found[2].st_mode):
        return
    argv0, path, st, how = found
    root = ctx.host.root
    venv = _venv_of(root, root.resolve(path, follow=False) or path)
    if venv is None:
        return
    cmd = prog.command
    if cmd is not None and cmd.module == "celery" and cmd.python is not None and \
            posixpath.basename(argv0).startswith(("python", "pypy")):
        if not root.glob(venv + "/lib/*/site-packages/celery/__init__.py"):
            yield finding("command: %s runs python -m celery, but the virtualenv %s has no "
                          "celery package (lib/python*/site-packages/celery): the program exits "
                          "at once (\"No module named celery\") and supervisord restarts it; "
                          "install celery there or use the virtualenv that has it"
                          % (path, venv), ctx, prog, "command", severity="error")
        return
    shebang = _shebang(root, path)
    if shebang is None or shebang[2] or not shebang[0]:
        return
    interpreter = shebang[0]
    ist = root.stat(interpreter)
    if posixpath.basename(interpreter) == "env" or ist is None or \
            not stat.S_ISREG(ist.st_mode):
        return                    # SV510's
    ivenv = _venv_of(root, posixpath.normpath(interpreter))
    if ivenv == venv:
        return
    other = "the virtualenv %s" % ivenv if ivenv else "the interpreter %s outside it" % (
        interpreter)
    yield finding("command: %s lives in the virtualenv %s but its #! line runs %s (%s): it "
                  "runs with that environment's packages, not its own (a copied or moved "
                  "virtualenv), and breaks when that one goes; recreate %s in place"
                  % (path, venv, interpreter, other, venv), ctx, prog, "command")


# -- SV515 ---------------------------------------------------------------------------------
@rule("SV515", "readable-secrets", "warning", category="host", scope="tree")
def readable_secrets(ctx):
    root = ctx.host.root
    for doc in ctx.tree.docs:
        host = root.host_of(doc.path) if os.path.isabs(doc.path) else None
        if host is None:
            continue
        st = root.stat(host)
        if st is None or not st.st_mode & 0o004:
            continue
        first = next((e for e in doc.entries if _credential(e)), None)
        if first is None:
            continue
        yield Finding("%s holds a credential (%s=) and is readable by every local user (%s); "
                      "chmod o-r it (0640 or 0600; supervisord reads it as root)"
                      % (host, first.key, root.describe(st)), False, at=first,
                      section=first.section.name, key=first.key)


def _credential(entry):
    """A value that holds a credential itself, not a %(ENV_X)s reference to one."""
    import re
    from .. import environment as envgrammar
    from ..loader import holds_secret
    from ..redact import secret_name, text_spans

    def own(value):
        return re.sub(r"%\(ENV_\w+\)s", "", value).strip()
    if entry.key == "environment":
        env, error = envgrammar.parse(entry.value)
        return bool(env) and any((secret_name(k) and own(v)) or text_spans(own(v))
                                 for k, v in env.items())
    value = own(entry.value)
    return bool(value) and holds_secret(entry.key, value)


# -- SV516 ---------------------------------------------------------------------------------
@rule("SV516", "file-not-included", "warning", category="host", scope="tree")
def file_not_included(ctx):
    from ..tree import looks_like_supervisor
    root = ctx.host.root
    patterns = ctx.tree.host_patterns
    setting = ctx.tree.get("include", "files")
    if not patterns or setting is None:
        return
    matched = set()
    for pattern in patterns:
        matched.update(root.glob(pattern))
    directories = []
    for pattern in patterns:
        directory = posixpath.dirname(pattern)
        if directory not in directories and not _has_magic(directory) and \
                root.is_dir(directory):
            directories.append(directory)
    for directory in directories:
        for candidate in root.glob(directory + "/*"):
            if candidate in matched or not candidate.endswith((".conf", ".ini")):
                continue
            data = root.read(candidate, limit=1 << 16)
            if data is None or not looks_like_supervisor(data):
                continue
            yield Finding("%s holds supervisor sections but is never loaded: no [include] "
                          "pattern matches it (files = %s), and supervisord says nothing about "
                          "it; rename it to match, or add a pattern"
                          % (candidate, setting.value.strip()), False, at=setting.entry,
                          section="include", key="files")


def _has_magic(text):
    return any(c in text for c in "*?[")


# -- SV514 ---------------------------------------------------------------------------------
@rule("SV514", "service-stop-timeout", "warning", category="host", scope="tree")
def service_stop_timeout(ctx):
    from ..host import seconds
    unit = ctx.host.unit
    if unit is None:
        return
    path, settings = unit
    timeout, source = None, None
    if "Service.TimeoutStopSec" in settings:      # (TimeoutSec= sets it too, when later)
        timeout, source = seconds(settings["Service.TimeoutStopSec"]), "TimeoutStopSec"
    if timeout is None:
        manager = ctx.host.root.system_conf().get("Manager.DefaultTimeoutStopSec")
        timeout = seconds(manager) if manager else None
        source = "DefaultTimeoutStopSec in /etc/systemd/system.conf" if manager else \
            "systemd's default"
        if timeout is None:
            timeout = 90.0
    if timeout == 0:
        return                    # 0 turns the timeout off (systemd.service(5))
    groups = {}
    for prog in programs(ctx):
        wait = prog.values.get("stopwaitsecs")
        wait = 10 if wait is None else wait
        if prog.group not in groups or wait > groups[prog.group][0]:
            groups[prog.group] = (wait, prog)
    if not groups:
        return
    total = sum(w for w, _ in groups.values())
    if total <= timeout:
        return
    wait, worst = max(groups.values(), key=lambda item: item[0])
    kill_mode = settings.get("Service.KillMode", "control-group")
    shown = "%g s" % timeout
    if kill_mode == "process":
        what = ("with KillMode=process systemd then kills supervisord alone: the programs it "
                "has not stopped yet keep running unsupervised, and a restart starts second "
                "copies (two beats send every periodic task twice)")
        severity = "error"
    else:
        what = ("systemd then kills every process of the service (KillMode=%s): workers still "
                "in a warm shutdown lose their running tasks" % kill_mode)
        severity = "warning"
    if len(groups) == 1:
        takes = "its shutdown may take up to %g s (stopwaitsecs of [%s])" % (total, worst.section)
    else:
        takes = ("supervisord stops its %d groups one after another and may take up to %g s "
                 "(the largest stopwaitsecs of each; [%s] alone %d s)"
                 % (len(groups), total, worst.section, wait))
    yield finding("%s gives supervisord %s to stop (%s), but %s; %s; set TimeoutStopSec=%d in "
                  "a drop-in (systemctl edit %s)" % (
                      path, shown, source, takes, what, int(total) + 30,
                      posixpath.basename(path)),
                  ctx, worst, "stopwaitsecs", severity=severity)


# -- SV504 ---------------------------------------------------------------------------------
@rule("SV504", "lost-at-reboot", "warning", category="host", scope="tree")
def lost_at_reboot(ctx):
    root = ctx.host.root
    kept = None
    for directory, shown, consequence, section, key, setting in _runtime_directories(ctx):
        resolved = root.resolve(directory)
        if resolved is None or not root.is_dir(resolved):
            continue
        mount = root.mount_of(resolved)
        point = None
        if mount is not None and mount.volatile:
            point = mount.point.rstrip("/") or "/"
        elif resolved == "/run" or resolved.startswith("/run/"):
            point = "/run"                # a tmpfs on every systemd host
        if point is None or resolved == point:
            continue
        if kept is None:
            kept = _recreated(ctx)
        if any(resolved == k or resolved.startswith(k + "/") for k in kept):
            continue
        yield Finding("%s: %s is on a tmpfs (%s), so it is gone after a reboot, and no "
                      "tmpfiles.d entry or RuntimeDirectory= recreates it; %s. Add "
                      "\"d %s 0755 root root -\" to /etc/tmpfiles.d/supervisor.conf"
                      % (shown, directory, point, consequence, resolved), False,
                      at=setting.entry if setting is not None else None, section=section,
                      key=key)


def _recreated(ctx):
    kept = set(ctx.host.root.tmpfiles_directories())
    unit = ctx.host.unit
    if unit is not None:
        for key, base in (("Service.RuntimeDirectory", "/run"),
                          ("Service.LogsDirectory", "/var/log"),
                          ("Service.StateDirectory", "/var/lib")):
            for name in unit[1].get(key, "").split():
                kept.add(posixpath.normpath(base + "/" + name.split(":")[0]))
    return kept


def _runtime_directories(ctx):
    """(directory, key=value, consequence, section, key, setting) of the
    directories supervisord or a program needs at start."""
    host = ctx.host
    refused = "supervisord will then refuse to load the config (SV501)"
    setting = ctx.tree.get("unix_http_server", "file")
    if setting is not None and "%" not in setting.value:
        path = host.host_path(setting.value.strip())
        if path:
            yield (posixpath.dirname(path), "file=%s" % setting.value.strip(),
                   "supervisord will then stop at start (\"Cannot open an HTTP server: "
                   "socket.error reported errno.ENOENT (2)\")", "unix_http_server", "file",
                   setting)
    for key, value, path, whole, directory in _sd_directories(ctx, _SD_PATHS[:3]):
        yield (directory, "%s=%s" % (key, value), refused, "supervisord", key,
               ctx.tree.get("supervisord", key))
    for prog in programs(ctx):
        for key, value, path in _log_paths(ctx, prog):
            if path is not None:
                yield (posixpath.dirname(path), "%s=%s" % (key, value), refused,
                       prog.section, key, prog.settings.get(key))


# -- SV513 ---------------------------------------------------------------------------------
# what systemd puts in a system service's environment without User= (systemd.exec(5))
SERVICE_ENVIRONMENT = {"PATH", "LANG", "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID",
                       "NOTIFY_SOCKET", "MAINPID", "RUNTIME_DIRECTORY", "LOGS_DIRECTORY",
                       "STATE_DIRECTORY", "CACHE_DIRECTORY", "CONFIGURATION_DIRECTORY",
                       "CREDENTIALS_DIRECTORY", "MANAGERPID"}


@rule("SV513", "service-environment", "info", category="host", scope="program")
def service_environment(ctx, prog):
    s = ctx.host.identity
    p = _identity(ctx, prog)
    if s is None or p is None or p.uid == s.uid:
        return
    env = prog.values.get("environment") or {}
    if "HOME" in env or "HOME" in ctx.host.env:
        return
    account = ctx.host.root.account(str(p.uid))
    home = account.home if account is not None else "its home"
    yield finding("user=%s: supervisord switches the uid but not HOME, USER or LOGNAME: the "
                  "program gets supervisord's (none under systemd without User=, /root when "
                  "started from a root shell), so whatever it writes under ~ goes to the wrong "
                  "place or fails; add environment=HOME=\"%s\",USER=\"%s\""
                  % (prog.values.get("user"), home, p.name), ctx, prog, "user")


@also("SV513", scope="tree")
def service_environment_names(ctx):
    """%(ENV_X)s names that the service's environment does not hold."""
    import re
    unit = ctx.host.unit
    if unit is None:
        return
    path, settings = unit
    if "Service.EnvironmentFile" in settings or "Service.PassEnvironment" in settings:
        return                    # names from a file or the manager: not known here
    given = set(SERVICE_ENVIRONMENT)
    given.update(_environment_names(settings.get("Service.Environment", "")))
    given.update(k[4:] for k in ctx.loaded.env)
    seen = set()
    for doc in ctx.tree.docs:
        for entry in doc.entries:
            for name in re.findall(r"%\(ENV_(\w+)\)", entry.value):
                if name in given or name in seen:
                    continue
                if entry.key != "environment" and entry.section.name.startswith(
                        ("program:", "eventlistener:", "fcgi-program:")):
                    # (4.2.2 and later: a program's environment= defines it for its
                    # other keys)
                    own = ctx.tree.get(entry.section.name, "environment")
                    if own is not None and re.search(r"(^|,)\s*%s\s*=" % re.escape(name),
                                                     own.value):
                        continue
                seen.add(name)
                yield Finding("%%(ENV_%s)s comes from supervisord's own environment, and "
                              "started by %s it has no %s (a service gets PATH, LANG and what "
                              "Environment= sets, not your shell's variables): supervisord "
                              "refuses the config (\"Format string ... contains names "
                              "('ENV_%s') which cannot be expanded\"); set it with "
                              "Environment=%s=... in a drop-in, or in [supervisord] "
                              "environment=" % (name, path, name, name, name),
                              False, at=entry, section=entry.section.name, key=entry.key,
                              severity="warning")


def _environment_names(text):
    """The names an Environment= line sets (its words as host.py reads units)."""
    from ..host import _words
    return {w.split("=", 1)[0] for w in _words(text) if "=" in w}
