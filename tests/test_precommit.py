"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against
this repository at its current commit, from a fresh repository whose
.pre-commit-config.yaml is the README's own snippet filled in as it says."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOOD = ("[program:worker]\ncommand=/srv/app/venv/bin/celery -A proj worker\ndirectory=/srv/app\n"
        "user=celery\nautorestart=true\nstopwaitsecs=600\nkillasgroup=true\numask=022\n")


def _head():
    try:
        out = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                             text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def _pre_commit():
    exe = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or \
        shutil.which("pre-commit")
    return [exe] if exe else None


pytestmark = pytest.mark.skipif(_head() is None or _pre_commit() is None,
                                reason="needs a git checkout of this repository and pre-commit")


@pytest.fixture(scope="module")
def home():
    path = tempfile.mkdtemp(prefix="svl-pre-commit-home-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _snippet(hook):
    """The README's own .pre-commit-config.yaml, filled in as it says: this
    clone's path and commit; for the fix hook, its commented line swapped in."""
    import re
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        (text,) = [b for b in re.findall(r"^```yaml\n(.*?)^```", fh.read(), re.M | re.S)
                   if b.startswith("# .pre-commit-config.yaml")]
    assert "/path/to/supervisor-lint " in text and "rev: 0123abc " in text
    text = text.replace("/path/to/supervisor-lint ", ROOT + " ", 1).replace(
        "rev: 0123abc ", "rev: %s " % _head(), 1)
    if hook == "supervisor-lint-fix":
        check = "      - id: supervisor-lint          # check"
        fix = "      # - id: supervisor-lint-fix    # --fix --exit-non-zero-on-fix"
        assert check in text and fix in text
        text = text.replace(check, "      # " + check.strip()).replace(fix, fix.replace(
            "# - id", "- id", 1))
    return text


def _repo(tmp_path, hook, files):
    repo = tmp_path / "deploy"
    repo.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / ".pre-commit-config.yaml").write_text(_snippet(hook))
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    return repo, env


def _run(repo, env, home):
    env = dict(env, PRE_COMMIT_HOME=home)
    env.pop("PYTHONPATH", None)
    return subprocess.run(_pre_commit() + ["run", "--all-files", "--color", "never"],
                          cwd=str(repo), capture_output=True, text=True, env=env, timeout=900)


def test_hook_fails_on_a_bad_config_with_the_diagnostic(tmp_path, home):
    repo, env = _repo(tmp_path, "supervisor-lint", {
        "supervisor/conf.d/worker.conf": GOOD.replace("autorestart=true", "autorestart=ture"),
        "nginx/conf.d/site.conf": "server { listen 80; }\n"})
    proc = _run(repo, env, home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "supervisor/conf.d/worker.conf:5:13: SV103 [error] autorestart=ture" in proc.stdout
    assert "site.conf" not in proc.stdout


def test_hook_passes_on_a_good_config(tmp_path, home):
    repo, env = _repo(tmp_path, "supervisor-lint", {"supervisor/conf.d/worker.conf": GOOD})
    proc = _run(repo, env, home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_fix_hook_repairs_a_fixable_file(tmp_path, home):
    repo, env = _repo(tmp_path, "supervisor-lint-fix", {
        "supervisor/conf.d/worker.conf": GOOD.replace("killasgroup=true\n", "")})
    proc = _run(repo, env, home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "files were modified by this hook" in proc.stdout
    assert (repo / "supervisor/conf.d/worker.conf").read_text() == GOOD.replace(
        "killasgroup=true\n", "") + "killasgroup=true\n"
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    assert _run(repo, env, home).returncode == 0


def test_hook_takes_an_ansible_roles_templates(tmp_path, home):
    role = os.path.join(ROOT, "tests", "data", "ansible-role")
    files = {}
    for base, _, names in os.walk(role):
        for name in names:
            with open(os.path.join(base, name)) as fh:
                files[os.path.join("roles", "celery", os.path.relpath(
                    os.path.join(base, name), role))] = fh.read()
    template = os.path.join("roles", "celery", "templates", "celery.conf.j2")
    assert template in files
    # beside them, a compose file's template (no supervisor file) and a
    # program's template named for its directory only
    files["roles/celery/templates/docker-compose.yml.j2"] = (
        "services:\n  worker:\n    command: celery -A proj worker\n    user: app\n")
    files["roles/celery/templates/flower.j2"] = (
        "[program:{{ name }}-flower]\ncommand={{ venv }}/bin/celery -A proj flower "
        "--port=5555\ndirectory={{ app_dir }}\nuser={{ user }}\nautorestart=true\n")
    repo, env = _repo(tmp_path, "supervisor-lint", files)
    proc = _run(repo, env, home)
    assert proc.returncode == 0, proc.stdout + proc.stderr     # the clean role
    (repo / template).write_text(files[template].replace("autostart=true", "autostart=ture"))
    proc = _run(repo, env, home)
    assert proc.returncode == 1
    assert "%s:8:11: SV103 [error] autostart=ture" % template in proc.stdout
    flower = repo / "roles/celery/templates/flower.j2"
    flower.write_text(flower.read_text().replace("autorestart=true", "autorestart=flase"))
    proc = _run(repo, env, home)
    assert "roles/celery/templates/flower.j2:5:13: SV103 [error] autorestart=flase" \
        in proc.stdout
    assert "docker-compose" not in proc.stdout
