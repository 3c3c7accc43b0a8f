"""``supervisor-lint audit``: the config judged on a host (a root built in a
temporary directory), each host rule on its exact line with a clean twin,
and the command's own behaviour (finding the config, --root, errors)."""

import os
import sys

from supervisor_lint import __version__

import hosts
from support import lint_json, run

PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "celery:x:1001:1002::/home/celery:/bin/sh\n"
          "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n")
GROUP = "root:x:0:\nhalog:x:1001:celery\ncelery:x:1002:\nwww-data:x:33:\n"
CELERY = "celery (uid 1001, groups 1002,1001)"
MAIN = hosts.MAIN
WORKER = """[program:worker]
command=/srv/app/venv/bin/celery -A proj worker --loglevel=INFO --logfile=/var/log/celery/worker-%%%%n.log
directory=/srv/app
user=celery
autorestart=true
stopwaitsecs=600
killasgroup=true
redirect_stderr=true
stdout_logfile=/var/log/supervisor/worker.log
%(extra)s
[program:beat]
command=/srv/app/venv/bin/celery -A proj beat --loglevel=INFO -s /var/lib/celery/celerybeat-schedule
directory=/srv/app
user=celery
autorestart=true
redirect_stderr=true
stdout_logfile=/var/log/supervisor/beat.log
"""
CONF = "/etc/supervisor/conf.d/celery.conf"
HOST = {
    "/etc/passwd": PASSWD, "/etc/group": GROUP,
    "/run": "dir root:root 0755",
    "/var/log/supervisor": "dir root:root 0755",
    "/var/log/celery": "dir celery:celery 0755",
    "/var/lib/celery": "dir celery:celery 0750",
    "/srv/app": "dir root:root 0755",
    "/srv/app/venv/bin/celery": {"text": "#!/srv/app/venv/bin/python3\n",
                                 "mode": "root:root 0755"},
    "/srv/app/venv/bin/python3": "link python3.11",
    "/srv/app/venv/bin/python3.11": "link /usr/bin/python3.11",
    "/srv/app/venv/pyvenv.cfg": "home = /usr/bin\n",
    "/usr/bin/python3.11": {"text": "\x7fELF\x02\x01", "mode": "root:root 0755"},
    "/bin": "dir root:root 0755",
    "/etc/supervisor/supervisord.conf": MAIN,
}


def _audit(tmp_path, host=None, extra="", conf=None, args=("--extend-ignore", "SV513")):
    """The SV5xx diagnostics of an audit of HOST with CONF (SV513, info on the
    environment, left out unless ``args`` say otherwise)."""
    spec = dict(HOST)
    spec[CONF] = conf if conf is not None else WORKER % {"extra": extra}
    spec.update(host or {})
    root = hosts.build(tmp_path, {k: v for k, v in spec.items() if v is not None})
    status, diags, err = lint_json(["--root", root, "--isolated"] + list(args), command="audit")
    assert err == ""
    for d in diags:
        assert d["path"].startswith(root + os.sep)
        d["path"] = d["path"][len(root):]
    return status, [d for d in diags if d["code"].startswith("SV5")]


def _found(diags):
    return [(d["code"], d["path"], d["line"], d["column"]) for d in diags]


def test_a_program_whose_every_path_is_right_gets_no_host_finding(tmp_path):
    status, diags = _audit(tmp_path)
    assert diags == []
    assert status == 0


def test_missing_log_directory_is_fatal_with_supervisords_words(tmp_path):
    status, diags = _audit(tmp_path, host={
                                           "/var/log/supervisor": None,
                                           "/var/log/other": "dir root:root 0755"},
                           conf=(WORKER % {"extra": ""}))
    # the main log, the childlogdir and both programs' logs
    assert _found(diags) == [
        ("SV501", CONF, 9, 16), ("SV501", CONF, 17, 16),
        ("SV501", hosts.CONFIG, 6, 9), ("SV501", hosts.CONFIG, 8, 13)]
    assert all(d["fatal"] and d["severity"] == "error" for d in diags)
    assert diags[0]["message"] == (
        "stdout_logfile=/var/log/supervisor/worker.log: /var/log/supervisor does not exist on "
        "this host: supervisord refuses to load every program (\"Error: The directory named as "
        "part of the path /var/log/supervisor/worker.log does not exist in section "
        "'program:worker'\"); create it")
    assert diags[3]["message"].startswith(
        "childlogdir=/var/log/supervisor: /var/log/supervisor does not exist on this host: "
        "supervisord refuses to load (\"Error: /var/log/supervisor is not an existing "
        "directory\")")
    assert status == 1


def test_unknown_user_is_fatal_and_an_nss_source_makes_it_undecided(tmp_path):
    conf = (WORKER % {"extra": ""}).replace("user=celery", "user=celeryd", 1)
    status, diags = _audit(tmp_path / "a", conf=conf)
    assert _found(diags) == [("SV502", CONF, 4, 6)]
    assert diags[0]["fatal"]
    assert diags[0]["message"] == (
        "user=celeryd: no such account in /etc/passwd: supervisord refuses to load (\"Error: "
        "Invalid user name celeryd in section 'program:worker'\"); create the account "
        "(useradd --system celeryd) or fix the name")
    status, diags = _audit(tmp_path / "b", conf=conf,
                           host={"/etc/nsswitch.conf": "passwd: files sss\ngroup: files sss\n"})
    assert _found(diags) == [("SV502", CONF, 4, 6)]
    assert not diags[0]["fatal"] and diags[0]["severity"] == "info"
    assert "the audit cannot decide: /etc/nsswitch.conf looks users up in sss too" in \
        diags[0]["message"]


def test_socket_owner_and_supervisord_user(tmp_path):
    main = MAIN.replace("chmod=0700\n", "chmod=0700\nchown=celery:nogroup\n").replace(
        "childlogdir=/var/log/supervisor\n", "childlogdir=/var/log/supervisor\nuser=supervisor\n")
    status, diags = _audit(tmp_path, host={hosts.CONFIG: main})
    assert _found(diags) == [("SV502", hosts.CONFIG, 4, 7), ("SV502", hosts.CONFIG, 10, 6)]
    assert "\"Error: Invalid sockchown value celery:nogroup\"" in diags[0]["message"]
    assert "\"Error: Invalid user name supervisor\"" in diags[1]["message"]


def test_names_nss_systemd_adds(tmp_path):
    main = MAIN.replace("chmod=0700\n", "chmod=0700\nchown=nobody:nogroup\n")
    nss = {"/etc/nsswitch.conf": "passwd: files systemd\ngroup: files systemd\n"}
    status, diags = _audit(tmp_path / "a", host=dict(nss, **{hosts.CONFIG: main}))
    assert _found(diags) == [("SV502", hosts.CONFIG, 4, 7)]     # the module is not there
    status, diags = _audit(tmp_path / "b", host=dict(nss, **{
        hosts.CONFIG: main, "/usr/lib/x86_64-linux-gnu/libnss_systemd.so.2": "\x7fELF\n"}))
    assert diags == []


