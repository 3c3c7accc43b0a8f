"""What the end-to-end tests share about the processes they start: finding
every live process that carries a test's marker in its environment (orphans
included), killing them by PID, a timeout for supervisord's XML-RPC."""

import contextlib
import os
import signal
import socket
import time


def marked(env_key, prefix, in_cmdline=False):
    """Live processes (not zombies) whose environment holds
    ``ENV_KEY=<prefix...>`` (or, with ``in_cmdline``, whose command line
    names ``prefix``)."""
    key = ("%s=%s" % (env_key, prefix)).encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as fh:
                environ = fh.read()
            with open("/proc/%s/cmdline" % entry, "rb") as fh:
                cmdline = fh.read()
            with open("/proc/%s/stat" % entry, "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == b"Z":
            continue
        if any(item.startswith(key) for item in environ.split(b"\0")) or \
                (in_cmdline and prefix.encode() in cmdline):
            found.append(int(entry))
    return sorted(found)


def kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def kill_marked(env_key, prefix, seconds=5, in_cmdline=False):
    """SIGKILL every marked process until none is left; what is left after
    ``seconds``."""
    deadline = time.time() + seconds
    while True:
        left = marked(env_key, prefix, in_cmdline)
        if not left or time.time() > deadline:
            return left
        kill(left)
        time.sleep(0.05)


@contextlib.contextmanager
def rpc_timeout(seconds):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)
