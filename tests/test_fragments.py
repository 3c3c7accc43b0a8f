"""Fragments of one repository (issue 12, item 8): files that no main config
includes are linted together per directory, as supervisord reads one
``conf.d/*.conf``; --show-files says how each file was read."""

from support import lint_json, run, supervisor_verdict

BEAT = "[program:%s]\ncommand=/srv/app/venv/bin/celery -A proj beat -s /var/lib/celery/%s\n" \
       "directory=/srv/app\nuser=celery\nautorestart=true\n"
WEB = "[program:web]\ncommand=/srv/app/venv/bin/uwsgi --ini /srv/app/uwsgi.ini\n" \
      "directory=/srv/app\nuser=web\nautorestart=true\nstopsignal=QUIT\n"


def _found(diags, codes):
    return [(d["code"], d["path"].rpartition("/")[2], d["line"], d["column"])
            for d in diags if d["code"] in codes]


def test_two_beats_in_sibling_fragments_are_caught(tmp_path):
    conf_d = tmp_path / "deploy" / "conf.d"
    conf_d.mkdir(parents=True)
    (conf_d / "beat.conf").write_text(BEAT % ("beat", "a"))
    (conf_d / "beat-copy.conf").write_text(BEAT % ("beat2", "b"))
    for given in ([str(tmp_path / "deploy")],                        # a directory walk
                  [str(conf_d / "beat.conf"), str(conf_d / "beat-copy.conf")]):  # pre-commit
        status, diags, err = lint_json(["--isolated", "--select", "SV402"] + given)
        assert _found(diags, {"SV402"}) == [("SV402", "beat-copy.conf", 2, 9),
                                            ("SV402", "beat.conf", 2, 9)], given
        assert diags[0]["message"].startswith(
            "2 beat schedulers in this configuration ([program:beat2], [program:beat]):")


def test_fragments_of_other_directories_are_not_one_configuration(tmp_path):
    # staging and production each hold their own beat: two configurations, not one
    for env in ("staging", "production"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "celery.conf").write_text(BEAT % ("beat", env))
    status, diags, err = lint_json(["--isolated", "--select", "SV402,SV007", str(tmp_path)])
    assert (status, diags, err) == (0, [], "")


def test_a_group_of_sibling_programs_is_no_false_sv109(tmp_path):
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    (conf_d / "beat.conf").write_text(BEAT % ("beat", "a"))
    (conf_d / "web.conf").write_text(WEB)
    (conf_d / "group.conf").write_text("[group:site]\nprograms=web,beat\n")
    status, diags, err = lint_json(["--isolated", str(conf_d)])
    assert _found(diags, {"SV109"}) == []
    # supervisord agrees: a main config including conf.d/*.conf loads
    main = tmp_path / "supervisord.conf"
    main.write_text("[supervisord]\n[include]\nfiles = conf.d/*.conf\n")
    assert supervisor_verdict(str(main))[0] is True
    # a member no sibling defines: a warning in the fragments' terms, which
    # supervisord's refusal confirms once the rest of the configuration is known
    (conf_d / "group.conf").write_text("[group:site]\nprograms=web,beet\n")
    status, diags, err = lint_json(["--isolated", str(conf_d)])
    (sv109,) = [d for d in diags if d["code"] == "SV109"]
    assert (sv109["path"].rpartition("/")[2], sv109["line"], sv109["severity"]) == \
        ("group.conf", 2, "warning")
    assert sv109["message"].startswith(
        "[group:site] programs= names 'beet', which is no [program:beet] or "
        "[fcgi-program:beet] section in the 3 files linted together; supervisord refuses to "
        "load unless another included file defines it")
    assert supervisor_verdict(str(main))[0] is False


def test_the_summary_says_once_when_checks_across_files_saw_only_fragments(tmp_path):
    for env in ("staging", "production"):
        (tmp_path / env).mkdir()
        (tmp_path / env / "celery.conf").write_text(BEAT % ("beat", env) + "startsecs=x\n")
    status, out, err = run(["check", "--isolated", str(tmp_path)])
    lines = out.splitlines()
    assert lines[-2:] == [
        "Found 2 problems (2 that supervisord refuses to load).",
        "No main config includes the fragments linted: checks across files (duplicate "
        "sections, group members, beat schedulers, node names) saw only the fragments of each "
        "directory, as one conf.d; give --main-config for the whole configuration."]
    # with the main config, nothing is partial; nor for a fragment without groups or Celery
    main = tmp_path / "supervisord.conf"
    main.write_text("[supervisord]\n[include]\nfiles = staging/*.conf\n")
    status, out, err = run(["check", "--isolated", str(main)])
    assert out.splitlines()[-1] == "Found 1 problem (1 that supervisord refuses to load)."
    (tmp_path / "web.conf").write_text(WEB + "startsecs=x\n")
    status, out, err = run(["check", "--isolated", "--select", "SV103", str(tmp_path / "web.conf")])
    assert out.splitlines()[-1] == "Found 1 problem (1 that supervisord refuses to load)."


def test_show_files_lists_every_file_and_how_it_was_read(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "loose").mkdir()
    (tmp_path / "supervisord.conf").write_text("[supervisord]\n[include]\nfiles = conf.d/*.conf\n")
    (tmp_path / "conf.d" / "web.conf").write_text(WEB)
    (tmp_path / "conf.d" / "nginx.conf").write_text("server { listen 80; }\n")
    (tmp_path / "loose" / "a.conf").write_text(BEAT % ("beat", "a"))
    (tmp_path / "loose" / "b.ini").write_text(WEB)
    (tmp_path / "loose" / "c.conf").write_text(WEB.replace("web", "api"))
    (tmp_path / "alone").mkdir()
    (tmp_path / "alone" / "x.conf").write_text(WEB)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.supervisor-lint]\nextend-exclude = [\"loose/c.conf\"]\n")
    status, out, err = run(["check", "--show-files", "."], cwd=str(tmp_path))
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "./loose/c.conf: skipped: excluded by the configuration's exclude",
        "./supervisord.conf: main config",
        # (read by supervisord, whatever it holds: not 'skipped' as the walk would have it)
        "conf.d/nginx.conf: included by ./supervisord.conf's [include] pattern conf.d/*.conf",
        "conf.d/web.conf: included by ./supervisord.conf's [include] pattern conf.d/*.conf",
        "./alone/x.conf: fragment: no main config includes it; linted alone",
        "./loose/a.conf: fragment: no main config includes it; linted with the 1 other file of "
        "its directory as one conf.d",
        "./loose/b.ini: fragment: no main config includes it; linted with the 1 other file of "
        "its directory as one conf.d"]
