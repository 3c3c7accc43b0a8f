"""The runner: what one run lints and how, apart from any command line.

``lint(paths, options, sources, registry)`` finds the files (``collect``),
reads each once through ``sources`` (a ``sources.Sources``), builds the trees
supervisord would read (main configs with their includes, fragments, or
fragments in the context of ``--main-config``), runs the engine on each with
the configuration that applies to its root file, and returns the sorted
Diagnostics; ``registry`` (a ``redact.Registry``) learns every document, so
that output can mask its secrets.  The fixer lints again through the same
``sources``, whose overlay holds what it has fixed in memory.

``check(paths, **options)`` is the library API (``supervisor_lint.check``)."""

import os

from . import reader
from .sources import Sources, ToolError


class Options:
    """What the caller says; None means 'as the configuration file says'.
    ``warn`` takes a warning line (a directory without supervisor files)."""

    def __init__(self, select=None, ignore=None, extend_select=None, extend_ignore=None,
                 main_config=None, config=None, isolated=False, disable_suppressions=None,
                 per_file_ignores=None, severity=None, exclude=None, extend_exclude=None,
                 force_exclude=None, fail_level=None, supervisor_files_only=False,
                 warn=None, root=None, audit=False, target_version=None, target_python=None,
                 preset=None, template=None):
        self.warn = warn or (lambda line: None)
        self.root = root              # a host.Root: include patterns are that host's
        self.audit = audit            # judge each tree on that host (the host rules)
        self.live = None              # True, or a server URL: ask the running supervisord
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
        self.preset = preset
        self.template = template      # "jinja": every file a template; "auto": by its name
        self.target_version = target_version
        self.target_python = target_python
        self.detected = None          # audit: (supervisor, Python, path) installed on the host
        self.target = None            # the last run's target.Target
        self._explicit = None
        self._said = set()            # the warnings said (once() says each once)
        # what the last run read: (path, how) for every file, skipped ones too
        self.files = []
        self.partial = False          # fragments linted without a main config

    def settings_for(self, path):
        """The configuration that applies to ``path`` (its warnings said once)."""
        settings = self._settings_for(path)
        if settings.notes:
            from .redact import printable
            for note in settings.notes:
                self.once("supervisor-lint: warning: %s" % printable(note))
        return settings

    def once(self, line):
        """``warn`` a line the run has not said yet (--fix lints more than once)."""
        if line not in self._said:
            self._said.add(line)
            self.warn(line)

    def _settings_for(self, path):
        from . import config
        if self._explicit is None and self.config:
            self._explicit = config.load(self.config)
        if self._explicit is not None:
            return self._explicit
        if self.audit and not self.isolated:
            # the audited tree is someone else's: its settings (or its
            # parents') must not silence the audit; the auditor's own apply
            return config.nearest(os.getcwd())
        if self.isolated or path in ("-", None):
            start = os.getcwd() if path in ("-", None) and not self.isolated else None
            return config.nearest(start) if start else config.Settings()
        return config.nearest(os.path.dirname(os.path.abspath(path)))

    def value(self, settings, key, default=None):
        attr = getattr(self, key.replace("-", "_"))
        if attr is not None:
            return attr
        return settings.get(key, default)

    def is_template(self, path):
        """Whether the configuration makes ``path`` a Jinja template whatever
        its name (``template = "jinja"``; names ending in .j2 always are)."""
        return self.value(self.settings_for(path), "template") == "jinja"

    def selection(self, settings):
        from .selector import Selection
        select = self.value(settings, "select") or []
        extend = list(settings.get("extend-select", [])) + list(self.extend_select or [])
        defaults = ()
        if self.value(settings, "preset") == "strict":
            from .checks import all_rules
            defaults = [r.code for r in all_rules().values() if not r.default]
        elif self.audit:
            defaults = ["SV205"]        # on a host the umask supervisord runs with is known
        ignore = list(self.value(settings, "ignore") or []) + \
            list(settings.get("extend-ignore", [])) + list(self.extend_ignore or [])
        return Selection(select, ignore, extend, defaults)

    def policy(self, settings):
        from . import config
        from .selector import Policy
        return Policy(self.value(settings, "per-file-ignores", {}) or {},
                      self.value(settings, "severity", {}) or {},
                      lambda path, glob: config.matches(settings, path, [glob]))

    def excluded(self, settings, path):
        from . import config
        patterns = list(self.value(settings, "exclude", config.DEFAULT_EXCLUDE)) + \
            list(settings.get("extend-exclude", [])) + list(self.extend_exclude or [])
        return config.matches(settings, path, patterns)


def read_stdin(stream):
    if stream is None:
        raise ToolError("cannot read standard input: it is closed")
    try:
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    except (OSError, ValueError) as exc:
        raise ToolError("cannot read standard input: %s" % (getattr(exc, "strerror", None)
                                                            or exc))
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return data