def test_supervisord_that_cannot_start(tmp_path):
    main = MAIN.replace("file=/run/supervisor.sock", "file=/run/supervisor/supervisor.sock")
    status, diags = _audit(tmp_path / "sock", host={hosts.CONFIG: main})
    assert _found(diags) == [("SV503", hosts.CONFIG, 2, 6)]
    assert diags[0]["message"] == (
        "file=/run/supervisor/supervisor.sock: supervisord (root) cannot create its socket: "
        "/run/supervisor does not exist; it stops at start (\"Error: Cannot open an HTTP "
        "server: socket.error reported errno.ENOENT (2)\", exit status 2)")
    # a non-root supervisord: its own log, the AUTO logs' childlogdir, the pidfile
    main = MAIN.replace("childlogdir=/var/log/supervisor\n",
                        "childlogdir=/var/log/supervisor\nuser=celery\n")
    conf = "[program:web]\ncommand=/bin/true\n"
    status, diags = _audit(tmp_path / "user", host={hosts.CONFIG: main,
                                                    "/bin/true": {"text": "\x7fELF",
                                                                  "mode": "root:root 0755"}},
                           conf=conf)
    codes = [(d["code"], d["line"], d["severity"]) for d in diags]
    assert codes == [("SV503", 2, "error"), ("SV503", 6, "error"), ("SV503", 7, "warning"),
                     ("SV503", 8, "error")]
    assert diags[1]["message"] == (
        "logfile=/var/log/supervisor/supervisord.log: supervisord (celery, uid 1001, groups "
        "1002,1001) cannot open its own log: /var/log/supervisor (root:root 0755) is not "
        "writable for it; it stops at start with a traceback ending in PermissionError (exit "
        "status 1) and an empty log")
    assert "AUTO log files of [program:web] there" in diags[3]["message"]


def test_log_not_writable_for_supervisord(tmp_path):
    extra = "stderr_logfile=/var/log/celery\n"
    conf = (WORKER % {"extra": extra}).replace("redirect_stderr=true\n", "", 1)
    status, diags = _audit(tmp_path / "dir", conf=conf)
    assert _found(diags) == [("SV505", CONF, 9, 16)]
    assert "/var/log/celery is a directory (EISDIR)" in diags[0]["message"]
    # a read-only mount, from the root's fstab
    status, diags = _audit(tmp_path / "ro", host={
        "/etc/fstab": "/dev/sdb1 /var/log/supervisor ext4 ro,nodev 0 2\n"})
    assert [d["code"] for d in diags] == ["SV505", "SV505", "SV503"]
    assert "/var/log/supervisor is on a read-only mount (/var/log/supervisor, EROFS)" in \
        diags[0]["message"]


def test_log_rotation_needs_the_directory(tmp_path):
    main = MAIN.replace("childlogdir=/var/log/supervisor\n",
                        "childlogdir=/var/log/celery\nuser=celery\n").replace(
        "logfile=/var/log/supervisor/supervisord.log", "logfile=/var/log/celery/sd.log").replace(
        "pidfile=/run/supervisord.pid", "pidfile=/var/log/celery/sd.pid").replace(
        "file=/run/supervisor.sock", "file=/var/log/celery/s.sock")
    conf = ("[program:web]\ncommand=/bin/true\nredirect_stderr=true\n"
            "stdout_logfile=/var/log/supervisor/web.log\nstdout_logfile_maxbytes=1MB\n")
    status, diags = _audit(tmp_path, conf=conf, host={
        hosts.CONFIG: main, "/bin/true": {"text": "\x7fELF", "mode": "root:root 0755"},
        "/var/log/supervisor/web.log": "file celery:celery 0644"})
    assert [(d["code"], d["line"], d["severity"]) for d in diags] == [("SV505", 4, "warning")]
    assert "can append to it but cannot rotate it" in diags[0]["message"]


def test_command_not_found_on_the_services_path(tmp_path):
    conf = (WORKER % {"extra": ""}).replace("command=/srv/app/venv/bin/celery", "command=celery",
                                            1)
    status, diags = _audit(tmp_path / "bare", conf=conf)
    assert _found(diags) == [("SV506", CONF, 2, 9)]
    assert diags[0]["message"] == (
        "command: celery: not found on the PATH supervisord has as a systemd service, not "
        "your shell's (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); every "
        "start fails (\"spawnerr: can't find command 'celery'\") and the program ends FATAL")
    # the same name on environment='s PATH is found
    status, diags = _audit(tmp_path / "env", conf=conf.replace(
        "user=celery", "user=celery\nenvironment=PATH=\"/srv/app/venv/bin:/usr/bin\"", 1))
    assert diags == []
    # no execute bit; a noexec mount
    status, diags = _audit(tmp_path / "bits", host={
        "/srv/app/venv/bin/celery": {"text": "#!/srv/app/venv/bin/python3\n",
                                     "mode": "root:root 0644"}})
    assert [d["code"] for d in diags] == ["SV506", "SV506"]
    assert "(root:root 0644) has no execute bit (\"spawnerr: command at " \
           "'/srv/app/venv/bin/celery' is not executable\")" in diags[0]["message"]
    status, diags = _audit(tmp_path / "noexec", host={
        "/etc/fstab": "tmpfs /srv tmpfs noexec,nosuid 0 0\n"})
    assert [d["code"] for d in diags] == ["SV506", "SV506"]
    assert "no permission to run command '/srv/app/venv/bin/celery'" in diags[0]["message"]


def test_user_switching_directory_and_executable_as_the_programs_user(tmp_path):
    main = MAIN.replace("childlogdir=/var/log/supervisor\n",
                        "childlogdir=/var/log/celery\nuser=celery\n").replace(
        "logfile=/var/log/supervisor/supervisord.log", "logfile=/var/log/celery/sd.log").replace(
        "pidfile=/run/supervisord.pid", "pidfile=/var/log/celery/sd.pid").replace(
        "file=/run/supervisor.sock", "file=/var/log/celery/s.sock")
    conf = (WORKER % {"extra": ""}).replace("user=celery", "user=www-data", 1).replace(
        "/var/log/supervisor/", "/var/log/celery/")
    status, diags = _audit(tmp_path / "switch", conf=conf, host={hosts.CONFIG: main})
    assert ("SV507", CONF, 4, 6) in _found(diags)
    diags = [d for d in diags if d["code"] == "SV507"]
    assert "(\"supervisor: couldn't setuid to 33: Can't drop privilege as nonroot user\"" in \
        diags[0]["message"]
    status, diags = _audit(tmp_path / "chdir", host={"/srv/app": "dir root:root 0700"})
    found = _found(diags)
    # the directory, and the venv under it, for both programs
    assert ("SV508", CONF, 3, 11) in found and ("SV509", CONF, 2, 9) in found
    assert [d["message"] for d in diags if d["code"] == "SV508"][0] == (
        "directory=/srv/app: %s cannot enter it (supervisord switches user before it changes "
        "directory): /srv/app (root:root 0700) is not searchable (x) for it; every start fails "
        "(\"supervisor: couldn't chdir to /srv/app: EACCES\", exit status 127)" % CELERY)
    status, diags = _audit(tmp_path / "gone", conf=(WORKER % {"extra": ""}).replace(
        "directory=/srv/app", "directory=/srv/gone", 1))
    assert _found(diags) == [("SV508", CONF, 3, 11)]
    assert "couldn't chdir to /srv/gone: ENOENT" in diags[0]["message"]


def test_group_membership_grants_access(tmp_path):
    # /srv/app readable only through the group halog, which lists celery
    status, diags = _audit(tmp_path / "member", host={"/srv/app": "dir root:halog 0750"})
    assert diags == []
    group = GROUP.replace("halog:x:1001:celery", "halog:x:1001:")
    status, diags = _audit(tmp_path / "not", host={"/srv/app": "dir root:halog 0750",
                                                   "/etc/group": group})
    assert "SV508" in [d["code"] for d in diags]


