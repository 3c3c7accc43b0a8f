"""What the rule tests share: clean configs to build cases on, and the
two kinds of case (a core rule with only SV0/SV1 selected; any rule with the
default selection plus its own code)."""

from support import lint_text

CORE = ("--select", "SV0,SV1")
P = "[program:web]\ncommand=/bin/true\n"   # a clean program to build on
# A correct Celery 5 prefork worker; most cases change one thing in it.
W = "[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\nuser=celery\nautorestart=true\nstopwaitsecs=600\nkillasgroup=true\numask=022\n"
BEAT = ("[program:beat]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/sched\n"
        "directory=/srv/app\nuser=celery\nautorestart=true\numask=022\n")


def core_lint(text, tmp_path, name="test.conf"):
    return lint_text(text, tmp_path, name, CORE)


def core_case(tmp_path, code, text, where, message):
    diags = [d for d in core_lint(text, tmp_path) if d["code"] == code]
    assert diags, "no %s in %r" % (code, text)
    first = diags[0]
    assert (first["line"], first["column"]) == where
    assert first["message"].startswith(message), first["message"]


def case(tmp_path, code, text, where, severity, message):
    diags = [d for d in lint_text(text, tmp_path, args=["--extend-select", code])
             if d["code"] == code]
    assert diags, "no %s in %r" % (code, text)
    first = diags[0]
    assert (first["line"], first["column"], first["severity"]) == where + (severity,)
    assert first["message"].startswith(message), first["message"]
    assert first["fatal"] is False


def apply(text, fix):
    data = text.encode()
    for edit in sorted(fix["edits"], key=lambda e: -e["start"]):
        data = data[:edit["start"]] + edit["replacement"].encode() + data[edit["end"]:]
    return data.decode()


def fix_of(tmp_path, text, code):
    (d,) = [d for d in lint_text(text, tmp_path) if d["code"] == code]
    return d["fix"]
