"""Celery under supervisord: the command line, beat, shutdown and node names.
Facts checked against Celery 5.7.0's source (celery/bin/celery.py,
celery/apps/worker.py, celery/concurrency/prefork.py)."""

import os
import re

from . import rule
from ._program import (INT, KILL, QUIT, TERM, _option, add, at_key, effective_signal, env,
                       finding,
                       programs)
from ..command import CELERY_GLOBAL_VALUE as _GLOBAL_VALUE
from ..command import CELERY_CHECKED as _CHECKED, CELERY_SUB_OPTIONS as _SUB_OPTIONS
from ..diagnostics import Edit, Fix
from ..fixes import replace_value
from ..redact import has_secret

_DB_SCHEDULER = re.compile(r"(database|redbeat|redis|mongo|sqlalchemy)", re.I)


def _moved(argv, cel):
    """The global options written after the subcommand, with their values."""
    out = []
    for index, tok in cel.globals_after:
        out.append(tok)
        if "=" not in tok and tok in _GLOBAL_VALUE and index + 1 < len(argv):
            out.append(argv[index + 1])
    return out


def _reorder_fix(prog, cel):
    """Move the global options (with their values) written after the
    subcommand to just after `celery`.  Offered only when the command is one
    plain line whose words are the argv (no quotes, no continuation)."""
    written = at_key(prog, "command")
    if written is None or written.entry.continuations or written.inherited:
        return None
    entry = written.entry
    text = entry.line.text[entry.value_start:entry.value_end]
    cmd = prog.command
    if text != prog.command_text or cmd.wrappers or text != " ".join(cmd.argv) \
            or "--" in cmd.argv:
        return None     # quoting, odd spacing or '--': not a plain reordering
    for index, tok in cel.globals_after:
        if "=" not in tok and tok in _GLOBAL_VALUE and (
                index + 1 >= len(cmd.argv) or cmd.argv[index + 1].startswith("-")):
            return None     # an option without its value
    if has_secret(text):
        return None     # the replacement would carry the secret into the report
    if cel.subcommand not in CELERY_SUBCOMMANDS:
        return None     # reordered, it would still fail (SV410)
    argv = list(cmd.argv)
    moving = _moved(argv, cel)
    skip = set()
    for index, tok in cel.globals_after:
        skip.add(index)
        if "=" not in tok and tok in _GLOBAL_VALUE and index + 1 < len(argv):
            skip.add(index + 1)
    rest = [t for i, t in enumerate(argv) if i not in skip]
    at = cel.index + 1
    new = rest[:at] + moving + rest[at:]
    line = entry.line
    return Fix("safe", [Edit(line.byte_offset(entry.value_start), line.byte_offset(entry.value_end),
                             " ".join(new))], "move %s before %s" % (" ".join(moving),
                                                                     cel.subcommand),
               keys=[(entry.section.name, "command")], document=entry.document, anchor=entry)


@rule("SV401", "celery-option-order", "error", category="celery", scope="program")
def option_order(ctx, prog):
    cel = prog.celery
    if cel is None or cel.removed:
        return
    multi = cel.subcommand == "multi"
    missing = [opt for opt in cel.missing
               if multi or not any(tok == opt for _, tok in cel.globals_after)]
    if missing:
        opt = missing[0]
        yield finding("%s ends the command without its value: Celery exits at once "
                      "with \"Option '%s' requires an argument\"%s; give it a value" % (
                       opt, opt, " in every node celery multi starts" if multi else ""),
                      ctx, prog, "command")
        return
    if cel.subcommand is None:
        return
    before = cel.options.get("_before")
    if before and (multi or not cel.globals_after):
        # (the celery group parses what comes before any subcommand, multi's too)
        sub = cel.subcommand
        if all(opt in _SUB_OPTIONS.get(sub, ()) for opt in before):
            advice = "it belongs to the %s subcommand; write celery -A app %s %s ..." % (
                sub, sub, " ".join(before))
        else:
            advice = "it is no option of celery itself%s" % (
                "; celery multi passes the options after its node names to its workers"
                if multi else "")
        yield finding("celery %s %s: Celery 5 rejects %s before the subcommand and exits at "
                      "once (\"No such option '%s'\"); %s" % (
                       " ".join(before), sub, ", ".join(before), before[0], advice),
                      ctx, prog, "command")
        return
    if multi:
        return   # celery multi passes its arguments on to the workers it starts
    if not cel.globals_after:
        return
    opts = ", ".join(tok.split("=", 1)[0] for _, tok in cel.globals_after)
    moved = " ".join(_moved(prog.command.inner, cel))
    for opt in cel.missing:
        moved = moved.replace(opt, "%s %s" % (opt, "proj" if opt in ("-A", "--app")
                                              else "VALUE"), 1)
    yield finding("celery %s %s: Celery 5 takes %s only before the subcommand and "
                  "exits at once with \"No such option\" (Celery 4 accepted both orders); write "
                  "celery %s %s ..." % (
                   cel.subcommand, opts, opts, moved, cel.subcommand),
                  ctx, prog, "command", fix=_reorder_fix(prog, cel))


