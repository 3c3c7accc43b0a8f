"""The running supervisord, read-only: the one place that talks to it and
reads ``/proc``.

``Supervisor`` calls only supervisord's read methods (``READ_ONLY``), over
its unix socket or HTTP, with short timeouts; never ``reloadConfig`` (which
replaces supervisord's stored configuration and imports the modules a
config names, inside supervisord), never start, stop, signal or any write.
``Processes`` reads ``/proc/PID`` (cmdline, environ, cwd, status, stat) and
records what it could not read (other users' processes need root).
"""

import os

READ_ONLY = ("supervisor.getSupervisorVersion", "supervisor.getState", "supervisor.getPID",
             "supervisor.getAllProcessInfo", "supervisor.getAllConfigInfo",
             "supervisor.readLog", "supervisor.tailProcessStdoutLog",
             "supervisor.tailProcessStderrLog")
TIMEOUT = 5.0


class LiveError(Exception):
    """The server cannot be asked: one line for the user."""


def server_url(tree):
    """(url, username, password) of the supervisord a config runs, as
    supervisorctl finds it: [supervisorctl] serverurl (and its credentials),
    else the [unix_http_server] socket, else [inet_http_server]."""
    def value(section, key):
        s = tree.get(section, key)
        return s.value.strip() if s is not None else None
    user = value("supervisorctl", "username")
    password = value("supervisorctl", "password")
    url = value("supervisorctl", "serverurl")
    if url:
        return url.replace("%(here)s", tree.here or ""), user, password
    for section in ("unix_http_server", "inet_http_server"):
        if section in tree.sections:
            # the URL supervisord gives its children is the one it serves
            return children_url(tree), user or value(section, "username"), \
                password or value(section, "password")
    return None, None, None


def children_url(tree):
    """The SUPERVISOR_SERVER_URL supervisord puts in its children's
    environment (ServerOptions.realize: its unix socket, else its inet
    server), or None without a server."""
    s = tree.get("unix_http_server", "file") if "unix_http_server" in tree.sections else None
    if s is not None:
        path = s.value.strip().replace("%(here)s", tree.here or "")
        return "unix://" + os.path.normpath(os.path.abspath(os.path.expanduser(path)))
    s = tree.get("inet_http_server", "port") if "inet_http_server" in tree.sections else None
    if s is not None:
        host, _, port = s.value.strip().rpartition(":")
        host = host.lower()            # datatypes.inet_address; '' and '*' are every address
        return "http://%s:%s" % (host if host not in ("", "*") else "localhost", port)
    return None


class Supervisor:
    """A read-only client of one supervisord."""

    def __init__(self, url, username=None, password=None, timeout=TIMEOUT):
        import xmlrpc.client
        self.url = url
        self._fault = xmlrpc.client.Fault
        self._proxy = xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=_Transport(url, username, password, timeout),
            allow_none=True)

    def call(self, method, *args):
        if method not in READ_ONLY:
            raise ValueError("%s is not a read-only call" % method)
        target = self._proxy
        for part in method.split("."):
            target = getattr(target, part)
        try:
            return target(*args)
        except self._fault as exc:
            raise LiveError("%s: %s refused: %s" % (self.url, method, exc.faultString))
        except OSError as exc:
            raise LiveError("%s: cannot reach supervisord: %s" % (
                self.url, getattr(exc, "strerror", None) or exc))
        except Exception as exc:     # a protocol error, a reply that is no XML-RPC
            raise LiveError("%s: no answer supervisord would give: %s" % (
                self.url, type(exc).__name__))

    def snapshot(self, log_bytes=65536):
        """What the audit reads, once: a Snapshot."""
        snap = Snapshot()
        snap.url = self.url
        snap.version = self.call("supervisor.getSupervisorVersion")
        snap.state = self.call("supervisor.getState")
        snap.pid = self.call("supervisor.getPID")
        snap.processes = self.call("supervisor.getAllProcessInfo")
        snap.configs = self.call("supervisor.getAllConfigInfo")
        try:
            snap.log = self.call("supervisor.readLog", -log_bytes, 0)
        except LiveError:
            snap.log = ""            # a log to syslog, or none: not an error
        snap.tail = lambda name, which="stderr": self._tail(name, which)
        return snap

    def _tail(self, name, which):
        method = "supervisor.tailProcessStderrLog" if which == "stderr" else \
            "supervisor.tailProcessStdoutLog"
        try:
            text, offset, overflow = self.call(method, name, 0, 16384)
        except LiveError:
            return ""
        return text


class Snapshot:
    """What supervisord said, read once."""
    url = None
    version = None
    state = None
    pid = None
    processes = ()
    configs = ()
    log = ""

    def tail(self, name, which="stderr"):
        return ""


