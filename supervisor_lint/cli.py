"""The command line: ``supervisor-lint check|rule|rules``."""

import argparse
import os
import sys

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _formatter(prog):
    # argparse asks shutil for the terminal width on every add_argument; that
    # import (shutil, bz2, lzma) costs a hook run more than the lint itself
    try:
        width = int(os.environ.get("COLUMNS", "")) - 2
    except ValueError:
        width = 78
    return argparse.HelpFormatter(prog, width=max(width, 40))


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _formatter)
        argparse.ArgumentParser.__init__(self, *args, **kwargs)

    def error(self, message):
        # one line on stderr and status 2, like every other tool failure
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _build_parser(argv=None):
    """The parser; for a run of ``check`` or ``audit`` (the first word of
    ``argv``) the other one gets no options of its own: argparse's
    add_argument is the bulk of a one-file run's start-up."""
    words = [a for a in (argv or []) if not a.startswith("-")]
    command = words[0] if words else None
    parser = _Parser(prog="supervisor-lint",
                     description="Lint, validate and explain Supervisor (supervisord) "
                                 "configuration files.")
    parser.add_argument("--version", action="version", version="supervisor-lint " + __version__)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="lint files and directories")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files, directories (searched for *.conf and *.ini holding "
                            "supervisor sections) or - for stdin; the current directory "
                            "when none is given")
    audit = sub.add_parser("audit", help="lint a host's config (or an image's, with --root) "
                                         "and judge it on that host: users, directories, "
                                         "executables, interpreters, Celery's files")
    audit.add_argument("audit_config", nargs="?", metavar="CONFIG",
                       help="the main config as the host sees it (default: where supervisord "
                            "looks: /etc/supervisord.conf, then "
                            "/etc/supervisor/supervisord.conf)")
    audit.add_argument("--live", action="store_true",
                       help="also ask the running supervisord (read-only) what it runs: "
                            "pending changes, a reread that would fail, unhealthy programs, "
                            "orphaned processes")
    audit.add_argument("--serverurl", metavar="URL",
                       help="with --live: the supervisord to ask (unix:///path or http://host:"
                            "port; credentials from SUPERVISOR_USERNAME and "
                            "SUPERVISOR_PASSWORD), instead of the one the config names")
    for p, name in ((check, "check"), (audit, "audit")):
        if command in (name, None) or command not in ("check", "audit"):
            _lint_options(p, audit=p is audit)
    rule_p = sub.add_parser("rule", help="print a rule's documentation")
    rule_p.add_argument("code", metavar="CODE")
    rules_p = sub.add_parser("rules", help="list every rule")
    rules_p.add_argument("--format", choices=("text", "json"), default="text",
                         help="json: every declared field of each rule, and its documentation URL")
    rules_p.add_argument("--select", metavar="CODES", action="append", default=[],
                         help="codes, names, prefixes or categories (--select celery)")
    return parser


