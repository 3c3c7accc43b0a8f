"""End to end: ``supervisor-lint audit --live CONFIG`` against a real
supervisord 4.3.0 running a real Celery worker, and what supervisord,
``supervisorctl`` and ``/proc`` say about the same moment.

Each test writes a tree in its own temporary directory (main config with
``[include] files=conf.d/*.conf``, own socket, logs and pidfile, a Celery app
``tasks.py`` on the ``filesystem://`` broker), starts ``supervisord -n -c
CONF`` and always stops it by PID (shutdown over RPC, the processes of its
tree killed by PID meanwhile, then SIGTERM, SIGKILL), then kills by PID every
process that carries the test's marker in its environment (orphans
included), on failure too.

* SV604: a ``sh -c "cd APP && celery ... worker"`` wrapper without ``exec``,
  stopped with ``supervisorctl stop``, leaves the worker's main process and
  its pool child running: the audit names exactly those PIDs, and nothing
  once they are killed;
* SV601: conf.d files changed on disk after supervisord started (command,
  stopwaitsecs, environment), one added, one removed: the audit names the
  keys, the added and the removed program, as ``supervisorctl reread`` then
  confirms; after update nothing is pending.  After a reread without update:
  the program waiting to be added, the processes with an older command or
  environment, the group that runs with no config left; and the command the
  finding advises runs the process as the files say;
* SV602: a file added on disk whose log directory does not exist: the audit
  reports SV602 and the fatal SV501, whose quoted error is the one
  ``supervisorctl reread`` gets;
* SV603 (root only): a worker run as ``nobody`` whose ``--logfile`` lies in a
  root-owned 0755 directory: FATAL with ``startsecs=10 startretries=0``, a
  crash loop with ``startsecs=0``; the audit quotes Celery's PermissionError
  from the program's log;
* the clean configuration (same programs, every path right, ``exec`` in the
  wrapper) gets none of SV601-SV604;
* every ``audit --live`` changes nothing in supervisord: config info (AUTO
  log paths included), process states and PIDs, its log, and the config
  files are the same before and after;
* an unreachable server: exit status 2, one ``supervisor-lint: error:`` line.

Linux only (/proc); skipped without supervisor or celery; the ``nobody``
parts need root and a python ``nobody`` may run with this Celery (the
venv's own, else a system python of the same version with the venv's
site-packages on PYTHONPATH: the venv's interpreter may lie under /root).
"""

import contextlib
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

import pytest

import processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or
                                not os.path.isdir("/proc/self") or
                                not os.path.exists("/bin/sh"),
                                reason="needs Linux /proc and /bin/sh")
pytest.importorskip("supervisor")
celery = pytest.importorskip("celery")
from supervisor.xmlrpc import SupervisorTransport  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
SUPERVISORD = os.path.join(BIN, "supervisord")
SUPERVISORCTL = os.path.join(BIN, "supervisorctl")
CELERY = os.path.join(BIN, "celery")
SITE = os.path.dirname(os.path.dirname(os.path.abspath(celery.__file__)))
MARK = "svl-live-%d-" % os.getpid()          # prefix of every work dir of this module
ENV_KEY = "SVL_LIVE_E2E"                      # in every process a test starts
LIVE = ("SV601", "SV602", "SV603", "SV604")
IS_ROOT = getattr(os, "getuid", lambda: -1)() == 0

MAIN = """[unix_http_server]
file={w}/s.sock
chmod=0700

[supervisord]
nodaemon=true
logfile={w}/supervisord.log
pidfile={w}/supervisord.pid
childlogdir={w}/logs

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{w}/s.sock

[include]
files=conf.d/*.conf
"""

# The broker's files are created with the creator's umask: root's workers and
# nobody's get a broker directory each (SVL_BROKER), or nobody cannot open
# the exchange file a root worker made first.
TASKS = """import os

from celery import Celery

broker = os.environ.get("SVL_BROKER", "{w}/broker")
app = Celery("tasks")
app.conf.update(
    broker_url="filesystem://",
    broker_transport_options={{"data_folder_in": broker + "/queue",
                               "data_folder_out": broker + "/queue",
                               "control_folder": broker + "/control"}},
    result_backend=None,
    worker_hijack_root_logger=False,
)


@app.task
def add(x, y):
    return x + y
"""

WORKER_ARGS = "-A tasks worker -c 1 -P prefork --loglevel=INFO --without-gossip " \
              "--without-mingle --without-heartbeat"

# the Celery worker as root, through a shell wrapper; {exec} is "" or "exec "
WORKER = """[program:worker]
command=/bin/sh -c "cd {w}/app && {exec}{celery} {args} -n worker@localhost"
directory={w}/app
environment=C_FORCE_ROOT="1",PYTHONDONTWRITEBYTECODE="1"
autorestart=true
startsecs=1
stopwaitsecs={stopwaitsecs}
{extra}stdout_logfile={w}/logs/worker.out
redirect_stderr=true
"""

