"""supervisor's ``%(name)s`` expansion (``options.expand``), without raising.

Python's own ``%`` operator does the work, so every error message is the one
supervisord prints.  ``ENV_*`` names that the configuration does not define
itself depend on supervisord's environment: they are assumed to be set and
reported separately.
"""

import re

_NONWORD = re.compile(r"[^A-Za-z0-9_]")

# A %-conversion spec, as Python's printf-style formatting reads it.
SPEC = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>.?)",
                  re.DOTALL)


class _Names(dict):
    """The expansion mapping; unknown ``ENV_*`` names resolve to a placeholder."""

    def __init__(self, names, allow_env):
        dict.__init__(self, names)
        self.allow_env = allow_env
        self.assumed = []

    def __missing__(self, key):
        if self.allow_env and key.startswith("ENV_"):
            self.assumed.append(key)
            # a stand-in made of word characters only, so that the grammars
            # that read it later (environment=, names) accept it as one word
            return "ENV_" + _NONWORD.sub("_", key[4:])
        raise KeyError(key)


class Expansion:
    __slots__ = ("value", "error", "missing", "assumed_env", "positional")

    def __init__(self, value, error=None, missing=None, assumed_env=(), positional=False):
        self.value = value            # the expanded text, or None on error
        self.error = error            # supervisord's message on error
        self.missing = missing        # the unknown name, for 'cannot be expanded'
        self.assumed_env = list(assumed_env)
        self.positional = positional  # a bare %s/%r formatted the whole mapping


def positional_specs(s):
    """Spans of specs with no ``(name)``, like ``%s``: Python formats the
    whole mapping into them."""
    found = []
    for m in SPEC.finditer(s):
        if m.group("name") is None and m.group("conv") not in ("%", ""):
            found.append((m.start(), m.end()))
    return found


def expand(s, names, label, allow_env=True):
    if "%" not in s:
        return Expansion(s)
    mapping = _Names(names, allow_env)
    try:
        value = s % mapping
    except KeyError as ex:
        available = ", ".join(sorted(names))
        return Expansion(None, "Format string %r for %r contains names (%s) which cannot be "
                         "expanded. Available names: %s" % (s, label, str(ex), available),
                         missing=ex.args[0] if ex.args else "")
    except Exception as ex:
        return Expansion(None, "Format string %r for %r is badly formatted: %s"
                         % (s, label, _as_target_says(str(ex))))
    return Expansion(value, assumed_env=mapping.assumed,
                     positional=bool(positional_specs(s)) and "%" in s)


_NUMBER = re.compile(r"\ba (?:real )?number is required\b")


def _as_target_says(message):
    """The %-error as supervisord's Python words it: its mapping is a dict
    (not this module's _Names), and 'a real number is required' is 3.10's."""
    from .target import active
    message = message.replace("not _Names", "not dict")
    return _NUMBER.sub(active().number_required, message)
