"""Jinja templates (issue 14, item 3): Ansible's roles/*/templates/*.conf.j2
are linted with {{ }} expressions as values the linter cannot know, {% %}
and {# #} as no config, and positions in the template."""

import os
import shutil

from support import lint_json

ROLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ansible-role")


def _role(tmp_path):
    role = tmp_path / "roles" / "celery"
    shutil.copytree(ROLE, str(role))
    return role


def test_a_realistic_role_is_clean(tmp_path):
    role = _role(tmp_path)
    status, diags, err = lint_json(["--isolated", str(tmp_path)])
    assert (status, diags, err) == (0, [], "")
    # found by the walk: both templates, read as templates
    from support import run
    status, out, err = run(["check", "--isolated", "--show-files", str(tmp_path)])
    assert sorted(line.rsplit("/", 1)[1].split(":")[0] for line in out.splitlines()) == [
        "celery.conf.j2", "web.ini.j2"]
    assert role.exists()


def test_its_broken_twin_gets_exactly_the_real_findings(tmp_path):
    role = _role(tmp_path)
    path = role / "templates" / "celery.conf.j2"
    text = path.read_text()
    text = text.replace("autostart=true", "autostart=ture").replace(
        "killasgroup=true\n", "killasgroup=true\nstopasgroup=true\n").replace(
        "-A {{ celery_app }} worker --loglevel", "worker -A {{ celery_app }} --loglevel")
    path.write_text(text)
    status, diags, err = lint_json(["--isolated", str(path)])
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [
        ("SV401", 3, 9), ("SV103", 8, 11), ("SV203", 12, 13)]
    assert diags[1]["message"].startswith("autostart=ture: supervisord refuses to load")
    # no finding comes from the template syntax itself
    assert not any("TEMPLATE" in d["message"] or "ENV_" in d["message"] for d in diags)
    assert diags[0]["message"].startswith("celery worker -A: Celery 5 takes -A only before")
    assert "write celery -A {{ }} worker" in diags[0]["message"]


def test_template_syntax_alone_gives_nothing(tmp_path):
    path = tmp_path / "x.conf.j2"
    path.write_text("{% set n = 2 %}\n[program:{{ name }}]\ncommand={{ cmd }}\n"
                    "numprocs={{ n }}\nprocess_name=%(program_name)s_%(process_num)d\n"
                    "user={{ user }}\nenvironment=A=\"{{ a }}\"{% if b %},B=\"{{ b }}\"{% endif %}\n"
                    "{% if x %}\n[program:y]\ncommand=/bin/a\nuser=y\n{% else %}\n[program:y]\n"
                    "command=/bin/b\nuser=y\n{% endif %}\n")
    status, diags, err = lint_json(["--isolated", str(path)])
    assert (status, diags) == (0, [])
    # the same text as a plain .conf: the braces are read as they are
    plain = tmp_path / "x.conf"
    plain.write_text(path.read_text())
    status, diags, err = lint_json(["--isolated", str(plain)])
    assert status == 1 and diags


def test_the_hooks_take_templates():
    import re
    with open(os.path.join(os.path.dirname(ROLE), "..", "..", ".pre-commit-hooks.yaml")) as fh:
        hooks = fh.read()
    patterns = re.findall(r"files: '([^']+)'", hooks)
    assert len(patterns) == 2
    for pattern in patterns:
        for name in ("a.conf", "b.ini", "templates/c.conf.j2", "d.ini.j2", "e.conf.jinja"):
            assert re.search(pattern, name), (pattern, name)
        assert not re.search(pattern, "notes.txt.j2")
