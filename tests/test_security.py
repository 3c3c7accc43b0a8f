"""The security rules (SV3xx): the control server, privileges and secrets."""

import pytest

from cases import W, case
from support import lint_json, lint_text


CASES = [
    # code, config, (line, column), severity, start of the message
    ('SV301', "[inet_http_server]\nport=127.0.0.1:9001\n",
     (1, 1), 'error', '[inet_http_server] has no username and password: anyone who can reach '),
    ('SV302', "[inet_http_server]\nport=*:9001\nusername=admin\npassword={SHA}0123456789abcdef0123456789abcdef01234567\n",
     (2, 6), 'warning', "port=*:9001 listens on every network interface: supervisord's control "),
    ('SV303', "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword=hunter2\n",
     (4, 10), 'warning', '[inet_http_server] password is written in clear text: anyone who can r'),
    ('SV304', "[unix_http_server]\nfile=/run/supervisor.sock\nchmod=0777\n",
     (3, 7), 'error', "chmod=0777 lets every local user write to supervisord's control socket"),
    ('SV305', W.replace("user=celery\n", ""),
     (1, 1), 'error', 'no user=: this Celery worker runs as root; Celery refuses to start as '),
    ('SV305', "[program:web]\ncommand=/srv/app/venv/bin/gunicorn app:app\nuser=root\n",
     (3, 6), 'warning', 'user=root: under a root supervisord this program runs as root; set use'),
    ('SV306', W + "environment=CELERY_BROKER_URL=\"redis://:s3cret@redis:6379/0\"\n",
     (9, 13), 'warning', 'environment variable CELERY_BROKER_URL holds a URL with a password: it'),
    ('SV306', W.replace("worker\n", "worker -b amqp://user:s3cret@mq//\n", 1),
     (2, 9), 'warning', 'the command line holds a URL with a password: every local user sees it'),
]


@pytest.mark.parametrize("code,text,where,severity,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, severity, message):
    # --extend-select: the opt-in rules (SV205) run only when asked for
    case(tmp_path, code, text, where, severity, message)


TWINS = [
    "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\n"
    "password={SHA}0123456789abcdef0123456789abcdef01234567\n",
    "[unix_http_server]\nfile=/run/supervisor.sock\nchmod=0700\n",
]


@pytest.mark.parametrize("text", TWINS)
def test_clean_twin_is_silent(tmp_path, text):
    assert lint_text(text, tmp_path) == []


def test_secret_values_never_appear_in_any_output(tmp_path):
    text = W.replace("worker\n", "worker -b amqp://u:Sup3rS3cret@mq// --password=Hunter2x\n", 1) + \
        "environment=AWS_SECRET_ACCESS_KEY=\"AKIAwhatever9\",DB_PASSWORD=\"pa55word\"\n"
    path = tmp_path / "w.conf"
    path.write_text(text)
    status, diags, err = lint_json([str(path)])
    assert {d["code"] for d in diags} >= {"SV306"}
    out = repr(diags)
    for secret in ("Sup3rS3cret", "Hunter2x", "AKIAwhatever9", "pa55word"):
        assert secret not in out


def test_supervisord_messages_quoting_values_are_redacted(tmp_path):
    text = ("[program:web]\ncommand=/bin/true\nuser=web\n"
            "environment=DATABASE_URL=postgres://app:Sup3rS3cret@db/x,DB_PASSWORD=pa55word\n")
    diags = lint_text(text, tmp_path)
    (d,) = [d for d in diags if d["code"] == "SV107"]
    assert d["message"].startswith("environment: supervisord refuses to load: Unexpected end "
                                   "of key/value pairs (the value holds a secret; not shown).")
    assert "Sup3rS3cret" not in repr(diags) and "pa55word" not in repr(diags)


@pytest.mark.parametrize("command", [
    "/usr/sbin/gosu app /srv/app/bin/server", "su-exec app:app /srv/app/bin/server",
    "chpst -u app /srv/app/bin/server", "runuser -u app -- /srv/app/bin/server",
    "setpriv --reuid=1000 --regid=1000 --init-groups /srv/app/bin/server",
    "s6-setuidgid app /srv/app/bin/server",
    "/usr/bin/uwsgi --uid www-data --gid www-data --ini /etc/uwsgi/app.ini",
    "/srv/app/venv/bin/gunicorn --user app --group app app.wsgi",
    "/usr/sbin/pure-ftpd -l puredb:/etc/pure-ftpd/pureftpd.pdb", "/usr/bin/dockerd",
    # found in the precision run: daemons that start as root and switch user, or must
    "/usr/sbin/rabbitmq-server", "/usr/sbin/syslog-ng -F", "/usr/sbin/cron -f",
    "/usr/sbin/smbd --foreground --no-process-group", "/usr/sbin/avahi-daemon",
    "/usr/sbin/xinetd -dontfork", "service mysql start",
])
def test_a_command_that_drops_privileges_itself_is_not_running_as_root(tmp_path, command):
    """issue 12, item 4: no runs-as-root advice for what switches user itself
    or must start as root; the same command without the switch still gets it."""
    text = "[program:svc]\ncommand=%s\nautorestart=true\n" % command
    assert "SV305" not in [d["code"] for d in lint_text(text, tmp_path, args=["--select",
                                                                               "SV305"])]


def test_the_same_commands_without_the_switch_still_run_as_root(tmp_path):
    for command in ("/usr/bin/uwsgi --ini /etc/uwsgi/app.ini", "/srv/app/venv/bin/gunicorn app",
                    "setpriv --init-groups /srv/app/bin/server"):
        text = "[program:svc]\ncommand=%s\nautorestart=true\n" % command
        diags = lint_text(text, tmp_path, args=["--select", "SV305"])
        assert [(d["code"], d["line"]) for d in diags] == [("SV305", 1)], command


def test_a_host_and_port_before_a_comment_is_no_password(tmp_path):
    """serverurl=http://localhost:9001 ; a comment: the port is shown (it was
    masked as the password of a URL whose '@host' the comment cut off)."""
    text = ("[inet_http_server]\nport=*:9001\n[supervisord]\n[supervisorctl]\n"
            "serverurl=http://localhost:9001 ; use an http:// url\n")
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV302"]
    assert d["message"].startswith("port=*:9001 listens on every network interface")


def test_every_interface_whatever_the_port_variable_is(tmp_path):
    """Issue 13, item 4: port=*:%(ENV_X)s listens on every interface."""
    text = "[inet_http_server]\nport=*:%(ENV_PORT)s\n[supervisord]\n"
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == "SV302"]
    assert (d["line"], d["column"], d["message"]) == (2, 6, (
        "port=*:%(ENV_PORT)s listens on every network interface whatever %(ENV_PORT)s is: "
        "supervisord's control server is reachable from other machines; bind it to "
        "127.0.0.1:%(ENV_PORT)s"))
    for twin in ("port=%(ENV_PORT)s", "port=127.0.0.1:%(ENV_PORT)s", "port=%(ENV_HOST)s:9001"):
        text = "[inet_http_server]\n%s\n[supervisord]\n" % twin
        assert "SV302" not in [d["code"] for d in lint_text(text, tmp_path)], twin