SLEEPER = """[program:sleeper]
command=/bin/sleep {seconds}
startsecs=0
stopwaitsecs={stopwaitsecs}
stdout_logfile={w}/logs/sleeper.out
stderr_logfile={w}/logs/sleeper.err
"""

# a worker run as nobody whose --logfile lies in {logdir}; {python} -m celery
NOBODY_WORKER = """[program:{name}]
command={python} -m celery {args} -n {name}@localhost --logfile={logdir}/{name}.log
directory={w}/app
user=nobody
environment=HOME="{home}",USER="nobody",PYTHONPATH="{pythonpath}",SVL_BROKER="{w}/broker-nobody"
{timing}stdout_logfile={w}/logs/{name}.out
redirect_stderr=true
"""


# -- the tree ----------------------------------------------------------------------------------
def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)


def _workdir():
    work = tempfile.mkdtemp(prefix=MARK)
    os.chmod(work, 0o755)                     # nobody must reach the app under it
    for sub in ("conf.d", "logs", "app"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    for broker in ("broker", "broker-nobody"):
        for sub in ("", "/queue", "/control"):
            os.makedirs(os.path.join(work, broker + sub), exist_ok=True)
            os.chmod(os.path.join(work, broker + sub), 0o1777)
    _write(os.path.join(work, "supervisord.conf"), MAIN.format(w=work))
    _write(os.path.join(work, "app", "tasks.py"), TASKS.format(w=work))
    return work


def _worker(work, exec_=True, stopwaitsecs=30, extra=""):
    return WORKER.format(w=work, exec="exec " if exec_ else "", celery=CELERY, args=WORKER_ARGS,
                         stopwaitsecs=stopwaitsecs, extra=extra)


def _sleeper(work, seconds=1000, stopwaitsecs=3):
    return SLEEPER.format(w=work, seconds=seconds, stopwaitsecs=stopwaitsecs)


def _conf_d(work, name, text):
    path = os.path.join(work, "conf.d", name + ".conf")
    _write(path, text)
    return path


_NOBODY_PYTHON = []


def _nobody_python():
    """(interpreter, PYTHONPATH) with which ``nobody`` can run this Celery,
    or a reason to skip.  The venv's own python often lies under a directory
    nobody cannot enter (/root); then a system python of the same version
    with the venv's site-packages on PYTHONPATH."""
    if not IS_ROOT:
        return "needs root (user=nobody, file modes)"
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return "needs an account named nobody"
    if nobody.pw_uid == 0:
        return "nobody is root here"
    if _NOBODY_PYTHON:
        return _NOBODY_PYTHON[0]
    version = "%d.%d" % sys.version_info[:2]
    result = "nobody cannot run celery %s with any python %s here" % (celery.__version__,
                                                                      version)
    for python in (sys.executable, "/usr/bin/python" + version, "/usr/local/bin/python" +
                   version):
        if not os.path.exists(python):
            continue
        try:
            probe = subprocess.run(
                [python, "-c", "import sys, celery, kombu, billiard; "
                               "print('%d.%d' % sys.version_info[:2], celery.__version__)"],
                capture_output=True, text=True, timeout=30, cwd="/",
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": SITE, "HOME": nobody.pw_dir,
                     "PYTHONDONTWRITEBYTECODE": "1"},
                user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0 and probe.stdout.split() == [version, celery.__version__]:
            result = (python, SITE, nobody)
            break
    _NOBODY_PYTHON.append(result)
    return result


def _need_nobody():
    found = _nobody_python()
    if isinstance(found, str):
        pytest.skip(found)
    return found


def _nobody_worker(work, name, logdir, timing):
    python, pythonpath, nobody = _need_nobody()
    return NOBODY_WORKER.format(w=work, name=name, python=python, args=WORKER_ARGS,
                                logdir=logdir, home=nobody.pw_dir, pythonpath=pythonpath,
                                timing=timing)


# -- processes ---------------------------------------------------------------------------------
def _proc(pid, name):
    with open("/proc/%d/%s" % (pid, name), "rb") as fh:
        return fh.read()


def _stat(pid):
    """(state, ppid) of a live pid, or None."""
    try:
        fields = _proc(pid, "stat").rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0].decode(), int(fields[1])


def _alive(pid):
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def _cmdline(pid):
    try:
        return [a.decode("utf-8", "replace") for a in _proc(pid, "cmdline").split(b"\0")[:-1]]
    except OSError:
        return []


def _uid(pid):
    try:
        for line in _proc(pid, "status").decode().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _marked(prefix=MARK):
    return processes.marked(ENV_KEY, prefix, in_cmdline=True)


_kill = processes.kill


def _kill_marked(prefix):
    return processes.kill_marked(ENV_KEY, prefix, seconds=10, in_cmdline=True)


def _wait(predicate, timeout, what):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.05)


