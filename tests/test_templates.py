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
        for name in ("a.conf", "b.ini", "templates/c.conf.j2", "d.ini.j2", "e.conf.jinja",
                     "f.conf.jinja2", "roles/w/templates/program.j2", "templates/x.jinja"):
            assert re.search(pattern, name), (pattern, name)
        for name in ("notes.txt.j2", "roles/w/files/program.j2", "mytemplates/x.j2",
                     "templates/sub/x.j2", "a.conf.bak"):
            assert not re.search(pattern, name), (pattern, name)


def test_walks_take_what_the_hooks_take(tmp_path):
    """A directory walk reads the names the hooks pass, and the content decides:
    a template in Ansible's templates/ of any name, not a systemd unit's."""
    import re
    from supervisor_lint.tree import walked
    with open(os.path.join(os.path.dirname(ROLE), "..", "..", ".pre-commit-hooks.yaml")) as fh:
        pattern = re.findall(r"files: '([^']+)'", fh.read())[0]
    for name in ("a.conf", "b.ini", "t/c.conf.j2", "d.ini.j2", "e.conf.jinja", "f.conf.jinja2",
                 "roles/w/templates/program.j2", "templates/x.jinja", "notes.txt.j2",
                 "roles/w/files/program.j2", "mytemplates/x.j2", "a.conf.bak", "x.j2"):
        assert walked(os.path.join("/r", name)) == bool(re.search(pattern, name)), name
    templates = tmp_path / "roles" / "worker" / "templates"
    templates.mkdir(parents=True)
    (templates / "program.j2").write_text(
        "[program:{{ name }}]\ncommand={{ venv }}/bin/serve\nuser={{ user }}\n"
        "autorestart=ture\n")
    (templates / "supervisor.service.j2").write_text(
        "[Unit]\nDescription=Supervisor\n[Service]\nExecStart=/usr/bin/supervisord -n\n")
    (templates / "program.conf.jinja2").write_text("[program:b]\ncommand=/bin/cat\nuser=b\n"
                                                   "autorestart=true\n")
    status, diags, err = lint_json(["--isolated", str(tmp_path)])
    assert [(os.path.basename(d["path"]), d["code"], d["line"]) for d in diags] == [
        ("program.j2", "SV103", 4)]
    from support import run
    status, out, err = run(["check", "--isolated", "--show-files", str(tmp_path)])
    assert [line.rsplit("/", 1)[1] for line in out.splitlines()] == [
        "supervisor.service.j2: skipped: holds no supervisor section",
        "program.conf.jinja2: fragment: no main config includes it; linted with the 1 other "
        "file of its directory as one conf.d",
        "program.j2: fragment: no main config includes it; linted with the 1 other file of "
        "its directory as one conf.d"]


SALT = ("{% set workers = salt['pillar.get']('celery:workers', 2) %}\n"
        "[program:celery]\n"
        "command={{ venv }}/bin/celery -A proj worker --concurrency={{ workers }}\n"
        "directory={{ app_dir }}\n"
        "user={{ user }}\n"
        "numprocs={{ workers }}\n"
        "process_name=%(program_name)s_%(process_num)02d\n"
        "stopwaitsecs=600\n"
        "autorestart=true\n"
        "killasgroup=true\n"
        "umask=022\n"
        "{% if beat %}\n"
        "[program:beat]\n"
        "command={{ venv }}/bin/celery -A proj beat -s /var/lib/celery/schedule\n"
        "directory={{ app_dir }}\n"
        "user={{ user }}\n"
        "autorestart=true\n"
        "{% endif %}\n")


def _salt(tmp_path, setting=None, text=SALT):
    """A Salt state's file (salt/files/celery.conf, rendered with
    ``template: jinja``): a template whose name does not say so."""
    if setting is not None:
        (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\n%s\n' % setting)
    path = tmp_path / "salt" / "files" / "celery.conf"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_the_configuration_makes_any_file_a_template(tmp_path):
    path = _salt(tmp_path, 'template = "jinja"')
    assert lint_json([str(path)]) == (0, [], "")
    # the same file without the setting: its template syntax read as config
    (tmp_path / "pyproject.toml").unlink()
    status, diags, err = lint_json([str(path)])
    assert status == 1
    assert [(d["code"], d["line"]) for d in diags if d["code"] == "SV001"] == [
        ("SV001", 1), ("SV001", 12), ("SV001", 18)]


def test_the_command_line_says_it_too_and_wins(tmp_path):
    path = _salt(tmp_path)
    assert lint_json(["--template", "jinja", str(path)]) == (0, [], "")
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\ntemplate = "jinja"\n')
    status, diags, err = lint_json(["--template", "auto", str(path)])
    assert status == 1 and diags[0]["code"] == "SV001"
    # a .j2 is a template whatever the setting
    j2 = tmp_path / "x.conf.j2"
    j2.write_text(SALT)
    assert lint_json(["--template", "auto", "--isolated", str(j2)]) == (0, [], "")


def test_a_real_finding_in_such_a_template(tmp_path):
    path = _salt(tmp_path, 'template = "jinja"', SALT.replace("autorestart=true",
                                                               "autorestart=ture", 1))
    status, diags, err = lint_json([str(path)])
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("SV103", 9, 13)]


def test_files_a_main_config_includes_are_read_as_templates_too(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.supervisor-lint]\ntemplate = "jinja"\n')
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\n"
        "[include]\nfiles = conf.d/*.conf\n")
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "celery.conf").write_text(SALT)
    status, diags, err = lint_json([str(tmp_path / "supervisord.conf")])
    assert (status, [d["code"] for d in diags]) == (0, []), diags


