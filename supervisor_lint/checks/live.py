"""Live rules (SV6xx): the files against the supervisord that runs them,
read through ``ctx.live`` (a ``live.Live``: what supervisord answered to its
read-only calls, and ``/proc``).  They run under ``audit --live`` only, after
every other rule, so that SV602 and SV603 can name the finding that
explains what they see (``ctx.found``)."""

import posixpath
import re

from . import rule
from ._program import finding, programs, first_block
from ..diagnostics import Finding

_EXITED = re.compile(r"^(\S+ \S+) \w+ exited: (\S+) \(exit status (\d+); not expected\)",
                     re.M)
_CAUSE = re.compile(r"^.*(couldn't|Error|error|Traceback|Permission denied|No such file|"
                    r"not found|Exception).*$", re.M)
LOOP_WINDOW = 300           # seconds: exits counted for a crash loop
LOOP_EXITS = 3


def _main_at(ctx):
    doc = ctx.tree.docs[0] if ctx.tree.docs else None
    block = doc.blocks[0] if doc is not None and doc.blocks else None
    return block


def _program_of(ctx):
    """A function (group, process name) -> the Program of the files that
    runs it, or None: by its own name first (a [group:x] holds several
    programs), else by the group (numprocs, a process_name of its own)."""
    by_name, by_group = {}, {}
    for prog in programs(ctx):
        by_name[(prog.group, prog.name)] = prog
        by_group[prog.group] = prog
    return lambda group, name: by_name.get((group, name)) or by_group.get(group)


# -- SV601 ---------------------------------------------------------------------------------
_COMPARED = (("command", "command"), ("directory", "directory"), ("autostart", "autostart"),
             ("startsecs", "startsecs"), ("startretries", "startretries"),
             ("stopwaitsecs", "stopwaitsecs"), ("stopsignal", "stopsignal"),
             ("killasgroup", "killasgroup"), ("redirect_stderr", "redirect_stderr"))


@rule("SV601", "pending-changes", "warning", category="live", scope="tree")
def pending_changes(ctx):
    snap = ctx.live.snapshot
    owner = _program_of(ctx)
    files = {}
    for prog in programs(ctx):
        files.setdefault(prog.group, []).append(prog)
    running = {}
    for info in snap.configs:
        running.setdefault(info["group"], []).append(info)
    for proc in snap.processes:
        # reread but not updated: gone from the config info, still running
        running.setdefault(proc["group"], [])
    for prog in (prog for group in files.values() for prog in group):
        # a [group:x] of several programs: each compared with its own processes
        infos = [i for i in running.get(prog.group, ()) if owner(i["group"], i["name"]) is prog]
        if not infos:
            yield finding("[%s] is in the files but supervisord does not know it: the files "
                          "were changed after its last reread; supervisorctl reread, then "
                          "update, starts it" % prog.section, ctx, prog)
            continue
        if not all(i.get("inuse", True) for i in infos):
            yield finding("[%s] was reread but not added: supervisorctl update starts it"
                          % prog.section, ctx, prog)
        changed = _changed(ctx, prog, infos[0])
        if changed:
            yield finding("[%s] differs from what supervisord runs (%s): the files were "
                          "changed after its last reread; supervisorctl reread and update "
                          "restart it with the new settings" % (prog.section, changed),
                          ctx, prog)
            continue
        for proc in snap.processes:
            if proc["group"] == prog.group and proc.get("pid") and \
                    owner(proc["group"], proc["name"]) is prog:
                stale = _stale(ctx, prog, ctx.live.processes.get(proc["pid"]))
                if stale:
                    yield finding("[%s] process %s (pid %d) still runs with an older %s: it "
                                  "was started before the files changed and supervisord "
                                  "has reread them since; supervisorctl update runs it as "
                                  "the files say (a restart alone keeps the settings it was "
                                  "started with)"
                                  % (prog.section, proc["name"], proc["pid"], stale), ctx, prog)
                    break
    for group, infos in running.items():
        if group not in files:
            names = sorted({i["name"] for i in infos} |
                           {p["name"] for p in snap.processes if p["group"] == group})
            yield Finding("[%s] runs in supervisord (%s) but is no longer in the files: "
                          "supervisorctl reread and update stop and remove it"
                          % (group, ", ".join(names)), False, at=_main_at(ctx))