def test_broken_interpreters(tmp_path):
    status, diags = _audit(tmp_path / "upgraded", host={
        "/srv/app/venv/bin/python3.11": "link /usr/bin/python3.9"})
    assert _found(diags) == [("SV510", CONF, 2, 9), ("SV510", CONF, 12, 9)]
    assert diags[0]["message"] == (
        "command: /srv/app/venv/bin/celery runs the interpreter /srv/app/venv/bin/python3, "
        "which does not exist on this host (a link to /usr/bin/python3.9, which does not "
        "exist); the child fails (\"supervisor: couldn't exec /srv/app/venv/bin/celery: "
        "ENOENT\", exit status 127)")
    status, diags = _audit(tmp_path / "crlf", host={
        "/srv/app/venv/bin/celery": {"text": "#!/srv/app/venv/bin/python3\r\n",
                                     "mode": "root:root 0755"}})
    assert [d["code"] for d in diags] == ["SV510", "SV510"]
    assert "carriage return" in diags[0]["message"] and ": ENOENT" in diags[0]["message"]
    status, diags = _audit(tmp_path / "noshebang", host={
        "/srv/app/venv/bin/celery": {"text": "import celery\n", "mode": "root:root 0755"}})
    assert "couldn't exec /srv/app/venv/bin/celery: ENOEXEC" in diags[0]["message"]
    status, diags = _audit(tmp_path / "home", host={"/srv/app/venv/pyvenv.cfg":
                                                    "home = /opt/python3.8/bin\n"})
    assert [d["code"] for d in diags] == ["SV510", "SV510"]
    assert "pyvenv.cfg names home = /opt/python3.8/bin, which does not exist" in \
        diags[0]["message"]
    status, diags = _audit(tmp_path / "env", host={
        "/srv/app/venv/bin/celery": {"text": "#!/usr/bin/env python3.12\n",
                                     "mode": "root:root 0755"},
        "/usr/bin/env": {"text": "\x7fELF", "mode": "root:root 0755"}})
    assert [d["code"] for d in diags] == ["SV510", "SV510"]
    assert "python3.12 is on no directory of the PATH the child gets" in diags[0]["message"]
    status, diags = _audit(tmp_path / "dir", host={
        "/srv/app/venv/bin/celery": {"text": "#!/srv/app/venv/bin\n", "mode": "root:root 0755"}})
    assert [d["code"] for d in diags] == ["SV510", "SV510"]
    assert "the interpreter /srv/app/venv/bin, which is not a file" in diags[0]["message"]
    assert "couldn't exec /srv/app/venv/bin/celery: EACCES" in diags[0]["message"]
    # an interpreter under root's home, for user=celery
    status, diags = _audit(tmp_path / "roothome", host={
        "/srv/app/venv/bin/python3.11": "link /root/.pyenv/bin/python3.11",
        "/root": "dir root:root 0700",
        "/root/.pyenv/bin/python3.11": {"text": "\x7fELF", "mode": "root:root 0755"}})
    assert [d["code"] for d in diags] == ["SV510", "SV510"]
    assert "/root (root:root 0700) is not searchable (x) for it" in diags[0]["message"]
    assert ": EACCES" in diags[0]["message"]


def test_celery_files(tmp_path):
    conf = (WORKER % {"extra": ""}).replace("/var/log/celery/worker-%%n.log",
                                            "/srv/app/logs/w.log").replace(
        " -s /var/lib/celery/celerybeat-schedule", "")
    status, diags = _audit(tmp_path / "a", conf=conf, host={"/srv/app/logs": "dir root:root 0755"})
    assert _found(diags) == [("SV512", CONF, 2, 9), ("SV512", CONF, 12, 9)]
    assert diags[0]["message"] == (
        "command: --logfile /srv/app/logs/w.log: %s cannot write the logfile: /srv/app/logs "
        "(root:root 0755) is not writable for it; Celery exits at start (PermissionError) and "
        "supervisord restarts it over and over (a crash loop, never FATAL with startsecs=1)"
        % CELERY)
    assert "the default celerybeat-schedule in its working directory" in diags[1]["message"]
    # a schedule root left behind, in a directory beat may write: deleted and recreated
    status, diags = _audit(tmp_path / "b", host={
        "/var/lib/celery/celerybeat-schedule.db": "file root:root 0644"})
    assert [(d["code"], d["severity"]) for d in diags] == [("SV512", "warning")]
    assert "Removing corrupted schedule file" in diags[0]["message"]
    # a missing directory
    status, diags = _audit(tmp_path / "c", host={"/var/lib/celery": None})
    assert [d["code"] for d in diags] == ["SV512"]
    assert "the directory /var/lib/celery does not exist on this host" in diags[0]["message"]


def test_check_runs_no_host_rule(tmp_path):
    root = hosts.build(tmp_path, dict(HOST, **{CONF: WORKER.replace("user=celery", "user=x")}))
    status, diags, err = lint_json(["--isolated", "--root", root,
                                    os.path.join(root, hosts.CONFIG.lstrip("/"))])
    assert not [d for d in diags if d["code"].startswith("SV5")]


# -- the command ---------------------------------------------------------------------------
def test_without_config_it_looks_where_supervisord_does(tmp_path):
    root = hosts.build(tmp_path, {"/etc/supervisord.conf": "[supervisord]\nuser=nobody\n",
                                  hosts.CONFIG: "[supervisord]\n"})
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    assert [(d["path"], d["code"]) for d in diags] == [
        (os.path.join(root, "etc/supervisord.conf"), "SV502")]
    os.unlink(os.path.join(root, "etc/supervisord.conf"))
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    assert status == 0 and diags == [] and err == ""


def test_config_as_the_host_sees_it_or_under_the_root(tmp_path):
    root = hosts.build(tmp_path, {"/srv/sv.conf": "[supervisord]\nuser=nobody\n"})
    for given in ("/srv/sv.conf", os.path.join(root, "srv/sv.conf")):
        status, diags, err = lint_json(["--root", root, "--isolated", given], command="audit")
        assert [d["code"] for d in diags] == ["SV502"], given
    status, out, err = run(["audit", "--root", root, "/srv/nothere.conf"])
    assert (status, out) == (2, "")
    assert err == "supervisor-lint: error: /srv/nothere.conf: no such file under %s\n" % root


def test_no_config_found_is_one_line(tmp_path):
    root = hosts.build(tmp_path, {})
    status, out, err = run(["audit", "--root", root])
    assert (status, out) == (2, "")
    assert err == ("supervisor-lint: error: no supervisord config found: neither "
                   "/etc/supervisord.conf nor /etc/supervisor/supervisord.conf exists under "
                   "%s; name it: supervisor-lint audit CONFIG\n" % root)


