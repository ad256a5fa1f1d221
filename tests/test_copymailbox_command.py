"""`manage.py copymailbox` run as a person would run it: in a process of its own, with its
exit status, its JSON, its one-line errors, and killed with SIGKILL in the middle of a folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.copy_fixtures import DAY, STUB, append, message, new_user, snapshot
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent


def arguments(source_imap, target_imap, user: str, *extra: str) -> list[str]:
    return [
        sys.executable, "manage.py", "copymailbox",
        "--source", f"imap://{source_imap.host}:{source_imap.port}",
        "--source-user", user, "--source-admin", source_imap.admin_user,
        "--source-admin-mode", "master", "--source-password-env", "SOURCE_PW",
        "--target", f"imap://{target_imap.host}:{target_imap.port}",
        "--target-user", user, "--target-admin", target_imap.admin_user,
        "--target-password-env", "TARGET_PW",
        *extra,
    ]  # fmt: skip


def environment(source_imap, target_imap, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SOURCE_PW=source_imap.admin_password, TARGET_PW=target_imap.admin_password)
    env.update(overrides)
    return env


def run(source_imap, target_imap, user, *extra, **env) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        arguments(source_imap, target_imap, user, *extra),
        cwd=ROOT,
        env=environment(source_imap, target_imap, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def user(source_imap, target_imap) -> str:
    name = new_user(source_imap)
    target_imap.add_user(name, "pw-" + name)
    client = source_imap.connect(name)
    client.create_folder("Projects/2024")
    append(client, "INBOX", message("Hello"), (b"\\Seen",))
    append(client, "Projects/2024", message("Plan"), (b"\\Flagged",))
    client.logout()
    return name


def test_json_output_has_the_documented_shape_and_exit_status_0(user, source_imap, target_imap):
    done = run(source_imap, target_imap, user, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["messages_copied"] == 2 and report["verified"] is True
    assert isinstance(report["bytes_copied"], int) and isinstance(report["seconds"], float)
    projects = next(f for f in report["folders"] if f["source"] == "Projects/2024")
    assert {k: projects[k] for k in ("target", "source_messages", "copied", "already_present",
                                     "skipped", "failed", "problems")} == {
        "target": "INBOX.Projects.2024", "source_messages": 1, "copied": 1,
        "already_present": 0, "skipped": 0, "failed": 0, "problems": [],
    }  # fmt: skip
    again = json.loads(run(source_imap, target_imap, user, "--json").stdout)
    assert again["messages_copied"] == 0 and again["verified"] is True


def test_failed_messages_give_exit_status_1_and_are_listed(user, source_imap, target_imap):
    client = source_imap.connect(user)
    append(client, "INBOX", STUB)
    done = run(source_imap, target_imap, user, "--json")
    assert done.returncode == 1
    inbox = next(f for f in json.loads(done.stdout)["folders"] if f["source"] == "INBOX")
    assert inbox["failed"] == 1
    assert inbox["problems"][0]["kind"] == "conversion_stub"


def test_a_wrong_password_exits_2_with_one_clear_line(user, source_imap, target_imap):
    done = run(source_imap, target_imap, user, SOURCE_PW="not-the-password")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "refused" in done.stderr and "Traceback" not in done.stderr
    assert "not-the-password" not in done.stderr + done.stdout


def test_an_unreachable_server_exits_2_with_one_clear_line(user, source_imap, target_imap):
    class Nowhere:
        host, port, admin_user, admin_password = "127.0.0.1", 9, "admin", "x"

    done = run(Nowhere(), target_imap, user)
    assert done.returncode == 2
    assert done.stderr.strip() == "copymailbox: cannot reach the IMAP server 127.0.0.1:9: " + (
        "[Errno 111] Connection refused"
    )


def test_bad_arguments_exit_2(user, source_imap, target_imap):
    assert run(source_imap, target_imap, user, SOURCE_PW="").returncode == 2
    assert run(source_imap, target_imap, user, "--exclude", "(").returncode == 2
    assert run(source_imap, target_imap, user, "--map", "no-equals-sign").returncode == 2


def test_a_dry_run_prints_the_plan_and_writes_nothing(user, source_imap, target_imap):
    done = run(source_imap, target_imap, user, "--dry-run")
    assert done.returncode == 1  # nothing copied, nothing verified
    assert "Dry run: nothing was written." in done.stdout
    assert "Projects/2024 -> INBOX.Projects.2024: 1 message (" in done.stdout
    assert not target_imap.connect(user).folder_exists("INBOX.Projects.2024")


@pytest.fixture(scope="module")
def tls_source(tmp_path_factory):
    from tests.servers.dovecot import start_exchange_like

    with start_exchange_like(tmp_path_factory.mktemp("tls-source"), tls=True) as server:
        yield server


def tls_arguments(tls_source, target_imap, user: str, url: str, *extra: str) -> list[str]:
    command = arguments(tls_source, target_imap, user, *extra)
    command[command.index("--source") + 1] = url
    return command


@pytest.mark.parametrize("scheme", ["imaps", "starttls"])
def test_tls_is_verified_against_the_ca_file(tls_source, target_imap, scheme):
    user = new_user(tls_source)
    target_imap.add_user(user, "pw")
    append(tls_source.connect(user), "INBOX", message("Over TLS"))
    url = (
        f"imaps://127.0.0.1:{tls_source.imaps_port}"
        if scheme == "imaps"
        else f"imap://127.0.0.1:{tls_source.port}?starttls"
    )
    env = environment(tls_source, target_imap)

    def run_with(*extra: str) -> subprocess.CompletedProcess[str]:
        command = tls_arguments(tls_source, target_imap, user, url, *extra)
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)

    unverified = run_with()
    assert unverified.returncode == 2
    assert unverified.stderr.startswith("copymailbox: TLS with 127.0.0.1:")
    assert unverified.stderr.count("\n") == 1

    verified = run_with("--ca-file", str(tls_source.ca_file), "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["messages_copied"] == 1

    insecure = run_with("--insecure")
    assert insecure.returncode == 0
    assert "TLS certificates are not verified" in insecure.stderr
    assert "TLS certificate verification is off for the source server" in insecure.stdout


def start_in_the_background(source_imap, target_imap, user) -> subprocess.Popen[str]:
    """A copy in small batches; returns once it has said that it copied some of the INBOX."""
    process = subprocess.Popen(
        # Capped to about 100 messages a second, so the copy is still running when stopped
        # however fast the machine is.
        arguments(
            source_imap, target_imap, user, "--batch-messages", "2", "--connections", "1",
            "--max-bytes-per-second", "500000",
        ),
        cwd=ROOT,
        env=environment(source_imap, target_imap),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    wait_until(lambda: "INBOX: copied" in process.stderr.readline(), timeout=60, interval=0)
    return process


def test_a_copy_stopped_or_killed_in_the_middle_of_a_folder_ends_exact_when_run_again(
    user, source_imap, target_imap
):
    client = source_imap.connect(user)
    body = "Line of text for a message of a few kilobytes.\r\n" * 100
    for n in range(400):
        append(client, "INBOX", message(f"Bulk {n}", body=body), (), DAY + timedelta(minutes=n))
    target = target_imap.connect(user)

    def arrived() -> int:
        return target.select_folder("INBOX", readonly=True)[b"EXISTS"]

    stopped = start_in_the_background(source_imap, target_imap, user)
    stopped.send_signal(signal.SIGTERM)  # a clean stop between batches
    output, _errors = stopped.communicate(timeout=60)
    assert stopped.returncode == 1
    assert "stopped before the end" in output
    after_stop = arrived()
    assert 0 < after_stop < 401

    killed = start_in_the_background(source_imap, target_imap, user)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert after_stop < arrived() < 401

    done = run(source_imap, target_imap, user, "--json")

    assert done.returncode == 0, done.stderr
    assert snapshot(target, "INBOX") == snapshot(client, "INBOX")
    assert json.loads(done.stdout)["verified"] is True
