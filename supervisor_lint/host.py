"""A host as the audit sees it: the one place that reads the filesystem,
``etc/passwd`` and ``etc/group`` of a root (``/`` for the live host, or a
copy of an image with ``--root``).  Rules ask it; they never touch the
filesystem themselves.

Paths are the host's own (``/etc/supervisor/conf.d``); ``Root.real()``
gives where they are on this machine.  Resolution walks one component at a
time as the kernel would inside a chroot: an absolute symlink starts again
at the root, ``..`` stops at it, so nothing resolves outside the root.
Identities are computed, never tried: the audit runs as root, where
``os.access`` answers yes to everything.  Nothing here executes or imports
anything from the tree it reads.

Resolving and opening are two steps: a tree changed in between (a directory
swapped for a link) is not guarded against, and a trailing slash does not
make ``follow=False`` follow a link as the kernel would.  The audit reads a
copy or a quiet host: a Root keeps the ``lstat`` results it has seen.
"""

import os
import posixpath
import re
import stat

_MAGIC = re.compile(r"[*?[]")         # glob's has_magic
MAX_LINKS = 40                        # as Linux's namei gives up (ELOOP)
READ = 4
WRITE = 2
EXECUTE = 1                           # search, for a directory


class Account:
    __slots__ = ("name", "uid", "gid", "home", "shell")

    def __init__(self, name, uid, gid, home, shell):
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
        self.shell = shell


class Identity:
    """Who opens a file: a uid, its primary gid first, then the groups whose
    member lists in ``etc/group`` name the account (what supervisord's
    ``drop_privileges`` passes to ``setgroups``)."""

    __slots__ = ("name", "uid", "gids")

    def __init__(self, name, uid, gids):
        self.name = name
        self.uid = uid
        self.gids = tuple(gids)

    def __str__(self):
        if self.uid == 0:
            return "%s (root)" % self.name
        return "%s (uid %d, groups %s)" % (self.name, self.uid, ",".join(map(str, self.gids)))


class Mount:
    __slots__ = ("point", "fstype", "options")

    def __init__(self, point, fstype, options):
        self.point = point
        self.fstype = fstype
        self.options = frozenset(options)

    @property
    def read_only(self):
        return "ro" in self.options

    @property
    def noexec(self):
        return "noexec" in self.options

    @property
    def volatile(self):
        return self.fstype in ("tmpfs", "ramfs")