_rpc_timeout = processes.rpc_timeout


class Supervisord:
    """``supervisord -n -c CONF`` for the tree in ``work``."""

    def __init__(self, work):
        self.work = work
        self.conf = os.path.join(work, "supervisord.conf")
        self.sock = os.path.join(work, "s.sock")
        self.url = "unix://" + self.sock
        self.proc = None

    def start(self):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **{ENV_KEY: self.work})
        with open(os.path.join(self.work, "supervisord.stdout"), "wb") as out:
            self.proc = subprocess.Popen([SUPERVISORD, "-n", "-c", self.conf], cwd=self.work,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=env)
        return self

    @property
    def rpc(self):
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, self.url)).supervisor

    def call(self, method, *args):
        with _rpc_timeout(10):
            return getattr(self.rpc, method)(*args)

    def wait_ready(self, timeout=20):
        def ready():
            assert self.proc.poll() is None, "supervisord exited: %s" % self.output()
            if not os.path.exists(self.sock):
                return False
            try:
                return self.call("getState")["statename"] == "RUNNING"
            except (OSError, xmlrpc.client.Error):
                return False
        _wait(ready, timeout, "supervisord to answer")
        return self

    def infos(self):
        return {i["name"]: i for i in self.call("getAllProcessInfo")}

    def wait_states(self, wanted, timeout=20):
        """Poll until every program ``wanted`` names is in its state."""
        def done():
            infos = self.infos()
            return infos if all(infos[n]["statename"] == s for n, s in wanted.items()) else None
        try:
            return _wait(done, timeout, "states %r" % wanted)
        except AssertionError:
            raise AssertionError("states %r not reached: %r\n%s" % (
                wanted, {n: (i["statename"], i["spawnerr"]) for n, i in self.infos().items()},
                self.log()))

    def ctl(self, *args):
        proc = subprocess.run([SUPERVISORCTL, "-c", self.conf] + list(args),
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout + proc.stderr

    def log(self):
        try:
            with open(os.path.join(self.work, "supervisord.log")) as fh:
                return fh.read()
        except OSError:
            return ""

    def output(self):
        try:
            with open(os.path.join(self.work, "supervisord.stdout")) as fh:
                return fh.read()
        except OSError:
            return ""

    def stop(self):
        """By PID: shutdown over RPC (supervisord respawns nothing from then
        on), every process of this work dir killed by PID meanwhile (a warm
        Celery shutdown takes seconds, and supervisord stops one group after
        the other), then SIGTERM and SIGKILL to supervisord; last every
        process left with this work dir's marker (orphans, pool children)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                with _rpc_timeout(5):
                    self.rpc.shutdown()
            except Exception:
                pass
            deadline = time.time() + 15
            while proc.poll() is None and time.time() < deadline:
                _kill([pid for pid in _marked(self.work) if pid != proc.pid])
                time.sleep(0.05)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if proc.poll() is None:
                    os.kill(proc.pid, sig)
                try:
                    proc.wait(5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        return _kill_marked(self.work)


@contextlib.contextmanager
def _session(work):
    """A running supervisord for ``work``; on the way out it and every
    process of ``work`` are ended and ``work`` is removed."""
    sd = Supervisord(work)
    try:
        sd.start().wait_ready()
        yield sd
    finally:
        left = sd.stop()
        shutil.rmtree(work, ignore_errors=True)
        assert not left, "processes left running: %r" % left


@contextlib.contextmanager
def _session_after(work, prepare):
    """``_session`` for a tree ``prepare()`` completes first (in the
    cleanup's scope: the work dir is removed on failure too)."""
    try:
        prepare()
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    with _session(work) as sd:
        yield sd


# -- the audit -------------------------------------------------------------------------------
def _audit(conf, *extra):
    """``python -m supervisor_lint audit --live --isolated --format json
    CONF``, from the project: (status, findings, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "supervisor_lint", "audit", "--live",
                           "--isolated", "--format", "json"] + list(extra) + [conf],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    diags = json.loads(proc.stdout)["diagnostics"] if proc.returncode in (0, 1) and proc.stdout.strip() \
        else []
    return proc.returncode, diags, proc.stderr


def _live(diags, code=None):
    return [d for d in diags if d["code"] in LIVE and (code is None or d["code"] == code)]


def _show(diags):
    """The live and fatal findings, one a line, for assertion messages."""
    return "\n".join("%s %s %s:%s %s" % (d["code"], d["severity"], d["path"], d["line"],
                                         d["message"])
                     for d in diags if d["code"].startswith("SV6") or d["fatal"])


_UPTIME = re.compile(r", uptime \d+:\d\d:\d\d$|, uptime \d+ days?, \d+:\d\d:\d\d$")


def _observable(sd):
    """What supervisord holds, as read-only calls return it: everything but
    the clock ('now', and the uptime in a RUNNING description)."""
    processes = []
    for info in sd.call("getAllProcessInfo"):
        info = {k: v for k, v in info.items() if k != "now"}
        info["description"] = _UPTIME.sub("", info["description"])
        processes.append(info)
    return {"state": sd.call("getState"), "pid": sd.call("getPID"),
            "configs": sd.call("getAllConfigInfo"), "processes": processes,
            "log": sd.call("readLog", 0, 0)}


def _files(work):
    """{path: (size, mtime, sha1)} of the config files and supervisord's log."""
    found = {}
    for top, dirs, names in os.walk(work):
        for name in names:
            path = os.path.join(top, name)
            if not (name.endswith(".conf") or name == "supervisord.log"):
                continue
            st = os.stat(path)
            with open(path, "rb") as fh:
                found[path] = (st.st_size, st.st_mtime_ns, hashlib.sha1(fh.read()).hexdigest())
    return found


def _audit_read_only(sd):
    """Run the audit and check that it changed nothing in supervisord."""
    before, files = _observable(sd), _files(sd.work)
    status, diags, stderr = _audit(sd.conf)
    after = _observable(sd)
    assert stderr == "", stderr
    assert status in (0, 1), (status, stderr)
    for key in before:
        assert after[key] == before[key], "audit --live changed supervisord's %s" % key
    assert _files(sd.work) == files
    return diags


# -- SV604 -------------------------------------------------------------------------------------
_ORPHAN = re.compile(r"^pid (\d+) \(([^,]+), uid (\d+)\) carries \[program:(\w+)\]'s supervisor "
                     r"environment but is not its current process \((stopped|pid \d+)\) nor one "
                     r"of its children: an orphan")


def _celery_processes(work):
    """{pid: ppid} of live processes of ``work`` that run Celery."""
    found = {}
    for pid in _marked(work):
        if any(arg.endswith("celery") for arg in _cmdline(pid)[:2]):
            st = _stat(pid)
            if st is not None:
                found[pid] = st[1]
    return found


def test_stopped_wrapper_without_exec_leaves_celery_orphans_and_sv604_names_them():
    work = _workdir()
    with _session_after(work, lambda: _conf_d(work, "worker", _worker(work, exec_=False,
                                                                      stopwaitsecs=5))) as sd:
        info = sd.wait_states({"worker": "RUNNING"})["worker"]
        shell = info["pid"]
        assert _cmdline(shell)[:2] == ["/bin/sh", "-c"]

        def worker_and_pool():
            found = _celery_processes(work)
            main = [p for p, ppid in found.items() if ppid == shell]
            pool = [p for p, ppid in found.items() if main and ppid == main[0]]
            return (main[0], pool[0]) if len(main) == 1 and len(pool) == 1 else None
        main, pool = _wait(worker_and_pool, 20, "the Celery main process and its pool child")
        # the clean state first: no orphan while the wrapper runs
        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)

        status, out = sd.ctl("stop", "worker")
        assert (status, out.strip()) == (0, "worker: stopped"), out
        assert sd.infos()["worker"]["statename"] == "STOPPED"
        assert not _alive(shell)
        # the worker did not hear the stop: both processes live on, unsupervised
        assert _alive(main) and _alive(pool)
        assert _celery_processes(work) == {main: _stat(main)[1], pool: main}
        assert _stat(main)[1] != shell

        diags = _audit_read_only(sd)
        orphans = _live(diags, "SV604")
        assert _live(diags) == orphans, _show(diags)
        seen = {}
        for d in orphans:
            match = _ORPHAN.match(d["message"])
            assert match, d["message"]
            pid, name, uid, program, current = match.groups()
            seen[int(pid)] = (name, int(uid), program, current, d["severity"], d["section"],
                              d["path"])
        worker_conf = os.path.join(work, "conf.d", "worker.conf")
        assert seen == {
            pid: (os.path.basename(_cmdline(pid)[0]), _uid(pid), "worker", "stopped", "error",
                  "program:worker", worker_conf)
            for pid in (main, pool)}, _show(diags)

        # reality changes, the audit follows: the orphans killed, nothing left to report
        _kill([main, pool])
        _wait(lambda: not _alive(main) and not _alive(pool), 10, "the orphans to die")
        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)