def collect(paths, options, sources, stdin=None, stdin_filename=None):
    """(path, bytes) for every file to lint."""
    from .sources import pseudo_fs
    from .tree import walk, looks_like_supervisor
    files = []
    if stdin_filename and "-" in paths:
        # standard input stands for that file in every read of the run
        sources.stdin_as = sources.realpath(stdin_filename)
    for path in paths:
        if path == "-":
            if "-" not in sources.snapshot:
                import sys
                sources.snapshot["-"] = read_stdin(stdin if stdin is not None else sys.stdin)
            name = stdin_filename or "-"
            if stdin_filename:
                settings = options.settings_for(stdin_filename)
                if options.value(settings, "force-exclude") and \
                        options.excluded(settings, stdin_filename):
                    continue
            files.append((name, sources.overlay.get("-", sources.snapshot["-"])))
        elif os.path.isdir(path):
            top = pseudo_fs(os.path.realpath(path))
            if top is not None:
                raise ToolError("%s: lies under %s, which is never read" % (path, top))
            found_any = False
            skipped = []
            for found, data in walk(path, sources, skipped):
                if options.excluded(options.settings_for(found), found):
                    skipped.append((found, "excluded by the configuration's exclude"))
                    continue
                files.append((found, data))
                found_any = True
            options.files.extend((p, "skipped: " + why) for p, why in skipped)
            if not found_any:
                options.warn("supervisor-lint: warning: no supervisor config files "
                             "(*.conf, *.ini, their templates) found under %s" % path)
        elif os.path.exists(path) or os.path.islink(path):
            settings = options.settings_for(path)
            if options.value(settings, "force-exclude") and options.excluded(settings, path):
                options.files.append((path, "skipped: excluded by the configuration's exclude "
                                            "(force-exclude)"))
                continue
            data = sources.read(path)
            if options.supervisor_files_only and not looks_like_supervisor(data, path):
                options.files.append((path, "skipped: holds no supervisor section "
                                            "(--supervisor-files-only)"))
                continue
            files.append((path, data))
        else:
            raise ToolError("%s: no such file or directory" % path)
    return files


def lint(paths, options=None, sources=None, registry=None, stdin=None, stdin_filename=None):
    """Lint ``paths``; returns the sorted list of Diagnostics."""
    import gc
    from .config import ConfigError, clear_cache
    options = options or Options()
    sources = sources if sources is not None else Sources()
    if options.root is not None:
        sources.confine = options.root.directory
    # The reader allocates an object per line, entry and section and frees
    # nothing until the end: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        clear_cache()
        try:
            return _lint(paths, options, sources, registry, stdin, stdin_filename)
        except ConfigError as exc:
            raise ToolError(str(exc))
    finally:
        if enabled:
            gc.enable()


def check(paths, **options):
    """Lint ``paths`` as ``supervisor-lint check`` does (``options`` are the
    ``Options`` keywords: select, ignore, main_config, isolated, ...).  Returns
    the Diagnostics, their message, section and key safe to print: secrets
    masked, control characters escaped."""
    from .redact import Registry
    registry = Registry()
    found = lint(list(paths), Options(**options), Sources(), registry)
    for d in found:
        d.message = registry.text(d.message)
        if d.section is not None:
            d.section = registry.text(d.section)
        if d.key is not None:
            d.key = registry.text(d.key)
    return found


def _run_tree(tree, root_path, options, registry, wanted=None):
    """Lint one tree with the configuration of its root file."""
    from . import engine
    settings = options.settings_for(root_path)
    selection = options.selection(settings)
    unknown = selection.unknown()
    if unknown:
        raise ToolError("unknown rule code or name: %s" % ", ".join(unknown))
    disable = options.value(settings, "disable-suppressions", False)
    live = _live(tree, options.live) if options.live else None
    diags = engine.run(tree, selection, suppressions=not disable, registry=registry,
                       warn=options.once,
                       root=options.root if options.audit else None, live=live)
    if live is not None and live.processes.unreadable and os.geteuid() != 0:
        # (as root, what stays unreadable is what the kernel hides from everyone)
        options.warn("supervisor-lint: warning: the environment of %d processes could not be "
                     "read (other users' processes need root): orphans among them are not "
                     "found" % live.processes.unreadable)
    if wanted is not None:
        # the files asked for, and anything that makes supervisord refuse the tree
        diags = [d for d in diags if d.path in wanted or d.fatal]
    return options.policy(settings).apply(diags)


def _live(tree, serverurl):
    """The running supervisord of ``tree`` (or at ``serverurl``), asked now."""
    from . import live
    if serverurl is True:
        url, username, password = live.server_url(tree)
        if url is None:
            raise ToolError("--live: the config names no server ([supervisorctl] serverurl, "
                            "[unix_http_server] or [inet_http_server]); give --serverurl")
    else:
        url = serverurl
        username = os.environ.get("SUPERVISOR_USERNAME")
        password = os.environ.get("SUPERVISOR_PASSWORD")
    try:
        return live.connect(url, username, password)
    except live.LiveError as exc:
        raise ToolError(str(exc))