def test_audit_never_opens_a_file_outside_the_root(tmp_path):
    """Run in a child process with an audit hook: every file the run opens
    after start-up is inside the root (links to this machine's files
    re-rooted, /etc/passwd the root's own)."""
    import subprocess
    import textwrap
    spec = dict(HOST, **{CONF: WORKER % {"extra": ""}})
    spec["/srv/app/venv/bin/python3.11"] = "link /usr/bin/python3"     # exists here, not there
    spec["/etc/supervisor/conf.d/escape.conf"] = "link /etc/passwd"
    spec["/var/log/supervisor"] = "link ../../../../../../../../var/log"
    root = hosts.build(tmp_path, spec)
    code = textwrap.dedent("""
        import sys
        opened = []
        def hook(event, args):
            if event == "open" and isinstance(args[0], (str, bytes)):
                opened.append(args[0] if isinstance(args[0], str) else args[0].decode())
        from supervisor_lint import cli
        from supervisor_lint.checks import all_rules
        all_rules()
        sys.addaudithook(hook)
        status = cli.main(["audit", "--isolated", "--root", sys.argv[1], "--format", "json"])
        print("\\n".join(["STATUS %d" % status] + opened), file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", code, root], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    lines = proc.stderr.splitlines()
    assert lines[0] == "STATUS 1", proc.stderr
    opened = [p for p in lines[1:] if not p.endswith((".py", ".pyc"))]
    assert opened and all(p.startswith(root + os.sep) for p in opened), opened
    assert os.path.join(root, "etc/passwd") in opened
    for line in proc.stdout.splitlines():
        assert root in line or line in ('{"version": "%s", "diagnostics": [' % __version__, "]}")


# -- the service, the tree, the environment ------------------------------------------------
UNIT = """[Unit]
Description=Supervisor process control system for UNIX

[Service]
ExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf
ExecStop=/usr/bin/supervisorctl $OPTIONS shutdown
KillMode=process
Restart=on-failure
"""
DROPIN = "/etc/systemd/system/supervisor.service.d/override.conf"


def test_stop_timeout_of_the_unit(tmp_path):
    unit = {"/lib/systemd/system/supervisor.service": UNIT}
    status, diags = _audit(tmp_path / "a", host=unit)
    assert _found(diags) == [("SV514", CONF, 6, 14)]
    assert diags[0]["severity"] == "error"
    assert diags[0]["message"] == (
        "/lib/systemd/system/supervisor.service gives supervisord 90 s to stop (systemd's "
        "default), but supervisord stops its 2 groups one after another and may take up to "
        "610 s (the largest stopwaitsecs of each; [program:worker] alone 600 s); with "
        "KillMode=process systemd then kills supervisord alone: the programs it has not "
        "stopped yet keep running unsupervised, and a restart starts second copies (two beats "
        "send every periodic task twice); set TimeoutStopSec=640 in a drop-in (systemctl edit "
        "supervisor.service)")
    # a drop-in that gives it enough time; one that does not; the manager's default
    status, diags = _audit(tmp_path / "b", host=dict(unit, **{
        DROPIN: "[Service]\nTimeoutStopSec=11min\n"}))
    assert diags == []
    status, diags = _audit(tmp_path / "c", host=dict(unit, **{
        DROPIN: "[Service]\nTimeoutStopSec=5min\nKillMode=mixed\n"}))
    assert [(d["code"], d["severity"]) for d in diags] == [("SV514", "warning")]
    assert "gives supervisord 300 s to stop (TimeoutStopSec)" in diags[0]["message"]
    assert "(KillMode=mixed)" in diags[0]["message"]
    status, diags = _audit(tmp_path / "d", host=dict(unit, **{
        "/etc/systemd/system.conf": "[Manager]\nDefaultTimeoutStopSec=20min\n"}))
    assert diags == []
    # a unit that runs another config says nothing about this one
    status, diags = _audit(tmp_path / "e", host={"/lib/systemd/system/supervisor.service":
                                                 UNIT.replace("/etc/supervisor/", "/srv/")})
    assert diags == []


def test_runtime_directory_lost_at_reboot(tmp_path):
    main = MAIN.replace("/run/supervisor.sock", "/run/supervisor/supervisor.sock")
    host = {hosts.CONFIG: main, "/run/supervisor": "dir root:root 0755"}
    status, diags = _audit(tmp_path / "a", host=host)
    assert _found(diags) == [("SV504", hosts.CONFIG, 2, 6)]
    assert diags[0]["message"].startswith(
        "file=/run/supervisor/supervisor.sock: /run/supervisor is on a tmpfs (/run), so it is "
        "gone after a reboot, and no tmpfiles.d entry or RuntimeDirectory= recreates it")
    for name, extra in (("tmpfiles", {"/usr/lib/tmpfiles.d/supervisor.conf":
                                      "d /run/supervisor 0755 root root -\n"}),
                        ("unit", {"/lib/systemd/system/supervisor.service":
                                  UNIT + "RuntimeDirectory=supervisor\nTimeoutStopSec=1h\n"})):
        status, diags = _audit(tmp_path / name, host=dict(host, **extra))
        assert diags == [], name
    # a tmpfs from the root's fstab
    status, diags = _audit(tmp_path / "fstab", host={
        "/etc/fstab": "tmpfs /var/log tmpfs defaults 0 0\n"})
    assert [d["code"] for d in diags] == ["SV504"] * 4


def test_venv_binary_from_another_environment(tmp_path):
    status, diags = _audit(tmp_path / "copied", host={
        "/srv/app/venv/bin/celery": {"text": "#!/srv/old/bin/python3\n",
                                     "mode": "root:root 0755"},
        "/srv/old/bin/python3": {"text": "\x7fELF", "mode": "root:root 0755"},
        "/srv/old/pyvenv.cfg": "home = /usr/bin\n"})
    assert _found(diags) == [("SV511", CONF, 2, 9), ("SV511", CONF, 12, 9)]
    assert "its #! line runs /srv/old/bin/python3 (the virtualenv /srv/old)" in \
        diags[0]["message"]
    conf = (WORKER % {"extra": ""}).replace("/srv/app/venv/bin/celery -A proj worker",
                                            "/srv/app/venv/bin/python3 -m celery -A proj worker")
    status, diags = _audit(tmp_path / "module", conf=conf)
    assert _found(diags) == [("SV511", CONF, 2, 9)]
    assert diags[0]["severity"] == "error" and "has no celery package" in diags[0]["message"]
    status, diags = _audit(tmp_path / "installed", conf=conf, host={
        "/srv/app/venv/lib/python3.11/site-packages/celery/__init__.py": "\n"})
    assert diags == []


def test_environment_of_the_service(tmp_path):
    status, diags = _audit(tmp_path / "home", args=())
    assert _found(diags) == [("SV513", CONF, 4, 6), ("SV513", CONF, 14, 6)]
    assert diags[0]["severity"] == "info"
    assert diags[0]["message"].endswith(
        "add environment=HOME=\"/home/celery\",USER=\"celery\"")
    conf = (WORKER % {"extra": "environment=HOME=\"/home/celery\",SECRET=\"%(ENV_SECRET)s\"\n"})
    unit = {"/lib/systemd/system/supervisor.service": UNIT + "TimeoutStopSec=1h\n"}
    status, diags = _audit(tmp_path / "env", conf=conf, host=unit, args=())
    env = [d for d in diags if d["code"] == "SV513" and d["line"] == 10]
    assert [(d["severity"], d["column"]) for d in env] == [("warning", 13)]
    assert "started by /lib/systemd/system/supervisor.service it has no SECRET" in \
        env[0]["message"]
    status, diags = _audit(tmp_path / "given", conf=conf, args=(), host={
        "/lib/systemd/system/supervisor.service":
            UNIT + "TimeoutStopSec=1h\nEnvironment=\"SECRET=x\" LANG=C\n"})
    assert not [d for d in diags if d["line"] == 10]


def test_readable_secrets(tmp_path):
    main = MAIN.replace("chmod=0700\n", "chmod=0700\nusername=admin\npassword=Hunter2-long\n")
    status, diags = _audit(tmp_path / "a", host={hosts.CONFIG: main})
    assert _found(diags) == [("SV515", hosts.CONFIG, 5, 10)]
    assert diags[0]["message"] == (
        "/etc/supervisor/supervisord.conf holds a credential (password=) and is readable by "
        "every local user (root:root 0644); chmod o-r it (0640 or 0600; supervisord reads it "
        "as root)")
    status, diags = _audit(tmp_path / "b", host={hosts.CONFIG: {"text": main,
                                                                "mode": "root:root 0640"}})
    assert diags == []
    # a reference to a variable is no credential
    referenced = main.replace("password=Hunter2-long", "password=%(ENV_SUPERVISOR_PW)s")
    status, diags = _audit(tmp_path / "c", host={hosts.CONFIG: referenced})
    assert diags == []


def test_file_not_included(tmp_path):
    status, diags = _audit(tmp_path / "a", host={
        "/etc/supervisor/conf.d/flower.ini": "[program:flower]\ncommand=/bin/true\n",
        "/etc/supervisor/conf.d/notes.txt": "[program:x]\n",
        "/etc/supervisor/conf.d/nginx.conf.ini": "server { listen 80; }\n"})
    assert _found(diags) == [("SV516", hosts.CONFIG, 17, 9)]
    assert diags[0]["message"] == (
        "/etc/supervisor/conf.d/flower.ini holds supervisor sections but is never loaded: no "
        "[include] pattern matches it (files = /etc/supervisor/conf.d/*.conf), and supervisord "
        "says nothing about it; rename it to match, or add a pattern")


def test_servers_kept_in_the_foreground_by_their_own_config(tmp_path):
    conf = ("[program:nginx]\ncommand=/usr/sbin/nginx\n"
            "[program:fpm]\ncommand=php-fpm -y conf/fpm.conf\ndirectory=/srv/app\n"
            "[program:fpm2]\ncommand=php-fpm8.2\n"
            "[program:site]\ncommand=nginx -c /srv/site/nginx.conf\n")
    host = {"/etc/nginx/nginx.conf": "user www-data;\ndaemon off; # supervisord\nevents {}\n",
            "/srv/app/conf/fpm.conf": "[global]\ninclude=etc/fpm.d/*.conf\n",
            "/srv/app/etc/fpm.d/zz-docker.conf": "[global]\ndaemonize = no\n",
            "/etc/php/8.2/fpm/php-fpm.conf": "[global]\n;daemonize = no\n#daemonize = no\n",
            "/srv/site/nginx.conf": "# daemon off;\ninclude /srv/site/main.d/*.conf;\n",
            "/srv/site/main.d/a.conf": "daemon on;\n"}
    root = hosts.build(tmp_path / "a", dict(HOST, **{CONF: conf}, **host))
    status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV211"],
                                   command="audit")
    assert [(d["code"], d["severity"], d["line"], d["column"], d["message"]) for d in diags] == [
        ("SV211", "error", 7, 9, "php-fpm8.2 daemonizes: /etc/php/8.2/fpm/php-fpm.conf does not "
         "say `daemonize = no` and it was not started with -F: its first process exits, "
         "supervisord restarts it again and again (ending FATAL) while the detached copies run "
         "unsupervised; run it in the foreground"),
        ("SV211", "error", 9, 9, "nginx daemonizes: /srv/site/nginx.conf does not say `daemon "
         "off;` and it was not started with -g 'daemon off;': its first process exits, "
         "supervisord restarts it again and again (ending FATAL) while the detached copies run "
         "unsupervised; run it in the foreground")]
    # the same tree without the files: a warning naming the file and the setting
    root = hosts.build(tmp_path / "b", dict(HOST, **{CONF: conf}))
    status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV211"],
                                   command="audit")
    assert [(d["severity"], d["line"]) for d in diags] == [("warning", l) for l in (2, 4, 7, 9)]
    assert diags[1]["message"] == (
        "php-fpm stays in the foreground only if conf/fpm.conf says `daemonize = no` (or it is "
        "started with -F); that file decides and is not readable on this host: check it, or "
        "add -F")


def test_wrapper_scripts_are_read(tmp_path):
    run_sh = "#!/bin/sh\n# start the worker\ncd /srv/app\n. venv/bin/activate\ncelery -A proj worker\n"
    conf = ("[program:wrapped]\ncommand=/bin/bash run.sh\ndirectory=/srv/app\nuser=celery\n"
            "autorestart=true\nstopwaitsecs=600\nkillasgroup=true\nredirect_stderr=true\n"
            "stdout_logfile=/var/log/supervisor/w.log\n")
    host = {"/srv/app/run.sh": {"text": run_sh, "mode": "root:root 0755"},
            "/bin/bash": {"text": "\x7fELF", "mode": "root:root 0755"}}
    root = hosts.build(tmp_path / "a", dict(HOST, **{CONF: conf}, **host))
    status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV202"],
                                   command="audit")
    assert [(d["code"], d["severity"], d["line"]) for d in diags] == [("SV202", "error", 2)]
    assert diags[0]["message"] == (
        "the command runs Celery through the shell script /srv/app/run.sh (its last command, "
        "on line 5, has no exec): the shell gets the stop signal and the worker never hears it "
        "(it is orphaned and keeps consuming); write exec before the celery command in the "
        "script rather than adding stopasgroup, which would kill the pool's running tasks")
    assert diags[0]["fix"] is None
    # another program behind the same script: stopasgroup, offered as a fix
    host["/srv/app/run.sh"]["text"] = run_sh.replace("celery -A proj worker", "gunicorn app")
    root = hosts.build(tmp_path / "g", dict(HOST, **{CONF: conf}, **host))
    status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV202"],
                                   command="audit")
    assert [(d["line"], d["fix"]["applicability"]) for d in diags] == [(1, "safe")]
    host["/srv/app/run.sh"]["text"] = run_sh.replace("\ncelery", "\nexec celery")
    root = hosts.build(tmp_path / "b", dict(HOST, **{CONF: conf}, **host))
    status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV202"],
                                   command="audit")
    assert diags == []


def test_the_readme_audit_of_a_debian_image(tmp_path):
    """scripts/audit-demo's image (Debian's supervisor package and a Celery
    deployment written as the recipes write it), with the package's
    supervisord.conf and unit kept in tests/debian: the README's findings."""
    import importlib.machinery
    import importlib.util
    import shutil
    if os.getuid() != 0:
        import pytest
        pytest.skip("the image gives files to other owners: needs root")
    here = os.path.dirname(os.path.abspath(__file__))
    loader = importlib.machinery.SourceFileLoader(
        "audit_demo", os.path.join(os.path.dirname(here), "scripts", "audit-demo"))
    demo = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(demo)
    package = tmp_path / "package"
    for name, target in (("supervisord.conf", "etc/supervisor/supervisord.conf"),
                         ("supervisor.service", "lib/systemd/system/supervisor.service")):
        os.makedirs(os.path.dirname(str(package / target)), exist_ok=True)
        shutil.copy(os.path.join(here, "debian", name), str(package / target))
    os.makedirs(str(package / "etc/supervisor/conf.d"))
    os.makedirs(str(package / "var/log/supervisor"))
    root = tmp_path / "root"
    root.mkdir()
    demo.build(str(root), str(package))
    status, diags, err = lint_json(["--root", str(root), "--isolated"], command="audit")
    assert err == "" and status == 1
    conf = str(root / "etc/supervisor/conf.d/celery.conf")
    assert [(d["code"], d["line"], d["fatal"]) for d in diags if d["path"] == conf] == [
        ("SV502", 5, True), ("SV501", 7, True), ("SV514", 12, False), ("SV512", 17, False),
        ("SV512", 17, False), ("SV513", 19, False), ("SV506", 26, False), ("SV406", 27, False),
        ("SV513", 28, False), ("SV202", 34, False), ("SV513", 36, False)]
    assert [d for d in diags if d["path"] != conf] == []