# -- SV601, SV602 ------------------------------------------------------------------------------
_DIFFERS = re.compile(r"^\[program:(\w+)\] differs from what supervisord runs \(([^)]*)\): ")
_UNKNOWN = re.compile(r"^\[program:(\w+)\] is in the files but supervisord does not know it")
_REREAD_NOT_ADDED = re.compile(r"^\[program:(\w+)\] was reread but not added")
_OLDER = re.compile(r"^\[program:(\w+)\] process (\w+) \(pid (\d+)\) still runs with an older "
                    r"(\w+)")
_GONE = re.compile(r"^\[(\w+)\] runs in supervisord \(([^)]*)\) but is no longer in the files")


def _pending(diags):
    """SV601 findings as (kind, program, detail)."""
    found = set()
    for d in _live(diags, "SV601"):
        assert d["severity"] == "warning", d
        gone = _GONE.match(d["message"])
        if gone:
            assert d["section"] is None, d
            found.add(("gone", gone.group(1), gone.group(2)))
            continue
        for kind, pattern in (("differs", _DIFFERS), ("unknown", _UNKNOWN),
                              ("reread", _REREAD_NOT_ADDED), ("older", _OLDER)):
            match = pattern.match(d["message"])
            if match:
                found.add((kind,) + match.groups()[:1] + (
                    match.group(2) if kind == "differs" else
                    match.group(4) if kind == "older" else None,))
                assert d["section"] == "program:" + match.group(1), d
                break
        else:
            raise AssertionError("unexpected SV601: %s" % d["message"])
    return found