class Root:
    def __init__(self, directory="/"):
        self.directory = os.path.realpath(directory)
        self._accounts = None
        self._groups = None
        self.incomplete = False       # etc/passwd or etc/group names an NSS escape (+, -)
        self._mounts = None
        self._stats = {}              # real path -> lstat result or None: a quiet tree
        self._resolved = {}           # (path, follow) -> (resolved, directories walked)
        self._identities = {}

    # -- paths ---------------------------------------------------------------------
    def resolve(self, path, follow=True, walked=None):
        """The host path ``path`` with every symlink followed inside the root
        (the last one too when ``follow``), as an absolute host path; None
        where the kernel would fail the walk itself (a loop, ``..`` after a
        file or after a name that does not exist).  Names below one that
        does not exist are kept as written, so a missing file still has its
        place.  ``walked`` (a list) receives every directory searched on the
        way, links' targets included."""
        key = (path, follow)
        found = self._resolved.get(key)
        if found is None:
            trail = []
            if len(self._resolved) > 65536:
                self._resolved.clear()
            found = self._resolved[key] = (self._resolve(path, follow, trail), trail)
        if walked is not None:
            walked.extend(found[1])
        return found[0]

    def _resolve(self, path, follow, walked):
        if "\0" in path:
            return None
        done = []
        todo = _components(path)
        todo.reverse()
        links = 0
        while todo:
            name = todo.pop()
            if name == "..":
                if done:
                    done.pop()
                continue
            if not todo and not follow:
                done.append(name)
                break
            walked.append("/" + "/".join(done))
            real = os.path.join(self.directory, *done, name)
            st = self._lstat(real)
            if st is None:
                # missing (or below a file): nothing further can be followed;
                # a '..' further on fails in the kernel too
                if ".." in todo:
                    return None
                done.append(name)
                done.extend(reversed(todo))
                break
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_LINKS:
                    return None
                try:
                    target = os.readlink(real)
                except OSError:
                    return None
                if target.startswith("/"):
                    done = []
                parts = _components(target)
                parts.reverse()
                todo.extend(parts)
                continue
            if todo and not stat.S_ISDIR(st.st_mode):
                # a file in the middle: the next name is looked up below it and fails
                if ".." in todo:
                    return None
                done.append(name)
                done.extend(reversed(todo))
                break
            done.append(name)
        return "/" + "/".join(done)

    def _lstat(self, real):
        try:
            return self._stats[real]
        except KeyError:
            pass
        try:
            st = os.lstat(real)
        except OSError:
            st = None
        if len(self._stats) > 65536:
            self._stats.clear()
            self._resolved.clear()
        self._stats[real] = st
        return st

    def real(self, path, follow=True):
        """Where the host path ``path`` is on this machine, resolved; None for a loop."""
        resolved = self.resolve(path, follow)
        if resolved is None:
            return None
        return os.path.join(self.directory, resolved.lstrip("/")) if resolved != "/" \
            else self.directory

    def stat(self, path):
        """os.stat of the host path, resolved inside the root; None when it
        does not exist or is a loop."""
        real = self.real(path)
        if real is None:
            return None
        return self._lstat(real)       # resolved: the last component is no symlink

    def read(self, path, limit=1 << 20):
        """Up to ``limit`` bytes of a regular file, or None.  Opened without
        following a link (resolution did that, inside the root) and without
        blocking on a FIFO."""
        real = self.real(path)
        if real is None:
            return None
        try:
            if not stat.S_ISREG(os.lstat(real).st_mode):
                return None           # a device is never opened: opening one can act
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            chunks, left = [], limit
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def host_of(self, path):
        """The host path of an absolute path on this machine when it lies
        under the root (``%(here)s`` expands to those), else None.  Textual:
        a '..' stays for resolution, which stops it at the root."""
        if self.directory == "/":
            return path
        if path == self.directory:
            return "/"
        if path.startswith(self.directory + "/"):
            return path[len(self.directory):]
        return None

    def glob(self, pattern):
        """``sorted(glob.glob(pattern))`` as supervisord runs it on the host:
        host paths, every directory on the way resolved inside the root.
        Names starting with '.' match only a pattern that starts with one."""
        import fnmatch
        found = ["/"]
        for part in _components(pattern):
            following = []
            for base in found:
                path = base.rstrip("/") + "/" + part
                if not _MAGIC.search(part):
                    following.append(path)
                    continue
                real = self.real(base)
                try:
                    names = os.listdir(real) if real is not None else []
                except OSError:
                    continue
                if not part.startswith("."):
                    names = [n for n in names if not n.startswith(".")]
                following.extend(base.rstrip("/") + "/" + n for n in fnmatch.filter(names, part))
            found = following
        return sorted(p for p in found if _lexists(self.real(p, follow=False)))

    def head(self, path, size=256):
        """The first ``size`` bytes of a regular file (a shebang), or None."""
        return self.read(path, limit=size)

    # -- mounts and attributes ---------------------------------------------------------
    def mounts(self):
        """Every Mount known for the root, longest point first: the live
        host's ``/proc/self/mountinfo``, or the root's ``etc/fstab`` (a copy's
        mounts are whatever its fstab says; without one, none are known)."""
        if self._mounts is None:
            found = []
            if self.directory == "/":
                data = _read_plain("/proc/self/mountinfo")
                for line in (data or b"").decode("utf-8", "replace").splitlines():
                    left, _, right = line.partition(" - ")
                    fields, tail = left.split(), right.split()
                    if len(fields) >= 6 and tail:
                        options = set(fields[5].split(","))
                        if len(tail) >= 3:
                            options.update(tail[2].split(","))
                        found.append(Mount(_unescape(fields[4]), tail[0], options))
            else:
                data = self.read("/etc/fstab")
                for line in (data or b"").decode("utf-8", "replace").splitlines():
                    fields = line.split()
                    if len(fields) >= 4 and not fields[0].startswith("#") and \
                            fields[1].startswith("/"):
                        found.append(Mount(_unescape(fields[1]), fields[2],
                                           set(fields[3].split(","))))
            # the last mount on a point hides the earlier ones
            by_point = {}
            for mount in found:
                by_point[mount.point.rstrip("/") or "/"] = mount
            self._mounts = sorted(by_point.values(), key=lambda m: -len(m.point))
        return self._mounts

    def mount_of(self, path):
        """The Mount holding the host path (resolved), or None when unknown."""
        resolved = self.resolve(path) or path
        for mount in self.mounts():
            point = mount.point.rstrip("/")
            if resolved == point or resolved.startswith(point + "/") or not point:
                return mount
        return None

    def attributes(self, path):
        """(immutable, append_only) from the file's inode flags, where this
        machine can read them (``FS_IOC_GETFLAGS``; ``lsattr`` reads the same);
        (False, False) when it cannot."""
        real = self.real(path)
        if real is None:
            return False, False
        try:
            import fcntl
            import struct
            mode = os.lstat(real).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                return False, False   # a device is never opened
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except (OSError, ImportError):
            return False, False
        try:
            flags = struct.unpack("l", fcntl.ioctl(fd, _FS_IOC_GETFLAGS,
                                                   struct.pack("l", 0)))[0]
        except OSError:
            return False, False
        finally:
            os.close(fd)
        return bool(flags & 0x10), bool(flags & 0x20)

    def has_acl(self, path):
        """True when the file carries a POSIX ACL (its mode bits do not decide)."""
        real = self.real(path)
        try:
            names = os.listxattr(real, follow_symlinks=False) if real else []
        except (OSError, AttributeError):
            return False
        return "system.posix_acl_access" in names

    # -- systemd -------------------------------------------------------------------------
    UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                 "/lib/systemd/system", "/usr/lib/systemd/system")

    def unit(self, names):
        """The first unit of ``names`` (e.g. supervisor.service) found in
        systemd's unit directories, with its drop-ins: (host path, {key:
        value}) of its [Service] and [Unit] settings, later files winning as
        systemd reads them (drop-ins in file-name order); None when there is
        none.  ``KEY=`` with no value resets a key."""
        for name in names:
            for directory in self.UNIT_DIRS:
                path = directory + "/" + name
                resolved = self.resolve(path)
                if resolved == "/dev/null":
                    return None       # masked: systemd will not start it
                data = self.read(path, limit=1 << 20)
                if data is None:
                    continue
                settings = {}
                _unit_settings(data, settings)
                dropins = {}
                for base in reversed(self.UNIT_DIRS):
                    for found in self.glob(base + "/" + name + ".d/*.conf"):
                        dropins[posixpath.basename(found)] = found   # /etc wins a name
                for key in sorted(dropins):
                    _unit_settings(self.read(dropins[key], limit=1 << 20) or b"", settings)
                return path, settings
        return None

    def system_conf(self):
        """[Manager] settings of etc/systemd/system.conf and its drop-ins."""
        settings = {}
        for path in ["/etc/systemd/system.conf"] + self.glob("/etc/systemd/system.conf.d/*.conf"):
            _unit_settings(self.read(path, limit=1 << 20) or b"", settings)
        return settings

    def tmpfiles_directories(self):
        """Directories that systemd-tmpfiles creates at boot (d, D, v, q, Q lines)."""
        found = set()
        for base in ("/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/local/lib/tmpfiles.d",
                     "/lib/tmpfiles.d", "/usr/lib/tmpfiles.d"):
            for path in self.glob(base + "/*.conf"):
                for line in (self.read(path, limit=1 << 20) or b"").decode(
                        "utf-8", "replace").splitlines():
                    fields = line.split()
                    if len(fields) >= 2 and fields[0].rstrip("!+-=~^") in "dDvqQ" and \
                            fields[0][:1] in "dDvqQ":
                        found.add(posixpath.normpath(fields[1]))
        return found

    # -- accounts --------------------------------------------------------------------
    def accounts(self):
        """Every Account of the root's etc/passwd, in file order (as glibc's
        files source reads them: leading blanks skipped, ids as strtoul reads
        them; a line it cannot read is skipped)."""
        if self._accounts is None:
            self._accounts = []
            for fields in self._table("/etc/passwd", 7):
                uid, gid = _id(fields[2]), _id(fields[3])
                if uid is not None and gid is not None:
                    self._accounts.append(Account(fields[0], uid, gid, fields[5], fields[6]))
        return self._accounts

    def groups(self):
        """Every (name, gid, [member names]) of the root's etc/group, in file order."""
        if self._groups is None:
            self._groups = []
            for fields in self._table("/etc/group", 4):
                gid = _id(fields[2])
                if gid is not None:
                    members = [m.strip() for m in fields[3].split(",") if m.strip()]
                    self._groups.append((fields[0], gid, members))
        return self._groups

    def account(self, user):
        """The Account a process started with ``user=`` runs as, or None.
        supervisord turns the value into a uid (a number as Python's int()
        reads it, else the first account of that name), then looks the uid
        up: the first account with it is the one it becomes."""
        accounts = self.accounts()
        try:
            uid = int(user)
        except ValueError:
            named = next((a for a in accounts if a.name == user), None)
            if named is None:
                return None
            uid = named.uid
        return next((a for a in accounts if a.uid == uid), None)

    def identity(self, user):
        """The Identity of ``account(user)``: its primary gid, then every
        group line whose member list names it (supervisord's setgroups)."""
        if user not in self._identities:
            self._identities[user] = self._identity(user)
        return self._identities[user]

    def _identity(self, user):
        account = self.account(user)
        if account is None:
            return None
        gids = [account.gid]
        gids.extend(gid for _, gid, members in self.groups() if account.name in members)
        return Identity(account.name, account.uid, gids)

    def _table(self, path, width):
        data = self.read(path, limit=_TABLE_LIMIT)
        if data is None:
            return
        if len(data) >= _TABLE_LIMIT:
            self.incomplete = True              # not read to its end
        for line in data.decode("utf-8", "replace").split("\n"):
            line = line.lstrip(" \t")
            if not line or line.startswith("#"):
                continue
            if line[0] in "+-":
                self.incomplete = True          # NIS compat: names this file does not hold
                continue
            fields = line.rstrip("\r").split(":", width - 1)
            if len(fields) >= 3:
                yield fields + [""] * (width - len(fields))

    # -- access ------------------------------------------------------------------------
    def access(self, who, path, want, create=False):
        """(verdict, why): whether Identity ``who`` can open the host path
        ``path`` for ``want`` (READ|WRITE|EXECUTE bits), searching every
        directory on the way, links' targets included.  With ``create``, a
        missing file is created: ``who`` needs write and search on its
        directory.  True with why None; False with why, the cause as the
        kernel would meet it ("/srv/app (root:root 0700) is not searchable
        ..."); None with why where the bits do not decide (a POSIX ACL)."""
        walked = []
        resolved = self.resolve(path, walked=walked)
        if resolved is None:
            return False, "%s is a symlink loop or leads through a file" % path
        for directory in dict.fromkeys(walked):
            st = self.stat(directory)
            if st is None:
                return False, "%s does not exist" % directory
            if not stat.S_ISDIR(st.st_mode):
                return False, "%s is not a directory" % directory
            if not _allowed(who, st, EXECUTE):
                return self._denied(directory, st, "is not searchable (x) for it")
        st = self.stat(resolved)
        target = resolved
        if st is None:
            if not create:
                return False, "%s does not exist" % resolved
            parent = posixpath.dirname(resolved)
            st = self.stat(parent)
            if st is None:
                return False, "%s does not exist" % parent
            if not stat.S_ISDIR(st.st_mode):
                return False, "%s is not a directory" % parent
            target, want = parent, WRITE | EXECUTE
        elif create and stat.S_ISDIR(st.st_mode):
            return False, "%s is a directory (EISDIR)" % resolved
        mount = self.mount_of(target)
        if want & WRITE and mount is not None and mount.read_only:
            return False, "%s is on a read-only mount (%s, EROFS)" % (target, mount.point)
        if want & EXECUTE and stat.S_ISREG(st.st_mode) and mount is not None and mount.noexec:
            return False, "%s is on a noexec mount (%s)" % (target, mount.point)
        if want & WRITE and self.attributes(target)[0]:
            return False, "%s is immutable (chattr +i, EPERM)" % target
        if not _allowed(who, st, want):
            return self._denied(target, st, {
                READ: "is not readable for it", WRITE: "is not writable for it",
                EXECUTE: "is not executable for it" if stat.S_ISREG(st.st_mode)
                else "is not searchable (x) for it",
                WRITE | EXECUTE: "is not writable for it"}.get(want, "does not allow it"))
        return True, None

    def _denied(self, path, st, what):
        if self.has_acl(path):
            return None, "%s has a POSIX ACL, which the audit does not evaluate" % path
        return False, "%s (%s) %s" % (path, self.describe(st), what)

    def describe(self, st):
        """'owner:group 0750' of a stat result, names from the root's files."""
        user = next((a.name for a in self.accounts() if a.uid == st.st_uid), str(st.st_uid))
        group = next((g[0] for g in self.groups() if g[1] == st.st_gid), str(st.st_gid))
        return "%s:%s %04o" % (user, group, stat.S_IMODE(st.st_mode))

    def is_dir(self, path):
        st = self.stat(path)
        return st is not None and stat.S_ISDIR(st.st_mode)


