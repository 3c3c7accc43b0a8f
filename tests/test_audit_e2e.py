"""End to end: what ``supervisor-lint audit`` predicts for a config on this
host, against what a real supervisord 4.3.0 does with the same config.

Trees are generated in a temporary directory (own socket, logs, pidfile,
childlogdir; ``nodaemon=true``), audited with ``python -m supervisor_lint
audit --format json`` on the live host (root "/"), then run by
``supervisord -n -c CONF``:

* load refused: a program log in a missing directory (SV501) and ``user=``
  naming no account (SV502): supervisord exits with status 2 and prints the
  very error the audit quotes;
* FATAL at spawn: command not found (SV506), a log path that is a directory
  (SV505), a missing shebang interpreter, no shebang, a CRLF shebang (SV510),
  a script ``nobody`` may not execute (SV509), a ``directory=`` ``nobody``
  cannot enter (SV508): the state over XML-RPC and the spawnerr or the
  child's message (RPC and the program's own log) are the ones the audit
  quotes;
* a crash loop (SV512): a Celery worker run as ``nobody`` whose ``--logfile``
  lies in a root-owned 0755 directory.  Celery is not installed here, so
  ``celery`` is a /bin/sh stand-in that, like Celery, runs for more than
  startsecs and then exits 1 because it cannot open its logfile;
* the clean twin: the same config on a tree with every path right: the audit
  reports no host finding and nothing fatal, and supervisord runs every
  program (RUNNING, as nobody).

Root only (user switching, DAC), Linux only (/proc).  Every supervisord is
stopped by PID (shutdown over RPC, then SIGTERM, SIGKILL), and every process
carrying this module's marker in its environment is killed, on failure too.
"""

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

import pytest

import processes

pytest.importorskip("supervisor")
from supervisor.xmlrpc import SupervisorTransport  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUPERVISORD = os.path.join(os.path.dirname(sys.executable), "supervisord")
MARK = "svl-e2e-%d-" % os.getpid()           # prefix of every work dir of this run
ENV_KEY = "SVL_E2E"                           # in every process a test starts


def _nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


NOBODY = _nobody()


def _why_skip():
    if getattr(os, "getuid", lambda: -1)() != 0:
        return "needs root (user=, file modes)"
    if not os.path.isdir("/proc/self") or not os.path.exists("/bin/sh"):
        return "needs Linux /proc and /bin/sh"
    if NOBODY is None or NOBODY.pw_uid == 0:
        return "needs an unprivileged account named nobody"
    base = tempfile.gettempdir()
    while True:
        if not os.stat(base).st_mode & stat.S_IXOTH:
            return "%s is not searchable by nobody" % base
        if base == os.path.dirname(base):
            return None
        base = os.path.dirname(base)


pytestmark = pytest.mark.skipif(_why_skip() is not None, reason=str(_why_skip()))

MAIN = """[unix_http_server]
file={w}/s.sock
chmod=0700

[supervisord]
nodaemon=true
logfile={w}/supervisord.log
pidfile={w}/supervisord.pid
childlogdir={w}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{w}/s.sock
"""

PROGRAM = """
[program:{name}]
command={command}
user=nobody
environment=HOME="{home}",USER="nobody"
{extra}startsecs=1
startretries=0
stdout_logfile={w}/logs/{name}.out
stderr_logfile={w}/logs/{name}.err
"""

SLEEPER = "#!/bin/sh\nexec sleep 600\n"

# Celery's part, played by /bin/sh: it starts (for longer than startsecs=1)
# and then opens its --logfile, exiting 1 when it cannot.
CELERY = """#!/bin/sh
sleep 1.4
for arg; do case "$arg" in --logfile=*) log="${arg#--logfile=}";; esac; done
if ! { printf 'worker ready\\n' >>"$log"; } 2>/dev/null; then
    echo "PermissionError: [Errno 13] Permission denied: '$log'" >&2
    exit 1
fi
exec sleep 600
"""

WORKER = """
[program:worker]
command={w}/venv/bin/celery -A proj worker --logfile={w}/celery/worker.log
directory={w}
user=nobody
environment=HOME="{home}",USER="nobody"
autorestart=true
startsecs=1
stopasgroup=true
killasgroup=true
stdout_logfile={w}/logs/worker.out
stderr_logfile={w}/logs/worker.err
"""

