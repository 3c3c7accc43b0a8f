"""supervisor-lint: a linter, validator and autofixer for Supervisor
(supervisord) configuration files.

    >>> import supervisor_lint
    >>> for d in supervisor_lint.check(["deploy/supervisord.conf"], isolated=True):
    ...     print(d.path, d.line, d.column, d.code, d.severity, d.fatal, d.message)

``check(paths, **options)`` lints as ``supervisor-lint check`` does (the
options are ``runner.Options``'s: select, ignore, extend_select, main_config,
config, isolated, ...) and returns ``diagnostics.Diagnostic`` objects whose
message, section and key are safe to print.  Errors the command line reports
with exit status 2 raise ``sources.ToolError``."""

__version__ = "0.2.0.dev0"


def check(paths, **options):
    from .runner import check as _check
    return _check(paths, **options)
