"""Ingest tests: the ``postgres`` marker and a throwaway PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postgres: starts a throwaway PostgreSQL server (Debian package, installed if missing)",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return candidates[-1].parent if candidates else None


def _root_prefix() -> list[str] | None:
    """How to run apt-get: directly as root, through password-less sudo, or not at all."""
    if os.geteuid() == 0:
        return []
    if (
        shutil.which("sudo")
        and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0
    ):
        return ["sudo", "-n"]
    return None


def _install_postgres(prefix: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = [*prefix, "apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run([*prefix, "apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(cmd, env=env, capture_output=True, check=True)


def _server_account() -> str:
    """'postgres' (created by the Debian package), else a system account made for the test."""
    import pwd

    for name in ("postgres", "tokencensus-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "tokencensus-pg"], check=True)
    return "tokencensus-pg"


def _unavailable(reason: str) -> None:
    """Fail in CI (the test must run there), skip on a developer machine."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster on a free port; its URL (trust auth, user postgres)."""
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed: pip install 'tokencensus[postgres]'")
    bin_dir = _pg_bin()
    prefix = _root_prefix()
    if bin_dir is None and prefix is not None and shutil.which("apt-get"):
        try:
            _install_postgres(prefix)
        except (subprocess.CalledProcessError, OSError) as exc:
            _unavailable(f"installing the Debian postgresql package failed: {exc}")
        bin_dir = _pg_bin()
    if bin_dir is None:
        _unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="tokencensus-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as an unprivileged account
        account = _server_account()
        as_user = ["runuser", "-u", account, "--"]
        shutil.chown(root, account)
        shutil.chown(sock, account)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            opts,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            env=env,
        )
        shutil.rmtree(root, ignore_errors=True)