def _changed(ctx, prog, info):
    """The keys whose value in the files differs from supervisord's config info."""
    keys = []
    for key, field in _COMPARED:
        mine = prog.values.get(key)        # None where an %(ENV_X)s is not known
        if mine is None or field not in info:
            continue
        theirs = info[field]
        if key == "directory" and theirs is None and mine is None:
            continue
        if isinstance(mine, bool) or isinstance(theirs, bool):
            same = bool(mine) == bool(theirs)
        else:
            same = str(mine) == str(theirs)
        if not same:
            keys.append(key)
    if "user" in prog.settings and ctx.host is not None:
        identity = ctx.host.root.identity(str(prog.values.get("user")))
        if identity is not None and info.get("uid") is not None and identity.uid != info["uid"]:
            keys.append("user")
    return ", ".join(keys)


def _stale(ctx, prog, process):
    """What a running process shows that the files no longer say: its
    command line or environment, or None."""
    if process is None or process.cmdline is None or prog.values.get("command") is None or \
            prog.command is None or not prog.command.argv:
        return None               # (an %(ENV_X)s the linter does not know: not compared)
    cmd = prog.command
    argv = cmd.argv
    comparable = cmd.shell is None and process.cmdline and \
        posixpath.basename(process.cmdline[0]) == posixpath.basename(argv[0])
    # (behind sh -c ... exec, a #! line or a retitled process the command line
    # says nothing about the config: not compared)
    if comparable and process.cmdline[1:] != argv[1:]:
        return "command"
    env = prog.values.get("environment") or {}
    if process.environ is not None and "SUPERVISOR_ENABLED" in process.environ and \
            any(process.environ.get(k) != v for k, v in env.items()):
        return "environment"
    return None


# -- SV602 ---------------------------------------------------------------------------------
@rule("SV602", "reread-would-fail", "error", category="live", scope="tree",
      sees_all_fatal=True)
def reread_would_fail(ctx):
    fatal = [d for d in ctx.found if d.fatal]
    if not fatal:
        return
    first = fatal[0]
    more = " and %d more" % (len(fatal) - 1) if len(fatal) > 1 else ""
    yield Finding("supervisord (pid %s) runs, but the files as they are now would be refused "
                  "(%s at %s:%d%s): the next supervisorctl reread, update or restart of "
                  "supervisord fails for every program, and a reboot leaves them all down"
                  % (ctx.live.snapshot.pid, first.code, first.path, first.line, more), False,
                  at=_main_at(ctx))