def _beat_instances(prog):
    cel = prog.celery
    if cel is None or not cel.runs_beat:
        return 0
    numprocs = prog.values.get("numprocs")
    return max(numprocs if numprocs is not None else 1, 0)


@rule("SV402", "beat-not-singleton", "error", category="celery", scope="tree")
def beat_not_singleton(ctx):
    beats = [(p, _beat_instances(p)) for p in programs(ctx)]
    beats = [(p, n) for p, n in beats if n > 0]
    lockers = [p for p, _ in beats
               if "redbeat" in str(p.celery.options.get("-S") or p.celery.options.get("--scheduler")
                                   or "").lower()]
    total = sum(n for _, n in beats)
    if total <= 1 or len(lockers) == len(beats):
        return
    names = ", ".join("[%s]%s" % (p.section, " x%d" % n if n > 1 else "") for p, n in beats[:3])
    if len(beats) > 3:
        names += " and %d more" % (len(beats) - 3)
    for prog, n in beats:
        cel = prog.celery
        how = "beat" if cel.subcommand == "beat" else "a worker with -B"
        if n > 1:
            msg = ("%s with numprocs=%d runs %d schedulers: every periodic task is sent %d "
                   "times; run beat as one program with numprocs=1" % (how, n, n, n))
            key = "numprocs"
        else:
            msg = ("%d beat schedulers in this configuration (%s): every periodic task is sent "
                   "%d times; keep exactly one" % (total, names, total))
            key = "command"
        yield finding(msg, ctx, prog, key)


def _stopwait(prog):
    value = prog.values.get("stopwaitsecs")
    return 10 if value is None and prog.written("stopwaitsecs") is None else value


def _seconds(text):
    if text is None:
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@rule("SV403", "short-stopwaitsecs", "warning", category="celery", scope="program")
def short_stopwaitsecs(ctx, prog):
    cel = prog.celery
    if cel is None:
        yield from _short_stopwait_jobs(ctx, prog)
        return
    if not cel.is_worker:
        return
    wait = _stopwait(prog)
    if wait is None:
        return
    limit = _seconds(cel.options.get("--time-limit"))
    soft = _seconds(cel.options.get("--soft-time-limit"))
    bound = limit if limit is not None else soft
    target = max(600, int(bound) + 30) if bound is not None else 600
    if bound is not None and wait <= bound:
        why = "the worker's %s is %g s" % ("--time-limit" if limit is not None else
                                           "--soft-time-limit", bound)
    elif wait < 60:
        why = "a warm shutdown waits for the running tasks"
    else:
        return
    what, fix = _stopwait_raised(ctx, prog, wait, target)
    yield finding("%s, but %s: supervisord SIGKILLs the worker when it runs out and "
                  "the tasks still running are lost; set stopwaitsecs=%d" % (what, why, target),
                  ctx, prog, "stopwaitsecs", fix=fix)


