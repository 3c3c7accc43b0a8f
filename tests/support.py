"""Test helpers: supervisor 4.3.0's own loader as the oracle, and lint wrappers."""

import contextlib
import io
import os
import re

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared")
SHARED = os.path.normpath(os.environ.get("SUPERVISOR_LINT_SHARED", SHARED))
CORPUS = os.path.join(SHARED, "corpus", "real")

_ENTRY_POINT = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@contextlib.contextmanager
def _machine_independent(custom_events=False):
    """Patch supervisor so that user names, directories and plugin imports
    count as valid: the linter assumes the same (the host audit checks them)."""
    import platform
    from supervisor import datatypes, options

    def dirpath(v):
        # any directory a config names is assumed to exist, except the text of
        # a formatted expansion dictionary (a bare %s in the path), which no
        # directory can be named like
        if "{'" in v and "': " in v:
            raise ValueError("The directory named as part of the path %s does not exist" % v)
        return os.path.expanduser(v)

    def uid(name):
        try:
            return int(name)
        except ValueError:
            if not name or any(c.isspace() or c == ":" for c in name):
                raise ValueError("Invalid user name %s" % name)
            return 0

    def import_spec(self, spec):
        if not _ENTRY_POINT.match(spec):
            raise ImportError(spec)
        return lambda *a, **k: None

    saved = []

    def patch(obj, name, value):
        saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    for module in (datatypes, options):
        for name, value in (("existing_dirpath", dirpath), ("existing_directory", dirpath),
                            ("name_to_uid", uid), ("name_to_gid", uid)):
            if hasattr(module, name):
                patch(module, name, value)
    patch(options.ServerOptions, "import_spec", import_spec)
    patch(options.Options, "import_spec", import_spec)
    patch(platform, "node", lambda: "localhost")
    if custom_events:
        # a custom [rpcinterface:x] may register event types when imported;
        # assume it registers any non-empty name an eventlistener asks for
        from supervisor import events

        class _Any(type):
            def __getattr__(cls, name):
                if name and not name.startswith("_"):
                    return object
                raise AttributeError(name)

        patch(events, "EventTypes", _Any("EventTypes", (events.EventTypes,), {}))
    try:
        yield
    finally:
        for obj, name, value in reversed(saved):
            setattr(obj, name, value)


def env_names(text):
    return set(re.findall(r"%\(ENV_([^)]*)\)", text))


def supervisor_verdict(main_path, env=None):
    """(ok, message) from supervisor 4.3.0's loader, as ``supervisord -c``
    would load ``main_path`` (machine-dependent checks assumed to pass)."""
    return supervisor_load(main_path, env)[:2]


def lint_json(argv, command="check"):
    """Run the CLI in-process; returns (exit status, diagnostics, stderr)."""
    import json
    from supervisor_lint.cli import main
    out, err = io.StringIO(), io.StringIO()
    status = main([command, "--format", "json"] + list(argv), stdout=out, stderr=err)
    diags = json.loads(out.getvalue())["diagnostics"] if out.getvalue().strip() else []
    return status, diags, err.getvalue()


def lint_text(text, tmp_path, name="test.conf", args=()):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    status, diags, err = lint_json(list(args) + [str(path)])
    assert err == "", err
    return diags


def codes(diags):
    return sorted({d["code"] for d in diags})


def fatal(diags):
    return any(d["fatal"] for d in diags)


PROCESS_ATTRS = ("command", "directory", "umask", "priority", "autostart", "autorestart",
                 "startsecs", "startretries", "uid", "stdout_logfile", "stdout_logfile_maxbytes",
                 "stdout_logfile_backups", "stderr_logfile", "stderr_logfile_maxbytes",
                 "stderr_logfile_backups", "stopsignal", "stopwaitsecs", "stopasgroup",
                 "killasgroup", "exitcodes", "redirect_stderr", "environment", "serverurl",
                 "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_syslog",
                 "stderr_syslog")


def supervisor_load(main_path, env=None):
    """(ok, message, {process name: {attribute: value}}) from supervisor 4.3.0's
    loader, with the same machine-independence as supervisor_verdict."""
    from supervisor import options, datatypes
    if env is None:
        env = {}
        for root, _, files in os.walk(os.path.dirname(os.path.abspath(main_path))):
            for name in files:
                try:
                    with open(os.path.join(root, name), "rb") as fh:
                        env.update({n: "1" for n in env_names(fh.read().decode("utf-8", "replace"))})
                except OSError:
                    pass
    # a custom factory counts only if it is the value that section ends with:
    # supervisord uses the last of a key set twice
    factories, section = {}, None
    with open(main_path, "rb") as fh:
        for line in fh.read().splitlines():
            if line.startswith(b"["):
                section = line.strip()
            elif line.strip().startswith(b"supervisor.rpcinterface_factory"):
                factories[section] = line
    custom = any(b"supervisor.rpcinterface:make_main_rpcinterface" not in line
                 for line in factories.values())
    with _machine_independent(custom):
        opts = options.ServerOptions()
        opts.environ_expansions = {"ENV_%s" % k: v for k, v in env.items()}
        opts.configfile = main_path
        try:
            opts.process_config_file(do_usage=False)
        except ValueError as exc:
            return False, str(exc), {}
        except Exception as exc:
            return False, "%s: %s" % (type(exc).__name__, exc), {}
    procs = {}
    for group in opts.process_group_configs:
        for pconfig in group.process_configs:
            attrs = {}
            for a in PROCESS_ATTRS:
                v = getattr(pconfig, a, None)
                if v is datatypes.Automatic:
                    v = "AUTO"
                elif isinstance(v, type):
                    v = v.__name__
                attrs[a] = v
            procs["%s:%s" % (group.name, pconfig.name)] = attrs
    return True, None, procs


def run(argv, cwd=None, stdin=None):
    """The CLI in-process: (exit status, stdout, stderr), from ``cwd`` if given."""
    from supervisor_lint.cli import main
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        status = main(argv, stdout=out, stderr=err, stdin=stdin)
    finally:
        os.chdir(old)
    return status, out.getvalue(), err.getvalue()


def fix_run(paths, applicable=("safe", "unsafe"), options=None):
    """fix.run on ``paths`` in memory (nothing written): (Outcome, Registry)."""
    from supervisor_lint import fix, runner
    from supervisor_lint.redact import Registry
    from supervisor_lint.sources import Sources
    sources, registry = Sources(), Registry()
    options = options or runner.Options()
    outcome = fix.run(lambda: runner.lint(list(paths), options, sources, registry),
                      os.path.realpath, applicable, sources=sources, registry=registry)
    return outcome, registry