# -- SV603 ---------------------------------------------------------------------------------
@rule("SV603", "unhealthy-program", "error", category="live", scope="tree")
def unhealthy_program(ctx):
    snap = ctx.live.snapshot
    program_of = _program_of(ctx)
    exits = {}
    now = max([p.get("now", 0) for p in snap.processes] or [0])
    for stamp, name, status in _EXITED.findall(snap.log or ""):
        if _recent(stamp, now):
            exits[name] = exits.get(name, 0) + 1
    for proc in snap.processes:
        name, group, state = proc["name"], proc["group"], proc["statename"]
        prog = program_of(group, name)
        loops = exits.get(name, 0) + exits.get("%s:%s" % (group, name), 0)
        if state not in ("FATAL", "BACKOFF") and loops < LOOP_EXITS:
            continue
        spec = name if group == name else "%s:%s" % (group, name)
        if state == "FATAL":
            what, severity = "is FATAL", "error"
        elif state == "BACKOFF":
            what, severity = "is in BACKOFF (start failed, retrying)", "warning"
        else:
            what, severity = ("exited unexpectedly %d times in the last %d minutes (a crash "
                              "loop: it runs past startsecs, so supervisord never gives up)"
                              % (loops, LOOP_WINDOW // 60), "warning")
        why = proc.get("spawnerr") or ""
        if not why or "process log may have details" in why:
            # the child failed: its own log says why
            line = _cause(snap.tail(spec, "stderr")) or _cause(snap.tail(spec, "stdout"))
            why = line or why or proc.get("description") or ""
        explained = _explained(ctx, prog)
        message = "%s %s" % (spec, what)
        if why:
            message += ": %s" % why
        if explained:
            message += "; the files say why: %s" % explained
        at = first_block(ctx, prog.section) if prog is not None else _main_at(ctx)
        yield Finding(message, False, at=at, section=prog.section if prog else None,
                      severity=severity)


def _recent(stamp, now):
    import time
    try:
        when = time.mktime(time.strptime(stamp.split(",")[0], "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return False
    return not now or now - when <= LOOP_WINDOW


_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?\w*(?:[Ee]rror|Exception|Failed)\b.*$|"
                        r"^.*\bsupervisor: couldn't .*$", re.M)


def _cause(text):
    """The line of a program's log that says why it fails: the last
    exception line (after a traceback's frames) or supervisor's own
    "couldn't ..." line, else the first line that looks like an error;
    shortened."""
    found = _EXCEPTION.findall(text or "")
    line = found[-1] if found else None
    if line is None:
        match = _CAUSE.search(text or "")
        line = match.group(0) if match and "Traceback (most recent" not in match.group(0) \
            else None
    if line is None:
        return None
    line = line.strip()
    return line if len(line) <= 200 else line[:197] + "..."


def _explained(ctx, prog):
    if prog is None:
        return None
    codes = sorted({d.code for d in ctx.found
                    if d.section == prog.section and d.severity == "error" and
                    d.code[:3] in ("SV5", "SV4", "SV2")})
    return ", ".join(codes) or None


# -- SV604 ---------------------------------------------------------------------------------
@rule("SV604", "orphaned-process", "error", category="live", scope="tree")
def orphaned_process(ctx):
    snap = ctx.live.snapshot
    procs = ctx.live.processes
    current = {(p["group"], p["name"]): p.get("pid") or 0 for p in snap.processes}
    url = _server_url(ctx)
    if url is None:
        return
    program_of = _program_of(ctx)
    descendants = {}
    for p in procs.carrying("SUPERVISOR_SERVER_URL", url):
        if p.pid == snap.pid:
            continue
        name = p.environ.get("SUPERVISOR_PROCESS_NAME")
        group = p.environ.get("SUPERVISOR_GROUP_NAME") or name
        pid = current.get((group, name), 0)
        if pid:
            if pid not in descendants:
                descendants[pid] = procs.descendants(pid) | {pid}
            if p.pid in descendants[pid]:
                continue
        prog = program_of(group, name)
        cause = _orphan_cause(ctx, prog)
        what = posixpath.basename(p.cmdline[0]) if p.cmdline else "?"
        yield Finding("pid %d (%s, uid %s) carries [%s]'s supervisor environment but is not "
                      "its current process (%s) nor one of its children: an orphan that "
                      "outlived a stop or restart and still runs unsupervised%s"
                      % (p.pid, what, p.uid, prog.section if prog else "program:%s" % name,
                         "pid %d" % pid if pid else "stopped",
                         "; " + cause if cause else ""), False,
                      at=first_block(ctx, prog.section) if prog is not None else _main_at(ctx),
                      section=prog.section if prog is not None else None)


def _server_url(ctx):
    """The SUPERVISOR_SERVER_URL supervisord gives its children."""
    from ..live import children_url
    return children_url(ctx.tree)


def _orphan_cause(ctx, prog):
    if prog is None:
        return None
    codes = sorted({d.code for d in ctx.found if d.section == prog.section and
                    d.code in ("SV201", "SV202", "SV203", "SV404", "SV410")})
    if codes:
        return "the files say why: %s" % ", ".join(codes)
    return None


# -- SV605 ---------------------------------------------------------------------------------
@rule("SV605", "supervisord-version-mismatch", "info", category="live", scope="tree")
def version_mismatch(ctx):
    version = ctx.live.snapshot.version
    if version and version != "4.3.0":
        yield Finding("the running supervisord is %s; this audit judged the files as "
                      "supervisor 4.3.0 reads them, and versions differ in what they accept"
                      % version, False, at=_main_at(ctx))
