"""What a command runs, as command.py reads it: wrappers, the Celery app,
subcommand and pool, and shlex's own split."""

import os

import pytest
from hypothesis import given, settings, strategies as st

from support import CORPUS
from supervisor_lint import command


@pytest.mark.parametrize("text,expected", [
    ("/srv/venv/bin/celery -A proj worker -P solo -c 4",
     {"sub": "worker", "app": "proj", "pool": "solo", "forks": False, "wrappers": []}),
    ("celery worker -A proj -B", {"sub": "worker", "app": "proj", "pool": "prefork", "beat": True,
                                  "globals_after": ["-A"]}),
    ("/bin/sh -c 'cd /srv && exec /srv/venv/bin/celery --app=proj beat -s /tmp/s'",
     {"sub": "beat", "app": "proj", "wrappers": ["sh -c"], "execs": True, "beat": True}),
    ("/usr/bin/env DJANGO_SETTINGS_MODULE=x uv run celery -A proj worker --pool=threads",
     {"sub": "worker", "pool": "threads", "wrappers": ["env", "uv run"]}),
    ("/srv/venv/bin/python -m celery -A proj worker", {"sub": "worker", "module": "celery",
                                                       "wrappers": ["python -m"]}),
    ("python manage.py celery worker -B", {"sub": "worker", "removed": "manage.py celery",
                                           "beat": True}),
    ("/srv/venv/bin/celeryd -B", {"sub": "worker", "removed": "celeryd", "beat": True}),
    ("bash -c \"source /srv/venv/bin/activate; celery -A p worker | tee x\"",
     {"sub": None, "program": "tee", "execs": False, "pipeline": True}),
])
def test_command_understanding(text, expected):
    cmd = command.parse(text)
    cel = cmd.celery or command.Celery()
    got = {"sub": cel.subcommand, "app": cel.app, "pool": cel.pool, "forks": cel.forks,
           "beat": cel.runs_beat, "wrappers": cmd.wrappers, "execs": cmd.script_execs,
           "pipeline": cmd.script_pipeline, "module": cmd.module, "removed": cel.removed,
           "globals_after": [t for _, t in cel.globals_after], "program": cmd.program}
    assert {k: got[k] for k in expected} == expected


def test_unbalanced_quotes_give_no_argv():
    cmd = command.parse('/bin/sh -c "echo')
    assert cmd.argv is None and cmd.error == "No closing quotation" and cmd.celery is None


def _corpus_commands():
    from supervisor_lint import reader
    if not os.path.isdir(CORPUS):
        return []
    found = []
    for name in sorted(os.listdir(CORPUS)):
        if name.endswith((".conf", ".ini")):
            with open(os.path.join(CORPUS, name), "rb") as fh:
                doc = reader.parse(fh.read(), name)
            found.extend((name, e.value) for e in doc.entries if e.key == "command")
    return found


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/corpus/real is absent")
def test_every_corpus_command_is_understood():
    import shlex
    commands = _corpus_commands()
    assert len(commands) > 150
    celery_programs = 0
    by_arguments = []
    for name, text in commands:
        cmd = command.parse(text)
        try:
            argv = shlex.split(text)
        except ValueError:
            assert cmd.argv is None
            continue
        assert cmd.argv == argv
        assert cmd.inner and cmd.executable_kind in ("absolute", "relative", "bare", "tilde")
        if cmd.celery is not None:
            celery_programs += 1
            assert cmd.celery.subcommand, (name, text)
            if cmd.celery.by_arguments:
                by_arguments.append(name)
                continue
            assert cmd.program in ("celery", "manage.py", "celeryd", "celerybeat", "celery.exe") \
                or cmd.celery.removed, (name, text)
    # Celery by its arguments: a [PATH] placeholder and an unquoted Windows path
    assert sorted(by_arguments) == ["041-django-courseproject-windows-paths.conf",
                                    "104-shell-script-flower-placeholders.conf"]
    # the corpus holds 81 Celery programs by the reference catalog's own count
    assert celery_programs >= 78


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -=%/\t\r\n\"'\\\\\x0b\xa0#")), max_size=40))
def test_command_split_equals_shlex(text):
    import shlex
    try:
        expected = (shlex.split(text), None)
    except ValueError as exc:
        expected = (None, str(exc))
    assert command.split(text) == expected


def test_celery_option_tables_match_celerys_click_definitions():
    """The option tables the command reading uses (issue 12, item 6) hold
    every option Celery's own click definitions declare, each on the right
    side (takes a value or not), for the global group and worker/beat/events."""
    click = pytest.importorskip("click")
    bin_celery = pytest.importorskip("celery.bin.celery")
    group = bin_celery.celery

    def options(params):
        values, flags = set(), set()
        for p in params:
            if isinstance(p, click.Option):
                names = set(p.opts) | set(p.secondary_opts)
                (flags if p.is_flag or p.count else values).update(names)
        return values, flags
    values, flags = options(group.params)
    assert values == command.CELERY_GLOBAL_VALUE
    assert flags - {"--version", "--help"} == command.CELERY_GLOBAL_FLAG
    ctx = click.Context(group)
    for name in ("worker", "beat", "events"):
        values, flags = options(group.get_command(ctx, name).params)
        assert values - {"--help"} <= command.CELERY_SUB_VALUE - command.CELERY_SUB_FLAGS_TAKE_NO_VALUE, name
        assert flags - {"--help"} <= command.CELERY_SUB_FLAGS, name
    assert sorted(command.CELERY_RUNNING - {"flower"}) == sorted(
        n for n in ("worker", "beat", "events", "multi") if group.get_command(ctx, n))
