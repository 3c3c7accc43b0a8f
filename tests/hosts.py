"""Roots for the audit's tests: a host tree built in a temporary directory
from a small description, the same one the rule documents use (an
example's ``host:``).

A description maps host paths to what is there:

- ``"dir OWNER:GROUP MODE"``, ``"file OWNER:GROUP MODE"`` (empty),
  ``"link TARGET"``;
- a text with a newline: a file holding it (root:root 0644);
- ``{"text": ..., "mode": "OWNER:GROUP MODE"}``: a file holding ``text``.

Owners and groups are names from the description's own ``/etc/passwd`` and
``/etc/group`` (root only when it gives none), or numbers.  Parents are
created root:root 0755.  Owners other than the running user need root: the
builder skips the test otherwise."""

import os

import pytest

PASSWD = "root:x:0:0:root:/root:/bin/bash\n"
GROUP = "root:x:0:\n"
CONFIG = "/etc/supervisor/supervisord.conf"
# Debian's layout: the socket in /run, logs in /var/log/supervisor, the absolute include
MAIN = """[unix_http_server]
file=/run/supervisor.sock
chmod=0700

[supervisord]
logfile=/var/log/supervisor/supervisord.log
pidfile=/run/supervisord.pid
childlogdir=/var/log/supervisor

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///run/supervisor.sock

[include]
files = /etc/supervisor/conf.d/*.conf
"""


def build(base, spec, config=None):
    """Build the root described by ``spec`` under ``base`` (a str path);
    ``config`` (text) goes to /etc/supervisor/supervisord.conf.  Returns
    the root's path."""
    root = os.path.join(str(base), "root")
    os.makedirs(root, exist_ok=True)
    spec = dict(spec or {})
    spec.setdefault("/etc/passwd", PASSWD)
    spec.setdefault("/etc/group", GROUP)
    if config is not None:
        spec.setdefault(CONFIG, config)
    users = dict(_table(spec["/etc/passwd"]), root=0)
    groups = dict(_table(spec["/etc/group"]), root=0)
    links = []
    for path in sorted(spec):
        what = spec[path]
        real = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if isinstance(what, dict):
            _file(real, what.get("text", ""), what.get("mode", "root:root 0644"), users, groups)
        elif "\n" in what or not what:
            _file(real, what, "root:root 0644", users, groups)
        else:
            kind, _, rest = what.partition(" ")
            if kind == "dir":
                os.makedirs(real, exist_ok=True)
                _own(real, rest, users, groups)
            elif kind == "file":
                _file(real, "", rest, users, groups)
            elif kind == "link":
                links.append((rest, real))
            else:
                raise ValueError("%s: %r" % (path, what))
    for target, real in links:
        os.symlink(target, real)
    return root


def _table(text):
    out = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit() and len(fields[2]) < 10:
            out[fields[0]] = int(fields[2])
    return out


def _file(real, text, mode, users, groups):
    with open(real, "w") as fh:
        fh.write(text)
    _own(real, mode, users, groups)


def _own(real, spec, users, groups):
    owner, _, mode = spec.partition(" ")
    user, _, group = owner.partition(":")
    uid = int(user) if user.isdigit() else users[user]
    gid = int(group) if group.isdigit() else groups[group]
    if (uid, gid) != (os.getuid(), os.getgid()):
        if os.getuid() != 0:
            pytest.skip("needs root to give files to other owners")
        os.chown(real, uid, gid)
    os.chmod(real, int(mode, 8))

