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


def _build_parser():
    parser = _Parser(prog="supervisor-lint",
                     description="Lint, validate and explain Supervisor (supervisord) "
                                 "configuration files.")
    parser.add_argument("--version", action="version", version="supervisor-lint " + __version__)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="lint files and directories")
    check.add_argument("paths", nargs="*", metavar="PATH",
                       help="files, directories (searched for *.conf and *.ini holding "
                            "supervisor sections) or - for stdin")
    check.add_argument("--format", choices=("text", "full", "json", "sarif", "github", "gitlab",
                                            "junit"), default=None,
                       help="report format (default text; github annotations are added "
                            "when GITHUB_ACTIONS=true)")
    check.add_argument("--output", "-o", metavar="FILE",
                       help="write the report to FILE instead of standard output")
    check.add_argument("--statistics", action="store_true",
                       help="print how many findings each rule has")
    check.add_argument("--quiet", "-q", action="store_true",
                       help="print the findings only (no summary)")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="colour the text report (auto: only on a terminal; NO_COLOR and "
                            "FORCE_COLOR are respected)")
    check.add_argument("--main-config", metavar="FILE",
                       help="lint the given fragments in the context of this main config")
    check.add_argument("--select", metavar="CODES", action="append", default=[],
                       help="comma-separated codes, names or prefixes to enable (only these)")
    check.add_argument("--ignore", metavar="CODES", action="append", default=[],
                       help="comma-separated codes, names or prefixes to disable")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="the name to report for input read from stdin")
    check.add_argument("--disable-suppressions", action="store_true", default=None,
                       help="ignore every supervisor-lint: disable comment (for audits)")
    check.add_argument("--extend-select", metavar="CODES", action="append", default=[],
                       help="codes, names or prefixes to enable on top of the selection")
    check.add_argument("--extend-ignore", metavar="CODES", action="append", default=[],
                       help="codes, names or prefixes to disable on top of the selection")
    check.add_argument("--severity", metavar="CODE=LEVEL", action="append", default=[],
                       help="re-grade a rule: error, warning or info (repeatable)")
    check.add_argument("--per-file-ignores", metavar="GLOB:CODES", action="append", default=[],
                       help="ignore codes in files matching a glob (repeatable)")
    check.add_argument("--exclude", metavar="GLOBS", action="append", default=[],
                       help="paths to skip when searching directories (replaces the default)")
    check.add_argument("--extend-exclude", metavar="GLOBS", action="append", default=[],
                       help="paths to skip on top of the exclude list")
    check.add_argument("--force-exclude", action="store_true", default=None,
                       help="apply exclude to files named on the command line too")
    check.add_argument("--fail-level", choices=("error", "warning", "info"), default=None,
                       help="the lowest severity that makes the exit status 1 (default warning)")
    check.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when there are findings")
    check.add_argument("--config", metavar="FILE",
                       help="use this pyproject.toml or .supervisor-lint.yaml, not the nearest one")
    check.add_argument("--isolated", action="store_true",
                       help="ignore every configuration file")
    check.add_argument("--supervisor-files-only", action="store_true",
                       help="skip files named on the command line that hold no supervisor "
                            "section (for hooks that pass every *.conf)")
    check.add_argument("--fix", action="store_true",
                       help="apply safe fixes (with - the fixed text goes to stdout)")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, also apply unsafe fixes")
    check.add_argument("--diff", action="store_true",
                       help="print what --fix would change as a unified diff; write nothing")
    check.add_argument("--fix-outside", action="store_true",
                       help="with --fix or --diff, also fix files that no given path holds "
                            "(reached through an include or a symlink)")
    check.add_argument("--exit-non-zero-on-fix", action="store_true",
                       help="with --fix, exit 1 when a file was changed, even if nothing remains")
    rule_p = sub.add_parser("rule", help="print a rule's documentation")
    rule_p.add_argument("code", metavar="CODE")
    sub.add_parser("rules", help="list every rule")
    return parser


def _split(values):
    out = []
    for value in values:
        out.extend(t.strip() for t in value.split(",") if t.strip())
    return out


