"""The Celery rules (SV4xx): the command line, beat, shutdown and node names."""

import os

import pytest

from cases import W, apply, case, fix_of
from support import lint_json, lint_text


CASES = [
    # code, config, (line, column), severity, start of the message
    ('SV401', W.replace("celery -A proj worker", "celery worker -A proj"),
     (2, 9), 'error', 'celery worker -A: Celery 5 takes -A only before the subcommand and exi'),
    ('SV402', W.replace("worker\n", "worker -B\n", 1) + "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n",
     (9, 10), 'error', 'a worker with -B with numprocs=2 runs 2 schedulers: every periodic tas'),
    ('SV402', W + "[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/s\ndirectory=/srv/app\nuser=celery\nautorestart=true\numask=022\n[program:beat2]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/s2\ndirectory=/srv/app\nuser=celery\nautorestart=true\numask=022\n",
     (10, 9), 'error', '2 beat schedulers in this configuration ([program:beat], [program:beat'),
    ('SV403', W.replace("stopwaitsecs=600\n", ""),
     (1, 1), 'warning', 'stopwaitsecs is not set (10 seconds), but a warm shutdown waits for th'),
    ('SV403', W.replace("worker\n", "worker --time-limit=900\n", 1),
     (6, 14), 'warning', "stopwaitsecs=600, but the worker's --time-limit is 900 s: supervisord "),
    ('SV404', W + "stopsignal=QUIT\n",
     (9, 12), 'warning', "stopsignal=QUIT: QUIT is Celery's cold shutdown: running tasks are ter"),
    ('SV405', W + "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n",
     (2, 9), 'warning', 'numprocs=2 workers all take the default node name celery@<host>: remot'),
    ('SV406', W.replace("/srv/app/venv/bin/celery -A proj worker", "/usr/bin/python3 -m celery -A proj worker"),
     (2, 9), 'warning', '/usr/bin/python3 -m celery runs the system interpreter: it imports the'),
    ('SV406', W + "environment=VIRTUAL_ENV=\"/srv/other/venv\"\n",
     (2, 9), 'warning', '/srv/app/venv/bin/celery comes from the virtualenv /srv/app/venv, but '),
    ('SV407', W.replace("/srv/app/venv/bin/celery -A proj worker", "/srv/app/venv/bin/celeryd"),
     (2, 9), 'error', 'celeryd is gone since Celery 4.0 (only the celery program remains): th'),
    ('SV407', W.replace("worker\n", "worker --maxtasksperchild=10\n", 1),
     (2, 9), 'error', "--maxtasksperchild is no longer a Celery option: Celery 5 exits with '"),
    ('SV408', W.replace("directory=/srv/app\n", "directory=.\n"),
     (3, 11), 'warning', "celery -A proj imports proj from the working directory (unless it is an"),
    ('SV408', W.replace("directory=/srv/app\n", ""),
     (1, 1), 'warning', 'celery -A proj imports proj from the working directory (unless it is a'),
    ('SV409', "[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat\nuser=celery\nautorestart=true\numask=022\n",
     (2, 9), 'warning', 'beat keeps its schedule file celerybeat-schedule in its working direct'),
    ('SV401', W.replace("celery -A proj worker", "celery -l INFO -A proj worker"),
     (2, 9), 'error', 'celery -l worker: Celery 5 rejects -l before the subcommand and exits'),
    ('SV406', W.replace("/srv/app/venv/bin/celery -A proj worker", "/usr/bin/python3 -m celery -A proj worker") + "environment=VIRTUAL_ENV=\"/srv/app/venv\"\n",
     (2, 9), 'warning', '/usr/bin/python3 -m celery runs the system interpreter: it imports the'),
    ('SV401', W.replace("celery -A proj worker", "celery --beat -A proj worker"),
     (2, 9), 'error', 'celery --beat worker: Celery 5 rejects --beat before the subcommand a'),
    ('SV411', W.replace("worker\n", "worker --logfile -n w1@%%h\n", 1),
     (2, 9), 'error', '--logfile -n: an option that takes a value takes the next word whatev'),
    ('SV408', W.replace("/srv/app/venv/bin/celery -A proj", "[CELERY] -A proj").replace(
        "directory=/srv/app\n", ""),
     (1, 1), 'warning', 'celery -A proj imports proj from the working directory (unless it is a'),
]


@pytest.mark.parametrize("code,text,where,severity,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, severity, message):
    # --extend-select: the opt-in rules (SV205) run only when asked for
    case(tmp_path, code, text, where, severity, message)


def test_numbered_workers_with_their_own_node_names_are_clean(tmp_path):
    text = W.replace("worker\n", "worker -n w%(process_num)02d@%%h\n", 1) + \
        "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n"
    assert lint_text(text, tmp_path) == []


def test_examples_celery_good_is_clean():
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples",
                        "celery-good")
    status, diags, err = lint_json([root])
    assert (status, diags, err) == (0, [], "")