def test_fix_and_diff_read_the_fixed_file_as_a_template(tmp_path):
    # the fixer verifies its result by reading it again: as a template, or
    # the {% %} lines would make it refuse its own fix
    path = _salt(tmp_path, 'template = "jinja"', SALT.replace("killasgroup=true\n", ""))
    from support import run
    status, out, err = run(["check", "--diff", str(path)])
    assert (status, err) == (1, "")
    assert "+killasgroup=true\n {% if beat %}\n" in out
    status, out, err = run(["check", "--fix", str(path)])
    assert (status, err) == (0, ""), out
    assert path.read_text() == SALT.replace("killasgroup=true\n", "").replace(
        "umask=022\n", "umask=022\nkillasgroup=true\n")


def test_a_bad_template_setting_is_one_line(tmp_path):
    path = _salt(tmp_path, 'template = "mako"')
    status, diags, err = lint_json([str(path)])
    assert status == 2
    assert err == "supervisor-lint: error: %s:2: template: 'mako' is no template language " \
        "(jinja, auto)\n" % (tmp_path / "pyproject.toml")


def test_a_templates_directory_holds_other_templates_too(tmp_path):
    """A compose file or a unit in roles/x/templates/ is no supervisor file,
    however its keys look: only a section header makes such a template one."""
    templates = tmp_path / "roles" / "app" / "templates"
    templates.mkdir(parents=True)
    compose = templates / "docker-compose.yml.j2"
    compose.write_text("services:\n  web:\n    command: gunicorn app\n  worker:\n"
                       "    command: celery -A proj worker\n    user: app\n")
    (templates / "deployment.yaml.j2").write_text(
        "spec:\n  containers:\n  - command: [a]\n    directory: x\n  - command: [b]\n")
    assert lint_json(["--isolated", str(tmp_path)])[:2] == (0, [])
    # the hook's own command line, with the file named
    from support import run
    status, out, err = run(["check", "--isolated", "--force-exclude", "--supervisor-files-only",
                            str(compose)])
    assert (status, out) == (0, "")
    # a fragment named x.conf whose header is broken still counts by its keys
    conf = templates / "x.conf.j2"
    conf.write_text("[program:a\ncommand=/bin/a\nuser=a\n")
    status, diags, err = lint_json(["--isolated", str(tmp_path)])
    assert [(os.path.basename(d["path"]), d["code"]) for d in diags][:1] == [
        ("x.conf.j2", "SV001")]


def test_a_walk_of_the_templates_directory_itself(tmp_path, monkeypatch):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "program.j2").write_text("[program:a]\ncommand=/bin/a\nuser=a\n"
                                          "autorestart=ture\n")
    from support import run
    for cwd, path in ((templates, "."), (tmp_path, "templates/."), (templates, "./")):
        status, out, err = run(["check", "--isolated", path], cwd=str(cwd))
        assert status == 1 and "SV103 [error] autorestart=ture" in out, (cwd, path, err)


def test_included_files_take_the_main_configs_template_setting(tmp_path):
    """A tree has its root's settings: a configuration beside an included
    file (even a broken one) neither makes it a template nor stops the run."""
    (tmp_path / "supervisord.conf").write_text(
        "[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\n"
        "[include]\nfiles = conf.d/*.conf\n")
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "celery.conf").write_text(SALT)
    (tmp_path / "conf.d" / ".supervisor-lint.yaml").write_text("template: jinja\n")
    status, diags, err = lint_json([str(tmp_path / "supervisord.conf")])
    assert err == "" and [d["line"] for d in diags if d["code"] == "SV001"] == [1, 12, 18]
    (tmp_path / "conf.d" / ".supervisor-lint.yaml").write_text("ignore: [bogus-rule]\n")
    (tmp_path / "conf.d" / "celery.conf").write_text(
        "[program:a]\ncommand=/bin/cat\nuser=a\nautorestart=true\n")
    assert lint_json([str(tmp_path / "supervisord.conf")]) == (0, [], "")


def test_a_fix_in_a_template_goes_before_a_conditional_block(tmp_path):
    path = tmp_path / "w.conf.j2"
    text = ("[program:w]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"
            "user=w\nautorestart=true\nstopwaitsecs=600\n{% if env %}\n"
            "environment=A=\"{{ a }}\"\n{% endif %}\n")
    path.write_text(text)
    from support import run
    status, out, err = run(["check", "--isolated", "--fix", str(path)])
    assert path.read_text() == text.replace("stopwaitsecs=600\n",
                                            "stopwaitsecs=600\nkillasgroup=true\n")


def test_a_thread_keeps_its_own_template_setting():
    import threading
    from supervisor_lint import reader
    seen = []
    with reader.templates(lambda path: True):
        assert reader.is_template("x.conf")
        thread = threading.Thread(target=lambda: seen.append(reader.is_template("x.conf")))
        thread.start()
        thread.join()
    assert seen == [False] and not reader.is_template("x.conf")


def test_sv116_reads_a_template_value_as_the_rendered_file_holds_it(tmp_path):
    """A ';' inside {{ }} is in the rendered file: Python 3.13 and older
    versions cut that value at different columns, on a first line as on a
    continuation line."""
    first = tmp_path / "u.conf.j2"
    first.write_text('[program:x]\ncommand=/bin/echo {{ "a;b;c ;d #e" }}\n')
    status, diags, err = lint_json(["--isolated", "--select", "SV116", str(first)])
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("SV116", 2, 29)]
    continued = tmp_path / "v.conf.j2"
    continued.write_text('[program:x]\ncommand=/bin/echo\n  {{ "a;b;c ;d #e" }}\n')
    status, diags, err = lint_json(["--isolated", "--select", "SV116", str(continued)])
    assert [(d["code"], d["line"], d["column"]) for d in diags] == [("SV116", 3, 13)]