def _job_worker(prog):
    """For job workers other than Celery that finish the running job on
    their stop signal: (the longest it waits in seconds, whether
    that bound is written in the command, why), else None.  Checked against
    Laravel's guide, rq 2 (Worker.request_stop, Queue.DEFAULT_TIMEOUT),
    dramatiq 1 (--worker-shutdown-timeout) and huey 3 (-g/--graceful-signal,
    -t/--shutdown-timeout; huey 2 has neither: INT is its graceful signal)."""
    cmd = prog.command
    argv = cmd.inner if cmd is not None and cmd.inner else []
    names = [a.rpartition("/")[2] for a in argv]
    if "artisan" in names:
        at = names.index("artisan")
        if at + 1 >= len(argv) or argv[at + 1] != "queue:work":
            return None
        timeout = _option(argv[at + 2:], "--timeout")
        bound = _seconds(timeout) if timeout is not None else 60.0
        return (bound, True,
                "queue:work finishes the running job on TERM and may take its --timeout "
                "(%g s)" % bound if bound is not None else "")
    name = names[0] if names else ""
    if (name == "rq" and argv[1:2] in (["worker"], ["worker-pool"])) or \
            (name == "manage.py" and argv[1:2] == ["rqworker"]):
        return (180.0, False, "rq worker finishes the running job on TERM (a warm "
                "shutdown), and an rq job may run for its job_timeout (180 s by default)")
    if name == "dramatiq":
        timeout = _option(argv[1:], "--worker-shutdown-timeout")
        bound = _seconds(timeout) / 1000.0 if _seconds(timeout) is not None else 600.0
        return (bound, timeout is not None,
                "dramatiq waits on TERM for its running actors up to its "
                "--worker-shutdown-timeout (%g s)" % bound)
    if _huey(prog) is not None:
        if effective_signal(prog) != _huey_graceful(argv):
            return None       # its immediate shutdown: nothing is waited for (SV404)
        timeout = _option(argv[1:], "--shutdown-timeout") or _option(argv[1:], "-t")
        if _seconds(timeout) is not None:
            return (_seconds(timeout), True, "huey's graceful shutdown waits for the "
                    "running tasks up to its --shutdown-timeout (%g s)" % _seconds(timeout))
        return (600.0, False, "huey's graceful shutdown waits for the running tasks")
    return None


def _huey(prog):
    """The argv of a huey consumer, else None."""
    cmd = prog.command
    argv = cmd.inner if cmd is not None and cmd.inner else []
    name = argv[0].rpartition("/")[2] if argv else ""
    if name in ("huey_consumer", "huey_consumer.py") or \
            (name == "manage.py" and argv[1:2] == ["run_huey"]):
        return argv
    return None


def _huey_graceful(argv):
    """The signal huey's consumer shuts down gracefully on (-g/--graceful-signal,
    INT by default; the other of INT and TERM interrupts the running tasks)."""
    graceful = (_option(argv[1:], "--graceful-signal") or _option(argv[1:], "-g") or "INT")
    return TERM if graceful.upper() in ("TERM", "SIGTERM") else INT


def _stopwait_raised(ctx, prog, wait, target):
    """(how stopwaitsecs reads now, the unsafe fix that sets it to ``target``)."""
    written = at_key(prog, "stopwaitsecs")
    if written is None:
        return ("stopwaitsecs is not set (10 seconds)",
                add(ctx, prog, "stopwaitsecs", str(target), "unsafe"))
    return "stopwaitsecs=%d" % wait, replace_value(written.entry, str(target), "unsafe")


def _short_stopwait_jobs(ctx, prog):
    worker = _job_worker(prog)
    if worker is None:
        return
    bound, explicit, why = worker
    wait = _stopwait(prog)
    if wait is None or bound is None or bound == 0:
        return
    if (wait > bound) if explicit else (wait >= 60 or wait > bound):
        return
    target = int(bound) + 30
    what, fix = _stopwait_raised(ctx, prog, wait, target)
    yield finding("%s, but %s: supervisord SIGKILLs it first and the job is cut off; set "
                  "stopwaitsecs=%d" % (what, why, target), ctx, prog, "stopwaitsecs", fix=fix)


