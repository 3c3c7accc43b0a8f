"""End to end with a real supervisord: a shell wrapper without stopasgroup
leaves its child running after `supervisorctl stop`; after
`supervisor-lint check --fix` and `reread`/`update` the same stop leaves
nothing behind.  Every process the test starts is ended by the test."""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

pytest.importorskip("supervisor")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MAIN = """[unix_http_server]
file=%(here)s/s.sock

[supervisord]
nodaemon=true
silent=true
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%(here)s/s.sock

[include]
files=conf.d/*.conf
"""


def _sleeping(marker):
    """PIDs of live `sleep MARKER` processes."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                cmdline = fh.read()
            with open("/proc/%s/stat" % pid) as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmdline == b"sleep\0" + marker.encode() + b"\0" and state != "Z":
            found.append(int(pid))
    return found


def _wait(predicate, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.skipif(not os.path.isdir("/proc") or not os.path.exists("/bin/sh"),
                    reason="needs Linux /proc and /bin/sh")
def test_fix_makes_stop_leave_no_process_behind():
    work = tempfile.mkdtemp(prefix="svl-e2e-")
    marker = str(random.randint(700000, 799999))
    conf = os.path.join(work, "supervisord.conf")
    prog = os.path.join(work, "conf.d", "wrapper.conf")
    os.makedirs(os.path.dirname(prog))
    with open(conf, "w") as fh:
        fh.write(MAIN)
    with open(prog, "w") as fh:
        fh.write("[program:wrapper]\ncommand=/bin/sh -c \"sleep %s; echo done\"\n"
                 "startsecs=0\nautorestart=false\nstopwaitsecs=3\n" % marker)
    env = dict(os.environ, PYTHONPATH=ROOT)
    ctl = [sys.executable, "-m", "supervisor.supervisorctl", "-c", conf]

    def ctl_run(*args):
        return subprocess.run(ctl + list(args), capture_output=True, text=True, timeout=30,
                              env=env)

    daemon = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c", conf],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert _wait(lambda: "RUNNING" in ctl_run("status", "wrapper").stdout), \
            ctl_run("status").stdout
        assert _wait(lambda: len(_sleeping(marker)) == 1)

        # without stopasgroup the shell dies and its child lives on
        ctl_run("stop", "wrapper")
        assert "STOPPED" in ctl_run("status", "wrapper").stdout
        time.sleep(0.5)
        orphans = _sleeping(marker)
        assert len(orphans) == 1
        for pid in orphans:
            os.kill(pid, signal.SIGKILL)
        assert _wait(lambda: not _sleeping(marker))

        # the linter finds it and fixes it
        lint = subprocess.run([sys.executable, "-m", "supervisor_lint", "check", "--fix", prog],
                              capture_output=True, text=True, env=env, timeout=60)
        assert lint.returncode in (0, 1), lint.stderr
        with open(prog) as fh:
            assert "stopasgroup=true\n" in fh.read()

        assert "wrapper: changed" in ctl_run("reread").stdout
        ctl_run("update")
        if "RUNNING" not in ctl_run("status", "wrapper").stdout:
            ctl_run("start", "wrapper")
        assert _wait(lambda: "RUNNING" in ctl_run("status", "wrapper").stdout)
        assert _wait(lambda: len(_sleeping(marker)) == 1)

        # now the stop reaches the whole process group
        ctl_run("stop", "wrapper")
        assert "STOPPED" in ctl_run("status", "wrapper").stdout
        assert _wait(lambda: not _sleeping(marker), timeout=5)
    finally:
        try:
            ctl_run("shutdown")
        except Exception:
            pass
        try:
            daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        for pid in _sleeping(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)
