"""What the program rules share: where a finding about a program goes, how to
add a key to its section, and what its command runs."""

from ..diagnostics import Finding
from ..fixes import insert_key

TERM, QUIT, KILL, INT = 15, 3, 9, 2
# programs that fork worker processes of their own
FORKING = {"gunicorn", "uwsgi", "hypercorn", "dramatiq", "huey_consumer", "rq", "rqworker",
           "arq", "php-fpm", "php-fpm7", "php-fpm8", "nginx", "apache2", "httpd", "puma",
           "unicorn", "sidekiq"}
# long-running services that should come back whatever their exit status
LONG_RUNNING = FORKING | {"uvicorn", "daphne", "celery", "flower", "node", "redis-server",
                          "memcached", "rqscheduler", "huey", "hypercorn", "waitress-serve"}
STREAMS = ("/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/fd/2", "/proc/self/fd/1",
           "/proc/self/fd/2", "/dev/tty", "/dev/console")


def programs(ctx):
    """Every program-like section supervisord builds, in its load order."""
    return ctx.loaded.programs.values()


def first_block(ctx, section):
    blocks = ctx.tree.blocks.get(section)
    return blocks[0] if blocks else None


def last_block(ctx, section):
    blocks = ctx.tree.blocks.get(section)
    return blocks[-1] if blocks else None


def at_key(prog, key):
    """The entry that sets ``key`` in the program's own section (not [DEFAULT])."""
    s = prog.settings.get(key)
    return s if s is not None and not s.inherited else None


def finding(message, ctx, prog, key=None, fix=None, severity=None, fatal=False):
    """A finding on ``key``'s line when the section writes it, else on the
    section's header."""
    setting = at_key(prog, key) if key else None
    at = setting.entry if setting is not None else first_block(ctx, prog.section)
    return Finding(message, fatal, at=at, section=prog.section, key=key, fix=fix,
                   severity=severity)


def forks(prog):
    """(forks, what) for programs whose children outlive a SIGKILL to the parent."""
    cmd = prog.command
    if cmd is None or not cmd.inner:
        return False, None
    cel = cmd.celery
    if cel is not None:
        if cel.forks:
            return True, "a Celery prefork worker"
        return False, None
    name = cmd.program
    if name == "gunicorn":
        # its workers watch their master's pid and exit when it is gone: a
        # SIGKILL to the master leaves no orphan behind
        return False, None
    if name in FORKING:
        return True, name
    if name == "uvicorn":
        workers = _option(cmd.inner, "--workers")
        if workers is not None and workers != "1":
            return True, "uvicorn --workers"
    return False, None


def _option(argv, name):
    """The value of ``--name VALUE`` or ``--name=VALUE`` in argv, or None."""
    for i, token in enumerate(argv):
        if token == name and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith(name + "="):
            return token.split("=", 1)[1]
    return None


def add(ctx, prog, key, value, safety="safe", why=None):
    """A Fix adding ``key=value`` to the program's section (its last block)."""
    block = last_block(ctx, prog.section)
    if block is None:
        return None
    return insert_key(block, key, value, safety, why)


def effective_signal(prog):
    sig = prog.values.get("stopsignal")
    return TERM if sig is None and prog.written("stopsignal") is None else sig


def env(prog):
    return prog.values.get("environment") or {}