@rule("SV404", "cold-shutdown-signal", "warning", category="celery", scope="program")
def cold_shutdown_signal(ctx, prog):
    cel = prog.celery
    if cel is None:
        yield from _huey_interrupted(ctx, prog)
        return
    if cel.subcommand not in ("worker", "beat"):
        return
    sig = effective_signal(prog)
    written = at_key(prog, "stopsignal")
    remap = env(prog).get("REMAP_SIGTERM", "").upper() in ("SIGQUIT", "QUIT")
    if sig in (QUIT, KILL):
        what = "stopsignal=%s" % written.value.strip() if written else "stopsignal"
        if cel.subcommand == "beat":
            cost = "beat does not save its schedule, so some entries run again after the " \
                   "restart"
        elif sig == QUIT:
            cost = "QUIT is Celery's cold shutdown: running tasks are terminated"
        else:
            cost = "KILL gives no shutdown at all: running tasks are lost"
        good = "INT" if prog.values.get("stopasgroup") and cel.forks else "TERM"
        yield finding("%s: %s; use stopsignal=%s (a warm shutdown)" % (what, cost, good),
                      ctx, prog, "stopsignal",
                      fix=replace_value(written.entry, good, "unsafe") if written else None)
    elif sig == TERM and remap and cel.is_worker:
        yield finding("REMAP_SIGTERM=SIGQUIT in environment= turns supervisord's TERM "
                      "into a cold shutdown: running tasks are terminated on every stop",
                      ctx, prog, "environment")


def _huey_interrupted(ctx, prog):
    argv = _huey(prog)
    if argv is None:
        return
    graceful = _huey_graceful(argv)
    sig = effective_signal(prog)
    if sig not in (INT, TERM) or sig == graceful:
        return
    written = at_key(prog, "stopsignal")
    name = "INT" if graceful == INT else "TERM"
    yield finding("%s: huey's consumer takes %s as its immediate shutdown and interrupts the "
                  "running tasks (its graceful signal is %s); use stopsignal=%s"
                  % ("stopsignal=%s" % written.value.strip() if written else
                     "stopsignal is not set (TERM)", "TERM" if sig == TERM else "INT", name, name),
                  ctx, prog, "stopsignal",
                  fix=replace_value(written.entry, name, "unsafe") if written else
                  add(ctx, prog, "stopsignal", name, "unsafe"))


def _hostname(cel):
    return cel.options.get("--hostname")


@rule("SV405", "duplicate-nodename", "warning", category="celery", scope="tree")
def duplicate_nodename(ctx):
    seen = {}
    for prog in programs(ctx):
        cel = prog.celery
        if cel is None or not cel.is_worker:
            continue
        name = _hostname(cel)
        numprocs = prog.values.get("numprocs") or 1
        raw = prog.written("command").value if prog.written("command") else ""
        if numprocs > 1:
            if name is None:
                yield finding("numprocs=%d workers all take the default node name "
                              "celery@<host>: remote control, inspect and monitoring see one node; "
                              "add -n %%(program_name)s_%%(process_num)02d@%%%%h" % numprocs,
                              ctx, prog, "command")
                continue
            # only %(process_num) tells the copies apart: Celery's %i/%I are the pool
            # process index, always 0/empty in the main process's node name
            if "%(process_num)" not in raw:
                yield finding("numprocs=%d workers share the node name %s: remote control "
                              "and monitoring see one node; put %%(process_num)02d in -n"
                              % (numprocs, name), ctx, prog, "command")
                continue
        key = name if name is not None else "celery@%h"
        if "%(process_num)" in raw or "%(program_name)" in raw and name is not None \
                and "%(program_name)" in (raw or ""):
            continue
        seen.setdefault(key, []).append(prog)
    for key, progs in seen.items():
        if len(progs) < 2:
            continue
        for i, prog in enumerate(progs):
            named = [p for p in progs[:4] if p is not prog][:3]
            others = ", ".join("[%s]" % p.section for p in named)
            if len(progs) - 1 > len(named):
                others += " and %d more" % (len(progs) - 1 - len(named))
            yield finding("this worker's node name %s is also used by %s: Celery warns "
                          "about duplicate nodes and broadcast commands reach only one; give each "
                          "worker its own -n" % (key, others), ctx, prog, "command")


_SYSTEM_PYTHON = re.compile(r"^/(usr/(local/)?)?bin/python")


def _venv_root(path):
    """DIR of DIR/bin/NAME (``^(.*?)/bin/[^/]+$``), else None."""
    head, _, name = (path or "").rpartition("/")
    if not name or not head.endswith("/bin") or "\n" in head:
        return None
    return head[:-4]