def test_sv401_fix_moves_the_app_option(tmp_path):
    text = W.replace("celery -A proj worker", "celery worker -A proj --loglevel=INFO")
    fix = fix_of(tmp_path, text, "SV401")
    assert fix["applicability"] == "safe"
    assert apply(text, fix) == W.replace("celery -A proj worker", "celery -A proj worker --loglevel=INFO")


def test_pool_index_does_not_make_node_names_unique(tmp_path):
    # Celery's %i/%I are the pool process index: 0/empty in the node name of
    # every copy, so only %(process_num) tells numprocs copies apart
    text = W.replace("worker\n", "worker -n w%%i@%%h\n", 1) + \
        "numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV405"]
    assert d["message"].startswith("numprocs=2 workers share the node name w%i@%h")


def test_an_unknown_subcommand_gets_sv410_and_no_reordering_fix(tmp_path):
    """issue 12, item 6: `celery -A x wsgi` fails with "No such command";
    SV401 must not offer a reordering that would still fail."""
    text = W.replace("celery -A proj worker", "celery -l INFO -A proj wsgi")
    diags = lint_text(text, tmp_path)
    found = {d["code"]: d for d in diags}
    assert found["SV410"]["line"] == 2 and found["SV410"]["message"].startswith(
        "celery -A proj wsgi: Celery 5 has no subcommand 'wsgi'")
    assert all(d["fix"] is None for d in diags if d["code"] == "SV401")
    for sub in ("flower --port=5555", "events", "beat -s /var/lib/celery/beat"):
        text = W.replace("celery -A proj worker", "celery -A proj " + sub)
        assert "SV410" not in [d["code"] for d in lint_text(text, tmp_path)], sub


def test_laravel_queue_work_needs_stopwaitsecs_above_its_timeout(tmp_path):
    """issue 12, item 7: SV403 beyond Celery, for the job worker Laravel's
    guide itself tells to give stopwaitsecs above its longest job."""
    base = "[program:queue]\ncommand=php /var/www/app/artisan queue:work%s\nuser=www-data\n" \
           "autorestart=true\n"
    diags = lint_text(base % "", tmp_path, args=["--select", "SV403"])
    assert [(d["line"], d["column"]) for d in diags] == [(1, 1)]
    assert diags[0]["message"].startswith("stopwaitsecs is not set (10 seconds), but queue:work "
                                          "finishes the running job on TERM and may take its "
                                          "--timeout (60 s)")
    for twin in (base % " --timeout=90" + "stopwaitsecs=3600\n", base % "" + "stopwaitsecs=90\n",
                 base.replace("queue:work%s", "queue:listen%s") % ""):
        assert lint_text(twin, tmp_path, args=["--select", "SV403"]) == [], twin


def test_an_option_that_swallows_the_next_says_what_follows(tmp_path):
    """issue 12, item 6, measured with Celery 5.7.0: `--logfile -n w1`
    leaves w1 over (it exits at start); `-f -E` starts, logging to '-E'."""
    def sv411(command):
        text = W.replace("/srv/app/venv/bin/celery -A proj worker", command)
        return [d["message"] for d in lint_text(text, tmp_path) if d["code"] in ("SV411", "SV410")]
    assert sv411("/srv/app/venv/bin/celery -A proj worker --logfile -n w1@%%h") == [
        '--logfile -n: an option that takes a value takes the next word whatever it is, so -n '
        'is --logfile\'s value, not an option, and w1@%h is left over: Celery exits at start '
        'with "Unable to parse extra configuration from command line"; give --logfile its value']
    assert sv411("/srv/app/venv/bin/celery -A proj worker -f -E") == [
        "-f -E: an option that takes a value takes the next word whatever it is, so -E is -f's "
        "value, not an option, and the program starts with -f set to '-E'; give -f its value"]
    # before the subcommand: -A takes -b, and SV410 does not report 'redis://' as a subcommand
    assert sv411("/srv/app/venv/bin/celery -A -b redis:// worker") == [
        "-A -b: an option that takes a value takes the next word whatever it is, so -b is -A's "
        "value, not an option, and redis:// is read as the subcommand: Celery exits at start "
        "with \"No such command 'redis://'.\"; give -A its value"]
    # twins: values that look like options but are not Celery's, and flags before values
    for command in ("/srv/app/venv/bin/celery -A proj worker --logfile /var/log/w.log -n w1@%%h",
                    "/srv/app/venv/bin/celery -A proj worker -E -n w1@%%h",
                    "/srv/app/venv/bin/celery -A proj worker --exclude-queues -w-queue"):
        assert sv411(command) == [], command


def test_celery_is_recognised_by_its_arguments(tmp_path):
    """issue 12, item 6: a placeholder or unusual path with -A app worker
    still gets the Celery rules; other programs with -A do not."""
    for exe in ("[PATH]", "C:\\venv\\Scripts\\celery.exe", "/opt/bin/run-celery"):
        text = W.replace("/srv/app/venv/bin/celery -A proj worker", exe + " -A proj worker") \
            .replace("stopwaitsecs=600\n", "")
        assert "SV403" in [d["code"] for d in lint_text(text, tmp_path)], exe
    for command in ("/usr/bin/tool -A proj run", "/usr/bin/tool worker", "/usr/bin/tool -b x worker"):
        text = W.replace("/srv/app/venv/bin/celery -A proj worker", command) \
            .replace("stopwaitsecs=600\n", "")
        assert "SV403" not in [d["code"] for d in lint_text(text, tmp_path)], command


