"""``audit --live`` against a stand-in supervisord: an XML-RPC server in a
thread that answers what a running supervisord would and records every call
(only the read-only ones may come), and a /proc of our making.  The real
supervisord and a real Celery worker are in tests/test_live_e2e.py."""

import json
import os
import threading
import xmlrpc.server

import pytest

from supervisor_lint import live
from support import run

# every live rule, each pinned below to its line and message
PINNED = {"SV601", "SV602", "SV603", "SV604", "SV605"}

MAIN = """[inet_http_server]
port=127.0.0.1:%(port)d

[supervisord]
logfile=%(here)s/supervisord.log

[supervisorctl]
serverurl=http://127.0.0.1:%(port)d

[program:worker]
command=/bin/sleep 1000
stopwaitsecs=600
autostart=true

[program:new]
command=/bin/sleep 2000
"""


def _info(name, **extra):
    info = {"name": name, "group": name, "command": "/bin/sleep 1000", "directory": None,
            "autostart": True, "startsecs": 1, "startretries": 3, "stopwaitsecs": 10,
            "stopsignal": 15, "killasgroup": False, "redirect_stderr": False, "uid": None,
            "inuse": True}
    info.update(extra)
    return info


class FakeSupervisord:
    def __init__(self, configs, processes, log="", version="4.3.0", tails=None):
        self.calls = []
        self.server = xmlrpc.server.SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False,
                                                       allow_none=True)
        answers = {
            "getSupervisorVersion": lambda: version, "getState": lambda: {
                "statecode": 1, "statename": "RUNNING"},
            "getPID": lambda: 4242, "getAllProcessInfo": lambda: processes,
            "getAllConfigInfo": lambda: configs, "readLog": lambda offset, length: log,
            "tailProcessStderrLog": lambda name, o, n: [(tails or {}).get(name, ""), 0, False],
            "tailProcessStdoutLog": lambda name, o, n: ["", 0, False],
            # what the audit must never call
            "reloadConfig": lambda: [[[], [], []]], "stopProcess": lambda name: True,
            "startProcess": lambda name: True, "signalProcess": lambda name, sig: True,
        }
        for name, answer in answers.items():
            self.server.register_function(self._recorded(name, answer), "supervisor." + name)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _recorded(self, name, answer):
        def call(*args):
            self.calls.append("supervisor." + name)
            return answer(*args)
        return call

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake(request):
    made = []

    def make(*args, **kwargs):
        server = FakeSupervisord(*args, **kwargs)
        made.append(server)
        return server
    yield make
    for server in made:
        server.stop()


def _audit(tmp_path, server, text=MAIN, extra=()):
    conf = tmp_path / "supervisord.conf"
    conf.write_text(text % {"port": server.port, "here": str(tmp_path)})
    status, out, err = run(["audit", "--isolated", "--live", "--format", "json",
                            "--select", "SV6"] + list(extra) + [str(conf)])
    assert err == "", err
    return status, json.loads(out)["diagnostics"]


def test_pending_changes_and_only_read_only_calls(tmp_path, fake):
    server = fake([_info("worker"), _info("gone", command="/bin/sleep 3")],
                  [{"name": "worker", "group": "worker", "statename": "RUNNING", "pid": 0,
                    "spawnerr": "", "description": "", "now": 0}])
    status, diags = _audit(tmp_path, server)
    assert [(d["code"], d["line"], d["section"]) for d in diags] == [
        ("SV601", 1, None), ("SV601", 10, "program:worker"), ("SV601", 15, "program:new")]
    assert diags[0]["message"].startswith("[gone] runs in supervisord (gone) but is no longer "
                                          "in the files")
    assert diags[1]["message"].startswith("[program:worker] differs from what supervisord "
                                          "runs (stopwaitsecs):")
    assert diags[2]["message"].startswith("[program:new] is in the files but supervisord "
                                          "does not know it")
    assert set(server.calls) <= set(live.READ_ONLY)
    assert "supervisor.reloadConfig" not in server.calls


def test_a_reread_that_would_fail(tmp_path, fake):
    server = fake([_info("worker", stopwaitsecs=600), _info("new", command="/bin/sleep 2000")],
                  [])
    text = MAIN.replace("command=/bin/sleep 2000", "command=/bin/sleep 2000\n"
                        "stdout_logfile=/nonexistent-dir/x.log")
    status, diags = _audit(tmp_path, server, text)
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("SV602", 1, 1)]
    assert "would be refused (SV501 at" in diags[0]["message"]


