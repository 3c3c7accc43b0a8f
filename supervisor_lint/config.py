"""Configuration: ``[tool.supervisor-lint]`` in ``pyproject.toml`` or a
``.supervisor-lint.yaml`` file, found by searching upward from each linted
file (the nearest wins; in one directory ``.supervisor-lint.yaml`` wins over
``pyproject.toml``), or named with ``--config``.  The command line beats the
file.  A bad key or value is a ConfigError naming the file and line."""

import fnmatch
import os
import re

KEYS = ("select", "ignore", "extend-select", "extend-ignore", "severity", "per-file-ignores",
        "exclude", "extend-exclude", "force-exclude", "fail-level", "main-config",
        "disable-suppressions", "target-version", "target-python", "preset",
        "template")
LIST_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude")
LEVELS = ("error", "warning", "info")
PRESETS = ("strict",)          # strict: every opt-in rule on too
TEMPLATES = ("jinja", "auto")   # jinja: every file a Jinja template; auto: by its name
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", ".venv", "venv", "node_modules", ".tox", "__pycache__",
                   ".mypy_cache", ".pytest_cache", "build", "dist")
YAML_NAMES = (".supervisor-lint.yaml", ".supervisor-lint.yml")


class ConfigError(Exception):
    pass


class _Values(dict):
    """A file's validated settings, with the warnings its validation gave."""
    notes = ()


class Settings:
    """Settings from one file (or none), paths resolved against its directory."""

    def __init__(self, path=None, values=None):
        self.path = path
        self.root = os.path.dirname(os.path.abspath(path)) if path else os.getcwd()
        self.values = values or {}
        # warnings for the run that uses it: renamed rule codes it names
        self.notes = list(getattr(values, "notes", ()))

    def get(self, key, default=None):
        return self.values.get(key, default)


def _did_you_mean(word, candidates):
    import difflib
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return "; did you mean %r?" % found[0] if found else ""


_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}\Z")


def _validate(path, values, line_of):
    from . import selector

    def fail(key, message):
        raise ConfigError("%s:%d: %s" % (path, line_of(key), message))

    def shown(word):
        # a word of the file, quoted only when it can be one: a file that is
        # no configuration (a link to a secret) is never echoed
        return repr(word) if _WORD.match(str(word)) else "(a word that is none, not shown)"

    notes = []

    def check_tokens(key, items):
        for item in items:
            if not isinstance(item, str):
                fail(key, "%s: %s is not a rule code, name, prefix or category"
                     % (key, shown(item)))
        notes.extend("%s:%d: %s: %s" % (path, line_of(key), key, note)
                     for note in selector.redirected(items))
        items[:] = [selector.normalize(item) for item in items]
        for item in items:
            if not selector.known(item):
                fail(key, "%s: unknown rule %s%s" % (key, shown(item),
                                                     selector.suggestion(item)))

    for key, value in values.items():
        if key not in KEYS:
            fail(key, "unknown key %s%s" % (shown(key), _did_you_mean(key, KEYS)))
        if key in LIST_KEYS:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
                values[key] = value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                fail(key, "%s: expected a list of strings" % key)
            if key in ("select", "ignore", "extend-select", "extend-ignore"):
                check_tokens(key, value)
        elif key == "severity":
            if not isinstance(value, dict):
                fail(key, "severity: expected a table of rule = level")
            check_tokens(key, [str(k) for k in value])
            value = {selector.normalize(str(k)): v for k, v in value.items()}
            values[key] = value
            for rule, level in value.items():
                if level not in LEVELS:
                    fail(key, "severity: %s = %r is no level (error, warning, info)" % (rule, level))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                fail(key, "per-file-ignores: expected a table of glob = [codes]")
            for glob, codes in list(value.items()):
                if isinstance(codes, str):
                    codes = [c.strip() for c in codes.split(",") if c.strip()]
                    value[glob] = codes
                if not isinstance(codes, list):
                    fail(key, "per-file-ignores: %r: expected a list of codes" % glob)
                check_tokens(key, codes)
        elif key == "fail-level":
            if value not in LEVELS:
                fail(key, "fail-level: %r is no level (error, warning, info)" % (value,))
        elif key in ("force-exclude", "disable-suppressions"):
            if not isinstance(value, bool):
                fail(key, "%s: expected true or false" % key)
        elif key == "main-config":
            if not isinstance(value, str):
                fail(key, "main-config: expected a path")
        elif key == "preset":
            if value not in PRESETS:
                fail(key, "preset: %s is no preset (%s)" % (shown(value), ", ".join(PRESETS)))
        elif key == "template":
            if value not in TEMPLATES:
                fail(key, "template: %s is no template language (%s)"
                     % (shown(value), ", ".join(TEMPLATES)))
        elif key in ("target-version", "target-python"):
            from .target import TargetError, parse_version
            if isinstance(value, float):
                fail(key, "%s: write the version as a string (\"3.10\", not 3.10, which "
                     "reads as the number 3.1)" % key)
            if isinstance(value, int) and not isinstance(value, bool):
                value = values[key] = str(value)
            try:
                parse_version(value, key)
            except TargetError as exc:
                fail(key, str(exc))
    values = _Values(values)
    values.notes = notes
    return values