_TABLE_LIMIT = 64 << 20
_FS_IOC_GETFLAGS = 0x80086601


def _unit_settings(data, settings):
    """systemd's unit-file syntax, enough for a few keys: sections, KEY=VALUE,
    comments, backslash continuations."""
    section = None
    lines = data.decode("utf-8", "replace").replace("\\\n", " ").splitlines()
    for line in lines:
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        if sep and section is not None:
            keys = [key.strip()]
            if keys[0] == "TimeoutSec":       # sets both, in the order written
                keys += ["TimeoutStopSec", "TimeoutStartSec"]
            for key in keys:
                key = "%s.%s" % (section, key)
                value = value.strip()
                if value:
                    settings[key] = value
                else:
                    settings.pop(key, None)


def seconds(span):
    """A systemd time span ("90", "1min 30s", "infinity") in seconds, or None."""
    import re as _re
    span = span.strip()
    if span == "infinity":
        return float("inf")
    units = {"us": 1e-6, "usec": 1e-6, "ms": 1e-3, "msec": 1e-3, "": 1, "s": 1, "sec": 1,
             "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60,
             "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
             "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
    total = 0.0
    parts = _re.findall(r"\s*([0-9.]+)\s*([a-z]*)", span)
    if not parts or "".join(a + b for a, b in parts) != span.replace(" ", ""):
        return None
    for number, unit in parts:
        if unit not in units:
            return None
        try:
            total += float(number) * units[unit]
        except ValueError:
            return None
    return total


def _read_plain(path, limit=1 << 22):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _unescape(field):
    """mountinfo's and fstab's octal escapes (\\040 for a space)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _id(text):
    """A uid or gid field as glibc's files source reads it (strtoul: leading
    blanks and a '+' allowed, the whole field a number, at most 2**32 - 1),
    or None: glibc skips that line."""
    text = text.lstrip(" \t\n\v\f\r")
    if text.startswith("+"):
        text = text[1:]
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= 0xFFFFFFFF else None


def _lexists(real):
    return real is not None and os.path.lexists(real)


def _components(path):
    return [p for p in path.split("/") if p not in ("", ".")]


def _allowed(who, st, want):
    """Permission bits as the kernel checks them: owner class, else group
    class, else others; root passes read and write always, and execute when
    anyone may (or on a directory)."""
    mode = st.st_mode
    if who.uid == 0:
        if want & EXECUTE and not stat.S_ISDIR(mode) and not mode & 0o111:
            return False
        return True
    if st.st_uid == who.uid:
        bits = (mode >> 6) & 7
    elif st.st_gid in who.gids:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    return bits & want == want


# The PATH systemd gives a system service (systemd.exec(5), "Environment
# variables in spawned processes"): supervisord's own PATH under its unit.
SERVICE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Service:
    """supervisord as a config runs on a root, started by its systemd unit
    (``supervisor.service``, when the root has one that runs this config):
    the user who starts it (the unit's ``User=``, else root), its identity S
    (``[supervisord] user=``, else that user), its working directory (the
    unit's ``WorkingDirectory=``, else ``/``) and PATH (``[supervisord]
    environment=``, else the unit's ``Environment=``, else systemd's).  The
    audit does not know another start, so it judges that one."""

    UNITS = ("supervisor.service", "supervisord.service")

    def __init__(self, root, user=None, env=None, main=None):
        self.root = root
        self.user = user
        self.env = env or {}              # [supervisord] environment=
        self.main = main                  # the main config's host path
        self._unit = False
        starter = self.unit_setting("User")
        self.starter = (root.identity(starter) if starter else None) or \
            root.identity("0") or Identity("root", 0, (0,))
        self.identity = root.identity(user) if user is not None else self.starter
        self.cwd = self.unit_setting("WorkingDirectory") or "/"
        if not self.cwd.startswith("/"):
            self.cwd = "/"                # ~ and -/path forms: not judged

    def adopt(self, process):
        """What the running supervisord is (a ``live.Process``): its uid and
        groups, working directory and PATH replace what the config and the
        unit imply."""
        if process.uid is not None:
            account = next((a for a in self.root.accounts() if a.uid == process.uid), None)
            name = account.name if account is not None else str(process.uid)
            gids = process.gids or ()
            self.identity = Identity(name, process.uid, gids)
        if process.cwd:
            self.cwd = process.cwd
        if process.environ is not None and "PATH" not in self.env:
            # options.get_path: an unset or empty PATH is this default
            path = process.environ.get("PATH") or "/bin:/usr/bin:/usr/local/bin"
            self.env = dict(self.env, PATH=path)

    @classmethod
    def of(cls, root, tree, loaded):
        """supervisord as the tree (a model.Tree, its load) runs it on ``root``."""
        user = loaded.supervisord.get("user")
        env = {k[4:]: v for k, v in loaded.env.items()}        # ENV_X -> X
        main = tree.docs[0].path if tree.docs else None
        main = root.host_of(main) if main and main.startswith("/") else None
        return cls(root, user if isinstance(user, str) else None, env, main)

    @property
    def unit(self):
        """(host path, settings) of the systemd unit that starts this config,
        or None (no unit, a masked one, or one that runs another config)."""
        if self._unit is False:
            self._unit = self._find_unit()
        return self._unit

    def unit_setting(self, key):
        unit = self.unit
        return unit[1].get("Service." + key) if unit is not None else None

    def _find_unit(self):
        found = self.root.unit(self.UNITS)
        if found is None:
            return None
        path, settings = found
        argv = settings.get("Service.ExecStart", "").lstrip("@-:+!").split()
        config = None
        for i, token in enumerate(argv):
            if token in ("-c", "--configuration") and i + 1 < len(argv):
                config = argv[i + 1]
            elif token.startswith("--configuration="):
                config = token.split("=", 1)[1]
        if config is not None and self.main is not None and \
                self.root.resolve(config) != self.root.resolve(self.main):
            return None               # the unit runs another config
        return path, settings

    @property
    def path(self):
        """supervisord's PATH: its environment= PATH, else the unit's, else
        the one systemd gives a service."""
        if "PATH" in self.env:
            return self.env["PATH"]
        for word in _words(self.unit_setting("Environment") or ""):
            if word.startswith("PATH="):
                return word[5:]
        return SERVICE_PATH

    def host_path(self, text, tilde=True):
        """The host path a value names as supervisord uses it: ``%(here)s``
        expanded to this machine's path under the root becomes the host's
        again; with ``tilde`` (the paths supervisord passes through
        ``expanduser``), ``~`` is the home of the user who starts supervisord,
        as ``expanduser`` reads it with HOME unset; a relative path is taken
        from supervisord's working directory.  Kept as written otherwise
        ('..' included: the kernel walks it, and so does ``Root.resolve``)."""
        if text is None:
            return None
        if tilde and text.startswith("~"):
            name, _, rest = text[1:].partition("/")
            account = self.root.account(name) if name else \
                self.root.account(str(self.starter.uid))
            if account is None or not account.home.startswith("/"):
                return None
            text = account.home.rstrip("/") + "/" + rest
        if not text.startswith("/"):
            return self.cwd.rstrip("/") + "/" + text
        here = self.root.host_of(text)
        return here if here is not None else text

    def which(self, name, path):
        """(host path, stat) of the first PATH entry holding ``name`` as
        supervisord's ``get_execv_args`` finds it (the first entry that
        stats), or (None, None)."""
        for directory in path.split(":"):
            candidate = posixpath.join(directory or ".", name)
            if not candidate.startswith("/"):
                candidate = self.cwd.rstrip("/") + "/" + candidate
            st = self.root.stat(candidate)
            if st is not None:
                return posixpath.normpath(candidate), st
        return None, None


def _words(text):
    import shlex
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def distribution_version(root, places, name):
    """``(version, where)`` of distribution ``name`` installed in the first
    of ``places`` (site- or dist-packages directories, globs allowed) that
    has one: its dist-info or egg-info directory's name; None when none does."""
    import re
    pattern = re.compile(r"%s-(\d[^-]*?)(?:-py\d[\d.]*)?\.(?:dist|egg)-info$" % re.escape(name))
    for place in places:
        found = {}
        for path in root.glob(place + "/%s-*-info" % name):
            m = pattern.match(path.rpartition("/")[2])
            if m:
                found.setdefault(m.group(1), path)
        if len(found) == 1:
            return next(iter(found.items()))
        if found:
            return None       # a stale copy beside the installed one: which is imported is not told
    return None