def test_unhealthy_programs(tmp_path, fake):
    log = "".join("2026-11-30 10:00:%02d,001 WARN exited: new (exit status 1; not expected)\n"
                  % s for s in (1, 5, 9))
    now = 1764496815          # 2026-11-30 10:00:15 in UTC
    server = fake([_info("worker", stopwaitsecs=600), _info("new", command="/bin/sleep 2000")],
                  [{"name": "worker", "group": "worker", "statename": "FATAL", "pid": 0,
                    "spawnerr": "can't find command '/bin/sleep'", "description": "", "now": now},
                   {"name": "new", "group": "new", "statename": "RUNNING", "pid": 0,
                    "spawnerr": "", "description": "", "now": now}],
                  log=log, tails={"new": "starting\nPermissionError: [Errno 13] Permission "
                                         "denied: '/srv/app/w.log'\n"})
    os.environ["TZ"] = "UTC"
    try:
        import time
        time.tzset()
        status, diags = _audit(tmp_path, server)
    finally:
        del os.environ["TZ"]
        time.tzset()
    assert [(d["code"], d["severity"], d["section"]) for d in diags] == [
        ("SV603", "error", "program:worker"), ("SV603", "warning", "program:new")]
    assert diags[0]["message"] == "worker is FATAL: can't find command '/bin/sleep'"
    assert diags[1]["message"] == (
        "new exited unexpectedly 3 times in the last 5 minutes (a crash loop: it runs past "
        "startsecs, so supervisord never gives up): PermissionError: [Errno 13] Permission "
        "denied: '/srv/app/w.log'")


def test_another_version(tmp_path, fake):
    server = fake([_info("worker", stopwaitsecs=600), _info("new", command="/bin/sleep 2000")],
                  [], version="4.2.5")
    status, diags = _audit(tmp_path, server)
    assert [(d["code"], d["severity"], d["line"]) for d in diags] == [("SV605", "info", 1)]
    assert diags[0]["message"].startswith("the running supervisord is 4.2.5;")


def test_orphans_from_proc(tmp_path, fake, monkeypatch):
    """A /proc of our making: the worker's current process (pid 100) and its
    child are supervised; pid 300 carries the same environment but hangs
    under PID 1: an orphan; pid 400 belongs to another supervisord."""
    url = "http://localhost:%d"
    server = fake([_info("worker", stopwaitsecs=600), _info("new", command="/bin/sleep 2000")],
                  [{"name": "worker", "group": "worker", "statename": "RUNNING", "pid": 100,
                    "spawnerr": "", "description": "", "now": 0}])
    proc = tmp_path / "proc"
    mine = url % server.port

    def process(pid, ppid, env, argv):
        d = proc / str(pid)
        d.mkdir(parents=True)
        (d / "stat").write_text("%d (x) S %d 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n"
                                % (pid, ppid))
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        (d / "environ").write_bytes(b"\0".join(("%s=%s" % kv).encode() for kv in env.items())
                                    + b"\0")
        (d / "status").write_text("Name:\tx\nUid:\t0\t0\t0\t0\nGroups:\t0\n")
    env = {"SUPERVISOR_SERVER_URL": mine, "SUPERVISOR_PROCESS_NAME": "worker",
           "SUPERVISOR_GROUP_NAME": "worker", "SUPERVISOR_ENABLED": "1"}
    process(100, 4242, env, ["/bin/sleep", "1000"])
    process(101, 100, env, ["/bin/sleep", "1"])
    process(300, 1, env, ["/srv/app/venv/bin/celery", "-A", "proj", "worker"])
    process(400, 1, dict(env, SUPERVISOR_SERVER_URL="unix:///other.sock"), ["/bin/sleep"])
    real_connect = live.connect
    monkeypatch.setattr(live, "connect", lambda *a: live.Live(
        real_connect(*a).snapshot, live.Processes(str(proc))))
    text = MAIN.replace("[inet_http_server]\nport=127.0.0.1:", "[inet_http_server]\nport=:")
    status, diags = _audit(tmp_path, server, text)
    assert [(d["code"], d["section"]) for d in diags] == [("SV604", "program:worker")]
    assert diags[0]["message"] == (
        "pid 300 (celery, uid 0) carries [program:worker]'s supervisor environment but is "
        "not its current process (pid 100) nor one of its children: an orphan that outlived "
        "a stop or restart and still runs unsupervised")


def test_only_read_only_calls_are_possible():
    client = live.Supervisor("unix:///nonexistent.sock")
    for method in ("supervisor.reloadConfig", "supervisor.stopProcess", "system.multicall"):
        with pytest.raises(ValueError):
            client.call(method)


def test_unreachable_is_one_line(tmp_path):
    conf = tmp_path / "supervisord.conf"
    conf.write_text("[unix_http_server]\nfile=%s/none.sock\n[supervisord]\n" % tmp_path)
    status, out, err = run(["audit", "--isolated", "--live", str(conf)])
    assert (status, out) == (2, "")
    assert err == ("supervisor-lint: error: unix://%s/none.sock: cannot reach supervisord: No "
                   "such file or directory\n" % tmp_path)
    status, out, err = run(["audit", "--live", "--root", str(tmp_path), "/x.conf"])
    assert status == 2 and "does not go with --root" in err


