"""What a program's ``command`` runs.

supervisord splits ``command`` (after ``%`` expansion) with ``shlex.split``
in POSIX mode and execs ``argv[0]`` itself: no shell.  This module does the
same split and then looks through the usual wrappers (``sh -c``, ``env``,
``uv run``, ``poetry run``, ``python -m``, ``manage.py``, ...) to the program
that really runs, and for Celery reads the app, the subcommand, the pool and
the options that matter under supervisord.
"""

import os
import re

SHELLS = {"sh", "bash", "dash", "zsh", "ash", "ksh"}
RUNNERS = {  # tool -> how many tokens after it before the wrapped command
    ("uv", "run"): 2, ("poetry", "run"): 2, ("pipenv", "run"): 2, ("pdm", "run"): 2,
    ("hatch", "run"): 2, ("rye", "run"): 2,
}
TRANSPARENT = {"newrelic-admin": 2, "ddtrace-run": 1, "opentelemetry-instrument": 1,
               "nice": 1, "ionice": 1, "chpst": 1, "setsid": 1, "stdbuf": 1, "tini": 1,
               "dumb-init": 1, "pidproxy": 2, "authbind": 1, "envdir": 2}
# Celery 5 options that belong before the subcommand
CELERY_GLOBAL_VALUE = {"-A", "--app", "-b", "--broker", "--result-backend", "--loader",
                       "--config", "--workdir"}
CELERY_GLOBAL_FLAG = {"-C", "--no-color", "-q", "--quiet", "--skip-checks"}
# worker/beat options that take a value (so the next token is not positional)
CELERY_SUB_VALUE = {"-l", "--loglevel", "-c", "--concurrency", "-P", "--pool", "-n",
                    "--hostname", "-Q", "--queues", "-X", "--exclude-queues", "-I",
                    "--include", "-f", "--logfile", "--pidfile", "-s", "--schedule",
                    "--schedule-filename", "-S", "--statedb", "--scheduler", "--time-limit",
                    "--soft-time-limit", "--max-tasks-per-child", "--max-memory-per-child",
                    "--autoscale", "-O", "--prefetch-multiplier", "--uid", "--gid", "--umask",
                    "--executable", "--max-interval", "-E", "--purge", "--port", "--address",
                    "--broker-api", "--basic_auth", "--basic-auth", "--url_prefix",
                    "--url-prefix", "--persistent", "--db", "--state-save-interval",
                    "--heartbeat-interval", "--pool-start-method", "--optimization",
                    "--camera", "--freq", "--frequency", "--maxrate", "-F", "-r"}
CELERY_SUB_FLAGS_TAKE_NO_VALUE = {"-E", "--purge", "--persistent"}
# worker, beat and events flags (Celery 5.7's click definitions)
CELERY_SUB_FLAGS = {"-B", "--beat", "-D", "--detach", "--disable-prefetch", "--discard",
                    "--events", "-E", "--task-events", "--purge", "--without-gossip",
                    "--without-heartbeat", "--without-mingle", "--enable-remote-control",
                    "--no-enable-remote-control", "-d", "--dump"}