def _program(name, seconds, extra=""):
    return "[program:%s]\ncommand=/bin/sleep %d\nstartsecs=0\nstopwaitsecs=2\n%s" % (
        name, seconds, extra)


def test_changed_added_and_removed_conf_d_files_give_sv601_as_reread_then_confirms():
    work = _workdir()

    # The wrapper without exec, its stop reaching Celery through the process
    # group; QUIT (Celery's cold shutdown) keeps the restart by update short.
    group = "stopasgroup=true\nkillasgroup=true\nstopsignal=QUIT\n"

    def prepare():
        _conf_d(work, "worker", _worker(work, exec_=False, stopwaitsecs=30, extra=group))
        _conf_d(work, "sleeper", _sleeper(work, seconds=1000, stopwaitsecs=3))
        _conf_d(work, "env", _program("env", 1007, 'environment=APP_MODE="blue"\n'))
        _conf_d(work, "gone", _program("gone", 1008))
    with _session_after(work, prepare) as sd:
        sd.wait_states({"sleeper": "RUNNING", "worker": "RUNNING", "env": "RUNNING",
                        "gone": "RUNNING"})
        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)

        # on disk, after supervisord read the files: three changed (settings
        # supervisord reports, and an environment only the process shows), one
        # added, one removed
        _conf_d(work, "worker", _worker(work, exec_=False, stopwaitsecs=60, extra=group))
        _conf_d(work, "sleeper", _sleeper(work, seconds=1001, stopwaitsecs=4))
        _conf_d(work, "env", _program("env", 1007, 'environment=APP_MODE="green"\n'))
        _conf_d(work, "added", _program("added", 1002))
        os.unlink(os.path.join(work, "conf.d", "gone.conf"))
        diags = _audit_read_only(sd)
        assert _pending(diags) == {("differs", "worker", "stopwaitsecs"),
                                   ("differs", "sleeper", "command, stopwaitsecs"),
                                   ("older", "env", "environment"),
                                   ("unknown", "added", None),
                                   ("gone", "gone", "gone")}, _show(diags)
        assert _live(diags) == _live(diags, "SV601"), _show(diags)
        assert not any(d["fatal"] for d in diags), _show(diags)
        where = {d["section"]: d["path"] for d in _live(diags, "SV601")}
        expected = {"program:%s" % n: os.path.join(work, "conf.d", n + ".conf")
                    for n in ("worker", "sleeper", "env", "added")}
        expected[None] = sd.conf              # gone: no section left, on the main file
        assert where == expected, _show(diags)

        # reality: the reread names the same programs
        status, out = sd.ctl("reread")
        assert status == 0, out
        assert sorted(out.splitlines()) == ["added: available", "env: changed",
                                            "gone: disappeared", "sleeper: changed",
                                            "worker: changed"]

        # after update everything runs as the files say: nothing pending
        status, out = sd.ctl("update")
        assert status == 0, out
        infos = sd.wait_states({"sleeper": "RUNNING", "added": "RUNNING", "worker": "RUNNING",
                                "env": "RUNNING"}, timeout=30)
        assert sorted(infos) == ["added", "env", "sleeper", "worker"]
        assert _cmdline(infos["sleeper"]["pid"]) == ["/bin/sleep", "1001"]
        # supervisord waited for the old wrapper only: the old Celery finishes its
        # cold shutdown on its own (an orphan until then, which SV604 would name)
        shell = infos["worker"]["pid"]

        def only_the_new_worker():
            found = _celery_processes(work)
            main = [pid for pid, ppid in found.items() if ppid == shell]
            return len(main) == 1 and all(ppid in (shell, main[0]) for ppid in found.values())
        _wait(only_the_new_worker, 20, "the old Celery worker to exit")
        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)