def test_a_posix_acl_is_not_decided_by_the_mode_bits(tmp_path):
    """/srv/app root:root 0750 says no for celery; with an ACL granting it
    r-x, the audit says it cannot decide (info) instead."""
    import json
    import struct
    entries = ((0x01, 7, 0xFFFFFFFF), (0x02, 5, 1001), (0x04, 5, 0xFFFFFFFF),
               (0x10, 5, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF))   # user::rwx user:1001:r-x ...
    acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
    conf = (WORKER % {"extra": ""}).split("[program:beat]")[0]
    status, diags = _audit(tmp_path / "bits", host={"/srv/app": "dir root:root 0750"},
                           conf=conf)
    assert [d["code"] for d in diags] == ["SV509", "SV510", "SV508"]
    root = hosts.build(tmp_path / "acl", dict(HOST, **{CONF: conf,
                                                       "/srv/app": "dir root:root 0750"}))
    try:
        os.setxattr(os.path.join(root, "srv", "app"), "system.posix_acl_access", acl)
    except OSError as exc:
        import pytest
        pytest.skip("no POSIX ACLs here: %s" % exc)
    status, out, err = run(["audit", "--isolated", "--extend-ignore", "SV513", "--format",
                            "json", "--root", root])
    diags = [d for d in json.loads(out)["diagnostics"] if d["code"].startswith("SV5")]
    assert [(d["code"], d["severity"]) for d in diags] == [
        ("SV509", "info"), ("SV510", "info"), ("SV508", "info")]
    assert "/srv/app has a POSIX ACL, which the audit does not evaluate" in diags[2]["message"]


