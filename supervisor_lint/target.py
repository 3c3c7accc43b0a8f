"""The supervisord a configuration is judged for: its version
(``target-version``, default 4.3) and the Python that runs it
(``target-python``, default 3.12).  Any version string maps onto the
thresholds where supervisord's reading changes (measured with each
version's own loader: ``../shared/reference/findings/version-fidelity.md``):

supervisor  4.0 (the oldest modelled), 4.2.0 (``silent``, ``%(numprocs)d``),
            4.2.2 (``%(ENV_X)s`` from ``environment=``; ``*_logfile=syslog``
            deprecated), 4.2.3 (IPv6 ``host:port``), 4.3 (plugin specs by
            ``importlib.metadata``)
Python      3.6 (decodes in the locale: a C locale reads ASCII only), 3.9 (a
            section name ends at the first ``]``), 3.10, 3.11 (SIGSTKFLT,
            ``"(4300 digits)"``), 3.13 (the earliest blank-preceded ``;``/``#``
            starts an inline comment)

The run's target is set once (``using``) by the runner; the reader and the
converters read it with ``active()``, so that nothing of the linter's own
interpreter decides a verdict."""

import contextlib
import contextvars
import re


class TargetError(ValueError):
    pass


def parse_version(text, what):
    """(major, minor, patch) from '4.2', '4.2.5', 'v4.2.5-1ubuntu1', '3.11.2+'."""
    m = re.match(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(text))
    if m is None:
        raise TargetError("%s %r is no version (write it as 4.2.5 or 3.11)" % (what, text))
    return tuple(int(g or 0) for g in m.groups())


class Target:
    """What the checks ask: one property per reading that changes."""

    def __init__(self, supervisor="4.3", python="3.12"):
        self.supervisor = parse_version(supervisor, "target-version")
        self.python = parse_version(python, "target-python")
        self.supervisor_text = "%d.%d.%d" % self.supervisor
        self.python_text = "%d.%d" % self.python[:2]
        self.given = (str(supervisor), str(python))     # as written, for the audit's header
        self.converted = {}           # loader: (type, text) -> converted value, for this target

    def __eq__(self, other):
        return isinstance(other, Target) and \
            (self.supervisor, self.python[:2]) == (other.supervisor, other.python[:2])

    def __hash__(self):
        return hash((self.supervisor, self.python[:2]))

    def __repr__(self):
        return "<Target supervisor %s, Python %s>" % (self.supervisor_text, self.python_text)

    @property
    def modelled(self):
        """False for supervisor 3.x and Python 2 (another reader altogether)."""
        return self.supervisor >= (4, 0, 0) and self.python >= (3, 0, 0)

    # -- supervisor ---------------------------------------------------------------
    @property
    def env_from_environment(self):
        """``%(ENV_X)s`` takes X from ``environment=`` (4.2.2+)."""
        return self.supervisor >= (4, 2, 2)

    @property
    def numprocs_expansion(self):
        """``%(numprocs)d`` expands (4.2.0+)."""
        return self.supervisor >= (4, 2, 0)

    @property
    def silent_key(self):
        """``[supervisord] silent`` is read (4.2.0+)."""
        return self.supervisor >= (4, 2, 0)

    @property
    def inet_splits_last_colon(self):
        """``host:port`` splits at the last ':' (4.2.3+: IPv6 hosts load)."""
        return self.supervisor >= (4, 2, 3)

    @property
    def logfile_syslog(self):
        """``*_logfile=syslog`` is rewritten to ``*_syslog=true`` with a
        deprecation warning, and ``[supervisord] logfile=syslog`` logs to
        syslog (4.2.2+)."""
        return self.supervisor >= (4, 2, 2)

    @property
    def importlib_specs(self):
        """Plugin specs resolved by importlib.metadata (4.3 on Python 3.8+),
        not pkg_resources (which also takes 'name=module:attr')."""
        return self.supervisor >= (4, 3, 0) and self.python >= (3, 8, 0)

    # -- Python -------------------------------------------------------------------
    @property
    def ascii_only(self):
        """Python 3.6 in the C locale a service usually has: ASCII only (3.7+
        coerce the C locale to UTF-8)."""
        return self.python < (3, 7, 0)

    @property
    def header_first_bracket(self):
        """A section name ends at the first ']' (Python 3.9 and older)."""
        return self.python < (3, 10, 0)

    @property
    def earliest_comment(self):
        """The earliest blank-preceded ';' or '#' starts an inline comment
        (Python 3.13+); before, the first prefix in the loop that finds one."""
        return self.python >= (3, 13, 0)

    @property
    def stkflt(self):
        return self.python >= (3, 11, 0)

    @property
    def digit_limit(self):
        """int() refuses more than 4300 digits: 3.11, and the 2022 security
        releases of 3.7-3.10 (assumed current); 3.6 never got it."""
        return self.python >= (3, 7, 0)

    @property
    def digits_text(self):
        """How int()'s digit limit names itself: '(4300 digits)' from 3.11."""
        return "4300 digits" if self.python >= (3, 11, 0) else "4300"

    @property
    def number_required(self):
        """%d of a non-number: 'a real number is required' from 3.10."""
        return "a real number is required" if self.python >= (3, 10, 0) else \
            "a number is required"

    @property
    def class_dunders(self):
        """Names getattr() finds on a plain class (supervisor's
        LevelsByDescription) that are not None: 'loglevel=__name__' loads."""
        names = set(_DUNDERS)
        if self.python >= (3, 10, 0):
            names |= {"__annotations__", "__or__", "__ror__"}
        if self.python >= (3, 11, 0):
            names.add("__getstate__")
        if self.python >= (3, 12, 0):
            names.add("__type_params__")
        if self.python >= (3, 13, 0):
            names |= {"__firstlineno__", "__static_attributes__"}
        return names

    @property
    def signals(self):
        """Linux signal names -> numbers as the target's signal module has them."""
        table = dict(_SIGNALS)
        if self.stkflt:
            table["SIGSTKFLT"] = 16
        return table