def test_reread_but_not_updated_gives_sv601_for_what_update_would_change():
    """After ``supervisorctl reread`` supervisord's config info is the files':
    what is still pending shows in the processes (their command line and
    environment) and in the groups that run with no config left."""
    work = _workdir()

    def prepare():
        _conf_d(work, "sleeper", _program("sleeper", 1000))
        _conf_d(work, "env", _program("env", 1007, 'environment=APP_MODE="blue"\n'))
        _conf_d(work, "gone", _program("gone", 1008))
    with _session_after(work, prepare) as sd:
        sd.wait_states({"sleeper": "RUNNING", "env": "RUNNING", "gone": "RUNNING"})
        _conf_d(work, "sleeper", _program("sleeper", 1001))
        _conf_d(work, "env", _program("env", 1007, 'environment=APP_MODE="green"\n'))
        _conf_d(work, "added", _program("added", 1002))
        os.unlink(os.path.join(work, "conf.d", "gone.conf"))
        status, out = sd.ctl("reread")
        assert (status, sorted(out.splitlines())) == (0, [
            "added: available", "env: changed", "gone: disappeared", "sleeper: changed"]), out

        diags = _audit_read_only(sd)
        infos = sd.infos()
        configs = {c["name"]: c for c in sd.call("getAllConfigInfo")}
        assert _cmdline(infos["sleeper"]["pid"]) == ["/bin/sleep", "1000"]
        assert infos["gone"]["statename"] == "RUNNING" and "gone" not in configs
        assert configs["added"]["inuse"] is False
        # gone still runs, and update stops it: pending as much as before the reread
        assert _pending(diags) == {("reread", "added", None),
                                   ("older", "sleeper", "command"),
                                   ("older", "env", "environment"),
                                   ("gone", "gone", "gone")}, _show(diags)


def test_following_the_older_command_advice_makes_the_process_run_as_the_files_say():
    """SV601 for a process that "still runs with an older command" names the
    supervisorctl command that runs it as the files say: doing it must."""
    work = _workdir()
    with _session_after(work, lambda: _conf_d(work, "sleeper", _program("sleeper", 1000))) as sd:
        sd.wait_states({"sleeper": "RUNNING"})
        _conf_d(work, "sleeper", _program("sleeper", 1001))
        status, out = sd.ctl("reread")
        assert (status, out.strip()) == (0, "sleeper: changed"), out
        diags = _audit_read_only(sd)
        older = [d for d in _live(diags, "SV601") if _OLDER.match(d["message"])]
        assert len(older) == 1, _show(diags)
        advice = re.search(r"; (supervisorctl [^;]*?) runs it as the files say",
                           older[0]["message"])
        assert advice, older[0]["message"]
        words = advice.group(1).split()
        status, out = sd.ctl(*words[1:])
        assert status == 0, out
        pid = sd.wait_states({"sleeper": "RUNNING"})["sleeper"]["pid"]
        assert _cmdline(pid) == ["/bin/sleep", "1001"], \
            "after %r the process still runs %r:\n%s" % (advice.group(1), _cmdline(pid), out)
        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)


def test_broken_conf_d_file_gives_sv602_and_the_fatal_sv501_reread_confirms():
    work = _workdir()
    with _session_after(work, lambda: _conf_d(work, "sleeper", _program("sleeper", 1000))) as sd:
        sd.wait_states({"sleeper": "RUNNING"})
        configs = sd.call("getAllConfigInfo")
        diags = _audit_read_only(sd)
        assert _live(diags) == [] and not any(d["fatal"] for d in diags), _show(diags)

        # a file supervisord would refuse, added on disk: its log directory does not exist
        broken = _conf_d(work, "broken", "[program:broken]\ncommand=/bin/sleep 1003\n"
                                         "stdout_logfile=%s/nodir/broken.log\n" % work)
        diags = _audit_read_only(sd)
        fatal = [d for d in diags if d["fatal"]]
        assert [(d["code"], d["path"], d["line"], d["section"]) for d in fatal] == \
            [("SV501", broken, 3, "program:broken")], _show(diags)
        refused = _live(diags, "SV602")
        assert len(refused) == 1, _show(diags)
        message = refused[0]["message"]
        assert (refused[0]["severity"], refused[0]["path"], refused[0]["section"]) == \
            ("error", sd.conf, None)
        first = re.search(r"\((SV\d+) at (.+?):(\d+)(?:,? and (\d+) more)?\)", message)
        assert first and first.groups() in (("SV501", broken, "3", None),
                                            ("SV501", broken, "3", "0")), message
        assert "supervisord (pid %d) runs" % sd.proc.pid in message
        assert "the next supervisorctl reread, update or restart" in message
        assert _pending(diags) == {("unknown", "broken", None)}, _show(diags)
        assert sorted(d["code"] for d in _live(diags)) == ["SV601", "SV602"], _show(diags)

        # reality: the reread is refused with the very error SV501 quotes, and changes nothing
        quoted = re.search(r'\("Error: ([^"]*)"\)', fatal[0]["message"])
        assert quoted, fatal[0]["message"]
        status, out = sd.ctl("reread")
        assert status != 0
        assert out.strip() == "ERROR: CANT_REREAD: %s (file: '%s')" % (quoted.group(1), broken)
        assert sd.call("getAllConfigInfo") == configs
        assert sd.infos()["sleeper"]["statename"] == "RUNNING"

        # the directory made: the reread succeeds, the audit has nothing fatal left
        os.mkdir(os.path.join(work, "nodir"))
        diags = _audit_read_only(sd)
        assert _live(diags, "SV602") == [] and not any(d["fatal"] for d in diags), _show(diags)
        status, out = sd.ctl("reread")
        assert (status, out.strip()) == (0, "broken: available"), out