def test_fix_applies_the_static_fixes_inside_the_root(tmp_path):
    conf = ("[program:web]\ncommand=/srv/app/run.sh\ndirectory=/srv/app\nuser=celery\n"
            "autorestart=true\nredirect_stderr=true\nstdout_logfile=/var/log/supervisor/w.log\n"
            "environment=HOME=\"/home/celery\"\n")
    script = "#!/bin/sh\ncd /srv/app\ngunicorn app\n"
    root = hosts.build(tmp_path, dict(HOST, **{CONF: conf, "/srv/app/run.sh": {
        "text": script, "mode": "root:root 0755"}}))
    status, out, err = run(["audit", "--isolated", "--root", root, "--fix"])
    with open(os.path.join(root, CONF.lstrip("/"))) as fh:
        assert fh.read() == conf + "stopasgroup=true\n"
    assert "Fixed 1 problem in %s" % os.path.join(root, CONF.lstrip("/")) in out
    assert err == ""


def test_the_text_report_groups_findings_by_program(tmp_path):
    worker, beat = (WORKER % {"extra": ""}).split("[program:beat]")
    conf = worker.replace("user=celery", "user=celeryd") + "[program:beat]" + beat.replace(
        "directory=/srv/app", "directory=/srv/gone")
    root = hosts.build(tmp_path, dict(HOST, **{CONF: conf}))
    status, out, err = run(["audit", "--isolated", "--root", root, "--select", "SV5",
                            "--ignore", "SV513"])
    path = os.path.join(root, CONF.lstrip("/"))
    header, *lines = out.splitlines()
    assert header == ("Audit: no installed supervisord found; judged as supervisor 4.3 on "
                      "Python 3.12")
    assert [l.split(": ", 1)[0] if l.startswith("  ") else l for l in lines] == [
        "[program:worker]  1 problem, 1 that supervisord refuses to load",
        "  %s:4:6" % path,
        "[program:beat]  1 problem",
        "  %s:13:11" % path,
        "Found 2 problems (1 that supervisord refuses to load)."]
    assert lines[1].startswith("  %s:4:6: SV502 [error] user=celeryd:" % path)
    # --format text: check's lines, one per finding
    status, flat, err = run(["audit", "--isolated", "--root", root, "--select", "SV5",
                             "--ignore", "SV513", "--format", "text"])
    assert flat.splitlines() == [lines[1][2:], lines[3][2:], lines[4]]


def test_an_immutable_log_file(tmp_path):
    """chattr +i, set through the same ioctl: supervisord (root) gets EPERM."""
    import fcntl
    import struct
    root = hosts.build(tmp_path, dict(HOST, **{CONF: WORKER % {"extra": ""},
                                              "/var/log/supervisor/worker.log":
                                                  "file root:root 0644"}))
    log = os.path.join(root, "var/log/supervisor/worker.log")
    fd = os.open(log, os.O_RDONLY)
    try:
        flags = struct.unpack("l", fcntl.ioctl(fd, 0x80086601, struct.pack("l", 0)))[0]
        fcntl.ioctl(fd, 0x40086602, struct.pack("l", flags | 0x10))
    except OSError as exc:
        os.close(fd)
        import pytest
        pytest.skip("cannot set the immutable flag here: %s" % exc)
    try:
        status, diags, err = lint_json(["--root", root, "--isolated", "--select", "SV505"],
                                       command="audit")
    finally:
        fcntl.ioctl(fd, 0x40086602, struct.pack("l", flags))
        os.close(fd)
    assert [(d["code"], d["line"]) for d in diags] == [("SV505", 9)]
    assert "/var/log/supervisor/worker.log is immutable (chattr +i, EPERM)" in \
        diags[0]["message"]


def test_tilde_is_the_home_of_the_user_who_starts_supervisord(tmp_path):
    main = MAIN.replace("childlogdir=/var/log/supervisor\n",
                        "childlogdir=/var/log/supervisor\nuser=celery\n")
    conf = (WORKER % {"extra": ""}).replace("/var/log/supervisor/worker.log", "~/logs/w.log")
    status, diags = _audit(tmp_path, conf=conf, host={hosts.CONFIG: main, "/root/logs": None,
                                                      "/home/celery/logs": "dir celery:celery 0755"},
                           args=("--select", "SV501"))
    # supervisord expands ~ while it reads the config, as root: /root/logs, not celery's
    assert _found(diags) == [("SV501", CONF, 9, 16)]
    assert "/root/logs does not exist on this host" in diags[0]["message"]


# -- an adversarial review's cases ---------------------------------------------------------
def test_the_audited_tree_cannot_configure_the_audit(tmp_path):
    """Settings are the auditor's (found from the working directory), never
    the tree's or its parents': they could silence it, or name a secret."""
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\nignore = ["SV5"]\n')
    conf = (WORKER % {"extra": ""}).replace("user=celery", "user=celeryd", 1)
    root = hosts.build(tmp_path, dict(HOST, **{
        CONF: conf, "/etc/supervisor/.supervisor-lint.yaml": "ignore: [SV5]\n",
        "/etc/supervisor/conf.d/.supervisor-lint.yaml": "link /etc/shadow",
        "/etc/shadow": "root:$y$j9T$SECRETHASH:20228:0:99999:7:::\n"}))
    status, out, err = run(["audit", "--root", root, "--format", "text"], cwd="/")
    assert "SV502" in out and err == ""
    # a configuration named with --config that is no configuration: never echoed
    status, out, err = run(["audit", "--root", root, "--config",
                            os.path.join(root, "etc/shadow")], cwd="/")
    assert status == 2 and "SECRETHASH" not in err and "root:" not in err
    assert "unknown key (a word that is none, not shown)" in err


def test_a_directory_as_config_is_refused(tmp_path):
    root = hosts.build(tmp_path, {hosts.CONFIG: "[supervisord]\n"})
    status, out, err = run(["audit", "--root", root, "/etc/supervisor"])
    assert (status, out) == (2, "")
    assert err == ("supervisor-lint: error: %s/etc/supervisor: is a directory; name the main "
                   "config file (supervisord reads one file and what its [include] names)\n"
                   % root)


def test_a_root_named_through_a_link(tmp_path):
    root = hosts.build(tmp_path, {hosts.CONFIG: "[supervisord]\nuser=nobody\n"})
    os.symlink(root, str(tmp_path / "link"))
    given = str(tmp_path / "link")
    status, diags, err = lint_json(["--root", given, "--isolated",
                                    given + hosts.CONFIG], command="audit")
    assert [d["code"] for d in diags] == ["SV502"] and err == ""