def shebang_interpreter(root, program):
    """The interpreter a script's ``#!`` line names (the word after
    ``/usr/bin/env`` when it goes through env), or None."""
    head = root.head(program)
    if not head or not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    if not words:
        return None
    return words[1] if words[0].endswith("/env") and len(words) > 1 else words[0]


def packages_of(root, program):
    """The site- and dist-packages directories the Python that runs
    ``program`` (a host path: a console script, or a python itself) imports
    from: its virtualenv's, else its prefix's and the system's."""
    interpreter = program
    if not posixpath.basename(program).startswith(("python", "pypy")):
        interpreter = shebang_interpreter(root, program)
    return _packages_for(root, interpreter) if interpreter and interpreter.startswith("/") \
        else []


def _packages_for(root, interpreter):
    """packages_of the Python at host path ``interpreter`` (as written, not
    resolved: a virtualenv's python links out of it)."""
    prefix = interpreter.rpartition("/bin/")[0]
    if not prefix:
        return []
    st = root.stat(prefix + "/pyvenv.cfg")
    if st is not None and stat.S_ISREG(st.st_mode):
        return [prefix + "/lib/python3*/site-packages"]    # a virtualenv (system packages aside)
    if prefix == "/usr":
        # the distribution's Python, in its sys.path order: what pip installs
        # (/usr/local: Debian's dist-packages, RHEL's site-packages) before
        # what the package manager does
        return ["/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages",
                "/usr/local/lib64/python3*/site-packages", "/usr/lib/python3/dist-packages",
                "/usr/lib/python3*/dist-packages", "/usr/lib64/python3*/site-packages",
                "/usr/lib/python3*/site-packages"]
    return [prefix + "/lib/python3*/site-packages", prefix + "/lib/python3/dist-packages",
            prefix + "/lib/python3*/dist-packages"]


