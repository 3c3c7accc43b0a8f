"""The command line: ``supervisor-lint check|rule|rules``."""

import argparse
import os
import sys

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
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
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--main-config", metavar="FILE",
                       help="lint the given fragments in the context of this main config")
    check.add_argument("--select", metavar="CODES", action="append", default=[],
                       help="comma-separated codes, names or prefixes to enable (only these)")
    check.add_argument("--ignore", metavar="CODES", action="append", default=[],
                       help="comma-separated codes, names or prefixes to disable")
    check.add_argument("--stdin-filename", metavar="NAME",
                       help="the name to report for input read from stdin")
    check.add_argument("--fix", action="store_true",
                       help="apply safe fixes (with - the fixed text goes to stdout)")
    check.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, also apply unsafe fixes")
    check.add_argument("--diff", action="store_true",
                       help="print what --fix would change as a unified diff; write nothing")
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
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "check":
            return _check(args, stdout, stdin, stderr)
        if args.command == "rule":
            return _rule(args.code, stdout)
        if args.command == "rules":
            return _rules(stdout)
        _build_parser().print_help(stdout)
        return EXIT_ERROR
    except _UsageError as exc:
        stderr.write("supervisor-lint: error: %s\n" % exc)
        return EXIT_ERROR
    except _ToolError as exc:
        stderr.write("supervisor-lint: error: %s\n" % exc)
        return EXIT_ERROR
    except ImportError as exc:
        stderr.write("supervisor-lint: error: %s\n" % exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        stderr.write("supervisor-lint: interrupted\n")
        return EXIT_ERROR
    except BrokenPipeError:
        try:
            sys.stdout = None
        except Exception:
            pass
        return EXIT_ERROR
    except RecursionError:
        stderr.write("supervisor-lint: error: input nested too deeply\n")
        return EXIT_ERROR
    except Exception as exc:  # a bug: still one line, never a traceback
        stderr.write("supervisor-lint: internal error: %s: %s (please report it)\n"
                     % (type(exc).__name__, exc))
        return EXIT_ERROR


from .tree import ToolError as _ToolError  # noqa: E402


def _read_stdin(stdin):
    stream = stdin if stdin is not None else sys.stdin
    data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return data


def collect(paths, stdin=None, stdin_filename=None):
    """(path, bytes, explicit) for every file to lint."""
    from .tree import read_bytes, walk
    files = []
    for path in paths:
        if path == "-":
            from .tree import OVERLAY
            if "-" not in OVERLAY:
                OVERLAY["-"] = _read_stdin(stdin)
            files.append((stdin_filename or "-", OVERLAY["-"], True))
        elif os.path.isdir(path):
            for found, data in walk(path):
                files.append((found, data, False))
        elif os.path.exists(path) or os.path.islink(path):
            files.append((path, read_bytes(path), True))
        else:
            raise _ToolError("%s: no such file or directory" % path)
    return files


def lint(paths, select=(), ignore=(), main_config=None, stdin=None, stdin_filename=None):
    """Lint ``paths``; returns the sorted list of Diagnostics."""
    import gc
    # The reader allocates an object per line, entry and section and frees
    # nothing until the end: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint(paths, select, ignore, main_config, stdin, stdin_filename)
    finally:
        if enabled:
            gc.enable()


def _lint(paths, select, ignore, main_config, stdin, stdin_filename):
    from . import reader, engine
    from .tree import build_main, build_fragment, is_main, read_bytes
    selection = engine.Selection(select, ignore)
    unknown = selection.unknown()
    if unknown:
        raise _ToolError("unknown rule code or name: %s" % ", ".join(unknown))
    files = collect(paths, stdin, stdin_filename)
    docs = []
    seen = set()
    for path, data, explicit in files:
        key = os.path.realpath(path) if path not in ("-", stdin_filename) else path
        if key in seen:
            continue
        seen.add(key)
        docs.append(reader.parse(data, path))
    results = []
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
        return engine.run(tree, selection, wanted)
    covered = set()
    mains = [d for d in docs if is_main(d)]
    for main in mains:
        tree = build_main(main)
        for d in tree.docs:
            covered.add(os.path.realpath(d.path))
        results.extend(engine.run(tree, selection))
    for doc in docs:
        if is_main(doc) or (doc.path != "-" and os.path.realpath(doc.path) in covered):
            continue
        results.extend(engine.run(build_fragment(doc), selection))
    from .diagnostics import Diagnostic
    unique = {}
    for d in results:
        unique.setdefault((d.code, d.path, d.line, d.column, d.message), d)
    return sorted(unique.values(), key=Diagnostic.sort_key)


def _check(args, stdout, stdin, stderr=None):
    from .tree import OVERLAY
    OVERLAY.clear()
    try:
        return _check_paths(args, stdout, stdin, stderr or sys.stderr)
    finally:
        OVERLAY.clear()


def _check_paths(args, stdout, stdin, stderr):
    if not args.paths and not args.main_config:
        raise _UsageError("check: give at least one PATH (or - for stdin)")
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise _UsageError("--unsafe-fixes goes with --fix or --diff")

    def run_lint():
        return lint(args.paths, _split(args.select), _split(args.ignore), args.main_config,
                    stdin, args.stdin_filename)

    if args.fix or args.diff:
        return _fix(args, run_lint, stdout, stderr)
    diags = run_lint()
    _report(args, diags, stdout)
    failing = [d for d in diags if d.severity in ("error", "warning")]
    return EXIT_FINDINGS if failing else EXIT_OK


def _stdin_name(args):
    return args.stdin_filename or "-"


def _fix(args, run_lint, stdout, stderr):
    from . import fix as fixer
    from .tree import OVERLAY
    applicable = ("safe", "unsafe") if args.unsafe_fixes else ("safe",)
    uses_stdin = "-" in args.paths

    def key_of(path):
        return "-" if uses_stdin and path == _stdin_name(args) else os.path.realpath(path)

    results, diags, problems, rejected = fixer.run(run_lint, key_of, applicable)
    status = EXIT_OK
    changed = [r for r in results.values() if r.changed]
    if args.diff:
        import difflib
        for result in changed:
            before = result.original.decode("utf-8", "surrogateescape").splitlines(True)
            after = result.data.decode("utf-8", "surrogateescape").splitlines(True)
            stdout.writelines(difflib.unified_diff(before, after, "a/" + result.path.lstrip("/"),
                                                   "b/" + result.path.lstrip("/")))
        for line in problems:
            stderr.write("supervisor-lint: %s\n" % line)
        return EXIT_FINDINGS if changed else (EXIT_ERROR if rejected else EXIT_OK)
    out = stdout
    for result in changed:
        if uses_stdin and result.path == _stdin_name(args):
            stdout.write(result.data.decode("utf-8", "surrogateescape"))
            out = stderr
            continue
        try:
            fixer.write_atomic(result.path, result.data)
        except fixer.FixError as exc:
            problems.append(str(exc))
            result.error = str(exc)
            status = EXIT_ERROR
    if uses_stdin and not any(r.path == _stdin_name(args) for r in changed):
        stdout.write(OVERLAY.get("-", b"").decode("utf-8", "surrogateescape"))
        out = stderr
    _report(args, diags, out, summary=False)
    remaining = {}
    for d in diags:
        remaining[d.path] = remaining.get(d.path, 0) + 1
    for result in results.values():
        if result.changed:
            n, left = len(result.applied), remaining.get(result.path, 0)
            out.write("Fixed %d problem%s in %s (%d remaining).\n" % (
                n, "" if n == 1 else "s", result.path, left))
    if diags:
        fatal = sum(1 for d in diags if d.fatal)
        out.write("Found %d problem%s (%d that supervisord refuses to load).\n"
                  % (len(diags), "" if len(diags) == 1 else "s", fatal))
    for line in problems:
        stderr.write("supervisor-lint: %s\n" % line)
    if status == EXIT_ERROR or rejected:
        return EXIT_ERROR
    failing = [d for d in diags if d.severity in ("error", "warning")]
    if failing or (args.exit_non_zero_on_fix and changed):
        return EXIT_FINDINGS
    return EXIT_OK


def _report(args, diags, stdout, summary=True):
    if args.format == "json":
        import json
        stdout.write(json.dumps([d.to_dict() for d in diags], indent=2, ensure_ascii=False))
        stdout.write("\n")
    else:
        for d in diags:
            stdout.write("%s:%d:%d: %s [%s] %s\n" % (d.path, d.line, d.column, d.code,
                                                     d.severity, d.message))
        if diags and summary:
            fatal = sum(1 for d in diags if d.fatal)
            stdout.write("Found %d problem%s (%d that supervisord refuses to load).\n"
                         % (len(diags), "" if len(diags) == 1 else "s", fatal))


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
        stdout.write("%s  %-30s %-8s %-15s %s\n" % (rule.code, rule.name, rule.severity, fatal,
                                                    summary))
    return EXIT_OK


def main_entry():
    """Console-script entry point."""
    sys.exit(main())
