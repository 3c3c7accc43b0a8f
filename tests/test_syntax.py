"""The syntax rules (SV0xx): each fires on the right line and column of its
own case and stays silent on the clean twins of the core rules."""

import pytest

from cases import CORE, P, core_case, core_lint


CASES = [
    # code, config, (line, column), start of the message
    ("SV001", "[program:web]\ncommand=/bin/true\nthis line has no delimiter\n", (3, 1),
     "'this line has no delimiter' is not a key=value line"),
    ("SV001", "user=www-data\n[program:web]\ncommand=/bin/true\n", (1, 1),
     "'user=www-data' comes before any [section] header"),
    ("SV001", P + "=value\n", (3, 1), "'=value' has no key before the '='"),
    ("SV001", P + "[program:other\n", (3, 1), "unclosed section header '[program:other'"),
    ("SV002", (P + "directory=/srv/caf").encode() + b"\xe9\n", (3, 19), "byte 0xe9 at offset 50 is not UTF-8"),
    ("SV003", "\ufeff" + P, (1, 1), "the file starts with a UTF-8 byte-order mark"),
    ("SV004", P + "  autorestart=true\n", (3, 3),
     "this indented line looks like the key autorestart but continues the value of command="),
    ("SV004", P + "  [program:b]\n", (3, 3), "this indented line looks like the section header [program:b]"),
    ("SV005", P + "autostart=true;comment\n", (3, 15), "';' has no whitespace before it"),
    ("SV005", P + "directory=/srv/app# the app\n", (3, 19), "'#' has no whitespace before it"),
    # issue 12, item 7: a ';' that ends a string value, or inside a word of a command
    ("SV005", P + "directory=/srv/app;\n", (3, 19), "';' has no whitespace before it, so it "
                                                     "does not start a comment: supervisord "
                                                     "keeps ';' in directory"),
    ("SV005", "[program:w]\ncommand=/bin/cat /etc/motd;/bin/true\n", (2, 27),
     "';' inside a word of the command does not start a comment, and supervisord runs no "
     "shell: the program gets ';/bin/true' as text"),
    ("SV006", "[program:web]\ncommand=/bin/sh -c \"cd /srv ; exec ./run\"\n", (2, 28),
     "' ;' starts a comment even inside quotes"),
    ("SV006", P + "environment=GREETING=\"hello #world\"\n", (3, 28), "' #' starts a comment even inside quotes"),
    ("SV007", P + "[program:web]\nautostart=false\n", (3, 1), "[program:web] is already defined at line 1"),
    ("SV008", P + "autostart=true\nautostart=false\n", (3, 11),
     "autostart is set again at line 4 in [program:web]: supervisord silently uses the last value (false)"),
    ("SV009", "[DEFAULT]\nautostart=false\n" + P, (1, 1), "[DEFAULT] keys (autostart) are inherited"),
]


@pytest.mark.parametrize("code,text,where,message", CASES,
                         ids=["%s-%d" % (c[0], i) for i, c in enumerate(CASES)])
def test_rule_reports_its_case(tmp_path, code, text, where, message):
    core_case(tmp_path, code, text, where, message)


TWINS = [
    # each is clean: no finding at all
    P,
    P + "  --verbose\n",                                         # plain continuation
    P + "autostart=true ; a comment\n",                          # comment after whitespace
    "[program:clock]\ncommand=/bin/date +%%s\n",                  # escaped %
    "[program:w]\ncommand=/bin/true\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\n",
    P + "environment=A=\"x y\",HOME_DIR=\"/home/x\",URL=\"http://h/p?q=1\"\n",
    P + "environment=A=1,\n  B=2\n",                               # continued environment
    "[group:g]\nprograms=web\n" + P,
    P + "stopasgroup=true\nstopsignal=INT\n",
    P + "directory=/srv/app\n",
    "[program:sh]\ncommand=/bin/sh -c \"cd /srv; exec ./run\"\n",
    "[program:sh]\ncommand=/bin/sh -c \"cd /srv;exec ./run\"\n",         # ';' in quotes
    "[program:curl]\ncommand=/usr/bin/curl http://h/p#top\n",           # '#' in a word
    "[eventlistener:l]\ncommand=/bin/cat\nevents=PROCESS_STATE,TICK_60\n",
    "[fcgi-program:php]\ncommand=/usr/sbin/php-cgi\nsocket=unix:///run/php.sock\n",
    "[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword={SHA}0123\n",
]


@pytest.mark.parametrize("text", TWINS)
def test_clean_twin_is_silent(tmp_path, text):
    assert core_lint(text, tmp_path) == []


def test_duplicate_key_fix_removes_the_overridden_line(tmp_path):
    text = P + "autostart=true\nautostart=false\n"
    (d,) = [d for d in core_lint(text, tmp_path) if d["code"] == "SV008"]
    fix = d["fix"]
    assert fix["applicability"] == "unsafe"
    (edit,) = fix["edits"]
    data = text.encode()
    assert data[:edit["start"]] + edit["replacement"].encode() + data[edit["end"]:] == \
        (P + "autostart=false\n").encode()


def test_bom_fix_drops_three_bytes(tmp_path):
    (d,) = [d for d in core_lint("\ufeff" + P, tmp_path) if d["code"] == "SV003"]
    assert d["fix"] == {"applicability": "safe", "edits": [{"start": 0, "end": 3, "replacement": ""}]}
    assert d["fatal"] is True


def test_duplicate_section_across_includes(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text(P)
    (tmp_path / "supervisord.conf").write_text("[supervisord]\n[include]\nfiles=conf.d/*.conf\n" + P)
    from support import lint_json
    status, diags, err = lint_json(list(CORE) + [str(tmp_path)])
    found = [(d["code"], d["path"], d["line"], d["message"]) for d in diags]
    assert found == [("SV007", str(tmp_path / "conf.d" / "a.conf"), 1,
                      "[program:web] is already defined at line 4 of %s: supervisord merges the "
                      "two, and keys set in both take the later value; keep one section"
                      % (tmp_path / "supervisord.conf"))] + [
        ("SV008", str(tmp_path / "supervisord.conf"), 5,
         "command is set again at line 2 of %s in [program:web]: supervisord silently uses the "
         "last value (/bin/true); remove one of them" % (tmp_path / "conf.d" / "a.conf"))]