@rule("SV406", "venv-mismatch", "warning", category="celery", scope="program")
def venv_mismatch(ctx, prog):
    cmd = prog.command
    cel = prog.celery
    if cmd is None or cel is None or not cmd.inner:
        return
    environ = env(prog)
    if cmd.module == "celery" and cmd.python:
        if _SYSTEM_PYTHON.match(cmd.python):
            yield finding("%s -m celery runs the system interpreter: it imports the "
                          "system's Celery (or none), not the project's virtualenv; use the "
                          "virtualenv's bin/python or bin/celery" % cmd.python, ctx, prog,
                          "command")
        return
    exe = cmd.inner[0]
    root = _venv_root(exe) if exe.startswith("/") else None
    if root is None or root in ("/usr", "/usr/local", ""):
        return
    other = None
    venv = environ.get("VIRTUAL_ENV")
    path = environ.get("PATH", "").partition(":")[0]
    if venv and venv.rstrip("/") != root:
        other = "VIRTUAL_ENV=%s" % venv
    elif path.startswith("/") and path.rstrip("/").endswith("/bin") and \
            path.rstrip("/")[:-4] != root and not path.startswith(("/usr", "/bin", "/sbin")):
        other = "PATH starting with %s" % path
    if other:
        yield finding("%s comes from the virtualenv %s, but environment= sets %s: the "
                      "worker and the tools it starts use two different environments; point "
                      "both at the same one" % (exe, root, other), ctx, prog, "command")
        return
    directory = prog.values.get("directory")
    if not directory or directory[0] != "/" or \
            root.rpartition("/")[2] not in ("venv", ".venv", "env", ".env", "virtualenv"):
        return
    project = os.path.dirname(root)
    if project not in ("/", "/opt", "/usr") and \
            not (directory + "/").startswith(project.rstrip("/") + "/") and \
            not (project + "/").startswith(directory.rstrip("/") + "/"):
        yield finding("%s comes from the virtualenv of %s, but directory=%s is another "
                      "project: a deployment that half-moved runs one project's code with the "
                      "other's packages; point both at the same project" % (
                       exe, project, directory), ctx, prog, "directory", severity="info")


@rule("SV407", "removed-celery-command", "error", category="celery", scope="program")
def removed_celery_command(ctx, prog):
    cel = prog.celery
    if cel is None or not cel.removed:
        return
    removed = cel.removed
    if removed.startswith("--"):
        hint = {"--maxtasksperchild": "--max-tasks-per-child",
                "--autoreload": "nothing (it was removed in Celery 4.0)",
                "--no-execv": "nothing (it was removed)"}.get(removed, "")
        msg = "%s is no longer a Celery option: Celery 5 exits with 'No such option'; use %s" % (
            removed, hint)
    else:
        msg = ("%s is gone since Celery 4.0 (only the celery program remains): the program "
               "fails at every start; use celery -A proj %s" % (
                   removed, cel.subcommand or "worker"))
    yield finding(msg, ctx, prog, "command")


@rule("SV408", "celery-without-directory", "warning", category="celery", scope="program")
def celery_without_directory(ctx, prog):
    cel = prog.celery
    if cel is None or cel.removed:
        return
    environ = env(prog)
    app = cel.app or environ.get("CELERY_APP") or environ.get("APP")
    directory = prog.values.get("directory")
    relative = isinstance(directory, str) and not directory.startswith(("/", "~")) and \
        not any(mark in directory for mark in ("<", "{{", "${")) and \
        not re.match(r"^\[[A-Z_]+\]", directory)     # a template's placeholder ([DIR] too)
    if not app or (prog.written("directory") is not None and not relative):
        return            # (a relative directory= is supervisord's own working directory)
    if cel.options.get("--workdir") or "PYTHONPATH" in environ:
        return
    cmd = prog.command
    if cmd.shell is not None and ("cd " in (cmd.script or "")):
        return
    unset = "directory=%s is relative, so it is taken from supervisord's own working " \
        "directory (often /)" % directory if relative else "directory= is not set: the " \
        "working directory is supervisord's own (often /)"
    yield finding("celery -A %s imports %s from the working directory (unless it is "
                  "an installed package), but %s and the import fails; add "
                  "directory=/path/to/project" % (app, app.split(":")[0].split(".")[0], unset),
                  ctx, prog, "directory")