def test_other_job_workers_with_a_warm_shutdown(tmp_path):
    """issue 12, item 7: rq, dramatiq and huey finish their running jobs on
    their graceful signal (checked in rq 2's Worker.request_stop, dramatiq's
    --worker-shutdown-timeout, huey's --graceful-signal); huey takes TERM as
    its immediate shutdown."""
    def found(command, extra=""):
        text = "[program:jobs]\ncommand=/srv/venv/bin/%s\nuser=app\nautorestart=true\n%s" % (
            command, extra)
        return [(d["code"], d["line"], d["column"], d["message"])
                for d in lint_text(text, tmp_path, args=["--select", "SV403,SV404"])]
    assert found("rq worker high default") == [
        ("SV403", 1, 1, "stopwaitsecs is not set (10 seconds), but rq worker finishes the "
         "running job on TERM (a warm shutdown), and an rq job may run for its job_timeout "
         "(180 s by default): supervisord SIGKILLs it first and the job is cut off; set "
         "stopwaitsecs=210")]
    assert found("dramatiq app.tasks", "stopwaitsecs=30\n") == [
        ("SV403", 5, 14, "stopwaitsecs=30, but dramatiq waits on TERM for its running actors "
         "up to its --worker-shutdown-timeout (600 s): supervisord SIGKILLs it first and the job "
         "is cut off; set stopwaitsecs=630")]
    assert found("dramatiq app.tasks --worker-shutdown-timeout=120000", "stopwaitsecs=90\n")[0][3] \
        .startswith("stopwaitsecs=90, but dramatiq waits on TERM for its running actors up to "
                    "its --worker-shutdown-timeout (120 s)")
    assert found("huey_consumer app.huey") == [
        ("SV404", 1, 1, "stopsignal is not set (TERM): huey's consumer takes TERM as its "
         "immediate shutdown and interrupts the running tasks (its graceful signal is INT); use "
         "stopsignal=INT")]
    assert found("huey_consumer app.huey", "stopsignal=INT\n") == [
        ("SV403", 1, 1, "stopwaitsecs is not set (10 seconds), but huey's graceful shutdown "
         "waits for the running tasks: supervisord SIGKILLs it first and the job is cut off; "
         "set stopwaitsecs=630")]
    # clean twins
    for command, extra in (("rq worker", "stopwaitsecs=240\n"),
                           ("dramatiq app.tasks --worker-shutdown-timeout 20000", "stopwaitsecs=30\n"),
                           ("huey_consumer app.huey -g TERM", "stopwaitsecs=700\n"),
                           ("huey_consumer app.huey", "stopsignal=INT\nstopwaitsecs=700\n"),
                           ("rq info", "")):
        assert found(command, extra) == [], command


def test_a_placeholder_directory_is_not_judged(tmp_path):
    for directory in ("<project dir>", "{{ app_dir }}", "${APP_DIR}", "[DIR]", "[DIR]/app"):
        text = W.replace("directory=/srv/app\n", "directory=%s\n" % directory)
        assert "SV408" not in [d["code"] for d in lint_text(text, tmp_path)], directory


def test_a_directory_through_an_unknown_variable_is_set(tmp_path):
    """issue 12, item 1: directory=%(ENV_APP)s is set, whatever APP is."""
    text = "[program:beat]\ncommand=/srv/venv/bin/celery -A proj beat\ndirectory=%(ENV_APP)s\n" \
           "user=celery\nautorestart=true\n"
    diags = lint_text(text, tmp_path, args=["--select", "SV408,SV409"])
    assert [(d["code"], d["severity"], d["message"]) for d in diags] == [
        ("SV409", "info", "beat keeps its schedule file celerybeat-schedule in its working "
         "directory %(ENV_APP)s, which must be writable by the program's user and survive "
         "deploys; set -s /var/lib/celery/celerybeat-schedule")]


def test_huey_waits_up_to_its_shutdown_timeout(tmp_path):
    text = "[program:huey]\ncommand=/srv/venv/bin/huey_consumer app.huey -t 120\nuser=app\n" \
           "autorestart=true\nstopsignal=INT\nstopwaitsecs=%d\n"
    diags = lint_text(text % 90, tmp_path, args=["--select", "SV403,SV404"])
    assert [(d["code"], d["line"], d["message"]) for d in diags] == [
        ("SV403", 6, "stopwaitsecs=90, but huey's graceful shutdown waits for the running tasks "
         "up to its --shutdown-timeout (120 s): supervisord SIGKILLs it first and the job is cut "
         "off; set stopwaitsecs=150")]
    assert lint_text(text % 150, tmp_path, args=["--select", "SV403,SV404"]) == []