def installed_supervisor(root, service=None):
    """(supervisor version, Python version, supervisord's path) of the
    supervisord installed on ``root``: the program its unit starts (else
    /usr/bin/supervisord, /usr/local/bin/supervisord), the Python of its
    ``#!`` line (a link followed to python3.11), and the supervisor
    distribution next to that Python (a dist-info or egg-info directory, or
    supervisor/version.txt).  None for what cannot be told."""
    import re
    candidates = []
    unit = service.unit_setting("ExecStart") if service is not None else None
    if unit:
        words = _words(unit.lstrip("@-:+!"))
        if words and words[0].startswith("/"):
            candidates.append(words[0])
    candidates += ["/usr/bin/supervisord", "/usr/local/bin/supervisord"]
    for program in candidates:
        interpreter = shebang_interpreter(root, program)
        if interpreter is None:
            continue
        # the packages of the Python its #! names first: a virtualenv's own,
        # whose python links out of it to the system's
        places = _packages_for(root, interpreter) if interpreter.startswith("/") else []
        if not interpreter.startswith("/"):
            interpreter = "/usr/bin/" + interpreter
        resolved = root.resolve(interpreter) or interpreter
        m = re.search(r"python(\d+\.\d+)", resolved.rpartition("/")[2]) or \
            re.search(r"python(\d+\.\d+)", interpreter)
        python = m.group(1) if m else None
        prefix = resolved.rpartition("/bin/")[0] or "/usr"
        places += [
            prefix + "/lib/python3/dist-packages", prefix + "/lib/python3*/site-packages",
            prefix + "/lib/python3*/dist-packages", "/usr/lib/python3/dist-packages",
            "/usr/local/lib/python3*/site-packages", "/usr/lib/python3*/site-packages"]
        version = None
        for place in places:
            found = distribution_version(root, [place], "supervisor")
            if found is not None:
                version = found[0]
            else:
                for found in root.glob(place + "/supervisor/version.txt"):
                    text = (root.read(found, limit=64) or b"").decode("ascii", "replace").strip()
                    if re.match(r"^\d+(\.\d+)*$", text):
                        version = text
                        break
            if version is not None:
                break
        if python is None and version is None:
            continue
        return version, python, program
    return None
