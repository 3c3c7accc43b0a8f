"""Process hygiene (SV2xx): how a program is stopped, restarted and logged,
and what its command line really runs."""

import os
import re

from . import rule, also
from ._program import (LONG_RUNNING, STREAMS, TERM, KILL, add, at_key, env,
                       effective_signal, finding, forks)
from ..diagnostics import Finding
from ..fixes import insert_key, replace_value


@rule("SV201", "missing-killasgroup", "warning", category="hygiene", scope="program")
def missing_killasgroup(ctx, prog):
    if prog.values.get("killasgroup") is not False or prog.values.get("stopasgroup"):
        return
    yes, what = forks(prog)
    if not yes:
        return
    written = at_key(prog, "killasgroup")
    if prog.celery is not None:
        # Celery 5.2+ on Linux: the pool children die with the worker (pdeathsig)
        fix = add(ctx, prog, "killasgroup", "true") if written is None else \
            replace_value(written.entry, "true", "unsafe", "set killasgroup=true")
        from .host import celery_version
        installed = celery_version(ctx, prog)        # under audit: the host's Celery
        what = "a Celery prefork worker"
        if installed is not None:
            what = "a Celery %s prefork worker (%s)" % (installed[0], installed[1])
        said = "killasgroup=%s" % written.value if written is not None else \
            "neither killasgroup nor stopasgroup is set for %s" % what
        if written is not None and installed is not None:
            said += " for %s" % what
        verb = "use" if written is not None else "add"
        if installed is not None and _release(installed[0]) < (5, 2):
            yield finding("%s: when stopwaitsecs runs out supervisord SIGKILLs only the worker, "
                          "and its pool children (below Celery 5.2 they do not die with it) "
                          "and the processes its tasks started are orphaned, and keep running; "
                          "%s killasgroup=true" % (said, verb),
                          ctx, prog, "killasgroup", fix=fix)
            return
        if installed is not None:
            yield finding("%s: when stopwaitsecs runs out supervisord SIGKILLs only the worker; "
                          "its pool children die with it (Celery 5.2+ on Linux), but processes "
                          "its tasks started are orphaned; %s killasgroup=true" % (said, verb),
                          ctx, prog, "killasgroup", fix=fix, severity="info")
            return
        yield finding("%s: when stopwaitsecs runs out supervisord SIGKILLs only the worker; "
                      "its pool children die with it on Linux from Celery 5.2 on, but processes "
                      "its tasks started (and, below 5.2, the pool children too) are orphaned; "
                      "%s killasgroup=true" % (said, verb),
                      ctx, prog, "killasgroup", fix=fix, severity="info")
        return
    if written is not None:
        yield finding("%s forks child processes, but killasgroup=%s: when stopwaitsecs "
                      "runs out supervisord SIGKILLs only the parent, and children that do not "
                      "watch it are orphaned; use killasgroup=true" % (what, written.value),
                      ctx, prog, "killasgroup",
                      fix=replace_value(written.entry, "true", "unsafe", "set killasgroup=true"))
        return
    yield finding("%s forks child processes, but neither killasgroup nor stopasgroup "
                  "is set: when stopwaitsecs runs out supervisord SIGKILLs only the parent and "
                  "children that do not watch it are orphaned; add killasgroup=true" % what,
                  ctx, prog, "killasgroup",
                  fix=add(ctx, prog, "killasgroup", "true"))


def _release(version):
    """(major, minor) of a version string such as 5.1.2; a pre-release of a
    minor version's first release (5.2.0rc1, 5.2b3) counts as the one before."""
    m = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$", version)
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    rest = m.group(4)
    if rest and not rest.startswith((".post", "post", "+")) and int(m.group(3) or 0) == 0:
        return (major, minor - 1) if minor else (major - 1, 99)
    return major, minor


def _wrapper(prog):
    """(kind, severity) when the command is a wrapper that does not pass a stop on."""
    cmd = prog.command
    if cmd is None or not cmd.argv:
        return None, None
    if cmd.shell is not None:
        if cmd.script_execs:
            return None, None
        if cmd.shell == "bash" and cmd.script_commands == 1:
            return None, None     # bash execs a single simple command itself
        severity = "warning" if cmd.shell == "bash" and not cmd.script_pipeline else "error"
        return "%s -c without exec" % cmd.shell, severity
    name = cmd.argv[0].rpartition("/")[2]
    if name.endswith(".sh") or (cmd.inner and cmd.inner[0].endswith(".sh")):
        return "the shell script %s" % name, "warning"
    if name in _SHELLS and len(cmd.argv) > 1 and not cmd.argv[1].startswith("-"):
        return "the shell script %s" % cmd.argv[1].rpartition("/")[2], "warning"   # bash x.sh
    if "conda run" in cmd.wrappers:
        return "conda run (it does not forward SIGTERM)", "error"
    program = cmd.program
    if program in ("npm", "yarn", "pnpm", "npx") and cmd.inner[1:2] and \
            cmd.inner[1] in ("start", "run", "run-script", "dev", "serve", "exec"):
        return "%s %s" % (program, cmd.inner[1]), "error"
    if cmd.manage in ("runserver", "runserver_plus") and "--noreload" not in cmd.inner:
        return "%s %s's autoreloader" % (cmd.program, cmd.manage), "error"
    if program == "flask" and "run" in cmd.inner and ("--reload" in cmd.inner or "--debug" in cmd.inner
                                                      or env(prog).get("FLASK_DEBUG") == "1"):
        return "the flask run reloader", "error"
    if program in ("uvicorn", "hypercorn") and "--reload" in cmd.inner:
        return "%s --reload" % program, "error"
    return None, None