def _looks_across(tree):
    """Whether a fragment tree holds what the checks across files judge
    against the rest of the configuration: groups, Celery beat and workers
    (one beat, unique node names)."""
    for name, section in tree.sections.items():
        if name.startswith("group:"):
            return True
        command = section.get("command")
        if command is not None and "celery" in command.value:
            return True
    return False


def _shown(options, tree):
    seen = {path for path, _ in options.files}
    options.files.extend((doc.path, how) for doc, how in zip(tree.docs, tree.origins)
                         if doc.path not in seen)


def _lint(paths, options, sources, registry, stdin, stdin_filename):
    from .target import using
    options.files, options.partial = [], False
    files = collect(paths, options, sources, stdin, stdin_filename)
    options.target = _target(options, files)
    with using(options.target), reader.templates(options.is_template):
        return _lint_files(files, options, sources, registry, stdin_filename)


def _target(options, files):
    """The run's target: the command line, else the configuration of the
    first file (as main-config), else the default."""
    from .target import Target, TargetError
    settings = options.settings_for(files[0][0] if files else None)
    found_version, found_python = (options.detected or (None, None))[:2]
    version = options.value(settings, "target-version") or found_version or "4.3"
    python = options.value(settings, "target-python") or found_python or "3.12"
    try:
        return Target(version, python)
    except TargetError as exc:
        raise ToolError(str(exc))


def _build(main, sources, options, extra=()):
    """The tree of main config ``main``; the files it includes are templates
    when its configuration says so (a tree has its root's settings)."""
    from .tree import build_main
    said = options.is_template(main.path)
    with reader.templates(lambda path: said):
        return build_main(main, sources, extra=extra, root=options.root)


def _lint_files(files, options, sources, registry, stdin_filename):
    from .tree import build_fragments, is_main
    docs = []
    seen = set()
    # standard input first: a walk that meets the file it stands for reads it
    # again (as the same bytes), under another spelling
    stdin_names = ("-", stdin_filename)
    for path, data in sorted(files, key=lambda found: found[0] not in stdin_names):
        if path in stdin_names:
            key = sources.stdin_as or path
        else:
            key = sources.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        docs.append(reader.parse(data, path))
    results = []
    main_config = options.main_config
    if main_config is None and docs:
        main_config = options.value(options.settings_for(docs[0].path), "main-config")
        if main_config is not None and not os.path.isabs(main_config):
            # relative to the configuration file, shown relative to the working
            # directory as the same path given on the command line would be
            # (unless a link on the way makes '..' mean another directory)
            joined = os.path.join(options.settings_for(docs[0].path).root, main_config)
            shown = os.path.relpath(joined)
            main_config = shown if os.path.realpath(shown) == os.path.realpath(joined) \
                else joined
    if main_config is not None:
        main = reader.parse(sources.read(main_config), main_config)
        main_real = sources.realpath(main_config)
        reals = {sources.realpath(d.path) for d in docs}
        others = [d for d in docs if sources.realpath(d.path) != main_real]
        tree = _build(main, sources, options, extra=others)
        wanted = None
        if docs:
            # the files asked for, under whatever path the tree reaches them
            wanted = {d.path for d in docs} | {d.path for d in tree.docs
                                               if sources.realpath(d.path) in reals}
        _shown(options, tree)
        return _run_tree(tree, main_config, options, registry, wanted)
    covered = set()
    mains = set()
    for main in docs:
        if not is_main(main):
            continue
        tree = _build(main, sources, options)
        if "supervisord" not in tree.sections and \
                not any(b.name == "supervisord" for b in main.blocks) and len(tree.docs) == 1:
            continue    # an [include] but no [supervisord] anywhere: a fragment after all
        mains.add(id(main))
        for d in tree.docs:
            covered.add(sources.realpath(d.path))
        _shown(options, tree)
        results.extend(_run_tree(tree, main.path, options, registry))
    sets = {}     # the fragments no main config includes, by directory (stdin alone)
    for doc in docs:
        if id(doc) in mains or (doc.path != "-" and sources.realpath(doc.path) in covered):
            continue
        key = os.path.dirname(os.path.abspath(doc.path)) if doc.path != "-" else None
        sets.setdefault(key if key is not None else id(doc), []).append(doc)
    for group in sets.values():
        tree = build_fragments(group)
        options.partial = options.partial or _looks_across(tree)
        _shown(options, tree)
        results.extend(_run_tree(tree, tree.docs[0].path if tree.docs[0].path != "-" else None,
                                 options, registry))
    from .diagnostics import Diagnostic
    unique = {}
    for d in results:
        unique.setdefault((d.code, d.path, d.line, d.column, d.message), d)
    return sorted(unique.values(), key=Diagnostic.sort_key)