def main(argv=None, stdout=None, stderr=None, stdin=None):
    out = _Stream(stdout if stdout is not None else sys.stdout, "standard output")
    err = _Stream(stderr if stderr is not None else sys.stderr, "standard error")
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "check":
            return _check(args, out, stdin, err)
        if args.command == "rule":
            return _rule(args.code, out)
        if args.command == "rules":
            return _rules(out)
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


from .tree import ToolError as _ToolError  # noqa: E402
from .tree import Interrupted as _Interrupted  # noqa: E402


def _read_stdin(stdin):
    stream = stdin if stdin is not None else sys.stdin
    if stream is None:
        raise _ToolError("cannot read standard input: it is closed")
    try:
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    except (OSError, ValueError) as exc:
        raise _ToolError("cannot read standard input: %s" % (getattr(exc, "strerror", None)
                                                            or exc))
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return data


class Options:
    """What the command line says; None means 'as the configuration file says'."""

    def __init__(self, select=None, ignore=None, extend_select=None, extend_ignore=None,
                 main_config=None, config=None, isolated=False, disable_suppressions=None,
                 per_file_ignores=None, severity=None, exclude=None, extend_exclude=None,
                 force_exclude=None, fail_level=None, supervisor_files_only=False,
                 warn=None):
        self.warn = warn or _Stream(sys.stderr, "standard error").line
        self.select = select
        self.ignore = ignore
        self.extend_select = extend_select
        self.extend_ignore = extend_ignore
        self.main_config = main_config
        self.config = config
        self.isolated = isolated
        self.disable_suppressions = disable_suppressions
        self.per_file_ignores = per_file_ignores
        self.severity = severity
        self.exclude = exclude
        self.extend_exclude = extend_exclude
        self.force_exclude = force_exclude
        self.fail_level = fail_level
        self.supervisor_files_only = supervisor_files_only
        self._explicit = None

    def settings_for(self, path):
        """The configuration that applies to ``path``."""
        from . import config
        if self._explicit is None and self.config:
            self._explicit = config.load(self.config)
        if self._explicit is not None:
            return self._explicit
        if self.isolated or path in ("-", None):
            start = os.getcwd() if path in ("-", None) and not self.isolated else None
            return config.find(start) if start else config.Settings()
        return config.find(os.path.dirname(os.path.abspath(path)))

    def value(self, settings, key, default=None):
        attr = getattr(self, key.replace("-", "_"))
        if attr is not None:
            return attr
        return settings.get(key, default)

    def selection(self, settings):
        from .engine import Selection
        select = self.value(settings, "select") or []
        extend = list(settings.get("extend-select", [])) + list(self.extend_select or [])
        ignore = list(self.value(settings, "ignore") or []) + \
            list(settings.get("extend-ignore", [])) + list(self.extend_ignore or [])
        return Selection(select, ignore, extend)

    def excluded(self, settings, path):
        from . import config
        patterns = list(self.value(settings, "exclude", config.DEFAULT_EXCLUDE)) + \
            list(settings.get("extend-exclude", [])) + list(self.extend_exclude or [])
        return config.matches(settings, path, patterns)


def collect(paths, options, stdin=None, stdin_filename=None):
    """(path, bytes) for every file to lint."""
    from .tree import read_bytes, walk, looks_like_supervisor
    files = []
    for path in paths:
        if path == "-":
            from .tree import OVERLAY
            if "-" not in OVERLAY:
                OVERLAY["-"] = _read_stdin(stdin)
            name = stdin_filename or "-"
            if stdin_filename:
                settings = options.settings_for(stdin_filename)
                if options.value(settings, "force-exclude") and \
                        options.excluded(settings, stdin_filename):
                    continue
            files.append((name, OVERLAY["-"]))
        elif os.path.isdir(path):
            from .tree import pseudo_fs
            top = pseudo_fs(os.path.realpath(path))
            if top is not None:
                raise _ToolError("%s: lies under %s, which is never read" % (path, top))
            found_any = False
            for found, data in walk(path):
                if options.excluded(options.settings_for(found), found):
                    continue
                files.append((found, data))
                found_any = True
            if not found_any:
                options.warn("supervisor-lint: warning: no supervisor config files "
                             "(*.conf, *.ini) found under %s" % path)
        elif os.path.exists(path) or os.path.islink(path):
            settings = options.settings_for(path)
            if options.value(settings, "force-exclude") and options.excluded(settings, path):
                continue
            data = read_bytes(path)
            if options.supervisor_files_only and not looks_like_supervisor(data):
                continue
            files.append((path, data))
        else:
            raise _ToolError("%s: no such file or directory" % path)
    return files


