"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit against
this repository at its current commit."""

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


def _repo(tmp_path, hook, files):
    repo = tmp_path / "deploy"
    repo.mkdir()
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: %s\n" % (ROOT, _head(), hook))
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