def _transport_base():
    import xmlrpc.client
    return xmlrpc.client.Transport


class _Transport(_transport_base()):
    """XML-RPC over supervisord's unix socket or HTTP, with a timeout and
    basic authentication, as supervisorctl connects."""

    def __init__(self, url, username, password, timeout):
        super().__init__()
        self.server_url = url
        self.username = username
        self.password = password
        self.timeout = timeout

    def make_connection(self, host):
        import http.client
        import socket
        url, timeout = self.server_url, self.timeout
        if url.startswith("unix://"):
            path = url[len("unix://"):]

            class Connection(http.client.HTTPConnection):
                def connect(self):
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.settimeout(timeout)
                    sock.connect(path)
                    self.sock = sock
            return Connection("localhost", timeout=timeout)
        if url.startswith("http://"):
            netloc = url[len("http://"):].split("/", 1)[0]
            return http.client.HTTPConnection(netloc, timeout=timeout)
        raise LiveError("%s: not a unix:// or http:// server URL" % url)

    def send_headers(self, connection, headers):
        if self.username is not None and self.password is not None:
            import base64
            token = base64.b64encode(("%s:%s" % (self.username, self.password)).encode())
            connection.putheader("Authorization", "Basic " + token.decode())
        super().send_headers(connection, headers)


# -- /proc -------------------------------------------------------------------------------------
class Process:
    __slots__ = ("pid", "ppid", "cmdline", "environ", "cwd", "uid", "gids", "start")

    def __init__(self, pid):
        self.pid = pid
        self.ppid = None
        self.cmdline = None            # [str] or None when unreadable
        self.environ = None            # {name: value} or None when unreadable
        self.cwd = None
        self.uid = None
        self.gids = None
        self.start = None              # clock ticks after boot


class Processes:
    """Processes of this machine as /proc shows them, read on demand; what
    could not be read is counted in ``unreadable``."""

    def __init__(self, proc="/proc"):
        self.proc = proc
        self.unreadable = 0
        self._cache = {}

    def get(self, pid):
        if pid not in self._cache:
            self._cache[pid] = self._read(pid)
        return self._cache[pid]

    def all_pids(self):
        try:
            return sorted(int(n) for n in os.listdir(self.proc) if n.isdigit())
        except OSError:
            return []

    def _file(self, pid, name, limit=1 << 20):
        try:
            with open("%s/%d/%s" % (self.proc, pid, name), "rb") as fh:
                return fh.read(limit)
        except OSError:
            return None

    def _read(self, pid):
        p = Process(pid)
        stat = self._file(pid, "stat")
        if stat is None:
            return None                # gone
        fields = stat.rsplit(b")", 1)[-1].split()
        try:
            p.ppid, p.start = int(fields[1]), int(fields[19])
        except (IndexError, ValueError):
            pass
        cmdline = self._file(pid, "cmdline")
        if cmdline is not None:
            p.cmdline = [a.decode("utf-8", "surrogateescape") for a in cmdline.split(b"\0")[:-1]]
        environ = self._file(pid, "environ")
        if environ is None:
            self.unreadable += 1
        else:
            p.environ = dict(item.decode("utf-8", "surrogateescape").partition("=")[::2]
                             for item in environ.split(b"\0") if b"=" in item)
        try:
            p.cwd = os.readlink("%s/%d/cwd" % (self.proc, pid))
        except OSError:
            pass
        status = self._file(pid, "status")
        for line in (status or b"").decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            if key == "Uid" and value.split():
                p.uid = int(value.split()[0])
            elif key == "Groups":
                p.gids = tuple(int(g) for g in value.split())
        return p

    def descendants(self, pid):
        """Every live process below ``pid``."""
        children = {}
        for other in self.all_pids():
            p = self.get(other)
            if p is not None and p.ppid is not None:
                children.setdefault(p.ppid, []).append(other)
        found, todo = set(), [pid]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def carrying(self, name, value=None):
        """Processes whose environment holds ``name`` (with ``value``)."""
        for pid in self.all_pids():
            p = self.get(pid)
            if p is None or p.environ is None or name not in p.environ:
                continue
            if value is None or p.environ[name] == value:
                yield p


class Live:
    """What the live rules read: the snapshot and /proc."""

    def __init__(self, snapshot, processes):
        self.snapshot = snapshot
        self.processes = processes

    @property
    def supervisord(self):
        """supervisord's own Process, or None where /proc does not show it
        (another PID namespace)."""
        return self.processes.get(self.snapshot.pid) if self.snapshot.pid else None


def connect(url, username=None, password=None):
    """A Live of the supervisord at ``url``: its snapshot, read now."""
    return Live(Supervisor(url, username, password).snapshot(), Processes())