def lint(paths, select=(), ignore=(), main_config=None, stdin=None, stdin_filename=None,
         options=None):
    """Lint ``paths``; returns the sorted list of Diagnostics."""
    import gc
    if options is None:
        options = Options(select=list(select) or None, ignore=list(ignore) or None,
                          main_config=main_config)
    # The reader allocates an object per line, entry and section and frees
    # nothing until the end: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        from .config import ConfigError, clear_cache
        clear_cache()
        try:
            return _lint(paths, options, stdin, stdin_filename)
        except ConfigError as exc:
            raise _ToolError(str(exc))
    finally:
        if enabled:
            gc.enable()


def _run_tree(tree, root_path, options, wanted=None):
    """Lint one tree with the configuration of its root file."""
    from . import engine, config
    settings = options.settings_for(root_path)
    selection = options.selection(settings)
    unknown = selection.unknown()
    if unknown:
        raise _ToolError("unknown rule code or name: %s" % ", ".join(unknown))
    disable = options.value(settings, "disable-suppressions", False)
    diags = engine.run(tree, selection, None, suppressions=not disable)
    if wanted is not None:
        # the files asked for, and anything that makes supervisord refuse the tree
        diags = [d for d in diags if d.path in wanted or d.fatal]
    per_file = options.value(settings, "per-file-ignores", {}) or {}
    overrides = options.value(settings, "severity", {}) or {}
    out = []
    for d in diags:
        ignored = False
        for pattern, codes in per_file.items():
            if any(c in (d.code, d.name) or (c.isupper() and d.code.startswith(c)) for c in codes) \
                    and config.matches(settings, d.path, [pattern]):
                ignored = True
                break
        if ignored:
            continue
        level = overrides.get(d.code) or overrides.get(d.name)
        if level and not d.fatal:
            d.severity = level
        out.append(d)
    return out


def _lint(paths, options, stdin, stdin_filename):
    from . import reader
    from .tree import build_main, build_fragment, is_main, read_bytes
    files = collect(paths, options, stdin, stdin_filename)
    docs = []
    seen = set()
    for path, data in files:
        key = os.path.realpath(path) if path not in ("-", stdin_filename) else path
        if key in seen:
            continue
        seen.add(key)
        docs.append(reader.parse(data, path))
    results = []
    main_config = options.main_config
    if main_config is None and docs:
        main_config = options.value(options.settings_for(docs[0].path), "main-config")
        if main_config is not None and not os.path.isabs(main_config):
            main_config = os.path.join(options.settings_for(docs[0].path).root, main_config)
    if main_config is not None:
        main = reader.parse(read_bytes(main_config), main_config)
        others = [d for d in docs if os.path.realpath(d.path) != os.path.realpath(main_config)]
        tree = build_main(main, extra=others)
        wanted = None if not docs else {d.path for d in docs} | (
            {main_config} if any(os.path.realpath(d.path) == os.path.realpath(main_config)
                                 for d in docs) else set())
        if wanted is not None:
            wanted |= {d.path for d in tree.docs
                       if any(os.path.realpath(d.path) == os.path.realpath(x.path) for x in docs)}
        return _run_tree(tree, main_config, options, wanted)
    covered = set()
    mains = set()
    for main in docs:
        if not is_main(main):
            continue
        tree = build_main(main)
        if "supervisord" not in tree.sections and \
                not any(b.name == "supervisord" for b in main.blocks) and len(tree.docs) == 1:
            continue    # an [include] but no [supervisord] anywhere: a fragment after all
        mains.add(id(main))
        for d in tree.docs:
            covered.add(os.path.realpath(d.path))
        results.extend(_run_tree(tree, main.path, options))
    for doc in docs:
        if id(doc) in mains or (doc.path != "-" and os.path.realpath(doc.path) in covered):
            continue
        results.extend(_run_tree(build_fragment(doc), doc.path if doc.path != "-" else None,
                                 options))
    from .diagnostics import Diagnostic
    unique = {}
    for d in results:
        unique.setdefault((d.code, d.path, d.line, d.column, d.message), d)
    return sorted(unique.values(), key=Diagnostic.sort_key)