def _lint_options(p, audit):
    """The options ``check`` and ``audit`` share (a few are ``check``'s only)."""
    p.add_argument("--format", choices=("text", "full", "json", "sarif", "github", "gitlab",
                                        "junit"), default=None,
                   help="report format (default text; github annotations are added "
                        "when GITHUB_ACTIONS=true)")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write the report to FILE instead of standard output")
    p.add_argument("--statistics", action="store_true",
                   help="print how many findings each rule has")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print the findings only (no summary)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the text report (auto: only on a terminal; NO_COLOR and "
                        "FORCE_COLOR are respected)")
    p.add_argument("--select", metavar="CODES", action="append", default=[],
                   help="comma-separated codes, names or prefixes to enable (only these)")
    p.add_argument("--ignore", metavar="CODES", action="append", default=[],
                   help="comma-separated codes, names or prefixes to disable")
    p.add_argument("--disable-suppressions", action="store_true", default=None,
                   help="ignore every supervisor-lint: disable comment (for audits)")
    p.add_argument("--extend-select", metavar="CODES", action="append", default=[],
                   help="codes, names or prefixes to enable on top of the selection")
    p.add_argument("--extend-ignore", metavar="CODES", action="append", default=[],
                   help="codes, names or prefixes to disable on top of the selection")
    p.add_argument("--severity", metavar="CODE=LEVEL", action="append", default=[],
                   help="re-grade a rule: error, warning or info (repeatable)")
    p.add_argument("--per-file-ignores", metavar="GLOB:CODES", action="append", default=[],
                   help="ignore codes in files matching a glob (repeatable)")
    p.add_argument("--fail-level", choices=("error", "warning", "info"), default=None,
                   help="the lowest severity that makes the exit status 1 (default warning)")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when there are findings")
    p.add_argument("--config", metavar="FILE",
                   help="use this pyproject.toml or .supervisor-lint.yaml, not the nearest one")
    p.add_argument("--isolated", action="store_true",
                   help="ignore every configuration file")
    p.add_argument("--fix", action="store_true",
                   help="apply safe fixes (with - the fixed text goes to stdout)")
    p.add_argument("--unsafe-fixes", action="store_true",
                   help="with --fix or --diff, also apply unsafe fixes")
    p.add_argument("--diff", action="store_true",
                   help="print what --fix would change as a unified diff; write nothing")
    p.add_argument("--fix-outside", action="store_true",
                   help="with --fix or --diff, also fix files that no given path holds "
                        "(reached through an include or a symlink)")
    p.add_argument("--exit-non-zero-on-fix", action="store_true",
                   help="with --fix, exit 1 when a file was changed, even if nothing remains")
    p.add_argument("--root", metavar="DIR",
                   help="treat DIR as the host's /: absolute [include] patterns, and the "
                        "links of what they match, resolve inside it (a copy of a server's "
                        "or an image's tree)" if not audit else
                        "treat DIR as the host's / (a copy of a server's or an image's "
                        "tree): CONFIG, includes, users, paths and links resolve inside it")
    p.add_argument("--preset", choices=("strict",), default=None,
                   help="strict: every opt-in rule on too (SV205 missing-umask)")
    p.add_argument("--template", choices=("jinja", "auto"), default=None,
                   help="jinja: read every file as a Jinja template ({{ }} values, {%% %%} "
                        "lines), whatever its name; auto (default): files ending in .j2, "
                        ".jinja, .jinja2")
    p.add_argument("--target-version", metavar="VERSION",
                   help="the supervisord version that reads the config (default 4.3; "
                        "4.2.5 for Debian 12, 4.2.1 for Ubuntu 22.04, ...)")
    p.add_argument("--target-python", metavar="VERSION",
                   help="the Python that runs that supervisord (default 3.12)")
    p.add_argument("--show-files", action="store_true",
                   help="list every file the run reads and how (main config, included by "
                        "which pattern, fragment set, skipped and why), then exit")
    if not audit:
        p.add_argument("--main-config", metavar="FILE",
                       help="lint the given fragments in the context of this main config")
        p.add_argument("--stdin-filename", metavar="NAME",
                       help="the name to report for input read from stdin")
        p.add_argument("--exclude", metavar="GLOBS", action="append", default=[],
                       help="paths to skip when searching directories (replaces the default)")
        p.add_argument("--extend-exclude", metavar="GLOBS", action="append", default=[],
                       help="paths to skip on top of the exclude list")
        p.add_argument("--force-exclude", action="store_true", default=None,
                       help="apply exclude to files named on the command line too")
        p.add_argument("--supervisor-files-only", action="store_true",
                       help="skip files named on the command line that hold no supervisor "
                            "section (for hooks that pass every *.conf)")
    else:
        p.set_defaults(main_config=None, stdin_filename=None, exclude=[], extend_exclude=[],
                       force_exclude=None, supervisor_files_only=False)


def _split(values):
    out = []
    for value in values:
        out.extend(t.strip() for t in value.split(",") if t.strip())
    return out


