"""supervisord's own control surface, privileges and secrets.  No message
ever prints the value of a secret."""

import re

from . import also, rule
from ._program import finding, first_block
from ..diagnostics import Finding
from ..fixes import replace_value
from ..redact import url_passwords
from ..values import inet_address, octal

_SHA = re.compile(r"^\{SHA\}[0-9a-fA-F]{40}$")
_SECRET_KEY = re.compile(r"(PASSWORD|PASSWD|PASSPHRASE|_PASS$|^PASS$|_PASS_|_PWD$|SECRET|TOKEN|"
                         r"PRIVATE_KEY|API_KEY|ACCESS_KEY|_KEY$|^KEY$|CREDENTIALS|DSN$)", re.I)
_NOT_SECRET_KEY = re.compile(r"(_FILE|_PATH|_DIR|_ID|_NAME|_URL_FILE|KEY_ID|PUBLIC)$", re.I)
_SECRET_OPTIONS = {"--password", "--basic_auth", "--basic-auth", "--secret", "--token",
                   "--api-key", "--api_key"}


def _sections(ctx, prefix):
    for name in ctx.tree.sections:
        if name.startswith(prefix):
            yield name


@rule("SV301", "unauthenticated-http-server", "error", category="security", scope="tree", security_severity="8.8")
def unauthenticated_http_server(ctx):
    for section in _sections(ctx, "inet_http_server"):
        user = ctx.tree.get(section, "username")
        password = ctx.tree.get(section, "password")
        if user is not None and user.value and password is not None and password.value:
            continue
        yield Finding("[%s] has no username and password: anyone who can reach the "
                      "port can stop, start and reconfigure every program (and read their "
                      "logs); set username and password={SHA}<sha1 hex>" % section, False,
                      at=first_block(ctx, section), section=section)


@rule("SV302", "http-server-on-all-interfaces", "warning", category="security", scope="tree", security_severity="6.5")
def http_server_all_interfaces(ctx):
    for section in _sections(ctx, "inet_http_server"):
        setting = ctx.tree.get(section, "port")
        if setting is None:
            continue
        raw = setting.value.strip()
        written_host, _, written_port = raw.rpartition(":") if ":" in raw else ("", "", raw)
        if written_host not in ("", "*", "0.0.0.0", "::", "[::]") or "%(" in written_host:
            continue
        if "%(" in written_port:
            if ":" not in raw:
                continue        # port=%(ENV_X)s: X may name the host too
            # port=*:%(ENV_PORT)s: every interface, whatever the port
            yield Finding("port=%s listens on every network interface whatever %s is: "
                          "supervisord's control server is reachable from other machines; bind "
                          "it to 127.0.0.1:%s" % (raw, written_port, written_port), False,
                          at=setting.entry, section=section, key="port")
            continue
        try:
            host, port = inet_address(raw)
        except Exception:
            continue
        yield Finding("port=%s listens on every network interface: supervisord's "
                      "control server is reachable from other machines; bind it to "
                      "127.0.0.1:%d" % (raw, port), False, at=setting.entry, section=section,
                      key="port", fix=replace_value(setting.entry, "127.0.0.1:%d" % port,
                                                    "unsafe", "listen on 127.0.0.1 only"))


@rule("SV303", "plaintext-password", "warning", category="security", scope="tree", security_severity="5.5")
def plaintext_password(ctx):
    for prefix in ("inet_http_server", "unix_http_server"):
        for section in _sections(ctx, prefix):
            setting = ctx.tree.get(section, "password")
            if setting is None or not setting.value or _SHA.match(setting.value.strip()):
                continue
            if setting.value.startswith("%(ENV_"):
                continue
            yield Finding("[%s] password is written in clear text: anyone who can "
                          "read this file can control supervisord; write {SHA} followed by the "
                          "password's SHA-1 hex digest (and keep the file readable by root "
                          "only)" % section, False, at=setting.entry, section=section,
                          key="password")


@rule("SV304", "world-writable-socket", "error", category="security", scope="tree", security_severity="7.8")
def world_writable_socket(ctx):
    for section in _sections(ctx, "unix_http_server"):
        setting = ctx.tree.get(section, "chmod")
        if setting is None:
            continue
        try:
            mode = octal(setting.value.strip())
        except Exception:
            continue
        if not mode & 0o002:
            continue
        yield Finding("chmod=%s lets every local user write to supervisord's control "
                      "socket, and so stop, start and reconfigure every program (usually as "
                      "root); use 0700, or 0770 with chown=root:<group>" % setting.value.strip(),
                      False, at=setting.entry, section=section, key="chmod",
                      fix=replace_value(setting.entry, "0700", "unsafe", "set chmod=0700"))


def _supervisord_is_root(ctx):
    """False when [supervisord] user= names another user; True otherwise
    (supervisord is normally started as root by the service manager)."""
    user = ctx.loaded.supervisord.get("user")
    if user is None:
        return True
    return str(user).strip() in ("root", "0")


@rule("SV305", "runs-as-root", "warning", category="security", scope="program",
      security_severity="6.0")