# each subcommand's own options (Celery 5.7's click definitions; a test compares)
CELERY_SUB_OPTIONS = {
    "worker": {"--autoscale", "-c", "--concurrency", "-X", "--exclude-queues", "--executable",
               "--gid", "--heartbeat-interval", "-n", "--hostname", "-I", "--include", "-f",
               "--logfile", "-l", "--loglevel", "--max-memory-per-child",
               "--max-tasks-per-child", "-O", "--optimization", "--pidfile", "-P", "--pool",
               "--pool-start-method", "--prefetch-multiplier", "-Q", "--queues", "-s",
               "--schedule", "--schedule-filename", "--scheduler", "--soft-time-limit", "-S",
               "--statedb", "--time-limit", "--uid", "--umask", "-B", "--beat", "-D",
               "--detach", "--disable-prefetch", "--discard", "--purge", "-E", "--events",
               "--task-events", "--without-gossip", "--without-heartbeat", "--without-mingle"},
    "beat": {"--executable", "--gid", "-n", "--hostname", "-f", "--logfile", "-l", "--loglevel",
             "--max-interval", "--pidfile", "-s", "--schedule", "-S", "--scheduler", "--uid",
             "--umask", "--detach", "--enable-remote-control", "--no-enable-remote-control"},
    "events": {"-c", "--camera", "--executable", "-F", "--freq", "--frequency", "--gid", "-f",
               "--logfile", "-l", "--loglevel", "-r", "--maxrate", "--pidfile", "--uid",
               "--umask", "-d", "--dump", "--detach"},
}
# options whose value Celery checks (a type, a choice): an option taken as
# their value ends the start with "Invalid value for ..."
CELERY_CHECKED = {
    "worker": {"-c", "--concurrency", "-l", "--loglevel", "-O", "--optimization",
               "--prefetch-multiplier", "-P", "--pool", "--time-limit", "--soft-time-limit",
               "--max-tasks-per-child", "--pool-start-method", "--max-memory-per-child",
               "--heartbeat-interval", "--autoscale"},
    "beat": {"-l", "--loglevel", "--max-interval"},
    "events": {"-l", "--loglevel", "-F", "--freq", "--frequency"},
}
# what Celery names its options: a value option followed by one of these takes it as its value
CELERY_OPTIONS = CELERY_GLOBAL_VALUE | CELERY_GLOBAL_FLAG | CELERY_SUB_VALUE | CELERY_SUB_FLAGS
# the subcommands that, after -A app, make an unfamiliar program name Celery
CELERY_RUNNING = {"worker", "beat", "events", "flower", "multi"}
REMOVED_CELERY_PROGRAMS = {"celeryd", "celerybeat", "celeryd-multi", "celeryev", "camqadm",
                           "celerycam"}
REMOVED_MANAGE_COMMANDS = {"celery", "celeryd", "celerybeat", "celerycam", "celeryev"}


class Celery:
    """The Celery invocation found in a command."""

    def __init__(self):
        self.index = None             # position of the `celery` token in argv
        self.subcommand = None        # worker, beat, flower, multi, events, ...
        self.sub_index = None         # its position in argv
        self.app = None
        self.options = {}             # normalised option -> value (True for flags)
        self.globals_after = []       # (index, token) of global options after the subcommand
        self.removed = None           # a removed program or option, as written
        self.missing = []             # options that take a value, written without one
        self.swallowed = []           # (index, option, the option it takes as its value)
        self.by_arguments = False     # recognised by -A app SUBCOMMAND, not by its name

    @property
    def pool(self):
        pool = self.options.get("--pool")
        return (pool or "prefork").lower() if pool is not True else "prefork"

    @property
    def is_worker(self):
        return self.subcommand == "worker"

    @property
    def runs_beat(self):
        return self.subcommand == "beat" or (self.is_worker and bool(self.options.get("--beat")))

    @property
    def forks(self):
        return self.is_worker and self.pool in ("prefork", "processes")


class Command:
    def __init__(self, text):
        self.text = text
        self.argv = None              # None when shlex cannot split it
        self.error = None
        self.wrappers = []            # e.g. ['sh -c', 'env', 'uv run', 'python -m']
        self.shell = None             # the shell name when argv is `sh -c STRING`
        self.script = None            # the STRING of `sh -c`
        self.script_execs = None      # True when the script's last command starts with exec
        self.script_commands = 1      # simple commands in the script
        self.script_pipeline = False  # the last command is part of a pipeline
        self.inner = None             # argv of the program that really runs
        self.python = None            # the interpreter, when one runs a module or a script
        self.module = None            # `python -m MODULE`
        self.manage = None            # `manage.py SUBCOMMAND` (or django-admin's)
        self.celery = None
        self.program = None           # basename of the program that really runs (after wrappers)

    # -- argv[0] as supervisord sees it ------------------------------------------------
    @property
    def executable(self):
        return self.argv[0] if self.argv else None

    @property
    def executable_kind(self):
        exe = self.executable
        if not exe:
            return None
        if exe.startswith("~"):
            return "tilde"
        if os.path.isabs(exe):
            return "absolute"
        if "/" in exe:
            return "relative"
        return "bare"



def _base(path):
    """``os.path.basename``."""
    return path.rpartition("/")[2]


_BLANKS = re.compile(r"[ \t\r\n]+")
_ODD_BLANKS = re.compile(r"[\x0b\x0c\x1c-\x1f]")


