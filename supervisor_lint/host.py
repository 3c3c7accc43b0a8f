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
"""

import os
import stat

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


class Root:
    def __init__(self, directory="/"):
        self.directory = os.path.realpath(directory)
        self._accounts = None
        self._groups = None
        self.incomplete = False       # etc/passwd or etc/group names an NSS escape (+, -)

    # -- paths ---------------------------------------------------------------------
    def resolve(self, path, follow=True):
        """The host path ``path`` with every symlink followed inside the root
        (the last one too when ``follow``), as an absolute host path; None
        for a loop.  Components that do not exist are kept as written
        (``..`` applied to them), so a missing file still has its place."""
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
            real = os.path.join(self.directory, *done, name)
            try:
                st = os.lstat(real)
            except OSError:
                done.append(name)
                for rest in reversed(todo):       # nothing further exists: lexically
                    if rest == "..":
                        if done:
                            done.pop()
                    else:
                        done.append(rest)
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
            done.append(name)
        return "/" + "/".join(done)

    def real(self, path, follow=True):
        """Where the host path ``path`` is on this machine, resolved; None for a loop."""
        resolved = self.resolve(path, follow)
        if resolved is None:
            return None
        return os.path.join(self.directory, resolved.lstrip("/")) if resolved != "/" \
            else self.directory

    def host_path(self, real):
        """The host's view of a path on this machine under the root."""
        if self.directory == "/":
            return real
        relative = os.path.relpath(real, self.directory)
        return "/" if relative == "." else "/" + relative

    def stat(self, path):
        """os.stat of the host path, resolved inside the root; None when it
        does not exist or is a loop."""
        real = self.real(path)
        if real is None:
            return None
        try:
            return os.lstat(real)      # resolved: the last component is no symlink
        except OSError:
            return None

    def read(self, path, limit=1 << 20):
        """Up to ``limit`` bytes of a regular file, or None.  Opened without
        following a link (resolution did that, inside the root) and without
        blocking on a FIFO."""
        real = self.real(path)
        if real is None:
            return None
        try:
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

    # -- accounts --------------------------------------------------------------------
    def accounts(self):
        """{name: Account} from the root's etc/passwd (the first of a name wins)."""
        if self._accounts is None:
            self._accounts = {}
            for fields in self._table("/etc/passwd", 7):
                try:
                    uid, gid = int(fields[2]), int(fields[3])
                except ValueError:
                    continue
                self._accounts.setdefault(fields[0], Account(fields[0], uid, gid, fields[5],
                                                             fields[6]))
        return self._accounts

    def groups(self):
        """{name: (gid, [member names])} from the root's etc/group."""
        if self._groups is None:
            self._groups = {}
            for fields in self._table("/etc/group", 4):
                try:
                    gid = int(fields[2])
                except ValueError:
                    continue
                members = [m for m in fields[3].split(",") if m]
                self._groups.setdefault(fields[0], (gid, members))
        return self._groups

    def account(self, user):
        """The Account ``user`` names (a name, or a uid as supervisord also
        accepts), or None."""
        accounts = self.accounts()
        try:
            uid = int(user)
        except ValueError:
            return accounts.get(user)
        return next((a for a in accounts.values() if a.uid == uid), None)

    def identity(self, user):
        """The Identity a process started with ``user=`` runs as, or None."""
        account = self.account(user)
        if account is None:
            return None
        gids = [account.gid]
        for gid, members in self.groups().values():
            if account.name in members:
                gids.append(gid)
        return Identity(account.name, account.uid, gids)

    def _table(self, path, width):
        data = self.read(path)
        if data is None:
            return
        for line in data.decode("utf-8", "replace").splitlines():
            if not line or line.startswith("#"):
                continue
            if line[0] in "+-":
                self.incomplete = True          # NIS compat: names this file does not hold
                continue
            fields = line.split(":")
            if len(fields) >= width:
                yield fields

    # -- access ------------------------------------------------------------------------
    def may(self, who, path, want):
        """Whether Identity ``who`` can reach ``path`` (search permission on
        every directory on the way, symlinks resolved inside the root) and
        then has ``want`` (READ|WRITE|EXECUTE bits) on it: True or False, by
        owner, group and mode alone.  None when ``path`` does not exist."""
        resolved = self.resolve(path)
        if resolved is None:
            return False                      # a loop: ELOOP for everyone
        st = self.stat(resolved)
        if st is None:
            return None
        parts = _components(resolved)
        for i in range(len(parts)):
            parent = "/" + "/".join(parts[:i])
            pst = self.stat(parent)
            if pst is None or not _allowed(who, pst, EXECUTE):
                return False
        return _allowed(who, st, want)


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
