"""Reading files: every file a run reads, read once, through one ``Sources``
object that the run passes along; and what is never read at all.

A run (``runner``) makes one ``Sources``.  ``read(path)`` returns a file's
bytes as first read in the run (its snapshot: every later read, and the
fixer, see those bytes, and ``--fix`` replaces a file only while it still
holds them), or what the fixer has in memory for it (``overlay``, keyed by
real path; ``-`` is standard input).  Nothing under ``/proc``, ``/sys`` or
``/dev`` is read, nor a FIFO, socket or device, whatever names it."""

import os
import stat


class ToolError(Exception):
    """The tool cannot do its job (exit status 2)."""


class Interrupted(BaseException):
    """SIGTERM while --fix replaced a file (its temporary file is removed first)."""


# Kernel and device trees: never read, whatever a config or a setting names.
PSEUDO_FS = ("/proc", "/sys", "/dev")


def pseudo_fs(real):
    """The kernel or device tree a real path lies in, or None."""
    for top in PSEUDO_FS:
        if real == top or real.startswith(top + "/"):
            return top
    return None


def special(path, realpath=os.path.realpath):
    """What keeps ``path`` from being read as a config file: 'directory',
    'fifo', 'socket', 'device', 'other', a kernel tree ('/proc', '/sys',
    '/dev'), 'missing', or None for a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if not stat.S_ISREG(mode):
        return "other"
    return pseudo_fs(realpath(path))


class Sources:
    """The bytes of every file one run reads."""

    def __init__(self):
        self.snapshot = {}            # real path -> bytes as first read
        self.overlay = {}             # real path (or '-') -> bytes the fixer has in memory
        self.confine = None           # with --root: no file outside this directory is read
        # the real path --stdin-filename names: every read of it (a main
        # config's include) gets standard input's bytes, as an editor has them
        self.stdin_as = None
        self._real = {}

    def realpath(self, path):
        """``os.path.realpath``, resolved once per path in a run."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = os.path.realpath(path)
        return found

    def read(self, path):
        if "\0" in path:
            raise ToolError("%s: a path cannot hold a NUL byte" % path)
        real = self.realpath(path)
        if self.confine is not None and self.confine != "/" and real != self.confine and \
                not real.startswith(self.confine + "/"):
            raise ToolError("%s: lies outside --root %s, which is never read" % (path, self.confine))
        if real == self.stdin_as and "-" in self.snapshot:
            return self.overlay.get("-", self.snapshot["-"])
        if self.overlay:
            found = self.overlay.get(real)
            if found is not None:
                return found
        found = self.snapshot.get(real)
        if found is not None:
            return found
        top = pseudo_fs(real)
        if top is not None:
            raise ToolError("%s: lies under %s, which is never read" % (path, top))
        try:
            st = os.stat(path)
        except OSError as exc:
            raise ToolError("%s: cannot read: %s" % (path, exc.strerror or exc))
        if stat.S_ISDIR(st.st_mode):
            raise ToolError("%s: is a directory" % path)
        if not stat.S_ISREG(st.st_mode):
            # a FIFO or device could block forever; stdin is read with '-'
            raise ToolError("%s: not a regular file (use - to read standard input)" % path)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ToolError("%s: cannot read: %s" % (path, exc.strerror or exc))
        self.snapshot[real] = data
        return data