def _check(args, stdout, stdin, stderr):
    from . import redact
    from .tree import OVERLAY, SNAPSHOT
    OVERLAY.clear()
    SNAPSHOT.clear()
    redact.reset()
    try:
        return _check_paths(args, stdout, stdin, stderr)
    finally:
        OVERLAY.clear()
        SNAPSHOT.clear()
        redact.reset()


def _check_paths(args, stdout, stdin, stderr):
    if not args.paths and not args.main_config:
        raise _UsageError("check: give at least one PATH (or - for stdin)")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise _UsageError("--unsafe-fixes goes with --fix or --diff")
    if args.fix_outside and not (args.fix or args.diff):
        raise _UsageError("--fix-outside goes with --fix or --diff")

    options = _options(args, stderr)

    def run_lint():
        return lint(args.paths, stdin=stdin, stdin_filename=args.stdin_filename,
                    options=options)

    args.failing = _fail_test(args, options)
    if args.fix or args.diff:
        return _fix(args, run_lint, stdout, stderr)
    diags = run_lint()
    _report(args, diags, stdout)
    return EXIT_FINDINGS if any(args.failing(d) for d in diags) else EXIT_OK


def _options(args, stderr):
    severity = {}
    for item in args.severity:
        code, _, level = item.partition("=")
        if level not in ("error", "warning", "info") or not code.strip():
            raise _UsageError("--severity %s: write CODE=error|warning|info" % item)
        severity[_code_case(code.strip())] = level
    per_file = {}
    for item in args.per_file_ignores:
        glob, _, codes = item.rpartition(":")
        if not glob:
            raise _UsageError("--per-file-ignores %s: write GLOB:CODES" % item)
        per_file[glob] = [_code_case(c) for c in _split([codes])]
    from .checks import all_rules
    rules = all_rules()
    known = set(rules) | {r.name for r in rules.values()}
    for token in list(severity) + [c for codes in per_file.values() for c in codes]:
        if token not in known and not (token.isupper() and any(c.startswith(token) for c in rules)):
            raise _UsageError("unknown rule code or name: %s" % token)
    return Options(select=_codes(args.select) or None, ignore=_codes(args.ignore) or None,
                   extend_select=_codes(args.extend_select), extend_ignore=_codes(args.extend_ignore),
                   main_config=args.main_config, config=args.config, isolated=args.isolated,
                   disable_suppressions=args.disable_suppressions,
                   per_file_ignores=per_file or None, severity=severity or None,
                   exclude=_split(args.exclude) or None, extend_exclude=_split(args.extend_exclude),
                   force_exclude=args.force_exclude, fail_level=args.fail_level,
                   supervisor_files_only=args.supervisor_files_only, warn=stderr.line)


def _code_case(token):
    from .config import code_case
    return code_case(token)


def _codes(values):
    return [_code_case(t) for t in _split(values)]


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


def _writable(args):
    """A predicate on real paths: may --fix write this file?  The files named
    on the command line, the files under the directories named there, and,
    for a named main config (or --main-config), its own directory tree;
    everything with --fix-outside."""
    if args.fix_outside:
        return None
    from . import redact
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
        doc = redact.current().docs.get(path)
        if path == args.main_config or (doc is not None and is_main(doc)):
            dirs.append(os.path.dirname(real))
    prefixes = tuple(d.rstrip(os.sep) + os.sep for d in dirs)

    def allowed(key):
        return key == "-" or key in files or key.startswith(prefixes)
    return allowed