def main(argv=None, stdout=None, stderr=None, stdin=None):
    out = _Stream(stdout if stdout is not None else sys.stdout, "standard output")
    err = _Stream(stderr if stderr is not None else sys.stderr, "standard error")
    try:
        args = _build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
        if args.command == "check":
            return _check(args, out, stdin, err)
        if args.command == "audit":
            return _audit(args, out, stdin, err)
        if args.command == "rule":
            return _rule(args.code, out, err)
        if args.command == "rules":
            return _rules(out, args.format, args.select, err)
        out.write(_build_parser().format_help())
        return EXIT_ERROR
    except (_UsageError, _ToolError, ImportError) as exc:
        err.line("supervisor-lint: error: %s" % exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.line("supervisor-lint: interrupted")
        return EXIT_ERROR
    except _Interrupted:
        err.line("supervisor-lint: terminated")
        return EXIT_ERROR
    except BrokenPipeError:
        out.discard()
        return EXIT_ERROR
    except RecursionError:
        err.line("supervisor-lint: error: input nested too deeply")
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, never a traceback
        err.line("supervisor-lint: internal error: %s: %s (please report it)"
                 % (type(exc).__name__, exc))
        return EXIT_ERROR


class _Stream:
    """Where output goes (standard output, standard error, --output FILE).
    Text is written in the stream's own encoding, what it cannot encode as
    backslash escapes; machine-readable reports always as UTF-8; a failed
    write is a ToolError (exit 2), never a traceback."""

    def __init__(self, stream, name, binary=False):
        self.stream = stream
        self.name = name
        self.binary = binary

    def isatty(self):
        try:
            return self.stream is not None and self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def _fail(self, exc):
        why = getattr(exc, "strerror", None) or str(exc)
        return _ToolError("cannot write to %s: %s" % (self.name, why))

    def write(self, text, machine=False):
        if not text:
            return
        encoding = "utf-8" if machine or self.binary else \
            (getattr(self.stream, "encoding", None) or "utf-8")
        self._put(text.encode(encoding, "backslashreplace"), text)

    def write_bytes(self, data):
        """Bytes as they are (fixed standard input)."""
        self._put(data, None)

    def _put(self, data, text):
        stream = self.stream
        if stream is None:
            raise _ToolError("cannot write to %s: it is closed" % self.name)
        try:
            buffer = stream if self.binary else getattr(stream, "buffer", None)
            if buffer is None:        # a text stream of the caller's (tests)
                stream.write(text if text is not None else
                             data.decode("utf-8", "surrogateescape"))
                return
            if not self.binary:
                stream.flush()
            buffer.write(data)
            buffer.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise self._fail(exc)

    def line(self, text):
        """One line of a message to the user (errors, notes): URL passwords and
        credential shapes masked, escaped, and never an error of its own."""
        from .redact import printable, redact
        try:
            self.write(printable(redact(text, prose=True)) + "\n")
        except Exception:
            pass

    def close(self):
        try:
            self.stream.close()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise self._fail(exc)

    def discard(self):
        """After a broken pipe: send what is still buffered nowhere, so that
        the interpreter's own flush at exit does not fail again."""
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except Exception:
            pass


def _open_output(path):
    try:
        return _Stream(open(path, "wb"), path, binary=True)
    except OSError as exc:
        raise _ToolError("%s: cannot write: %s" % (path, exc.strerror or exc))


from .sources import Interrupted as _Interrupted, ToolError as _ToolError  # noqa: E402


def _audit(args, stdout, stdin, stderr):
    from .host import Root
    root = _root(args.root) or Root("/")
    if args.live and root.directory != "/":
        raise _UsageError("--live asks the supervisord running on this machine; it does not "
                          "go with --root")
    if args.serverurl and not args.live:
        raise _UsageError("--serverurl goes with --live")
    args.paths = [_audit_config(root, args.audit_config, args.root)]
    return _check(args, stdout, stdin, stderr, root)


AUDITED = ("/etc/supervisord.conf", "/etc/supervisor/supervisord.conf")


def _audit_config(root, config, given_root):
    """The main config to audit, as a path on this machine: CONFIG (a host
    path, or a path under --root), else the first of supervisord's default
    places that exists on the host."""
    under = " under %s" % given_root if given_root else ""
    if config is None:
        for candidate in AUDITED:
            real = root.real(candidate)
            if real is not None and os.path.isfile(real):
                return candidate if root.directory == "/" else real
        raise _ToolError("no supervisord config found: neither %s exists%s; name it: "
                         "supervisor-lint audit CONFIG" % (" nor ".join(AUDITED), under))
    if root.directory != "/":
        given = os.path.abspath(given_root).rstrip("/")
        absolute = os.path.abspath(config)
        host = root.host_of(absolute)
        if host is None and absolute.startswith(given + "/"):
            host = absolute[len(given):]          # under --root as given (a link to it)
        if host is None and os.path.isabs(config):
            host = config
        if host is None:
            raise _ToolError("%s: give the path as the host sees it (/etc/...) or a path "
                             "under %s" % (config, given_root))
        real = root.real(host)
        if real is None or not os.path.exists(real):
            raise _ToolError("%s: no such file%s" % (host, under))
        config = real
    if os.path.isdir(config):
        raise _ToolError("%s: is a directory; name the main config file (supervisord reads "
                         "one file and what its [include] names)" % config)
    return config


def _check(args, stdout, stdin, stderr, audit=None):
    from . import runner
    from .redact import Registry
    from .sources import Sources
    if not args.paths and not args.main_config:
        args.paths = ["."]          # like ruff: the current directory
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise _UsageError("--unsafe-fixes goes with --fix or --diff")
    if args.fix_outside and not (args.fix or args.diff):
        raise _UsageError("--fix-outside goes with --fix or --diff")

    options = _options(args, stderr)
    if audit is not None:
        options.root, options.audit = audit, True
        from .host import Service, installed_supervisor
        options.detected = installed_supervisor(audit, Service(audit))
        if args.live:
            options.live = args.serverurl or True
    sources, registry = Sources(), Registry()

    def run_lint():
        return runner.lint(args.paths, options, sources, registry, stdin, args.stdin_filename)

    args.failing = _fail_test(args, options)
    if getattr(args, "show_files", False):
        run_lint()
        from .redact import printable
        # a file the walk skipped may be read all the same (an include pattern matches it)
        read = {os.path.abspath(p) for p, how in options.files if not how.startswith("skipped")}
        stdout.write("".join("%s: %s\n" % (printable(path), how) for path, how in options.files
                             if not how.startswith("skipped") or os.path.abspath(path) not in read))
        return EXIT_OK
    if args.fix or args.diff:
        run_lint.target = lambda: options.target
        return _fix(args, run_lint, sources, registry, stdout, stderr)
    diags = run_lint()
    args.partial = options.partial
    if audit is not None and args.format is None and not args.statistics and not args.quiet:
        stdout.write(_audit_header(options) + "\n")
    _report(args, diags, registry, stdout)
    return EXIT_FINDINGS if any(args.failing(d) for d in diags) else EXIT_OK


def _audit_header(options):
    """What the audit judged for: the supervisord installed on the host,
    unless a target is given."""
    from .redact import printable
    version, python, path = options.detected or (None, None, None)
    if path is None:
        found = "no installed supervisord found"
    else:
        found = "supervisord %s on Python %s (%s)" % (version or "of unknown version",
                                                      python or "unknown", printable(path))
    # the run's own target (runner._target: the command line, the
    # configuration, what is installed, the default), not a second guess
    return "Audit: %s; judged as supervisor %s on Python %s" % ((found,) + options.target.given)


def _options(args, stderr):
    from .runner import Options
    from .selector import normalize, redirected, unknown
    for note in dict.fromkeys(redirected(
            _split(args.select + args.ignore + args.extend_select + args.extend_ignore) +
            [item.partition("=")[0] for item in args.severity] +
            _split([item.rpartition(":")[2] for item in args.per_file_ignores]))):
        stderr.line("supervisor-lint: warning: %s" % note)     # each once
    severity = {}
    for item in args.severity:
        code, _, level = item.partition("=")
        if level not in ("error", "warning", "info") or not code.strip():
            raise _UsageError("--severity %s: write CODE=error|warning|info" % item)
        severity[normalize(code)] = level
    per_file = {}
    for item in args.per_file_ignores:
        glob, _, codes = item.rpartition(":")
        if not glob:
            raise _UsageError("--per-file-ignores %s: write GLOB:CODES" % item)
        per_file[glob] = [normalize(c) for c in _split([codes])]
    tokens = {normalize(t) for t in _split(args.select + args.ignore + args.extend_select +
                                           args.extend_ignore)}
    for token in unknown(sorted(tokens) + list(severity) +
                         [c for codes in per_file.values() for c in codes]):
        raise _UsageError("unknown rule code or name: %s" % token)
    return Options(select=_split(args.select) or None, ignore=_split(args.ignore) or None,
                   extend_select=_split(args.extend_select),
                   extend_ignore=_split(args.extend_ignore),
                   main_config=args.main_config, config=args.config, isolated=args.isolated,
                   disable_suppressions=args.disable_suppressions,
                   per_file_ignores=per_file or None, severity=severity or None,
                   exclude=_split(args.exclude) or None, extend_exclude=_split(args.extend_exclude),
                   force_exclude=args.force_exclude, fail_level=args.fail_level,
                   supervisor_files_only=args.supervisor_files_only, warn=stderr.line,
                   root=_root(args.root), target_version=_version(args.target_version,
                                                                  "--target-version"),
                   target_python=_version(args.target_python, "--target-python"),
                   preset=args.preset, template=args.template)


def _version(text, what):
    if text is None:
        return None
    from .target import TargetError, parse_version
    try:
        parse_version(text, what)
    except TargetError as exc:
        raise _UsageError(str(exc))
    return text


def _root(directory):
    if directory is None:
        return None
    if not os.path.isdir(directory):
        raise _UsageError("--root %s: not a directory" % directory)
    from .host import Root
    return Root(directory)


_RANK = {"error": 3, "warning": 2, "info": 1}


def _fail_test(args, options):
    """A predicate: does this diagnostic make the exit status 1?"""
    if args.exit_zero:
        return lambda d: False
    from .config import ConfigError
    levels = {}

    def failing(d):
        # the fail level of the configuration that applies to the file
        path = args.stdin_filename if d.path in ("-", args.stdin_filename) else d.path
        if path not in levels:
            try:
                settings = options.settings_for(path)
            except ConfigError as exc:
                raise _ToolError(str(exc))
            levels[path] = _RANK[options.value(settings, "fail-level", "warning")]
        return _RANK[d.severity] >= levels[path]
    return failing


def _stdin_name(args):
    return args.stdin_filename or "-"


def _writable(args, registry):
    """A predicate on real paths: may --fix write this file?  The files named
    on the command line, the files under the directories named there, and,
    for a named main config (or --main-config), its own directory tree;
    everything with --fix-outside."""
    if args.fix_outside:
        return lambda key: True
    from .tree import is_main
    named = list(args.paths) + ([args.main_config] if args.main_config else [])
    files, dirs = set(), []
    for path in named:
        if path == "-":
            continue
        real = os.path.realpath(path)
        if os.path.isdir(real):
            dirs.append(real)
            continue
        files.add(real)
        doc = registry.docs.get(path)
        if path == args.main_config or (doc is not None and is_main(doc)):
            dirs.append(os.path.dirname(real))
    prefixes = tuple(d.rstrip(os.sep) + os.sep for d in dirs)

    def allowed(key):
        return key == "-" or key in files or key.startswith(prefixes)
    return allowed


def _fix(args, run_lint, sources, registry, stdout, stderr):
    from . import fix as fixer
    applicable = ("safe", "unsafe") if args.unsafe_fixes else ("safe",)
    uses_stdin = "-" in args.paths

    def key_of(path):
        # standard input, under any spelling of its --stdin-filename
        if uses_stdin and (path == _stdin_name(args) or (
                sources.stdin_as is not None and path != "-" and
                sources.realpath(path) == sources.stdin_as)):
            return "-"
        return sources.realpath(path)

    only = {"-"} if uses_stdin else None    # with -, nothing on disk changes
    rule = []

    def may_write(key):
        if not rule:
            rule.append(_writable(args, registry))   # once the named files are read
        return rule[0](key)
    outcome = fixer.run(run_lint, key_of, applicable, only, may_write, sources, registry,
                        target=getattr(run_lint, "target", None))
    notes = ["%s: not fixed: no path given holds it (it is reached through an include or a "
             "symlink); --fix-outside allows it" % path for path in outcome.outside]
    changed = [r for r in outcome.results.values() if r.changed]
    if args.diff:
        _write_diff(args, changed, registry, stdout)
        _notes(stderr, registry, notes + outcome.problems)
        if outcome.rejected:
            return EXIT_ERROR
        return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_OK
    failed = _write_fixed(changed, outcome.problems, sources, uses_stdin, stdout)
    diags = run_lint() if failed else outcome.diags    # what the files on disk hold
    out = stdout
    if uses_stdin:
        if not any(r.key == "-" for r in changed):
            stdout.write_bytes(sources.overlay.get("-", sources.snapshot.get("-", b"")))
        out = stderr                   # standard output holds the fixed text
    _report(args, diags, registry, out, summary=False)
    # the summary goes with a text report; beside a machine-readable one, to stderr
    summary = out if (args.format or "text") in ("text", "full") and not args.output \
        else stderr
    diags = _twin_repeats_dropped(diags, registry)
    if not args.quiet:
        summary.write(_fix_summary(outcome.results.values(), diags, key_of))
    _notes(stderr, registry, notes + outcome.problems)
    if failed or outcome.rejected:
        return EXIT_ERROR
    if any(args.failing(d) for d in diags) or (args.exit_non_zero_on_fix and changed):
        return EXIT_FINDINGS
    return EXIT_OK


def _write_diff(args, changed, registry, stdout):
    from .report import diff
    target = _open_output(args.output) if args.output else stdout
    try:
        for result in changed:
            target.write("".join(diff(result.path, result.original, result.data, registry,
                                      result.passes)))
    finally:
        if target is not stdout:
            target.close()


def _write_fixed(changed, problems, sources, uses_stdin, stdout):
    """Write every fixed file (standard input's fixed text to stdout); a file
    that cannot be written goes back to its read bytes.  True when one failed."""
    from . import fix as fixer
    failed = False
    for result in changed:
        if uses_stdin and result.key == "-":
            stdout.write_bytes(result.data)
            continue
        try:
            fixer.write_atomic(result.path, result.data, expected=result.original)
        except fixer.FixError as exc:
            problems.append(str(exc))
            result.error = str(exc)
            sources.overlay[result.key] = result.original
            failed = True
    return failed


def _fix_summary(results, diags, key_of):
    from .redact import printable
    remaining = {}
    for d in diags:
        key = key_of(d.path)
        remaining[key] = remaining.get(key, 0) + 1
    lines = []
    for result in results:
        if result.changed:
            n = len(result.applied)
            lines.append("Fixed %d problem%s in %s (%d remaining).\n" % (
                n, "" if n == 1 else "s", printable(result.path), remaining.get(result.key, 0)))
    if diags:
        fatal = sum(1 for d in diags if d.fatal)
        lines.append("Found %d problem%s (%d that supervisord refuses to load).\n"
                     % (len(diags), "" if len(diags) == 1 else "s", fatal))
    return "".join(lines)


def _notes(stderr, registry, lines):
    for line in lines:
        stderr.line("supervisor-lint: %s" % registry.mask(line))


def _twin_repeats_dropped(diags, registry):
    """A file read twice has the same findings under both of its paths: show
    them under the first one only (what only the second read causes stays)."""
    twins = {}
    for path, doc in registry.docs.items():
        first = getattr(doc, "twin_of", None)
        if first is not None and first.path != path:
            twins[path] = first.path
    if not twins:
        return diags
    shown = {(d.path, d.code, d.line, d.column, d.message) for d in diags}
    return [d for d in diags if d.path not in twins or
            (twins[d.path], d.code, d.line, d.column, d.message) not in shown]


PARTIAL = ("No main config includes the fragments linted: checks across files (duplicate "
           "sections, group members, beat schedulers, node names) saw only the fragments of "
           "each directory, as one conf.d; give --main-config for the whole configuration.")


def _report(args, diags, registry, stdout, summary=True):
    from . import report
    diags = _twin_repeats_dropped(diags, registry)
    fmt = args.format or "text"
    target = _open_output(args.output) if args.output else stdout
    try:
        if args.statistics:
            target.write(report.statistics(diags))
        elif fmt == "text" and args.command == "audit" and args.format is None:
            # audit's own default: the findings grouped by program
            target.write(report.grouped(diags, registry, report.use_color(args.color, target),
                                        summary=summary and not args.quiet))
        elif fmt in ("text", "full"):
            target.write(report.text(diags, registry, color=report.use_color(args.color, target),
                                     full=fmt == "full", summary=summary and not args.quiet))
        if fmt in ("text", "full") and summary and not args.quiet and diags and \
                getattr(args, "partial", False) and not args.statistics:
            target.write(PARTIAL + "\n")
        elif fmt == "json":
            target.write(report.json_report(diags, registry, __version__), machine=True)
        elif fmt == "sarif":
            from .catalog import CatalogError
            try:
                target.write(report.sarif(diags, registry, __version__), machine=True)
            except CatalogError as exc:
                raise _ToolError(str(exc))
        elif fmt == "github":
            target.write(report.github(diags, registry))
        elif fmt == "gitlab":
            target.write(report.gitlab(diags, registry), machine=True)
        elif fmt == "junit":
            target.write(report.junit(diags, registry), machine=True)
    finally:
        if target is not stdout:
            target.close()
    if args.format is None and os.environ.get("GITHUB_ACTIONS") == "true" and not args.statistics:
        # in a GitHub workflow: annotations too, the text report kept
        stdout.write(report.github(diags, registry))


def _rule(code, stdout, stderr):
    from .catalog import lookup, render, CatalogError
    from .selector import normalize, redirected
    for note in redirected([code]):
        stderr.line("supervisor-lint: warning: %s" % note)
        code = normalize(code)
    try:
        doc = lookup(code)
    except CatalogError as exc:
        raise _ToolError(str(exc))
    if doc is None:
        from .selector import suggestion
        raise _ToolError("unknown rule %r%s ('supervisor-lint rules' lists them)"
                         % (code, suggestion(code)))
    stdout.write(render(doc))
    return EXIT_OK


def _rules(stdout, fmt=None, select=(), stderr=None):
    from .checks import all_rules
    from .catalog import DOCS_URL, load_all, CatalogError
    try:
        docs = load_all()
    except CatalogError:
        docs = {}
    chosen = list(all_rules().values())
    if select:
        from . import selector
        for note in dict.fromkeys(selector.redirected(_split(select))):
            stderr.line("supervisor-lint: warning: %s" % note)
        tokens = [selector.normalize(t) for t in _split(select)]
        wrong = selector.unknown(tokens)
        if wrong:
            raise _UsageError("unknown rule code or name: %s%s" % (
                wrong[0], selector.suggestion(wrong[0])))
        chosen = [r for r in chosen if any(selector.matches(r, t) for t in tokens)]
    if fmt == "json":
        from .report import json_dump
        stdout.write(json_dump([{
            "code": r.code, "name": r.name, "category": r.category, "severity": r.severity,
            "fatal": r.fatal, "default": r.default, "scope": r.scope,
            "cross_file": r.cross_file, "sees_all_fatal": r.sees_all_fatal,
            "security_severity": r.security_severity,
            "summary": " ".join(str(docs.get(r.code, {}).get("summary", "")).split()),
            "fix": (docs.get(r.code, {}).get("fix") or {}).get("safety", "none")
            if (docs.get(r.code, {}).get("fix") or {}).get("available") else "none",
            "url": DOCS_URL % r.code} for r in chosen]), machine=True)
        return EXIT_OK
    for rule in chosen:
        summary = docs.get(rule.code, {}).get("summary", "")
        fatal = {"always": "fatal", "never": "", "per case": "fatal per case"}[rule.fatal]
        if not rule.default:
            summary = "(opt-in) " + summary
        stdout.write("%s  %-30s %-8s %-15s %s\n" % (rule.code, rule.name, rule.severity, fatal,
                                                    summary))
    return EXIT_OK


def main_entry():
    """Console-script entry point."""
    sys.exit(_run_process())


def _run_process(argv=None):
    """main() for a whole process: the cyclic collector stays off (the run
    frees nothing it would find) and, at exit, the objects are frozen so that
    the interpreter's final collection does not walk millions of them."""
    import gc
    gc.disable()
    try:
        return main(argv)
    finally:
        gc.freeze()