def test_what_proc_does_not_show_is_said(tmp_path, fake, monkeypatch):
    server = fake([_info("worker", stopwaitsecs=600), _info("new", command="/bin/sleep 2000")],
                  [])
    proc = tmp_path / "proc"
    (proc / "77").mkdir(parents=True)
    (proc / "77" / "stat").write_text("77 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n")
    real_connect = live.connect
    monkeypatch.setattr(live, "connect", lambda *a: live.Live(
        real_connect(*a).snapshot, live.Processes(str(proc))))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    conf = tmp_path / "supervisord.conf"
    conf.write_text(MAIN % {"port": server.port, "here": str(tmp_path)})
    status, out, err = run(["audit", "--isolated", "--live", "--select", "SV604", str(conf)])
    assert err == ("supervisor-lint: warning: the environment of 1 processes could not be read "
                   "(other users' processes need root): orphans among them are not found\n")


def test_the_url_supervisord_gives_its_children():
    """datatypes.inet_address: '*' and '' are every address, and supervisord
    then tells its children http://localhost:PORT (options.py)."""
    from supervisor_lint.model import Tree
    from supervisor_lint import reader
    for port, url in (("*:9001", "http://localhost:9001"), (":9001", "http://localhost:9001"),
                      ("9001", "http://localhost:9001"),
                      ("Example.COM:9001", "http://example.com:9001")):
        tree = Tree("/etc/supervisor")
        tree.add(reader.parse(("[inet_http_server]\nport=%s\n" % port).encode(), "s.conf"))
        assert live.children_url(tree) == url, port
        assert live.server_url(tree)[0] == url, port


GROUPED = """[inet_http_server]
port=127.0.0.1:%(port)d

[supervisord]
logfile=%(here)s/supervisord.log

[program:web]
command=/bin/sleep 1000

[program:worker]
command=/bin/sleep 2000
stopwaitsecs=600

[group:site]
programs=web,worker
"""


def test_a_group_of_several_programs_is_compared_program_by_program(tmp_path, fake):
    """Each program of a [group:x] is paired with its own config info (the
    group's first one is another program's): nothing pending when they agree;
    the one that changed is named when one did."""
    infos = [_info("web", group="site"),
             _info("worker", group="site", command="/bin/sleep 2000", stopwaitsecs=600)]
    procs = [{"name": n, "group": "site", "statename": "RUNNING", "pid": 0, "spawnerr": "",
              "description": "", "now": 0} for n in ("web", "worker")]
    status, diags = _audit(tmp_path, fake(infos, procs), GROUPED)
    assert diags == []
    infos[1]["stopwaitsecs"] = 10
    status, diags = _audit(tmp_path, fake(infos, procs), GROUPED)
    assert [(d["code"], d["line"], d["section"]) for d in diags] == [
        ("SV601", 10, "program:worker")]
    assert diags[0]["message"].startswith("[program:worker] differs from what supervisord "
                                          "runs (stopwaitsecs):")
    # a program added to the group after the last reread
    status, diags = _audit(tmp_path, fake(infos[:1], procs[:1]), GROUPED.replace(
        "stopwaitsecs=600", "stopwaitsecs=10"))
    assert [(d["code"], d["line"], d["section"]) for d in diags] == [
        ("SV601", 10, "program:worker")]
    assert diags[0]["message"].startswith("[program:worker] is in the files but supervisord "
                                          "does not know it")


def test_an_orphan_of_a_grouped_program_is_named_by_its_own_program(tmp_path, fake, monkeypatch):
    server = fake([_info("web", group="site"),
                   _info("worker", group="site", command="/bin/sleep 2000", stopwaitsecs=600)],
                  [{"name": n, "group": "site", "statename": "RUNNING", "pid": pid,
                    "spawnerr": "", "description": "", "now": 0}
                   for n, pid in (("web", 100), ("worker", 200))])
    proc = tmp_path / "proc"

    def process(pid, ppid, name):
        d = proc / str(pid)
        d.mkdir(parents=True)
        (d / "stat").write_text("%d (x) S %d 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n"
                                % (pid, ppid))
        (d / "cmdline").write_bytes(b"/bin/sleep\0%s\0" % (b"1000" if name == "web" else b"2000"))
        env = {"SUPERVISOR_SERVER_URL": "http://127.0.0.1:%d" % server.port,
               "SUPERVISOR_PROCESS_NAME": name, "SUPERVISOR_GROUP_NAME": "site",
               "SUPERVISOR_ENABLED": "1"}
        (d / "environ").write_bytes(b"\0".join(("%s=%s" % kv).encode() for kv in env.items())
                                    + b"\0")
        (d / "status").write_text("Name:\tx\nUid:\t0\t0\t0\t0\nGroups:\t0\n")
    process(100, 4242, "web")
    process(200, 4242, "worker")
    process(300, 1, "web")          # web's orphan: not the group's last program's
    real_connect = live.connect
    monkeypatch.setattr(live, "connect", lambda *a: live.Live(
        real_connect(*a).snapshot, live.Processes(str(proc))))
    status, diags = _audit(tmp_path, server, GROUPED)
    assert [(d["code"], d["line"], d["section"]) for d in diags] == [("SV604", 7, "program:web")]
    assert diags[0]["message"].startswith(
        "pid 300 (sleep, uid 0) carries [program:web]'s supervisor environment but is not its "
        "current process (pid 100)")