def test_a_device_is_never_opened(tmp_path):
    """A log file, a script and an executable that are character devices
    (the /dev/watchdog kind, which opening arms): stat'ed, not opened."""
    import subprocess
    import textwrap
    conf = ("[program:a]\ncommand=/srv/dev/char\nstdout_logfile=/srv/dev/char\n"
            "[program:b]\ncommand=/bin/sh /srv/dev/char\n")
    root = hosts.build(tmp_path, dict(HOST, **{CONF: conf, "/srv/dev": "dir root:root 0755",
                                              "/bin/sh": {"text": ELF_TEXT,
                                                          "mode": "root:root 0755"}}))
    try:
        os.mknod(os.path.join(root, "srv/dev/char"), 0o600 | 0o020000, os.makedev(1, 3))
    except (OSError, AttributeError) as exc:
        import pytest
        pytest.skip("cannot make a device node: %s" % exc)
    code = textwrap.dedent("""
        import sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(str(args[0]))
                         if event == "open" else None)
        from supervisor_lint import cli
        status = cli.main(["audit", "--isolated", "--root", sys.argv[1], "--format", "json"])
        print("\\n".join(opened), file=sys.stderr)
    """)
    proc = subprocess.run([sys.executable, "-c", code, root], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert os.path.join(root, "srv/dev/char") not in proc.stderr.splitlines()
    assert os.path.join(root, "etc/passwd") in proc.stderr.splitlines()


ELF_TEXT = "\x7fELF\x02\x01"


def test_runtime_paths_of_a_copy_are_not_judged(tmp_path):
    conf = (WORKER % {"extra": ""}).replace("stdout_logfile=/var/log/supervisor/worker.log",
                                            "stdout_logfile=/dev/fd/1\nstdout_logfile_maxbytes=0")
    status, diags = _audit(tmp_path, conf=conf)
    assert diags == []


def test_tilde_is_not_expanded_in_command_or_directory(tmp_path):
    conf = (WORKER % {"extra": ""}).replace("command=/srv/app/venv/bin/celery",
                                            "command=~/venv/bin/celery", 1).replace(
        "directory=/srv/app\nuser=celery\nautorestart=true\nstopwaitsecs",
        "directory=~/app\nuser=celery\nautorestart=true\nstopwaitsecs")
    status, diags = _audit(tmp_path, conf=conf, host={"/root/venv/bin/celery": {
        "text": "#!/srv/app/venv/bin/python3\n", "mode": "root:root 0755"},
        "/root/app": "dir root:root 0755"})
    assert _found(diags) == [("SV506", CONF, 2, 9), ("SV508", CONF, 3, 11)]
    assert "spawnerr: can't find command '~/venv/bin/celery'" in diags[0]["message"]


def test_shebang_lines_as_the_kernel_splits_them(tmp_path):
    def audit(name, first_line):
        return _audit(tmp_path / name, host={"/srv/app/venv/bin/celery": {
            "text": first_line + "\nimport celery\n", "mode": "root:root 0755"},
            "/usr/bin/env": {"text": ELF_TEXT, "mode": "root:root 0755"},
            "/srv/app/venv/bin/python3.11": {"text": ELF_TEXT, "mode": "root:root 0755"}},
            args=("--select", "SV510"))[1]
    assert audit("tab", "#!/srv/app/venv/bin/python3\t-u") == []
    crlf = audit("crlf-argument", "#!/usr/bin/env python3\r")
    assert [d["code"] for d in crlf] == ["SV510", "SV510"]
    assert "so /usr/bin/env gets the argument 'python3\\r' and fails at start" in \
        crlf[0]["message"]
    empty = audit("empty", "#!")
    assert "its #! line names no interpreter; the child fails (\"supervisor: couldn't exec " \
           "/srv/app/venv/bin/celery: ENOEXEC\"" in empty[0]["message"]


def test_the_units_user_starts_supervisord(tmp_path):
    unit = UNIT.replace("KillMode=process", "KillMode=process\nUser=www-data\n"
                        "TimeoutStopSec=1h")
    status, diags = _audit(tmp_path, host={"/lib/systemd/system/supervisor.service": unit})
    codes = [(d["code"], d["line"]) for d in diags]
    # www-data cannot switch to celery, nor write root's log directory
    assert ("SV507", 4) in codes and ("SV503", 6) in codes and ("SV505", 9) in codes
    assert "supervisord (www-data, uid 33, groups 33)" in \
        [d for d in diags if d["code"] == "SV503"][0]["message"]


def test_stop_timeouts_as_systemd_reads_them(tmp_path):
    unit = {"/lib/systemd/system/supervisor.service": UNIT + "TimeoutStopSec=30\n"}
    status, diags = _audit(tmp_path / "later", host=dict(unit, **{
        DROPIN: "[Service]\nTimeoutSec=15min\n"}))
    assert diags == []                     # the later TimeoutSec= sets the stop timeout
    status, diags = _audit(tmp_path / "zero", host={
        "/lib/systemd/system/supervisor.service": UNIT + "TimeoutStopSec=0\n"})
    assert diags == []                     # 0: no timeout
    status, diags = _audit(tmp_path / "masked", host=dict(unit, **{
        "/etc/systemd/system/supervisor.service": "link /dev/null"}))
    assert diags == []                     # masked: systemd does not start it


def test_the_installed_supervisor_is_the_target(tmp_path):
    """Issue 13, item 5: the audit reads the installed supervisord's version
    and Python (its #! line, the distribution beside that Python) and judges
    the tree for them unless a target is given."""
    conf = ("[program:web]\ncommand=/srv/app/bin/web\nenvironment=PORT=\"8000\"\n"
            "directory=/srv/%(ENV_PORT)s\nuser=celery\n")

    def audit(base, version, extra=()):
        host = dict(HOST, **{CONF: conf})
        host.update({"/usr/bin/supervisord": "#!/usr/bin/python3\n",
                     "/usr/bin/python3": "link python3.10",
                     "/usr/bin/python3.10": {"text": "\x7fELF", "mode": "root:root 0755"},
                     "/usr/lib/python3/dist-packages/supervisor-%s.egg-info" % version: "dir "
                     "root:root 0755", "/srv/8000": "dir root:root 0755"})
        root = hosts.build(tmp_path / base, host)
        status, out, err = run(["audit", "--root", root, "--isolated", "--select",
                                "SV105,SV116"] + list(extra))
        return out.splitlines()
    lines = audit("ubuntu2204", "4.2.1")
    assert lines[0] == ("Audit: supervisord 4.2.1 on Python 3.10 (/usr/bin/supervisord); "
                        "judged as supervisor 4.2.1 on Python 3.10")
    assert any("SV105 [error] supervisord refuses to load: %(ENV_PORT)s is set by [program:web] "
               "environment=, which supervisor 4.2.1 does not expand" in line for line in lines)
    lines = audit("debian12", "4.2.5")
    assert lines[0].endswith("judged as supervisor 4.2.5 on Python 3.10")
    assert not any("SV105" in line for line in lines) and any("SV116 [info]" in line
                                                             for line in lines)
    # a target given wins over the installed one
    lines = audit("given", "4.2.1", ["--target-version", "4.3"])
    assert lines[0].endswith("judged as supervisor 4.3 on Python 3.10")
    assert not any("SV105" in line for line in lines)


def test_missing_umask_is_judged_by_the_units_umask(tmp_path):
    """Issue 14, item 4: on by default in audit; the unit's UMask= (systemd's
    0022 when unset) is what a nodaemon supervisord passes on."""
    conf = "[program:web]\ncommand=/bin/true\nuser=celery\ndirectory=/srv/app\n"
    unit = "/lib/systemd/system/supervisor.service"
    base = dict(HOST, **{CONF: conf})
    for umask, expected in (("UMask=0002\n", ["SV205"]), ("", [])):
        text = "[Service]\nExecStart=/usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf\n" + umask
        root = hosts.build(tmp_path / (umask[:5] or "none"), dict(base, **{unit: text}))
        status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
        assert [d["code"] for d in diags if d["code"] == "SV205"] == expected, umask


# -- SV201 with the host's Celery ------------------------------------------------------------
def _sv201(tmp_path, host, conf):
    spec = dict(HOST)
    spec[CONF] = conf
    spec.update(host)
    root = hosts.build(tmp_path, spec)
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    assert err == ""
    return [(d["line"], d["severity"], d["message"][len("neither killasgroup nor stopasgroup "
                                                         "is set for "):])
            for d in diags if d["code"] == "SV201"]


def test_sv201_is_a_warning_for_the_celery_before_5_2_the_host_runs(tmp_path):
    conf = WORKER.replace("killasgroup=true\n", "") % {"extra": ""}
    site = "/srv/app/venv/lib/python3.11/site-packages"
    found = {}
    for version in ("5.1.2", "5.2.0", "5.3.6"):
        found[version] = _sv201(tmp_path / version, {
            site + "/celery-%s.dist-info/METADATA" % version: "Name: celery\n"}, conf)
    assert found["5.1.2"] == [(1, "warning", (
        "a Celery 5.1.2 prefork worker (%s/celery-5.1.2.dist-info): when stopwaitsecs runs out "
        "supervisord SIGKILLs only the worker, and its pool children (below Celery 5.2 they do "
        "not die with it) and the processes its tasks started are orphaned, and keep running; "
        "add killasgroup=true" % site))]
    for version in ("5.2.0", "5.3.6"):
        assert found[version] == [(1, "info", (
            "a Celery %s prefork worker (%s/celery-%s.dist-info): when stopwaitsecs runs out "
            "supervisord SIGKILLs only the worker; its pool children die with it (Celery 5.2+ "
            "on Linux), but processes its tasks started are orphaned; add killasgroup=true"
            % (version, site, version)))]
    # no Celery found in the virtualenv (nor under check): info, both cases said
    (unknown,) = _sv201(tmp_path / "none", {}, conf)
    assert unknown[:2] == (1, "info") and unknown[2].startswith(
        "a Celery prefork worker: when stopwaitsecs runs out")
    # a Debian python3-celery: /usr/bin/celery, its egg-info in dist-packages
    debian = conf.replace("/srv/app/venv/bin/celery", "/usr/bin/celery")
    assert _sv201(tmp_path / "debian", {
        "/usr/bin/celery": {"text": "#! /usr/bin/python3\n", "mode": "root:root 0755"},
        "/usr/bin/python3": "link python3.11",
        "/usr/lib/python3/dist-packages/celery-5.0.5.egg-info": "Metadata-Version: 2.1\n"},
        debian)[0][:2] == (1, "warning")


def test_sv201_names_the_version_beside_a_written_killasgroup_false(tmp_path):
    conf = WORKER.replace("killasgroup=true", "killasgroup=false") % {"extra": ""}
    site = "/srv/app/venv/lib/python3.11/site-packages"
    spec = dict(HOST)
    spec[CONF] = conf
    spec[site + "/celery-4.4.7.dist-info/METADATA"] = "Name: celery\n"
    root = hosts.build(tmp_path, spec)
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    (d,) = [d for d in diags if d["code"] == "SV201"]
    assert (d["line"], d["column"], d["severity"]) == (7, 13, "warning")
    assert d["message"].startswith("killasgroup=false for a Celery 4.4.7 prefork worker (%s/"
                                   "celery-4.4.7.dist-info): " % site)
    assert d["message"].endswith("; use killasgroup=true")


def test_a_supervisord_installed_in_a_virtualenv_is_found(tmp_path):
    """pip install supervisor into /opt/supervisor: its python links to the
    system's, its distribution is in the virtualenv's site-packages."""
    unit = "/etc/systemd/system/supervisord.service"
    host = dict(HOST, **{CONF: "[program:web]\ncommand=/bin/true\nuser=celery\n"})
    host.update({
        unit: "[Service]\nExecStart=/opt/supervisor/bin/supervisord -n -c "
              "/etc/supervisor/supervisord.conf\n",
        "/opt/supervisor/bin/supervisord": {"text": "#!/opt/supervisor/bin/python3\n",
                                            "mode": "root:root 0755"},
        "/opt/supervisor/bin/python3": "link /usr/bin/python3.11",
        "/opt/supervisor/pyvenv.cfg": "home = /usr/bin\n",
        "/opt/supervisor/lib/python3.11/site-packages/supervisor-4.2.5.dist-info/METADATA":
            "Name: supervisor\n",
        "/usr/lib/python3/dist-packages/supervisor-4.2.1.egg-info": "dir root:root 0755"})
    root = hosts.build(tmp_path, host)
    status, out, err = run(["audit", "--root", root, "--isolated"])
    assert out.splitlines()[0] == (
        "Audit: supervisord 4.2.5 on Python 3.11 (/opt/supervisor/bin/supervisord); judged as "
        "supervisor 4.2.5 on Python 3.11")


def test_sv201_reads_the_celery_python_imports(tmp_path):
    """A pip install on a Debian host (/usr/local/lib/python3.X/dist-packages)
    comes before the distribution's package; two versions side by side in one
    place tell nothing; a pre-release of 5.2.0 is not 5.2."""
    conf = WORKER.replace("killasgroup=true\n", "").replace(
        "/srv/app/venv/bin/celery", "/usr/local/bin/celery") % {"extra": ""}
    system = {"/usr/local/bin/celery": {"text": "#!/usr/bin/python3\n",
                                        "mode": "root:root 0755"},
              "/usr/bin/python3": "link python3.11",
              "/usr/lib/python3/dist-packages/celery-5.1.2.egg-info": "Metadata-Version: 2.1\n"}
    pip = "/usr/local/lib/python3.11/dist-packages/celery-5.3.6.dist-info/METADATA"
    (found,) = _sv201(tmp_path / "pip", dict(system, **{pip: "Name: celery\n"}), conf)
    assert found[:2] == (1, "info") and found[2].startswith(
        "a Celery 5.3.6 prefork worker (/usr/local/lib/python3.11/dist-packages/"
        "celery-5.3.6.dist-info)")
    (found,) = _sv201(tmp_path / "apt", system, conf)
    assert found[:2] == (1, "warning") and "Celery 5.1.2 " in found[2]
    site = "/srv/app/venv/lib/python3.11/site-packages"
    venv = WORKER.replace("killasgroup=true\n", "") % {"extra": ""}
    (found,) = _sv201(tmp_path / "two", {
        site + "/celery-4.4.7.dist-info/METADATA": "Name: celery\n",
        site + "/celery-5.3.6.dist-info/METADATA": "Name: celery\n"}, venv)
    assert found[:2] == (1, "info") and found[2].startswith("a Celery prefork worker: ")
    (found,) = _sv201(tmp_path / "rc", {
        site + "/celery-5.2.0rc1.dist-info/METADATA": "Name: celery\n"}, venv)
    assert found[:2] == (1, "warning") and found[2].startswith(
        "a Celery 5.2.0rc1 prefork worker")
    (found,) = _sv201(tmp_path / "egg", {
        site + "/celery-5.2.7-py3.11.egg-info/PKG-INFO": "Name: celery\n"}, venv)
    assert found[:2] == (1, "info") and "Celery 5.2.7 " in found[2]
