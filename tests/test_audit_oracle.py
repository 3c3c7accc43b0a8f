"""The audit's fatal verdict against supervisor 4.3.0's own loader run on the
same root: a child process chroots into the root and loads the config there
with ``ServerOptions.realize`` (user lookups through the C library's own
``/etc/passwd`` and ``/etc/group`` reading, directories, absolute include
globs, all inside the root).  The audit may refuse exactly when that loader
does, and the first refusal supervisord prints is among the audit's fatal
findings.  Needs root (chroot)."""

import json
import os
import pickle

import pytest

import hosts
from support import lint_json

pytest.importorskip("supervisor")
pytestmark = pytest.mark.skipif(os.getuid() != 0 or not hasattr(os, "chroot"),
                                reason="the oracle chroots into the root: needs root")

PASSWD = "root:x:0:0:root:/root:/bin/bash\ncelery:x:1001:1002::/home/celery:/bin/sh\n"
GROUP = "root:x:0:\nhalog:x:1001:celery\ncelery:x:1002:\n"
MAIN = hosts.MAIN.replace("chmod=0700\n", "chmod=0700\n%(chown)s").replace(
    "childlogdir=/var/log/supervisor\n", "childlogdir=/var/log/supervisor\n%(sd)s")
WORKER = """[program:worker]
command=/bin/true
directory=/srv/app
user=%(user)s
redirect_stderr=true
stdout_logfile=%(log)s
"""


def _case(user="celery", log="/var/log/celery/worker.log", sd="", chown="", extra="",
          host=None):
    spec = {"/etc/passwd": PASSWD, "/etc/group": GROUP,
            "/var/log/supervisor": "dir root:root 0755", "/run": "dir root:root 0755",
            "/var/log/celery": "dir celery:celery 0755", "/srv/app": "dir root:root 0755",
            "/etc/supervisor/supervisord.conf": MAIN % {"sd": sd, "chown": chown},
            "/etc/supervisor/conf.d/worker.conf": WORKER % {"user": user, "log": log} + extra}
    spec.update(host or {})
    return {k: v for k, v in spec.items() if v is not None}


CASES = {
    "clean": _case(),
    "log-directory-missing": _case(log="/var/log/celeryd/worker.log"),
    "log-directory-is-a-file": _case(log="/etc/passwd/worker.log"),
    "log-directory-through-an-absolute-link": _case(
        log="/srv/logs/worker.log", host={"/srv/logs": "link /var/log/celery"}),
    "log-directory-link-dangling-in-the-root": _case(
        log="/srv/logs/worker.log", host={"/srv/logs": "link /nonexistent/logs"}),
    "log-in-the-config-directory": _case(log="%(here)s/worker.log"),
    "user-missing": _case(user="celeryd"),
    "user-number-missing": _case(user="4242"),
    "user-number-present": _case(user="1001"),
    "supervisord-user-missing": _case(sd="user=supervisor\n"),
    "supervisord-user-present": _case(sd="user=celery\n"),
    "childlogdir-missing": _case(sd="childlogdir=/var/log/nochild\n"),
    "pidfile-directory-missing": _case(sd="pidfile=/run/supervisor/supervisord.pid\n"),
    "directory-missing": _case(sd="directory=/srv/nothere\n"),
    "chown-user-missing": _case(chown="chown=nobody:nogroup\n"),
    "chown-group-missing": _case(chown="chown=celery:nogroup\n"),
    "chown-present": _case(chown="chown=celery:halog\n"),
    "eventlistener-log-missing": _case(extra="\n[eventlistener:crash]\ncommand=/bin/true\n"
                                             "events=PROCESS_STATE\n"
                                             "stdout_logfile=/var/log/crash/x.log\n"),
    "no-passwd-at-all": _case(host={"/etc/passwd": "", "/var/log/celery": "dir 1001:1002 0755"}),
    "two-missing-at-once": _case(user="celeryd", log="/var/log/celeryd/worker.log"),
    "log-dot-dot-after-a-missing-directory": _case(log="/var/log/missing/../worker.log"),
    "log-dot-dot-after-a-file": _case(log="/etc/passwd/../worker.log"),
    "log-dot-dot-after-a-directory": _case(log="/var/log/celery/../worker.log"),
    "childlogdir-dot-dot-after-a-missing-directory": _case(
        sd="childlogdir=/var/log/nosuch/..\n"),
    "stderr-log-beside-redirect-stderr": _case(extra="stderr_logfile=/var/log/nosuch/e.log\n"),
    "relative-log-from-the-root-directory": _case(log="nosuchdir/worker.log"),
    "relative-log-present": _case(log="var/log/celery/worker.log"),
    "relative-log-bare-name": _case(log="worker.log"),
    "uid-with-a-plus-and-blanks": _case(host={"/etc/passwd": PASSWD.replace(
        "celery:x:1001:", "celery:x: +1001:"), "/var/log/celery": "dir 1001:1002 0755"}),
    "uid-too-large-for-glibc": _case(host={"/etc/passwd": PASSWD.replace(
        "celery:x:1001:", "celery:x:4294967296:"), "/var/log/celery": "dir 1001:1002 0755"}),
    "uid-with-thousands-of-digits": _case(host={"/etc/passwd": PASSWD.replace(
        "celery:x:1001:", "celery:x:%s:" % ("9" * 5000)),
        "/var/log/celery": "dir 1001:1002 0755"}),
    "log-under-tilde-missing": _case(log="~/logs/worker.log"),
    "log-under-tilde-present": _case(log="~/logs/worker.log",
                                     host={"/root/logs": "dir root:root 0700"}),
    "log-under-tilde-of-supervisords-user": _case(
        log="~/logs/worker.log", sd="user=celery\n",
        host={"/home/celery/logs": "dir celery:celery 0755"}),
}