def split(text):
    """``shlex.split(text)`` as supervisord calls it, without shlex's cost
    when there is nothing for it to interpret (no quote, no backslash)."""
    if '"' not in text and "'" not in text and "\\" not in text:
        if text.isascii() and not _ODD_BLANKS.search(text):
            return text.split(), None     # str.split's ASCII blanks, less these, are shlex's
        return [t for t in _BLANKS.split(text) if t], None
    import shlex
    try:
        return shlex.split(text), None
    except ValueError as exc:
        return None, str(exc)


_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?$")


def _is_python(name):
    return name.startswith(("python", "pypy")) and _PYTHON.match(name) is not None


MAX_LENGTH = 32768   # longer than any real command line; shlex is slow on more


def parse(text):
    """Analyse a command line (already %-expanded)."""
    cmd = Command(text)
    if len(text) > MAX_LENGTH:
        cmd.error = "longer than %d characters: not analysed" % MAX_LENGTH
        return cmd
    argv, error = split(text)
    cmd.argv, cmd.error = argv, error
    if not argv:
        return cmd
    inner = list(argv)
    first = _base(inner[0])
    for _ in range(8 if first in _WRAPPERS or first.startswith(("python", "pypy")) else 0):
        # wrappers nest: sh -c "exec env X=1 uv run celery ..."
        name = _base(inner[0])
        if name in SHELLS and len(inner) >= 3 and inner[1] in ("-c", "-lc", "-ec", "-cl", "-ce"):
            cmd.wrappers.append("%s -c" % name)
            if cmd.shell is None:
                cmd.shell = name
                cmd.script = inner[2]
                _read_script(cmd, inner[2])
            last = _last_command(inner[2])
            if not last:
                break
            if last[0] == "exec":
                last = last[1:]
            if not last:
                break
            inner = last
            continue
        wrapper = None
        if name == "env":
            wrapper = ("env", _skip(inner, 1, _ENV_VALUE, assignments=True))
        elif len(inner) >= 2 and (name, inner[1]) in RUNNERS:
            wrapper = ("%s run" % name, _skip(inner, 2, _RUNNER_VALUE))
        elif name == "conda" and len(inner) >= 2 and inner[1] == "run":
            wrapper = ("conda run", _skip(inner, 2, _CONDA_VALUE))
        if wrapper is not None:
            cmd.wrappers.append(wrapper[0])
            if wrapper[1] >= len(inner):
                break
            inner = inner[wrapper[1]:]
            continue
        if name in TRANSPARENT and len(inner) > 1:
            cmd.wrappers.append(name)
            i = 1
            if name == "newrelic-admin" and inner[1] == "run-program":
                i = 2
            elif name in ("pidproxy", "envdir"):
                i = 2               # pidproxy PIDFILE cmd, envdir DIR cmd
            while i < len(inner) and inner[i].startswith("-") and name not in ("pidproxy",
                                                                                 "envdir"):
                i += 1
            if i >= len(inner):
                break
            inner = inner[i:]
            continue
        if _is_python(name):
            cmd.python = inner[0]
            i = 1
            while i < len(inner) and inner[i].startswith("-") and inner[i] != "-m" \
                    and not inner[i].startswith("-m"):
                if inner[i] in ("-W", "-X", "-c"):
                    if inner[i] == "-c":
                        break
                    i += 1
                i += 1
            if i < len(inner) and inner[i].startswith("-m"):
                module = inner[i][2:] or (inner[i + 1] if i + 1 < len(inner) else None)
                step = 1 if inner[i][2:] else 2
                if module:
                    cmd.module = module
                    cmd.wrappers.append("python -m")
                    inner = [module] + inner[i + step:]
                break
            if i < len(inner) and not inner[i].startswith("-"):
                inner = inner[i:]        # python script.py ...: the script runs
                continue
            break
        break
    cmd.inner = inner
    name = _base(inner[0]) if inner else ""
    if inner:
        cmd.program = name
    if name in ("manage.py", "django-admin", "django-admin.py") and len(inner) > 1:
        cmd.manage = inner[1]
    _read_celery(cmd, inner)
    return cmd