# name: (command, extra settings, rule, key the finding is on)
SPAWN = {
    "notfound": ("{w}/bin/notfound", "", "SV506", "command"),
    "isdir": ("{w}/bin/ok", "", "SV505", "stdout_logfile"),
    "badinterp": ("{w}/bin/badinterp", "", "SV510", "command"),
    "noshebang": ("{w}/bin/noshebang", "", "SV510", "command"),
    "crlf": ("{w}/bin/crlf", "", "SV510", "command"),
    "rootonly": ("{w}/bin/rootonly", "", "SV509", "command"),
    "chdir": ("{w}/bin/ok", "directory={w}/private\n", "SV508", "directory"),
}
CHILD_SIDE = ("badinterp", "chdir", "crlf", "noshebang", "rootonly")  # fail after the fork
TOO_QUICK = "Exited too quickly (process log may have details)"


# -- trees -----------------------------------------------------------------------------------
def _write(path, text, mode=0o644, owner=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as fh:
        fh.write(text)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner, -1)


def _mkdir(path, mode=0o755, owner=None):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner, -1)


def _workdir():
    work = tempfile.mkdtemp(prefix=MARK)
    os.chmod(work, 0o755)             # nobody must reach the scripts under it
    _mkdir(os.path.join(work, "logs"))
    return work


def _spawn_tree(work, broken):
    """The config with seven programs and the Celery worker; the tree under
    ``work`` breaks each of them (``broken``) or gets every path right."""
    w = work
    text = MAIN.format(w=w)
    for name, (command, extra, _, _) in SPAWN.items():
        text += PROGRAM.format(name=name, command=command.format(w=w),
                               extra=extra.format(w=w), w=w, home=NOBODY.pw_dir)
    text += WORKER.format(w=w, home=NOBODY.pw_dir)
    conf = os.path.join(w, "supervisord.conf")
    _write(conf, text)
    _write(w + "/bin/ok", SLEEPER, 0o755)
    if not broken:
        _write(w + "/bin/notfound", SLEEPER, 0o755)
    if broken:
        _mkdir(w + "/logs/isdir.out")
    _write(w + "/bin/badinterp", "#!%s/py/bin/python3\nexec sleep 600\n" % w, 0o755)
    _mkdir(w + "/py/bin")
    if not broken:
        os.symlink("/bin/sh", w + "/py/bin/python3")
    _write(w + "/bin/noshebang", "exec sleep 600\n" if broken else SLEEPER, 0o755)
    _write(w + "/bin/crlf", SLEEPER.replace("\n", "\r\n") if broken else SLEEPER, 0o755)
    _write(w + "/bin/rootonly", SLEEPER, 0o700 if broken else 0o755)
    _mkdir(w + "/private", 0o700 if broken else 0o755)
    _write(w + "/venv/bin/celery", CELERY, 0o755)
    _mkdir(w + "/celery", 0o755, owner=None if broken else NOBODY.pw_uid)
    return conf, text


def _refused_tree(work, case, broken):
    """One program; the whole config is refused at load when ``broken``."""
    w = work
    program = PROGRAM
    if case == "missing-log-dir":
        program = program.replace("{w}/logs/{name}.out", "{w}/applogs/{name}.out")
        if not broken:
            _mkdir(w + "/applogs")
    elif broken:
        program = program.replace("user=nobody", "user=" + _missing_user())
    _write(w + "/bin/ok", SLEEPER, 0o755)
    text = MAIN.format(w=w) + program.format(name="app", command=w + "/bin/ok", extra="", w=w,
                                             home=NOBODY.pw_dir)
    conf = os.path.join(w, "supervisord.conf")
    _write(conf, text)
    return conf, text


def _missing_user():
    name = "svlnouser%d" % os.getpid()
    try:
        pwd.getpwnam(name)
    except KeyError:
        return name
    pytest.skip("an account named %s exists" % name)


def _line(text, section, key):
    """(line, column) of ``key=`` in ``[section]`` of ``text``: where the audit
    puts a finding on that key (column of the value)."""
    lines = text.split("\n")
    start = lines.index("[%s]" % section)
    for number in range(start + 1, len(lines)):
        if lines[number].startswith(key + "="):
            return number + 1, len(key) + 2
        if lines[number].startswith("["):
            break
    raise AssertionError("no %s= in [%s]" % (key, section))


# -- the audit ---------------------------------------------------------------------------------
def _audit(conf):
    """``python -m supervisor_lint audit --format json CONF`` from the project:
    (exit status, findings)."""
    proc = subprocess.run([sys.executable, "-m", "supervisor_lint", "audit", "--isolated",
                           "--format", "json", conf], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)["diagnostics"] if proc.stdout.strip() else []