ORACLE = """
import os, pickle, sys
from supervisor import options
for name in ("rpcinterface", "supervisorctl", "dispatchers"):
    __import__("supervisor." + name)        # before the chroot hides them
os.chroot(sys.argv[1])
os.chdir("/")
opts = options.ServerOptions()
def usage(msg):
    raise ValueError(msg)
opts.usage = usage
try:
    opts.realize(args=["-c", sys.argv[2]], doc="")
    result = (True, None)
except ValueError as exc:
    result = (False, str(exc))
except Exception as exc:
    result = (False, "%s: %s" % (type(exc).__name__, exc))
sys.stdout.buffer.write(pickle.dumps(result))
"""


def _oracle(root):
    """(ok, message) from supervisor 4.3.0 loading /etc/supervisor/supervisord.conf
    inside ``root``, in a fresh process: the C library's user and group
    lookups start inside the root (a process that looked users up before,
    like this one, keeps the host's NSS modules, which name accounts the
    root does not have)."""
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", ORACLE, root, hosts.CONFIG],
                          capture_output=True, env={"PATH": "/usr/bin:/bin"},   # no HOME, as systemd
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return pickle.loads(proc.stdout)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_audit_refuses_exactly_when_supervisord_on_that_root_does(tmp_path, name):
    root = hosts.build(tmp_path, CASES[name])
    ok, message = _oracle(root)
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    assert err == ""
    fatal = [d for d in diags if d["fatal"]]
    assert (not fatal) == ok, (name, message, json.dumps(fatal, indent=1))
    if not ok:
        said = message.split(" (file: ")[0]
        assert any(said in d["message"] for d in fatal), (said, [d["message"] for d in fatal])


def _documented():
    from supervisor_lint import catalog
    for code, doc in sorted(catalog.load_all().items()):
        for i, ex in enumerate(doc.get("examples", [])):
            if ex.get("host"):
                for which in ("bad", "good"):
                    host = dict(ex["host"])
                    if which == "good":
                        host.update(ex.get("good_host") or {})
                    yield "%s-%d-%s" % (code, i, which), host, ex[which]


DOCUMENTED = list(_documented())


@pytest.mark.parametrize("name,host,config", DOCUMENTED, ids=[d[0] for d in DOCUMENTED])
def test_the_rule_documents_hosts_agree_too(tmp_path, name, host, config):
    root = hosts.build(tmp_path, host, config)
    ok, message = _oracle(root)
    status, diags, err = lint_json(["--root", root, "--isolated"], command="audit")
    fatal = [d for d in diags if d["fatal"]]
    assert (not fatal) == ok, (name, message, [d["message"] for d in fatal])


def test_the_cases_cover_both_verdicts(tmp_path):
    verdicts = set()
    for name in ("clean", "user-missing"):
        verdicts.add(_oracle(hosts.build(tmp_path / name, CASES[name]))[0])
    assert verdicts == {True, False}