# the first word of every wrapper the loop in parse() looks through (and python*)
_WRAPPERS = frozenset(SHELLS | {"env", "conda"} | {tool for tool, _ in RUNNERS} | set(TRANSPARENT))
_ENV_VALUE = ("-u", "--unset", "-C", "--chdir", "-S", "--split-string")
_RUNNER_VALUE = ("--with", "--python", "-p", "--env-file", "--directory", "--project", "--group",
                 "--extra")
_CONDA_VALUE = ("-n", "--name", "-p", "--prefix", "--cwd")


def _skip(argv, i, takes_value, assignments=False):
    """The index of the wrapped command after a wrapper's own options (and,
    for env, its NAME=VALUE assignments)."""
    while i < len(argv) and (argv[i].startswith("-") or (assignments and "=" in argv[i])):
        if argv[i] in takes_value:
            i += 1
        i += 1
    return i


def _shell_tokens(script):
    import shlex
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|<>()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _simple_commands(script):
    """The simple commands of a shell string, with the operator after each."""
    try:
        tokens = _shell_tokens(script.replace("\n", " ; "))
    except ValueError:
        return []
    commands, current = [], []
    for tok in tokens:
        if tok in (";", "&&", "||", "|", "&", ";;", "|&"):
            commands.append((current, tok))
            current = []
        elif tok in ("(", ")"):
            continue
        else:
            current.append(tok)
    commands.append((current, None))
    return [(c, op) for c, op in commands if c]


def _last_command(script):
    commands = _simple_commands(script)
    return commands[-1][0] if commands else None


def _read_script(cmd, script):
    commands = _simple_commands(script)
    cmd.script_commands = len(commands)
    if not commands:
        cmd.script_execs = False
        return
    last = commands[-1][0]
    cmd.script_execs = last[0] == "exec"
    cmd.script_pipeline = len(commands) > 1 and commands[-2][1] in ("|", "|&")


def _option(token):
    """('--opt', value or None) for '--opt=value', '-Xvalue' forms."""
    if token.startswith("--") and "=" in token:
        opt, value = token.split("=", 1)
        return opt, value
    return token, None


_SHORT_VALUE = {"-A", "-b", "-l", "-c", "-P", "-n", "-Q", "-X", "-I", "-f", "-s", "-S", "-O"}
_LONG = {"-A": "--app", "-b": "--broker", "-l": "--loglevel", "-c": "--concurrency",
         "-P": "--pool", "-n": "--hostname", "-Q": "--queues", "-X": "--exclude-queues",
         "-I": "--include", "-f": "--logfile", "-s": "--schedule", "-O": "-O",
         "-B": "--beat", "-D": "--detach", "-C": "--no-color", "-q": "--quiet",
         "--schedule-filename": "--schedule"}


def _read_celery(cmd, inner):
    if not inner:
        return
    start = None
    name = _base(inner[0])
    if name in REMOVED_CELERY_PROGRAMS:
        cel = Celery()
        cel.index = 0
        cel.removed = name
        cel.subcommand = {"celeryd": "worker", "celerybeat": "beat", "celeryd-multi": "multi",
                          "celeryev": "events", "celerycam": "events"}.get(name)
        _celery_options(cel, inner, 1)
        cmd.celery = cel
        return
    if name == "manage.py" and len(inner) > 1 and inner[1] in REMOVED_MANAGE_COMMANDS:
        cel = Celery()
        cel.index = 1
        cel.removed = "manage.py %s" % inner[1]
        if inner[1] == "celery":
            start = 2
        else:
            cel.subcommand = {"celeryd": "worker", "celerybeat": "beat"}.get(inner[1], "events")
            _celery_options(cel, inner, 2)
            cmd.celery = cel
            return
        cmd.celery = cel
    elif name in ("celery", "celery.exe") or (_unfamiliar(inner[0]) and _celery_arguments(inner)):
        cmd.celery = Celery()
        cmd.celery.index = 0
        cmd.celery.by_arguments = name not in ("celery", "celery.exe")
        start = 1
    else:
        return
    cel = cmd.celery
    i = start
    while i < len(inner):
        tok = inner[i]
        opt, value = _option(tok)
        if not tok.startswith("-") or tok == "-":
            cel.subcommand, cel.sub_index = tok, i
            _celery_options(cel, inner, i + 1)
            return
        if opt in CELERY_GLOBAL_VALUE:
            if value is None and i + 1 < len(inner):
                value = inner[i + 1]
                _swallows(cel, i, opt, value)
                i += 1
            _store(cel, opt, value)
        elif len(opt) > 2 and opt[:2] in _SHORT_VALUE and not opt.startswith("--"):
            if opt[:2] in CELERY_GLOBAL_VALUE:
                _store(cel, opt[:2], opt[2:])
            else:               # -linfo, -c4: a subcommand's option, value attached
                cel.options.setdefault("_before", []).append(opt[:2])
        elif opt in CELERY_SUB_VALUE and opt not in CELERY_SUB_FLAGS_TAKE_NO_VALUE:
            # a subcommand option before the subcommand: keep reading
            if value is None and i + 1 < len(inner):
                i += 1
            cel.options.setdefault("_before", []).append(opt)
        elif opt in CELERY_SUB_FLAGS:
            cel.options.setdefault("_before", []).append(opt)
        else:
            _store(cel, opt, value if value is not None else True)
        i += 1