def runs_as_root(ctx, prog):
    if not _supervisord_is_root(ctx):
        return
    user = prog.values.get("user")
    written = prog.written("user")
    if written is not None and user is None:
        return        # unknown (an ENV_ value)
    if user is not None and str(user).strip() not in ("root", "0"):
        return
    cmd = prog.command
    cel = prog.celery
    if cel is not None and (cel.options.get("--uid") or "--uid" in (cmd.inner or [])):
        return
    if cmd is not None and (_drops_privileges(cmd) or cmd.program in _ROOT_DAEMONS or
                            (cmd.program and cmd.program.startswith("php-fpm"))):
        return        # these drop privileges themselves, or must start as root
    worker = cel is not None and cel.subcommand in ("worker", None)
    how = "user=root" if written is not None else "no user="
    forced = str((prog.values.get("environment") or {}).get("C_FORCE_ROOT", "")).lower() \
        not in ("", "0", "false", "no")
    if worker and forced:
        message = ("%s and C_FORCE_ROOT is set: this Celery worker runs as root even when it "
                   "accepts pickle, so whoever can publish to the broker runs code as root; "
                   "set user= to an unprivileged account" % how)
    elif worker:
        message = ("%s: this Celery worker runs as root; Celery refuses to start as root "
                   "when it accepts pickle (unless C_FORCE_ROOT is set), and every task "
                   "from the broker runs as root; set user= to an unprivileged account"
                   % how)
    else:
        message = ("%s: under a root supervisord this program runs as root; set user= to "
                   "an unprivileged account" % how)
    yield finding(message, ctx, prog, "user",
                  severity="error" if worker else None)


# daemons that start as root and drop privileges for their workers themselves,
# or that must run as root (no advice that would break them)
_ROOT_DAEMONS = {"nginx", "php-fpm", "apache2", "httpd", "sshd", "pure-ftpd", "dockerd",
                 "containerd", "rabbitmq-server", "syslog-ng", "rsyslogd", "cron", "crond",
                 "smbd", "nmbd", "avahi-daemon", "xinetd", "haproxy", "postfix", "dovecot",
                 "vsftpd", "proftpd", "named", "dnsmasq", "cupsd", "openvpn", "slapd",
                 "service", "systemctl", "mysqld_safe", "chronyd", "ntpd", "sssd", "nslcd"}
# wrappers that switch user before they exec the program
_DROPPERS = {"gosu", "su-exec", "s6-setuidgid", "setuidgid", "runuser"}


def _drops_privileges(cmd):
    """True when the command switches to another user itself: gosu, su-exec,
    runuser, s6-setuidgid, setpriv --reuid, chpst -u, uwsgi --uid, gunicorn
    --user."""
    argv = cmd.argv or []
    if not argv:
        return False
    first = argv[0].rpartition("/")[2]
    if first in _DROPPERS:
        return True
    if first == "setpriv" and any(a.startswith("--reuid") for a in argv[1:]):
        return True
    if first == "chpst" and any(a.startswith("-u") for a in argv[1:3]):
        return True
    inner = cmd.inner or []
    if cmd.program == "uwsgi":
        return any(a == "--uid" or a.startswith("--uid=") for a in inner)
    if cmd.program == "gunicorn":
        return any(a in ("-u", "--user") or a.startswith("--user=") for a in inner)
    return False


def _secret_env(values):
    for key, value in values.items():
        if not value or value.startswith("ENV_") or "%(" in value:
            continue
        if "://" in value and url_passwords(value):
            yield key, "holds a URL with a password"
        elif _secret_name(key):
            yield key, "looks like a secret"


_SECRET_NAMES = {}


def _secret_name(key):
    found = _SECRET_NAMES.get(key)
    if found is None:
        found = _SECRET_NAMES[key] = bool(_SECRET_KEY.search(key)) and \
            not _NOT_SECRET_KEY.search(key)
    return found


@rule("SV306", "secret-in-config", "warning", category="security", scope="program", security_severity="7.5")
def secret_in_config(ctx, prog):
    env = prog.values.get("environment") or {}
    for key, what in _secret_env(env):
        yield finding("environment variable %s %s: it is readable by anyone who can "
                      "read this file and by every process of the same user; read it from a "
                      "file only the program's user can read (the value is not shown here)"
                      % (key, what), ctx, prog, "environment")
    cmd = prog.command
    if cmd is None or not cmd.argv:
        return
    if "://" not in cmd.text and "--" not in cmd.text:
        return
    for i, tok in enumerate(cmd.argv):
        opt = tok.split("=", 1)[0]
        reason = None
        if "://" in tok and url_passwords(tok):
            reason = "a URL with a password"
        elif opt in _SECRET_OPTIONS and ("=" in tok or i + 1 < len(cmd.argv)):
            reason = "a %s option" % opt
        if reason:
            yield finding("the command line holds %s: every local user sees it in ps, "
                          "and supervisorctl shows it; pass it through a file or an "
                          "environment variable read from a protected file (the value is not "
                          "shown here)" % reason, ctx, prog, "command")
            break


@also("SV306")
def secret_in_config_supervisord(ctx):
    env = ctx.loaded.env
    setting = ctx.loaded.supervisord_settings.get("environment") or \
        ctx.tree.get("supervisord", "environment")
    if setting is not None:
        for key, what in _secret_env({k[4:]: v for k, v in env.items()}):
            yield Finding("environment variable %s %s: [supervisord] environment is "
                          "passed to every program and readable by anyone who can read this "
                          "file (the value is not shown here)" % (key, what), False,
                          at=setting.entry, section="supervisord", key="environment")