def _quoted(message, pattern):
    match = re.search(pattern, message)
    assert match, (pattern, message)
    return match.groups() if len(match.groups()) > 1 else match.group(1)


# -- processes -------------------------------------------------------------------------------
def _marked(prefix=MARK):
    return processes.marked(ENV_KEY, prefix)


def _kill_marked(prefix):
    return processes.kill_marked(ENV_KEY, prefix)


def _uid_of(pid):
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


_rpc_timeout = processes.rpc_timeout


class Supervisord:
    """``supervisord -n -c CONF`` in ``work``, its output in files there."""

    def __init__(self, work, conf):
        self.work, self.conf = work, conf
        self.sock = os.path.join(work, "s.sock")
        self.out_path = os.path.join(work, "stdout.txt")
        self.err_path = os.path.join(work, "stderr.txt")
        self.proc = None

    def start(self):
        argv = [SUPERVISORD] if os.path.exists(SUPERVISORD) else \
            [sys.executable, "-m", "supervisor.supervisord"]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv + ["-n", "-c", self.conf], cwd=self.work,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         env=dict(os.environ, **{ENV_KEY: self.work}))
        return self

    @property
    def rpc(self):
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + self.sock))

    def output(self):
        with open(self.out_path) as out, open(self.err_path) as err:
            return out.read(), err.read()

    def log(self):
        try:
            with open(os.path.join(self.work, "supervisord.log")) as fh:
                return fh.read()
        except OSError:
            return ""

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_ready(self, timeout=15):
        """Poll until the RPC answers (True) or supervisord has exited (False)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if os.path.exists(self.sock):
                try:
                    with _rpc_timeout(5):
                        if self.rpc.supervisor.getState()["statename"] == "RUNNING":
                            return True
                except (OSError, xmlrpc.client.Error):
                    pass
            time.sleep(0.05)
        raise AssertionError("supervisord did not answer in %ds: %r" % (timeout, self.output()))

    def poll(self, done, timeout):
        """Call ``done(infos)`` with getAllProcessInfo() (by name) until it is
        true; the last infos.  Never sleeps more than 0.1 s at a time."""
        deadline = time.time() + timeout
        while True:
            with _rpc_timeout(5):
                infos = {i["name"]: i for i in self.rpc.supervisor.getAllProcessInfo()}
            if done(infos) or time.time() > deadline:
                return infos
            time.sleep(0.1)

    def stop(self):
        """By PID: shutdown over RPC, then SIGTERM, then SIGKILL; then every
        process left with this work dir's marker (children, grandchildren)."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                with _rpc_timeout(5):
                    self.rpc.supervisor.shutdown()
            except Exception:
                pass
            for sig, timeout in ((None, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 10)):
                if sig is not None and proc.poll() is None:
                    os.kill(proc.pid, sig)
                try:
                    proc.wait(timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        return _kill_marked(self.work)


@contextlib.contextmanager
def _running(work, conf):
    sd = Supervisord(work, conf).start()
    try:
        yield sd
    finally:
        left = sd.stop()
        assert not left, "processes left running: %r" % left


# -- the spawn tree, broken and clean, each run once -------------------------------------------
def _spawn_session(broken):
    work = _workdir()
    try:
        conf, text = _spawn_tree(work, broken)
        status, diags = _audit(conf)
        result = {"work": work, "conf": conf, "text": text, "status": status, "diags": diags,
                  "seen": {}, "logs": {}, "rpc_stderr": {}, "uids": {}}
        with _running(work, conf) as sd:
            assert sd.wait_ready(), sd.output()
            seen = result["seen"]

            def done(infos):
                for name, info in infos.items():
                    seen.setdefault(name, []).append(info["statename"])
                if not broken:
                    return all(i["statename"] == "RUNNING" for i in infos.values()) and \
                        os.path.exists(os.path.join(work, "celery", "worker.log"))
                return all(infos[n]["statename"] == "FATAL" for n in SPAWN) and \
                    sd.log().count("spawned: 'worker'") >= 3

            infos = sd.poll(done, timeout=20)
            with _rpc_timeout(5):
                for name in infos:
                    try:
                        result["rpc_stderr"][name] = sd.rpc.supervisor.readProcessStderrLog(
                            name, 0, 4096)
                    except xmlrpc.client.Fault as fault:       # NO_FILE: never spawned
                        result["rpc_stderr"][name] = fault.faultString
            for name, info in infos.items():
                result["uids"][name] = _uid_of(info["pid"]) if info["pid"] else None
            result["infos"] = infos
        result["log"] = sd.log()
        try:
            with open(os.path.join(work, "celery", "worker.log")) as fh:
                result["celery_log"] = fh.read()
        except OSError:
            result["celery_log"] = None
        result["returncode"] = sd.proc.returncode
        for name in infos:
            try:
                with open(os.path.join(work, "logs", name + ".err")) as fh:
                    result["logs"][name] = fh.read()
            except OSError:
                result["logs"][name] = None
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def broken():
    return _spawn_session(broken=True)


@pytest.fixture(scope="module")
def clean():
    return _spawn_session(broken=False)


def _host(diags):
    """The host findings.  SV504 (lost-at-reboot) is left out: whether it holds
    depends on the temporary directory being on a tmpfs, not on the tree."""
    return [d for d in diags if d["code"].startswith("SV5") and d["code"] != "SV504"]


def _host_findings(result):
    return [(d["code"], d["section"], d["line"], d["column"], d["fatal"], d["severity"])
            for d in _host(result["diags"])]


def _message(result, name):
    found = [d for d in _host(result["diags"]) if d["section"] == "program:" + name]
    assert len(found) == 1, result["diags"]
    return found[0]["message"]


def test_audit_predicts_one_host_failure_per_program(broken):
    expected = []
    for name, (_, _, code, key) in SPAWN.items():
        line, column = _line(broken["text"], "program:" + name, key)
        expected.append((code, "program:" + name, line, column, False, "error"))
    line, column = _line(broken["text"], "program:worker", "command")
    expected.append(("SV512", "program:worker", line, column, False, "error"))
    assert _host_findings(broken) == expected
    assert not any(d["fatal"] for d in broken["diags"])        # supervisord loads it
    assert broken["status"] == 1


def test_supervisord_loads_the_broken_tree_and_shuts_down_cleanly(broken):
    assert broken["returncode"] == 0
    assert "supervisord started with pid" in broken["log"]


def test_command_not_found_is_fatal_with_the_quoted_spawnerr(broken):
    said = _quoted(_message(broken, "notfound"), r'\("spawnerr: ([^"]*)"\)')
    assert said == "can't find command '%s/bin/notfound'" % broken["work"]
    info = broken["infos"]["notfound"]
    assert (info["statename"], info["spawnerr"], info["description"]) == ("FATAL", said, said)
    assert "INFO spawnerr: %s\n" % said in broken["log"]
    assert "gave up: notfound entered FATAL state" in broken["log"]


def test_log_path_that_is_a_directory_is_fatal_with_eisdir(broken):
    message = _message(broken, "isdir")
    said = _quoted(message, r'\("spawnerr: ([^"]*)"\)')
    errno = _quoted(message, r"is a directory \((E[A-Z]+)\)")
    assert said == "unknown error making dispatchers for 'isdir'"
    info = broken["infos"]["isdir"]
    assert (info["statename"], info["spawnerr"]) == ("FATAL", "%s: %s" % (said, errno))
    assert errno == "EISDIR"
    assert "INFO spawnerr: %s: EISDIR\n" % said in broken["log"]
    # the child was never forked, and the stderr log (opened after stdout's) never created
    assert broken["logs"]["isdir"] is None
    assert broken["rpc_stderr"]["isdir"] == "NO_FILE: %s/logs/isdir.err" % broken["work"]


@pytest.mark.parametrize("name", CHILD_SIDE)
def test_child_side_failure_is_fatal_with_the_quoted_message(broken, name):
    said, status = _quoted(_message(broken, name),
                           r'\("(supervisor: couldn\'t [^"]*)", exit status (\d+)\)')
    w = broken["work"]
    assert said == {
        "badinterp": "supervisor: couldn't exec %s/bin/badinterp: ENOENT" % w,
        "noshebang": "supervisor: couldn't exec %s/bin/noshebang: ENOEXEC" % w,
        "crlf": "supervisor: couldn't exec %s/bin/crlf: ENOENT" % w,
        "rootonly": "supervisor: couldn't exec %s/bin/rootonly: EACCES" % w,
        "chdir": "supervisor: couldn't chdir to %s/private: EACCES" % w,
    }[name]
    info = broken["infos"][name]
    assert (info["statename"], info["spawnerr"]) == ("FATAL", TOO_QUICK)
    expected_log = "%s\nsupervisor: child process was not spawned\n" % said
    assert broken["logs"][name] == expected_log                  # the program's own log
    assert broken["rpc_stderr"][name] == expected_log            # the same over RPC
    assert "WARN exited: %s (exit status %s; not expected)\n" % (name, status) in broken["log"]
    assert "gave up: %s entered FATAL state" % name in broken["log"]


def test_celery_that_cannot_write_its_logfile_loops_and_never_goes_fatal(broken):
    message = _message(broken, "worker")
    w = broken["work"]
    assert message.startswith("command: --logfile %s/celery/worker.log: nobody (uid %d, groups "
                              % (w, NOBODY.pw_uid))
    assert ("cannot write the logfile: %s/celery (root:root 0755) is not writable for it; "
            "Celery exits at start (PermissionError)" % w) in message
    assert message.endswith("supervisord restarts it over and over (a crash loop, never FATAL "
                            "with startsecs=1)")
    log = broken["log"]
    assert log.count("spawned: 'worker'") >= 3
    assert log.count("success: worker entered RUNNING state, process has stayed up for > than "
                     "1 seconds (startsecs)") >= 2
    assert log.count("WARN exited: worker (exit status 1; not expected)") >= 2
    assert "gave up: worker" not in log
    assert "FATAL" not in broken["seen"]["worker"] and "BACKOFF" not in broken["seen"]["worker"]
    assert broken["infos"]["worker"]["statename"] in ("STARTING", "RUNNING", "EXITED")
    denied = "PermissionError: [Errno 13] Permission denied: '%s/celery/worker.log'\n" % w
    assert broken["logs"]["worker"].count(denied) >= 2
    assert set(broken["logs"]["worker"].splitlines()) == {denied.rstrip("\n")}
    assert broken["celery_log"] is None


def test_clean_twin_gets_no_host_finding_and_nothing_fatal(clean):
    assert _host_findings(clean) == []
    assert not any(d["fatal"] for d in clean["diags"])


def test_clean_twin_runs_every_program_as_nobody(clean):
    assert sorted(clean["infos"]) == sorted(list(SPAWN) + ["worker"])
    for name, info in clean["infos"].items():
        assert (name, info["statename"], info["spawnerr"]) == (name, "RUNNING", ""), \
            clean["log"]
        assert clean["uids"][name] == NOBODY.pw_uid, name
        assert clean["logs"][name] == "", name
    assert "FATAL" not in clean["log"] and "exited:" not in clean["log"]
    assert clean["celery_log"] == "worker ready\n"      # the stand-in got past its logfile
    assert clean["returncode"] == 0


# -- load refused --------------------------------------------------------------------------
@pytest.mark.parametrize("case, code, key", [("missing-log-dir", "SV501", "stdout_logfile"),
                                             ("unknown-user", "SV502", "user")])
def test_load_refused_with_the_quoted_error_and_the_clean_twin_runs(case, code, key):
    work = _workdir()
    try:
        conf, text = _refused_tree(work, case, broken=True)
        status, diags = _audit(conf)
        line, column = _line(text, "program:app", key)
        assert [(d["code"], d["line"], d["column"], d["fatal"], d["severity"])
                for d in _host(diags)] == [(code, line, column, True, "error")]
        assert [d["code"] for d in diags if d["fatal"]] == [code]
        assert status == 1
        said = _quoted(_host(diags)[0]["message"], r'\("Error: ([^"]*)"\)')
        assert said == {
            "missing-log-dir": "The directory named as part of the path %s/applogs/app.out "
                               "does not exist in section 'program:app'" % work,
            "unknown-user": "Invalid user name %s in section 'program:app'" % _missing_user(),
        }[case]
        with _running(work, conf) as sd:
            assert sd.wait_exit() == 2
            out, err = sd.output()
        assert err.splitlines()[0] == "Error: %s (file: '%s')" % (said, conf)
        assert not os.path.exists(sd.sock) and sd.log() == ""       # nothing was started

        # the twin: the directory exists / user= names an existing account
        shutil.rmtree(work)
        os.mkdir(work)
        os.chmod(work, 0o755)
        _mkdir(work + "/logs")
        conf, text = _refused_tree(work, case, broken=False)
        status, diags = _audit(conf)
        assert _host(diags) == [] and not any(d["fatal"] for d in diags)
        with _running(work, conf) as sd:
            assert sd.wait_ready(), sd.output()
            infos = sd.poll(lambda i: i["app"]["statename"] == "RUNNING", timeout=10)
            assert infos["app"]["statename"] == "RUNNING", sd.log()
            assert _uid_of(infos["app"]["pid"]) == NOBODY.pw_uid
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_no_process_is_left_running():
    """Last: nothing any test of this module started is alive."""
    assert _marked() == []