@rule("SV409", "beat-files-in-cwd", "warning", category="celery", scope="program")
def beat_files_in_cwd(ctx, prog):
    cel = prog.celery
    if cel is None or not cel.runs_beat or cel.removed:
        return
    if cel.options.get("--schedule"):
        return
    scheduler = cel.options.get("--scheduler") or (cel.options.get("-S")
                                                   if cel.subcommand == "beat" else None)
    if scheduler and scheduler is not True and _DB_SCHEDULER.search(str(scheduler)):
        return
    where = prog.values.get("directory")
    written = prog.written("directory")
    if where is None and written is not None:
        where = written.value.strip()      # an %(ENV_X)s the linter does not know: set all the same
    if where:
        yield finding("beat keeps its schedule file celerybeat-schedule in its working "
                      "directory %s, which must be writable by the program's user and survive "
                      "deploys; set -s /var/lib/celery/celerybeat-schedule" % where, ctx, prog,
                      "command", severity="info")
    else:
        yield finding("beat keeps its schedule file celerybeat-schedule in its working "
                      "directory, and directory= is not set: that is supervisord's own (/ "
                      "under systemd), usually not writable; set -s /var/lib/celery/"
                      "celerybeat-schedule", ctx, prog, "command")


# Celery 5's own subcommands (celery/bin/celery.py) and flower's, which its
# package registers as a celery.commands entry point
CELERY_SUBCOMMANDS = {"worker", "beat", "events", "multi", "inspect", "control", "status",
                      "call", "result", "purge", "migrate", "list", "shell", "graph",
                      "upgrade", "logtool", "amqp", "report", "flower"}


@rule("SV410", "unknown-celery-subcommand", "error", category="celery", scope="program")
def unknown_celery_subcommand(ctx, prog):
    cel = prog.celery
    if cel is None or cel.removed or cel.subcommand is None or \
            cel.subcommand in CELERY_SUBCOMMANDS or "ENV_" in cel.subcommand or cel.swallowed:
        return          # (a swallowed option moves the words: SV411 says why)
    app = " -A %s" % cel.app if cel.app else ""
    yield finding("celery%s %s: Celery 5 has no subcommand %r (its own are worker, beat, "
                  "events, multi, inspect, control, ... and flower comes with its package): it "
                  "exits at start with \"Error: No such command '%s'.\" and supervisord "
                  "restarts it until FATAL" % (app, cel.subcommand, cel.subcommand,
                                               cel.subcommand), ctx, prog, "command")


@rule("SV411", "celery-option-swallowed", "error", category="celery", scope="program")
def option_swallowed(ctx, prog):
    cel = prog.celery
    if cel is None or not cel.swallowed:
        return
    index, opt, value = cel.swallowed[0]
    inner = prog.command.inner
    taken = value.split("=", 1)[0]
    yield finding("%s %s: an option that takes a value takes the next word whatever it is, "
                  "so %s is %s's value, not an option, %s; give %s its value"
                  % (opt, value, taken, opt, _swallowed_outcome(cel, inner, index, opt, value),
                     opt), ctx, prog, "command")


def _swallowed_outcome(cel, inner, index, opt, value):
    """What Celery 5.7 then does (each measured): the words shift."""
    sub = cel.subcommand
    if cel.sub_index is None or index < cel.sub_index:
        # a global option, before the subcommand
        if sub not in CELERY_SUBCOMMANDS:
            return ("and %s is read as the subcommand: Celery exits at start with \"No such "
                    "command '%s'.\"" % (sub, sub))
        if opt in ("-A", "--app"):
            return ("and Celery exits at start: it cannot load an app named %r (\"Unable to "
                    "load celery application\")" % value)
        if opt == "--workdir":
            return "and Celery exits at start: it changes to a directory named %r first" % value
        return "and the program starts with %s set to %r" % (opt, value)
    if opt in _CHECKED.get(sub, ()):
        return "and Celery exits at start with \"Invalid value for '%s'\"" % opt
    after = inner[index + 2] if index + 2 < len(inner) else None
    if after is not None and not after.startswith("-") and \
            not ("=" in after and sub in ("worker", "beat")):
        if sub in ("worker", "beat"):
            return ("and %s is left over: Celery exits at start with \"Unable to parse extra "
                    "configuration from command line\"" % after)
        return ("and %s is left over: Celery exits at start with \"Got unexpected extra "
                "argument (%s)\"" % (after, after))
    return "and the program starts with %s set to %r" % (opt, value)