# -- SV603 -------------------------------------------------------------------------------------
_UNHEALTHY = re.compile(r"^(\w+) (is FATAL|is in BACKOFF \(start failed, retrying\)|exited "
                        r"unexpectedly (\d+) times in the last 5 minutes \(a crash loop[^)]*\))"
                        r": (.*?)(; the files say why: ([A-Z0-9, ]+))?$")


def test_nobody_worker_that_cannot_open_its_logfile_gives_sv603_with_the_permission_error():
    work = _workdir()
    rootonly = os.path.join(work, "rootonly")

    def prepare():
        os.mkdir(rootonly)
        os.chmod(rootonly, 0o755)             # root's, not writable for nobody
        # gives up at the first exit (Celery exits in about a second): FATAL
        _conf_d(work, "fatal", _nobody_worker(work, "fatal", rootonly,
                                              "startsecs=10\nstartretries=0\n"))
        # RUNNING at once, exits, is respawned: a crash loop that never goes FATAL
        _conf_d(work, "loop", _nobody_worker(work, "loop", rootonly,
                                             "startsecs=0\nautorestart=true\n"))
    with _session_after(work, prepare) as sd:
        exits = "WARN exited: loop (exit status 1; not expected)"
        sd.wait_states({"fatal": "FATAL"})
        _wait(lambda: sd.log().count(exits) >= 3, 30, "three exits of loop")
        before = sd.log().count(exits)
        status, diags, stderr = _audit(sd.conf)
        after = sd.log().count(exits)
        assert stderr == "" and status == 1, stderr

        denied = "PermissionError: [Errno 13] Permission denied: '%s/%%s.log'" % rootonly
        for name in ("fatal", "loop"):      # what the program's own log says
            with open(os.path.join(work, "logs", name + ".out")) as fh:
                assert denied % name in fh.read().splitlines()
        assert not os.path.exists(os.path.join(rootonly, "fatal.log"))
        info = sd.infos()["fatal"]
        assert (info["statename"], info["spawnerr"]) == \
            ("FATAL", "Exited too quickly (process log may have details)")
        assert "gave up: fatal entered FATAL state" in sd.log()

        unhealthy = {}
        for d in _live(diags, "SV603"):
            match = _UNHEALTHY.match(d["message"])
            assert match, d["message"]
            unhealthy[match.group(1)] = (d["severity"], d["section"], match.group(2),
                                         match.group(3), match.group(4), match.group(6))
        assert sorted(unhealthy) == ["fatal", "loop"], _show(diags)
        assert _live(diags) == _live(diags, "SV603"), _show(diags)
        severity, section, what, _, _, _ = unhealthy["fatal"]
        assert (severity, section, what) == ("error", "program:fatal", "is FATAL")
        severity, section, what, count, _, _ = unhealthy["loop"]
        assert (severity, section) == ("warning", "program:loop")
        assert what.startswith("exited unexpectedly ")
        assert before <= int(count) <= after, (before, count, after)
        # both quote the line of the program's own log that says why
        quoted = {name: unhealthy[name][4] for name in ("fatal", "loop")}
        assert quoted == {name: denied % name for name in ("fatal", "loop")}, \
            "SV603 does not quote Celery's PermissionError from the program's log:\n" + \
            _show(diags)


# -- the clean configuration -------------------------------------------------------------------
def test_clean_configuration_gives_no_live_finding():
    work = _workdir()
    nobody = not isinstance(_nobody_python(), str)

    def prepare():
        _conf_d(work, "worker", _worker(work, exec_=True))
        _conf_d(work, "sleeper", _sleeper(work))
        if nobody:
            logdir = os.path.join(work, "celerylogs")
            os.mkdir(logdir)
            os.chown(logdir, _nobody_python()[2].pw_uid, -1)
            _conf_d(work, "fatal", _nobody_worker(work, "fatal", logdir,
                                                  "startsecs=1\nstartretries=0\n"))
            _conf_d(work, "loop", _nobody_worker(work, "loop", logdir,
                                                 "startsecs=0\nautorestart=true\n"))
    with _session_after(work, prepare) as sd:
        wanted = {"worker": "RUNNING", "sleeper": "RUNNING"}
        if nobody:
            wanted.update(fatal="RUNNING", loop="RUNNING")
        infos = sd.wait_states(wanted)

        def ready():
            texts = [open(os.path.join(work, "logs", "worker.out")).read()]
            if nobody:
                texts += [open(os.path.join(work, "celerylogs", n + ".log")).read()
                          for n in ("fatal", "loop")
                          if os.path.exists(os.path.join(work, "celerylogs", n + ".log"))]
            return len(texts) == (3 if nobody else 1) and all(" ready." in t for t in texts)
        _wait(ready, 30, "every Celery worker to be ready")
        # exec: supervisord's pid is Celery's main process, its pool child below it
        assert _cmdline(infos["worker"]["pid"])[1] == CELERY

        diags = _audit_read_only(sd)
        assert _live(diags) == [], _show(diags)
        assert [d for d in diags if d["code"] == "SV605"] == []
        assert not any(d["fatal"] for d in diags)
        assert {n: i["pid"] for n, i in sd.infos().items()} == \
            {n: i["pid"] for n, i in infos.items()}
        assert "exited:" not in sd.log()
        if nobody:
            for name in ("fatal", "loop"):
                assert _uid(infos[name]["pid"]) == _nobody_python()[2].pw_uid