def _fix(args, run_lint, stdout, stderr):
    from . import fix as fixer
    from .redact import current, printable
    from .tree import OVERLAY
    applicable = ("safe", "unsafe") if args.unsafe_fixes else ("safe",)
    uses_stdin = "-" in args.paths

    def key_of(path):
        return "-" if uses_stdin and path == _stdin_name(args) else os.path.realpath(path)

    only = {_stdin_name(args)} if uses_stdin else None    # with -, nothing on disk changes
    allowed = {"rule": None}

    def may_write(key):
        if allowed["rule"] is None:
            allowed["rule"] = _writable(args) or (lambda key: True)
        return allowed["rule"](key)
    outcome = fixer.run(run_lint, key_of, applicable, only, may_write)
    results, diags, problems = outcome.results, outcome.diags, outcome.problems
    notes = ["%s: not fixed: no path given holds it (it is reached through an include or a "
             "symlink); --fix-outside allows it" % path for path in outcome.outside]
    status = EXIT_OK
    changed = [r for r in results.values() if r.changed]
    registry = current()
    if args.diff:
        from .report import diff
        target = _open_output(args.output) if args.output else stdout
        try:
            for result in changed:
                target.write("".join(diff(result.path, result.original, result.data, registry,
                                          result.passes)))
        finally:
            if target is not stdout:
                target.close()
        for line in notes + problems:
            stderr.line("supervisor-lint: %s" % registry.mask(line))
        if outcome.rejected:
            return EXIT_ERROR
        return EXIT_FINDINGS if changed and not args.exit_zero else EXIT_OK
    out = stdout
    for result in changed:
        if uses_stdin and result.key == "-":
            stdout.write_bytes(result.data)
            out = stderr
            continue
        try:
            fixer.write_atomic(result.path, result.data, expected=result.original)
        except fixer.FixError as exc:
            problems.append(str(exc))
            result.error = str(exc)
            status = EXIT_ERROR
            OVERLAY[result.key] = result.original
    if status == EXIT_ERROR:
        diags = run_lint()      # report what the files on disk hold
    if uses_stdin and not any(r.key == "-" for r in changed):
        stdout.write_bytes(OVERLAY.get("-", b""))
        out = stderr
    _report(args, diags, out, summary=False)
    # the summary goes with a text report; beside a machine-readable one, to stderr
    summary = out if (args.format or "text") in ("text", "full") and not args.output \
        else stderr
    diags = _twin_repeats_dropped(diags, registry)
    remaining = {}
    for d in diags:
        key = key_of(d.path)
        remaining[key] = remaining.get(key, 0) + 1
    for result in results.values():
        if result.changed and not args.quiet:
            n, left = len(result.applied), remaining.get(result.key, 0)
            summary.write("Fixed %d problem%s in %s (%d remaining).\n" % (
                n, "" if n == 1 else "s", printable(result.path), left))
    if diags and not args.quiet:
        fatal = sum(1 for d in diags if d.fatal)
        summary.write("Found %d problem%s (%d that supervisord refuses to load).\n"
                      % (len(diags), "" if len(diags) == 1 else "s", fatal))
    for line in notes + problems:
        stderr.line("supervisor-lint: %s" % registry.mask(line))
    if status == EXIT_ERROR or outcome.rejected:
        return EXIT_ERROR
    failing = [d for d in diags if args.failing(d)]
    if failing or (args.exit_non_zero_on_fix and changed):
        return EXIT_FINDINGS
    return EXIT_OK


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


def _report(args, diags, stdout, summary=True):
    from . import report
    from .redact import current
    registry = current()
    diags = _twin_repeats_dropped(diags, registry)
    fmt = args.format or "text"
    target = _open_output(args.output) if args.output else stdout
    try:
        if args.statistics:
            target.write(report.statistics(diags))
        elif fmt in ("text", "full"):
            target.write(report.text(diags, registry, color=report.use_color(args.color, target),
                                     full=fmt == "full", summary=summary and not args.quiet))
        elif fmt == "json":
            target.write(report.json_report(diags, registry), machine=True)
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


def _rule(code, stdout):
    from .catalog import find, render, CatalogError
    try:
        doc = find(code)
    except CatalogError as exc:
        raise _ToolError(str(exc))
    if doc is None:
        raise _ToolError("unknown rule %r; 'supervisor-lint rules' lists them" % code)
    stdout.write(render(doc))
    return EXIT_OK


def _rules(stdout):
    from .checks import all_rules
    from .catalog import load_all, CatalogError
    try:
        docs = load_all()
    except CatalogError:
        docs = {}
    for rule in all_rules().values():
        summary = docs.get(rule.code, {}).get("summary", "")
        fatal = {True: "fatal", False: "", "per case": "fatal per case"}[rule.fatal]
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