# the SIG* names of Python 3.6-3.10's signal module on Linux (3.11 adds SIGSTKFLT)
_SIGNALS = {
    "SIGABRT": 6, "SIGALRM": 14, "SIGBUS": 7, "SIGCHLD": 17, "SIGCLD": 17, "SIGCONT": 18,
    "SIGFPE": 8, "SIGHUP": 1, "SIGILL": 4, "SIGINT": 2, "SIGIO": 29, "SIGIOT": 6, "SIGKILL": 9,
    "SIGPIPE": 13, "SIGPOLL": 29, "SIGPROF": 27, "SIGPWR": 30, "SIGQUIT": 3, "SIGRTMAX": 64,
    "SIGRTMIN": 34, "SIGSEGV": 11, "SIGSTOP": 19, "SIGSYS": 31, "SIGTERM": 15, "SIGTRAP": 5,
    "SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGUSR1": 10, "SIGUSR2": 12,
    "SIGVTALRM": 26, "SIGWINCH": 28, "SIGXCPU": 24, "SIGXFSZ": 25, "SIG_BLOCK": 0,
    "SIG_DFL": 0, "SIG_IGN": 1, "SIG_SETMASK": 2, "SIG_UNBLOCK": 1,
}
# lower-case names a plain class answers with something (Python 3.6-3.9)
_DUNDERS = (
    "__base__", "__bases__", "__basicsize__", "__call__", "__class__", "__delattr__",
    "__dict__", "__dictoffset__", "__dir__", "__eq__", "__flags__", "__format__", "__ge__",
    "__getattribute__", "__gt__", "__hash__", "__init__", "__init_subclass__",
    "__instancecheck__", "__itemsize__", "__le__", "__lt__", "__module__", "__mro__",
    "__name__", "__ne__", "__new__", "__prepare__", "__qualname__", "__reduce__",
    "__reduce_ex__", "__repr__", "__setattr__", "__sizeof__", "__str__", "__subclasscheck__",
    "__subclasses__", "__subclasshook__", "__weakref__", "__weakrefoffset__", "mro")

DEFAULT = Target()
# the run's target: a context variable, so that runs in other threads (the
# library API) keep their own
_ACTIVE = contextvars.ContextVar("supervisor_lint_target", default=DEFAULT)


def active():
    return _ACTIVE.get()


@contextlib.contextmanager
def using(target):
    token = _ACTIVE.set(target)
    try:
        yield target
    finally:
        _ACTIVE.reset(token)