# -- read-only ---------------------------------------------------------------------------------
def test_audit_changes_nothing_in_supervisord():
    """States, PIDs, config info (AUTO log paths included: a reloadConfig
    would turn them into 'auto' for good) and supervisord's log are the same
    after the audit, in a state with a FATAL program, a stopped one, a pending
    change on disk and an orphan."""
    work = _workdir()

    def prepare():
        _conf_d(work, "worker", _worker(work, exec_=False, stopwaitsecs=5))
        _conf_d(work, "auto", "[program:auto]\ncommand=/bin/sleep 1004\nstartsecs=0\n")
        _conf_d(work, "manual", "[program:manual]\ncommand=/bin/sleep 1005\nautostart=false\n")
        _conf_d(work, "notfound", "[program:notfound]\ncommand=%s/nonexistent\n"
                                  "startretries=0\n" % work)
    with _session_after(work, prepare) as sd:
        infos = sd.wait_states({"worker": "RUNNING", "auto": "RUNNING", "manual": "STOPPED",
                                "notfound": "FATAL"})
        _wait(lambda: len(_celery_processes(work)) == 2, 20, "the Celery worker and its pool")
        status, out = sd.ctl("stop", "worker")
        assert status == 0, out
        orphans = sorted(_celery_processes(work))
        assert len(orphans) == 2
        _conf_d(work, "auto", "[program:auto]\ncommand=/bin/sleep 1006\nstartsecs=0\n")
        auto_log = [c["stdout_logfile"] for c in sd.call("getAllConfigInfo")
                    if c["name"] == "auto"][0]
        assert auto_log.startswith(os.path.join(work, "logs", "auto-stdout---supervisor-"))

        diags = _audit_read_only(sd)          # compares before and after
        assert sorted(int(_ORPHAN.match(d["message"]).group(1))
                      for d in _live(diags, "SV604")) == orphans, _show(diags)
        assert ("differs", "auto", "command") in _pending(diags), _show(diags)
        assert [d["message"].split(":")[0] for d in _live(diags, "SV603")] == \
            ["notfound is FATAL"], _show(diags)
        assert [c["stdout_logfile"] for c in sd.call("getAllConfigInfo")
                if c["name"] == "auto"] == [auto_log]
        assert sd.infos()["auto"]["pid"] == infos["auto"]["pid"]
        _kill(orphans)


# -- an unreachable server ---------------------------------------------------------------------
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["no-socket", "refused-socket", "closed-port"])
def test_unreachable_server_exits_2_with_one_error_line(case):
    work = _workdir()
    try:
        sock = os.path.join(work, "s.sock")
        if case == "refused-socket":          # a socket file nobody listens on
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sock)
            s.close()
        text = MAIN.format(w=work)
        if case == "closed-port":
            port = _free_port()
            text = text.replace("[unix_http_server]\nfile=%s\nchmod=0700\n" % sock,
                                "[inet_http_server]\nport=127.0.0.1:%d\n" % port)
            text = text.replace("serverurl=unix://%s" % sock, "serverurl=http://127.0.0.1:%d"
                                % port)
        _write(os.path.join(work, "supervisord.conf"), text)
        _conf_d(work, "sleeper", _sleeper(work))
        started = time.time()
        status, diags, stderr = _audit(os.path.join(work, "supervisord.conf"))
        assert time.time() - started < 30
        assert status == 2, (status, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1 and stderr.endswith("\n"), stderr
        assert lines[0].startswith("supervisor-lint: error: "), stderr
        assert "Traceback" not in stderr
        url = "http://127.0.0.1:%d" % port if case == "closed-port" else "unix://" + sock
        assert url in lines[0], stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_no_process_is_left_running():
    """Last: nothing any test of this module started is alive."""
    assert _marked() == []
    assert not any(name.startswith(MARK) for name in os.listdir(tempfile.gettempdir()))