MAX_CONFIG_BYTES = 1 << 20     # a configuration file is a few lines; refuse what is not


def _read_config_text(path):
    from .sources import pseudo_fs
    top = pseudo_fs(os.path.realpath(path))
    if top is not None:
        raise ConfigError("%s: lies under %s, which is never read" % (path, top))
    if not os.path.isfile(path):
        raise ConfigError("%s: not a regular file" % path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError("%s: cannot read: %s" % (path, exc.strerror or exc))
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError("%s: larger than %d bytes, which no configuration needs; not read"
                          % (path, MAX_CONFIG_BYTES))
    return raw


def load_yaml(path):
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError
        from ruamel.yaml.events import AliasEvent
    except ImportError:
        raise ConfigError("%s: reading it needs ruamel.yaml (pip install ruamel.yaml)" % path)
    raw = _read_config_text(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("%s: cannot read: not UTF-8 (byte %d)" % (path, exc.start))
    try:
        # aliases first, before anything is built: no alias bomb gets expanded
        for event in YAML(typ="rt").parse(text):
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark is not None else 1
                raise ConfigError("%s:%d: YAML aliases (*name) are not allowed in a "
                                  "configuration file; write the value out" % (path, line))
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError("%s:%d: not valid YAML: %s" % (path, line,
                                                         getattr(exc, "problem", None) or exc))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("%s:1: expected a mapping of settings" % path)

    def line_of(key):
        try:
            return data.lc.key(key)[0] + 1
        except Exception:
            return 1
    values = _plain(data)
    return _validate(path, values, line_of)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _toml():
    try:
        import tomllib
        return tomllib
    except ImportError:
        try:
            import tomli
            return tomli
        except ImportError:
            return None


def load_pyproject(path, required=False):
    """The [tool.supervisor-lint] table, or None when there is none."""
    raw = _read_config_text(path)
    if b"tool.supervisor-lint" not in raw and b'tool."supervisor-lint"' not in raw and \
            not required:
        return None      # (the project's own pyproject.toml names it only as a package)
    toml = _toml()
    if toml is None:
        raise ConfigError("%s: reading it needs tomli on Python < 3.11" % path)
    try:
        data = toml.loads(raw.decode("utf-8"))
    except Exception as exc:
        import re
        m = re.search(r"at line (\d+)", str(exc))
        raise ConfigError("%s:%s: not valid TOML: %s" % (path, m.group(1) if m else 1, exc))
    tool = data.get("tool", {})
    table = tool.get("supervisor-lint") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError("%s: no [tool.supervisor-lint] table" % path)
        return None
    text = raw.decode("utf-8", "replace").splitlines()
    if not isinstance(table, dict):
        line = next((i + 1 for i, l in enumerate(text) if "supervisor-lint" in l), 1)
        raise ConfigError("%s:%d: [tool.supervisor-lint] must be a table of settings"
                          % (path, line))

    def line_of(key):
        start = next((i for i, l in enumerate(text)
                      if l.strip().startswith("[tool.supervisor-lint")), 0)
        for i in range(start, len(text)):
            stripped = text[i].strip()
            if stripped.startswith((key + " ", key + "=", '"%s"' % key)):
                return i + 1
        return start + 1
    return _validate(path, dict(table), line_of)


def load(path):
    if not os.path.exists(path):
        raise ConfigError("%s: no such configuration file" % path)
    if os.path.basename(path) == "pyproject.toml" or path.endswith(".toml"):
        return Settings(path, load_pyproject(path, required=True))
    return Settings(path, load_yaml(path))


_FOUND = {}


def nearest(directory):
    """The nearest configuration at or above ``directory`` (cached)."""
    directory = os.path.abspath(directory)
    if directory in _FOUND:
        return _FOUND[directory]
    result = None
    for name in YAML_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            result = Settings(candidate, load_yaml(candidate))
            break
    if result is None:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            values = load_pyproject(candidate)
            if values is not None:
                result = Settings(candidate, values)
    if result is None:
        parent = os.path.dirname(directory)
        result = nearest(parent) if parent != directory else Settings()
    _FOUND[directory] = result
    return result


def clear_cache():
    _FOUND.clear()


def matches(settings, path, patterns):
    """True when ``path`` (or one of its parent directories) matches a glob,
    taken relative to the settings' directory."""
    if not patterns:
        return False
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, settings.root)
    candidates = [rel, os.path.basename(absolute)]
    parts = rel.split(os.sep)
    for i in range(1, len(parts)):
        candidates.append(os.sep.join(parts[:i]))
        candidates.append(parts[i - 1])
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        for c in candidates:
            if fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(absolute, pattern):
                return True
    return False