def _swallows(cel, index, opt, value):
    """click gives an option that takes a value the next word, whatever it
    is: ``--logfile -n w1`` logs to a file named '-n'."""
    if value.split("=", 1)[0] in CELERY_OPTIONS or \
            (value[:2] in _SHORT_VALUE and not value.startswith("--") and len(value) > 2):
        cel.swallowed.append((index, opt, value))


def _unfamiliar(word):
    """A program name that may stand for Celery: one that says so
    (run-celery, a Windows path's celery.exe) or a template's placeholder
    ([PATH], <celery>, {{ celery }}, $CELERY); faust, procrastinate or ssh
    take -A app worker too."""
    return "celery" in word.lower() or re.search(r"[\[\]<>{}$%]", word) is not None


def _celery_arguments(inner):
    """Whether an unfamiliar program's arguments are Celery's: global
    options naming the app (-A/--app), then a subcommand that runs."""
    app = False
    i = 1
    while i < len(inner):
        opt, value = _option(inner[i])
        if opt in ("-A", "--app") or (opt[:2] == "-A" and len(opt) > 2):
            app = True
        if opt in CELERY_GLOBAL_VALUE:
            i += 1 if value is not None else 2
            continue
        if opt in CELERY_GLOBAL_FLAG or (opt[:2] in ("-A", "-b") and len(opt) > 2):
            i += 1
            continue
        return app and opt in CELERY_RUNNING
    return False


def _store(cel, opt, value):
    key = _LONG.get(opt, opt)
    if (value is None or value is True) and (
            opt in CELERY_GLOBAL_VALUE or key in CELERY_GLOBAL_VALUE or
            (opt in CELERY_SUB_VALUE and opt not in CELERY_SUB_FLAGS_TAKE_NO_VALUE)):
        cel.missing.append(opt)       # the last word: Celery says it requires an argument
        return
    if key == "--app":
        cel.app = value
    cel.options[key] = value


def _celery_options(cel, inner, i):
    n = len(inner)
    while i < n:
        tok = inner[i]
        if tok[:1] != "-" or tok == "-":
            i += 1
            continue
        if tok[:2] == "--" and "=" in tok:
            opt, value = tok.split("=", 1)
        else:
            opt, value = tok, None
        if opt in CELERY_GLOBAL_VALUE or opt in CELERY_GLOBAL_FLAG:
            cel.globals_after.append((i, tok))
            if opt in CELERY_GLOBAL_VALUE and value is None and i + 1 < len(inner):
                value = inner[i + 1]
                i += 1
            _store(cel, opt, value if value is not None else True)
            i += 1
            continue
        if opt in ("--autoreload", "--maxtasksperchild", "--no-execv"):
            cel.removed = cel.removed or opt
        if not opt.startswith("--") and len(opt) > 2 and opt[:2] in _SHORT_VALUE:
            _store(cel, opt[:2], opt[2:])
            i += 1
            continue
        if value is None and opt in CELERY_SUB_VALUE and opt not in CELERY_SUB_FLAGS_TAKE_NO_VALUE \
                and i + 1 < len(inner):
            value = inner[i + 1]
            _swallows(cel, i, opt, value)
            i += 1
        _store(cel, opt, value if value is not None else True)
        i += 1