_SHELLS = ("sh", "bash", "dash", "ash", "ksh", "zsh")


def _read_wrapper(ctx, prog, kind, severity):
    """Under audit, the wrapper script's own text decides: (kind, severity,
    whether it runs a Celery prefork worker) from its last command, which passes a stop on only when it is exec'ed
    (or the script traps TERM itself); the static reading when the script
    cannot be read or parsed.  An extensionless executable with a shell's
    #! line is a wrapper too."""
    from ..command import _simple_commands
    cmd = prog.command
    host = ctx.host
    script = None
    argv = cmd.argv
    if cmd.shell is None and argv[0].rpartition("/")[2] in _SHELLS and len(argv) > 1 and \
            not argv[1].startswith("-"):
        script = argv[1]                  # bash start.sh
    elif kind is not None and kind.startswith("the shell script"):
        script = argv[0] if argv[0].endswith(".sh") else cmd.inner[0]
    elif kind is None and cmd.shell is None and "/" in argv[0]:
        script = argv[0]
    if script is None:
        return kind, severity, False
    if not script.startswith(("/", "~")):
        directory = prog.values.get("directory")
        if not isinstance(directory, str) or "directory" not in prog.settings:
            return kind, severity, False
        script = directory.rstrip("/") + "/" + script
    path = host.host_path(script)
    data = host.root.read(path, limit=1 << 16) if path else None
    if data is None:
        return kind, severity, False
    text = data.decode("utf-8", "replace")
    first = text.split("\n", 1)[0]
    if kind is None and script is argv[0]:
        words = first[2:].split() if first.startswith("#!") else []
        shell = words[0].rpartition("/")[2] if words else ""
        if shell == "env" and len(words) > 1:
            shell = words[1]
        if shell not in _SHELLS:
            return kind, severity, False
    if re.search(r"\btrap\b[^\n]*\b(TERM|SIGTERM|15)\b", text):
        return None, None, False      # it handles the stop itself
    code = "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("#"))
    commands = _simple_commands(code)
    if not commands:
        return kind, severity, False
    last = commands[-1][0]
    if last[0] == "exec":
        return None, None, False
    import shlex
    from ..command import parse
    inner = parse(" ".join(shlex.quote(t) for t in last)).celery
    lines = [i for i, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    return ("the shell script %s (its last command, on line %d, has no exec)"
            % (path, lines[-1] if lines else 1), "error", inner is not None and inner.forks)


@rule("SV202", "missing-stopasgroup", "error", category="hygiene", scope="program")
def missing_stopasgroup(ctx, prog):
    if prog.values.get("stopasgroup") is not False:
        return
    kind, severity = _wrapper(prog)
    script_celery = False
    if ctx.host is not None and prog.command is not None and prog.command.argv:
        kind, severity, script_celery = _read_wrapper(ctx, prog, kind, severity)
    if kind is None or (prog.kind == "eventlistener" and kind.startswith("the shell script")):
        return            # a listener that is itself the script reads the events itself
    cmd = prog.command
    # a script this run did not read: what it does with the signal is not known
    unread = kind.startswith("the shell script") and "(its last command" not in kind
    if script_celery or (ctx.host is None and kind.startswith("the shell script") and
                         "celery" in kind.lower()):
        # (a script named for Celery: stopasgroup would TERM its pool too)
        yield finding("the command runs Celery through %s: %s the worker never hears it (it "
                      "is orphaned and keeps consuming); write exec before the celery command "
                      "in the script rather than adding stopasgroup, which would kill the "
                      "pool's running tasks" % (kind, _UNREAD if unread else
                                                "the shell gets the stop signal and"),
                      ctx, prog, "command", severity=severity)
        return
    if cmd.celery is not None and cmd.celery.forks and cmd.shell is not None:
        # stopasgroup would also TERM the pool children: exec is the cure
        yield finding("the command runs Celery through %s: the shell gets the stop "
                      "signal and the worker never hears it (it is orphaned and keeps "
                      "consuming); write exec before the celery command (sh -c \"... && exec "
                      "celery ...\") rather than stopasgroup, which would kill the pool's "
                      "running tasks" % kind, ctx, prog, "command", severity=severity)
        return
    if prog.values.get("killasgroup") is False and prog.written("killasgroup") is not None:
        # stopasgroup=true next to killasgroup=false: supervisord refuses the file
        yield finding("the command runs through %s, which does not pass the stop "
                      "signal on: the real process outlives supervisord's stop; remove "
                      "killasgroup=false and add stopasgroup=true (or exec the program "
                      "directly)" % kind, ctx, prog, "killasgroup", severity=severity)
        return
    if unread:
        yield finding("the command runs through %s: %s the real process is never stopped and "
                      "outlives supervisord's stop; add stopasgroup=true (or exec the last "
                      "command in the script)" % (kind, _UNREAD), ctx, prog, "stopasgroup",
                      severity=severity, fix=add(ctx, prog, "stopasgroup", "true"))
        return
    yield finding("the command runs through %s, which does not pass the stop signal "
                  "on: the real process is never stopped and outlives supervisord's stop; add "
                  "stopasgroup=true (or exec the program directly)" % kind, ctx, prog,
                  "stopasgroup", severity=severity, fix=add(ctx, prog, "stopasgroup", "true"))


_UNREAD = ("the shell gets the stop signal, and unless the script execs its last command or "
           "traps TERM (this run did not read it; supervisor-lint audit does)")


@rule("SV203", "group-stop-kills-celery-pool", "error", category="hygiene", scope="program")
def group_stop_kills_pool(ctx, prog):
    cel = prog.celery
    if cel is None or not cel.forks or not prog.values.get("stopasgroup"):
        return
    if effective_signal(prog) != TERM:
        return
    if env(prog).get("REMAP_SIGTERM", "").upper() in ("SIGQUIT", "QUIT"):
        return
    written = at_key(prog, "stopsignal")
    cmd = prog.command
    if cmd.shell is not None and not cmd.script_execs:
        yield finding("stopasgroup=true sends TERM to the whole process group: the "
                      "prefork pool children die at once with their running tasks, and the "
                      "shell wrapper exits before the worker has shut down; write exec before "
                      "the celery command, then use stopsignal=INT", ctx, prog, "stopasgroup")
        return
    if written is None:
        fix = add(ctx, prog, "stopsignal", "INT")
    else:
        fix = replace_value(written.entry, "INT", "unsafe", "set stopsignal to INT")
    yield finding("stopasgroup=true sends the stop signal TERM to the whole process "
                  "group: the prefork pool children exit at once on TERM (they ignore only INT) "
                  "and their running tasks are lost; add stopsignal=INT (a warm shutdown that "
                  "the children ignore), or use killasgroup=true instead of stopasgroup",
                  ctx, prog, "stopsignal" if written else "stopasgroup", fix=fix)


@rule("SV204", "autorestart-not-true", "warning", category="hygiene", scope="program")
def autorestart_not_true(ctx, prog):
    if prog.kind != "program" or prog.values.get("autorestart") is True:
        return
    cmd = prog.command
    if cmd is None or not cmd.inner:
        return
    cel = cmd.celery
    long_running = (cel is not None and cel.subcommand in ("worker", "beat", "flower")) or \
        (cel is None and cmd.program in LONG_RUNNING) or \
        (cmd.program in ("php", "artisan") and any(t in ("queue:work", "queue:listen", "horizon")
                                                   for t in cmd.inner))
    if not long_running:
        return
    written = at_key(prog, "autorestart")
    if written is None:
        yield finding("autorestart is not set, so it is 'unexpected': a worker that "
                      "exits with status 0 (a remote shutdown, a clean exit) stays down; add "
                      "autorestart=true", ctx, prog, "autorestart",
                      fix=add(ctx, prog, "autorestart", "true"))
    elif prog.values.get("autorestart") == "unexpected":
        yield finding("autorestart=unexpected: a worker that exits with status 0 (a "
                      "remote shutdown, a clean exit) stays down; use autorestart=true", ctx,
                      prog, "autorestart",
                      fix=replace_value(written.entry, "true", "unsafe", "set autorestart=true"))
    elif prog.values.get("autorestart") is False:
        yield finding("autorestart=false: this long-running worker is never restarted "
                      "when it exits; use autorestart=true", ctx, prog, "autorestart",
                      fix=replace_value(written.entry, "true", "unsafe", "set autorestart=true"))



@rule("SV205", "missing-umask", "info", category="hygiene", scope="program", default=False)
def missing_umask(ctx, prog):
    if prog.written("umask") is not None:
        return
    mask, source = _inherited_umask(ctx)
    what = "this Celery program creates (beat's schedule, --logfile, app files)" \
        if prog.celery is not None else "this program creates"
    if mask is not None and (not mask & 0o020 or not mask & 0o002):
        who = "every user" if not mask & 0o002 else "its group"
        yield finding("no umask: files %s inherit %s (%03o), which lets %s write them; add "
                      "umask=022%s" % (what, source, mask, who, " unless a shared group must"
                                       if who == "its group" else ""),
                      ctx, prog, "umask", severity="warning",
                      fix=add(ctx, prog, "umask", "022", "unsafe"))
        return
    if mask is not None:
        return     # known, and neither group nor others may write
    yield finding("no umask: files %s get supervisord's own umask, whatever it was "
                  "started with; add umask=022 to make it explicit" % what, ctx, prog, "umask",
                  fix=add(ctx, prog, "umask", "022", "unsafe"))


def _inherited_umask(ctx):
    """(umask, where it comes from) that a program without umask= gets:
    [supervisord] umask when supervisord daemonizes (it applies it then
    only), else, under audit, the unit's UMask= (systemd starts it so), else
    None: supervisord keeps whatever it was started with."""
    sd = ctx.loaded.supervisord
    if sd.get("umask") is not None and not sd.get("nodaemon"):
        return sd["umask"], "[supervisord] umask"
    if ctx.host is not None and ctx.host.unit is not None:
        unit = ctx.host.unit_setting("UMask") or "0022"      # systemd's default
        try:
            return int(unit, 8), "the umask its systemd unit gives supervisord (UMask=%s)" % unit
        except ValueError:
            pass
    return None, "supervisord's own umask"


@rule("SV206", "world-writable-umask", "warning", category="hygiene", scope="program")
def world_writable_umask(ctx, prog):
    mask = prog.values.get("umask")
    written = at_key(prog, "umask")
    if mask is None or written is None or mask & 0o002:
        return
    yield finding("umask=%s leaves every file this program creates writable by every "
                  "user on the machine (it does not affect the log files supervisord opens); "
                  "use 022, or 002 for a shared group" % written.value, ctx, prog, "umask",
                  fix=replace_value(written.entry, "022", "unsafe", "set umask=022"))


@also("SV206")
def world_writable_umask_supervisord(ctx):
    setting = ctx.loaded.supervisord_settings.get("umask")
    mask = ctx.loaded.supervisord.get("umask")
    if setting is not None and mask is not None and not mask & 0o002:
        yield Finding("umask=%s: when supervisord daemonizes, every program without its "
                      "own umask inherits it and creates files writable by every user; use 022"
                      % setting.value, False, at=setting.entry, section="supervisord",
                      key="umask", fix=replace_value(setting.entry, "022", "unsafe"))


def _relative(value):
    if value in (None, "AUTO", "SYSLOG", "") or value[0] == "/":
        return False
    return not os.path.isabs(os.path.expanduser(value))


@rule("SV207", "relative-log-path", "warning", category="hygiene", scope="program")
def relative_log_path(ctx, prog):
    for key in ("stdout_logfile", "stderr_logfile"):
        written = at_key(prog, key)
        if written is None:
            continue
        value = prog.values.get(key)
        if written is None or not isinstance(value, str) or not _relative(value):
            continue
        if key == "stderr_logfile" and prog.values.get("redirect_stderr"):
            continue
        yield finding("%s=%s is relative: supervisord opens it relative to its own "
                      "working directory, not directory=; write an absolute path (%%(here)s "
                      "is the config file's directory)" % (key, value), ctx, prog, key)


@also("SV207")
def relative_log_path_supervisord(ctx):
    for key in ("logfile", "pidfile", "childlogdir"):
        setting = ctx.loaded.supervisord_settings.get(key)
        value = ctx.loaded.supervisord.get(key)
        if setting is None or not isinstance(value, str) or not _relative(value):
            continue
        if key == "logfile" and value == "syslog":
            continue
        yield Finding("%s=%s is relative: supervisord resolves it against the "
                      "directory it was started from; write an absolute path (%%(here)s is "
                      "the config file's directory)" % (key, value), False,
                      at=setting.entry, section="supervisord", key=key)


def _is_file(value):
    return isinstance(value, str) and value not in ("AUTO", "SYSLOG", "")


@rule("SV208", "stderr-not-captured", "warning", category="hygiene", scope="program")
def stderr_not_captured(ctx, prog):
    if prog.kind == "eventlistener" or prog.values.get("redirect_stderr"):
        return
    out = prog.values.get("stdout_logfile")
    err = prog.values.get("stderr_logfile")
    if not _is_file(out) or at_key(prog, "stdout_logfile") is None:
        return
    if err == "AUTO" and at_key(prog, "stderr_logfile") is None and \
            not prog.values.get("stderr_syslog"):
        what = " (and Celery logs to stderr)" if prog.celery is not None else ""
        yield finding("stdout goes to %s but stderr to an AUTO file in childlogdir "
                      "that supervisord deletes at its next start%s; add "
                      "redirect_stderr=true, or a stderr_logfile" % (out, what), ctx, prog,
                      "stdout_logfile", fix=add(ctx, prog, "redirect_stderr", "true"))
    elif _is_file(err) and out not in STREAMS and os.path.normpath(os.path.expanduser(err)) == \
            os.path.normpath(os.path.expanduser(out)):       # (a stream is SV209's)
        rotating = (prog.values.get("stdout_logfile_maxbytes") or 0) or \
            (prog.values.get("stderr_logfile_maxbytes") or 0)
        if not rotating:
            return
        yield finding("stdout_logfile and stderr_logfile are the same file, opened by "
                      "two rotating handles: after the first rotation the streams end up in "
                      "different files; use redirect_stderr=true and drop stderr_logfile",
                      ctx, prog, "stderr_logfile",
                      fix=add(ctx, prog, "redirect_stderr", "true"))


@rule("SV209", "rotating-stream-log", "error", category="hygiene", scope="program")
def rotating_stream_log(ctx, prog):
    for stream in ("stdout", "stderr"):
        key = "%s_logfile" % stream
        value = prog.values.get(key)
        if value not in STREAMS or at_key(prog, key) is None:
            continue
        if stream == "stderr" and prog.values.get("redirect_stderr"):
            continue
        mkey = "%s_logfile_maxbytes" % stream
        maxbytes = prog.values.get(mkey)
        if maxbytes is None or maxbytes == 0:
            continue
        written = at_key(prog, mkey)
        fix = add(ctx, prog, mkey, "0") if written is None else \
            replace_value(written.entry, "0", "unsafe", "set %s=0" % mkey)
        yield finding("%s=%s cannot be rotated: with %s non-zero (the default is "
                      "50MB) supervisord asks the stream for its size after every write and, "
                      "on a pipe (a container's stdout), fails with 'Illegal seek': a CRIT "
                      "'uncaptured python exception, closing channel' traceback follows every "
                      "line the program writes; set %s=0" % (key, value, mkey, mkey),
                      ctx, prog, key, fix=fix)


@also("SV209")
def rotating_stream_log_supervisord(ctx):
    value = ctx.loaded.supervisord.get("logfile")
    setting = ctx.loaded.supervisord_settings.get("logfile")
    if setting is not None and value in STREAMS:
        maxbytes = ctx.loaded.supervisord.get("logfile_maxbytes")
        if maxbytes is None and "logfile_maxbytes" not in ctx.loaded.supervisord_settings:
            maxbytes = 50 * 1024 * 1024
        if maxbytes:
            written = ctx.loaded.supervisord_settings.get("logfile_maxbytes")
            blocks = ctx.tree.blocks.get("supervisord")
            fix = replace_value(written.entry, "0", "unsafe") if written is not None else \
                insert_key(blocks[-1], "logfile_maxbytes", "0")
            yield Finding("logfile=%s with logfile_maxbytes non-zero (the default is "
                          "50MB): supervisord crashes at startup with 'Illegal seek'; set "
                          "logfile_maxbytes=0" % value, False, at=setting.entry,
                          section="supervisord", key="logfile", fix=fix)


_SHELL_TOKENS = {"&&", "||", "|", ">", ">>", "<", "2>&1", ">&2", "1>&2", "2>", "&", ";"}
_SHELL_WORDS = {"source", ".", "cd", "export", "exec", "eval", "set", "ulimit"}
_VAR = re.compile(r"^\$(\{\w+\}|\w+)")
_SHELLY = re.compile(r"[&|<>;`$~]")     # every argument the loop below reports holds one


@rule("SV210", "shell-syntax-in-command", "error", category="hygiene", scope="program")
def shell_syntax(ctx, prog):
    cmd = prog.command
    if cmd is None or not cmd.argv or cmd.shell is not None:
        return
    argv = cmd.argv
    found = None
    if argv[0] in _SHELL_WORDS:
        found = "%r is a shell builtin, not a program" % argv[0]
    elif argv[0].startswith("~"):
        found = "~ is not expanded"
    elif _SHELLY.search(cmd.text):
        for tok in argv[1:]:
            if tok in _SHELL_TOKENS or tok.endswith((";", "&&")) and len(tok) > 1 and \
                    tok[:-1].isalnum():
                found = "%r is passed as a literal argument" % tok
                break
            if "`" in tok:
                found = "backticks are passed literally"
                break
            if _VAR.match(tok) or ("=$" in tok and _VAR.match(tok.split("=", 1)[1])):
                found = "%s is not expanded" % _VAR.match(tok.split("=", 1)[-1]
                                                          if "=$" in tok else tok).group()
                break
            if tok.startswith("~/"):
                found = "~ is not expanded"
                break
    if found is None and "\\\n" in (prog.command_text or ""):
        found = "a backslash before a line break is not a continuation here: the line " \
                "break ends up inside an argument (indent the next line, with no backslash)"
    if found is None:
        return
    yield finding("no shell runs the command: %s; write the program's absolute path "
                  "with directory= and environment=, or run it through /bin/sh -c \"... exec "
                  "program\"" % found, ctx, prog, "command")


def _daemonizes(cmd):
    """(what, token to drop or None)"""
    inner = cmd.inner or []
    cel = cmd.celery
    if cel is not None:
        if cel.subcommand == "multi" or cel.removed == "celeryd-multi":
            return "celery multi starts its workers in the background", None
        for tok in ("--detach", "-D"):
            if tok in inner:
                return "%s makes Celery fork into the background" % tok, tok
        return None, None
    name = cmd.program
    if name == "gunicorn":
        for tok in ("-D", "--daemon"):
            if tok in inner:
                return "gunicorn %s forks into the background" % tok, tok
    if name == "uwsgi" and any(t.startswith("--daemonize") or t == "-d" for t in inner):
        return "uwsgi --daemonize forks into the background", None
    if name and re.match(r"^php(\d[\d.]*)?-fpm[\d.]*$", name):
        for tok in ("-D", "--daemonize"):
            if tok in inner:
                return "php-fpm %s forks into the background (whatever its config says)" % tok, tok
    if _server_config(cmd) is not None:
        return "%s daemonizes unless its config says otherwise" % name, None
    if name == "redis-server" and "--daemonize" in inner:
        i = inner.index("--daemonize")
        if i + 1 < len(inner) and inner[i + 1].lower() == "yes":
            return "redis-server --daemonize yes forks into the background", None
    if name in ("memcached",) and "-d" in inner:
        return "memcached -d forks into the background", "-d"
    if name == "mongod" and "--fork" in inner:
        return "mongod --fork forks into the background", "--fork"
    if name in ("apache2", "httpd") and "-DFOREGROUND" not in inner:
        return "%s daemonizes unless started with -DFOREGROUND" % name, None
    if name == "sshd" and "-D" not in inner:
        return "sshd daemonizes unless started with -D", None
    if name in ("service", "systemctl") and len(inner) > 2 and \
            ({"start", "restart", "reload"} & set(inner[1:3])):
        return ("%s starts the daemon through the init system and returns at once"
                % " ".join(inner[:3]), None)
    foreground = _FOREGROUND.get(name)
    if foreground is not None and not any(t in foreground for t in inner[1:]):
        return "%s daemonizes unless started with %s" % (name, foreground[0]), None
    return None, None


# daemons and the flag that keeps each in the foreground (their manuals)
_FOREGROUND = {"xinetd": ("-dontfork",), "cron": ("-f",), "crond": ("-n", "-f"),
               "rsyslogd": ("-n",), "syslog-ng": ("-F", "--foreground"),
               "smbd": ("-F", "--foreground"), "nmbd": ("-F", "--foreground"),
               "dnsmasq": ("-k", "--keep-in-foreground", "-d", "--no-daemon")}


def _server_config(cmd):
    """For nginx and php-fpm started without their foreground flag: (the
    setting that keeps them in the foreground, the config files that may
    hold it, first one present decides), else None."""
    inner = cmd.inner
    name = cmd.program or ""
    if name == "nginx":
        if any(re.search(r"\bdaemon\s+off\s*;", t) for t in inner):
            return None
        given = _option_value(inner, ("-c",))
        if given is None:
            prefix = _option_value(inner, ("-p",))
            files = [prefix.rstrip("/") + "/conf/nginx.conf"] if prefix else ["/etc/nginx/nginx.conf"]
        else:
            files = [given]
        return "daemon off;", files, given is not None
    m = re.match(r"^php(\d[\d.]*)?-fpm([\d.]*)$", name)
    if m:
        if any(t in ("-F", "--nodaemonize", "-D", "--daemonize") for t in inner):
            return None       # -F: foreground; -D: background whatever the config says
        given = _option_value(inner, ("-y", "--fpm-config"))
        if given is not None:
            files = [given]
        else:
            version = m.group(1) or m.group(2)
            files = ["/etc/php/%s/fpm/php-fpm.conf" % version] if version else []
            files += ["/usr/local/etc/php-fpm.conf", "/etc/php-fpm.conf"]
        return "daemonize = no", files, given is not None
    return None


def _option_value(inner, names):
    for i, token in enumerate(inner[1:], 1):
        if token in names and i + 1 < len(inner):
            return inner[i + 1]
        for name in names:
            if name.startswith("--") and token.startswith(name + "="):
                return token[len(name) + 1:]
            if not name.startswith("--") and token.startswith(name) and len(token) > len(name):
                return token[len(name):]
    return None


def _foreground_by_config(ctx, prog, setting, files):
    """Under audit, whether the server's own config keeps it in the
    foreground: True or False as its config (and what it includes) says,
    None when no config file can be read.  nginx: the last ``daemon``
    directive (default on); php-fpm: the last ``daemonize`` of [global]
    (default yes)."""
    host = ctx.host
    if host is None:
        return None, None
    nginx = setting.startswith("daemon ")
    directory = prog.values.get("directory")
    for name in files:
        if not name.startswith("/"):
            if nginx or not isinstance(directory, str) or not directory.startswith("/"):
                continue      # nginx takes a relative -c from its compiled-in prefix
            name = directory.rstrip("/") + "/" + name
        path = host.host_path(name, tilde=False)
        data = host.root.read(path, limit=1 << 20) if path else None
        if data is None:
            continue
        text = data.decode("utf-8", "replace")
        if nginx:
            return _nginx_daemon(host.root, path, text) == "off", path
        said = _fpm_daemonize(host.root, path, text)
        return said is not None and said.lower() in ("no", "false", "off", "0", ""), path
    return None, None


_NGINX_WORDS = re.compile(r"\b(daemon|include)\s+([^;\s]+)\s*;")
_NGINX_NOISE = re.compile(r"#[^\n]*|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")


def _included(root, pattern):
    """(host path, text) of each file an include pattern matches on the host
    (at most 200, each read up to 1 MiB)."""
    for included in root.glob(pattern)[:200]:
        data = root.read(included, limit=1 << 20)
        if data is not None:
            yield included, data.decode("utf-8", "replace")


def _nginx_daemon(root, path, text, depth=0):
    """The value of the last ``daemon`` directive in an nginx config and
    what it includes (comments and quoted strings left out), or None."""
    said = None
    base = path.rpartition("/")[0] or "/"
    for m in _NGINX_WORDS.finditer(_NGINX_NOISE.sub(" ", text)):
        if m.group(1) == "daemon":
            said = m.group(2)
        elif depth < 4:
            pattern = m.group(2) if m.group(2).startswith("/") else base + "/" + m.group(2)
            for included, more in _included(root, pattern):
                said = _nginx_daemon(root, included, more, depth + 1) or said
    return said


_FPM_LINE = re.compile(r"^\s*([\w.\[\]-]+)\s*=\s*(\"[^\"]*\"|[^;]*?)\s*(?:;.*)?$")


def _fpm_daemonize(root, path, text, depth=0):
    """The last ``daemonize`` of php-fpm's [global] section in its config and
    what it includes (a relative include is taken from the prefix), or None;
    in a pool section the entry is not global (php-fpm refuses it there)."""
    said = None
    section = None
    prefix = path.rpartition("/")[0].rpartition("/")[0] or "/"
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in ";#":
            continue
        if stripped.startswith("["):
            section = stripped.strip("[] ").lower()
            continue
        m = _FPM_LINE.match(stripped)
        if m is None:
            continue
        key, value = m.group(1).lower(), m.group(2).strip('"')
        if key == "include" and depth < 2:
            pattern = value if value.startswith("/") else prefix + "/" + value
            for included, more in _included(root, pattern):
                said = _fpm_daemonize(root, included, more, depth + 1) or said
        elif key == "daemonize" and section in (None, "global"):
            said = value
    return said


@rule("SV211", "daemonizing-command", "error", category="hygiene", scope="program")
def daemonizing(ctx, prog):
    cmd = prog.command
    if cmd is None or not cmd.inner:
        return
    what, token = _daemonizes(cmd)
    if what is None:
        return
    server = _server_config(cmd)
    if server is not None:
        setting, files, given = server
        foreground, path = _foreground_by_config(ctx, prog, setting, files)
        if foreground:
            return
        name = cmd.program
        flag = "-g 'daemon off;'" if name == "nginx" else "-F"
        if foreground is None:
            where = files[0] if given or len(files) == 1 else "its php-fpm.conf (%s)" % \
                ", ".join(files)
            yield finding("%s stays in the foreground only if %s says `%s` (or it is started "
                          "with %s); that file decides and %s: check it, or add %s"
                          % (name, where, setting, flag,
                             "is not readable on this host" if ctx.host is not None else
                             "only the audit reads it", flag),
                          ctx, prog, "command", severity="warning")
            return
        what = "%s daemonizes: %s does not say `%s` and it was not started with %s" % (
            name, path, setting, flag)
    fix = None
    written = at_key(prog, "command")
    if token is not None and written is not None:
        fix = _drop_token(written.entry, token)
    yield finding("%s: its first process exits, supervisord restarts it again and "
                  "again (ending FATAL) while the detached copies run unsupervised; run it in "
                  "the foreground" % what, ctx, prog, "command", fix=fix)


def _drop_token(entry, token):
    """An unsafe fix removing a whole ``token`` (and the blank before it) from a
    one-line command."""
    if entry.continuations:
        return None
    text = entry.line.text[entry.value_start:entry.value_end]
    found = list(re.finditer(r"(\s+)%s(?=\s|$)" % re.escape(token), text))
    if len(found) != 1 or "'" in text or '"' in text or "\\" in text:
        return None     # quoting or escapes: the word may not be the argument
    m = found[0]
    from ..diagnostics import Edit, Fix
    line = entry.line
    start = line.byte_offset(entry.value_start + m.start())
    end = line.byte_offset(entry.value_start + m.end())
    return Fix("unsafe", [Edit(start, end, "")], "remove %s" % token,
               keys=[(entry.section.name, entry.key)], document=entry.document, anchor=entry)


_TOOLS = {"celery", "gunicorn", "uvicorn", "flower", "rq", "dramatiq", "daphne", "uwsgi",
          "huey_consumer", "hypercorn", "arq"}


# the directory names of virtualenvs (venv, .venv, ~/.virtualenvs/x, conda's envs/x, poetry's)
_VENV_DIR = (r"(?:venv|\.venv|env|\.env|virtualenv|\.virtualenvs/[^/\s]+|envs/[^/\s]+|"
             r"pypoetry/virtualenvs/[^/\s]+)")
_VENV_PATH = re.compile(r"/%s/bin/?$" % _VENV_DIR)
_VENV_BIN = re.compile(r"(/[^\s'\"]*/%s)/bin/" % _VENV_DIR)


def _venv_path(prog):
    """The first PATH entry of environment= when it is a virtualenv's bin."""
    path = env(prog).get("PATH", "")
    first = path.split(":")[0] if path else ""
    return first if _VENV_PATH.search(first) else None


@rule("SV212", "bare-executable", "warning", category="hygiene", scope="program")
def bare_executable(ctx, prog):
    cmd = prog.command
    if cmd is None or not cmd.inner:
        return
    name = cmd.inner[0]
    if cmd.module is not None and cmd.python:
        name = cmd.python          # python -m X: the interpreter is what is looked up
    if "/" in name or (name not in _TOOLS and not re.match(r"^python(\d+(\.\d+)?)?$", name)):
        return
    if cmd.wrappers and cmd.wrappers[-1] in ("uv run", "poetry run", "pipenv run",
                                             "pdm run", "hatch run", "rye run", "conda run"):
        return
    if _venv_path(prog):
        return
    venv = _a_virtualenv(ctx)
    if venv is None and ctx.loaded.supervisord.get("nodaemon") is True:
        # a container's supervisord (nodaemon=true) and no virtualenv anywhere in
        # the configuration: an image that installs into the system's Python
        # finds the tool on PATH all the same
        yield finding("%s is a bare name: supervisord looks it up on its own PATH (or PATH "
                      "in environment=); if the image has a virtualenv, write the absolute "
                      "path of its %s" % (name, name), ctx, prog, "command", severity="info")
        return
    yield finding("%s is a bare name: supervisord looks it up on its own PATH (or "
                  "PATH in environment=), not in the project's virtualenv; write its absolute "
                  "path, e.g. %s/bin/%s" % (name, venv or "/srv/app/venv", name),
                  ctx, prog, "command")


def _a_virtualenv(ctx):
    """The first virtualenv another program's command or PATH names, or None."""
    for other in ctx.loaded.programs.values():
        for text in (other.command_text or "", env(other).get("PATH", "")):
            m = _VENV_BIN.search(text)
            if m:
                return m.group(1)
    return None


@rule("SV213", "relative-executable", "error", category="hygiene", scope="program")
def relative_executable(ctx, prog):
    cmd = prog.command
    if cmd is None or cmd.executable_kind != "relative":
        return
    if prog.values.get("command") is None and cmd.executable.startswith("ENV_"):
        return        # %(ENV_X)s/...: an expansion the linter does not know, not a relative path
    yield finding("%s is relative: supervisord resolves it against its own working "
                  "directory, not directory=, so it is not found (or another one is); write "
                  "the absolute path" % cmd.executable, ctx, prog, "command")


_BIN_DIR = re.compile(r"/(s?bin|Scripts)/")


def _cut_path(argv):
    """How many words of argv make one path cut at unquoted blanks
    (``/Volumes/My Drive/venv/bin/celery``), or 0: the first word is an
    absolute path outside any bin directory that names no interpreter, and
    the words after it, none an option, end in a virtualenv's program (a
    known tool or python in a bin or Scripts directory)."""
    first = argv[0]
    if not first.startswith("/") or _BIN_DIR.search(first) or \
            first.endswith((".sh", ".py")) or _RUNS_FILES.match(first.rpartition("/")[2]):
        return 0
    for k in range(1, min(len(argv), 5)):
        word = argv[k]
        if word.startswith(("-", "/", "./", "../")) or "=" in word or "%" in word:
            return 0
        if "/" not in word:
            continue
        head, _, name = " ".join(argv[:k + 1]).rpartition("/")
        if head.endswith(("/bin", "/Scripts")) and \
                (name in _TOOLS or re.match(r"^python(\d+(\.\d+)?)?$", name)):
            return k + 1
    return 0


# programs that take a file to run as their first argument (platform-python
# app/bin/run.py is no path cut in two)
_RUNS_FILES = re.compile(r"^((platform-)?python[\d.]*|pypy[\d.]*|node(js)?|ruby|perl|php[\d.]*|"
                         r"java|bash|sh|dash|zsh|env|deno|bun)$")


@rule("SV217", "executable-split-at-space", "error", category="hygiene", scope="program")
def executable_split(ctx, prog):
    cmd = prog.command
    if cmd is None or not cmd.argv:
        return
    count = _cut_path(cmd.argv)
    if not count:
        return
    path = " ".join(cmd.argv[:count])
    fix = None
    written = at_key(prog, "command")
    if written is not None and not written.entry.continuations and not written.inherited:
        entry = written.entry
        text = entry.line.text[entry.value_start:entry.value_end]
        m = re.match(r"[ \t]*(%s)(?=[ \t]|$)" % r"[ \t]+".join(map(re.escape, cmd.argv[:count])),
                     text)
        if m:
            path = m.group(1)         # as written (two blanks stay two)
        if m and text == prog.command_text:
            from ..diagnostics import Edit, Fix
            line = entry.line
            fix = Fix("safe", [Edit(line.byte_offset(entry.value_start + m.start(1)),
                                    line.byte_offset(entry.value_start + m.end(1)),
                                    '"%s"' % m.group(1))],
                      "quote the path", keys=[(entry.section.name, "command")],
                      document=entry.document, anchor=entry)
    yield finding("the program's path is cut at a blank: supervisord splits the command at "
                  "blanks, so it runs %s with %s as its first argument and fails at every start "
                  "(\"can't find command\"); quote the path: \"%s\""
                  % (cmd.argv[0], cmd.argv[1], path), ctx, prog, "command", fix=fix)


@rule("SV214", "kill-stopsignal", "warning", category="hygiene", scope="program")
def kill_stopsignal(ctx, prog):
    cel = prog.celery
    if prog.values.get("stopsignal") != KILL or \
            (cel is not None and cel.subcommand in ("worker", "beat")):
        return   # Celery workers and beat: SV404 explains what it costs them
    yield finding("stopsignal=%s kills the program without any chance to shut down "
                  "cleanly; use TERM (the default) or the program's graceful-stop signal"
                  % prog.written("stopsignal").value, ctx, prog, "stopsignal")


_UWSGI_CONFIGS = ("--ini", "--xml", "--yaml", "--yml", "--json", "--config", "-x", "--emperor")


@rule("SV215", "uwsgi-term-reloads", "warning", category="hygiene", scope="program")
def uwsgi_term_reloads(ctx, prog):
    """uWSGI 2.0 answers SIGTERM with a brutal reload, not a shutdown,
    unless --die-on-term: supervisord's stop then waits stopwaitsecs and
    SIGKILLs it."""
    cmd = prog.command
    if cmd is None or cmd.program != "uwsgi" or effective_signal(prog) != TERM:
        return
    inner = cmd.inner or []
    if any(t.lstrip("-").startswith("die-on-term") for t in inner):
        return
    config = None
    for i, token in enumerate(inner[1:], 1):
        option, _, value = token.partition("=")
        if option in _UWSGI_CONFIGS:
            config = value or (inner[i + 1] if i + 1 < len(inner) else option)
            break
        if token.endswith((".ini", ".xml", ".yaml", ".yml", ".json")):
            config = token
            break
    message = ("uWSGI answers the stop signal TERM with a brutal reload of all its workers, "
               "not a shutdown (unless die-on-term is set): supervisord waits stopwaitsecs, "
               "then SIGKILLs it; add --die-on-term to the command (or die-on-term = true in "
               "its config)")
    if config is not None:
        yield finding(message + "; the config it reads (%s) may set it already" % config,
                      ctx, prog, "command", severity="info")
        return
    yield finding(message, ctx, prog, "command")


@rule("SV216", "control-socket-mismatch", "warning", category="hygiene", scope="tree")
def control_socket_mismatch(ctx):
    """supervisorctl's serverurl against the server supervisord opens: a
    relative socket path, or a serverurl that names another socket or port."""
    tree = ctx.tree
    here = tree.here or ""
    sock = tree.get("unix_http_server", "file") if "unix_http_server" in tree.sections \
        else None
    url = tree.get("supervisorctl", "serverurl") if "supervisorctl" in tree.sections else None
    path = None
    if sock is not None and "%" not in sock.value.replace("%(here)s", ""):
        path = sock.value.strip().replace("%(here)s", here)
        if path and not path.startswith(("/", "~")):
            yield Finding("file=%s is relative: supervisord creates the socket in the directory "
                          "it was started from, and supervisorctl (or anything else) started "
                          "elsewhere cannot find it; write an absolute path (%%(here)s is the "
                          "config file's directory)" % path, False, at=sock.entry,
                          section="unix_http_server", key="file")
            return
    if url is None or "%" in url.value.replace("%(here)s", ""):
        return
    target = url.value.strip().replace("%(here)s", here)
    if target.startswith("unix://") and path:
        wanted = os.path.normpath(os.path.expanduser(target[len("unix://"):]))
        if wanted != os.path.normpath(os.path.expanduser(path)):
            yield Finding("serverurl=%s, but [unix_http_server] opens the socket %s: "
                          "supervisorctl talks to another supervisord, or to none; write "
                          "serverurl=unix://%s" % (target, path, path), False, at=url.entry,
                          section="supervisorctl", key="serverurl")
