"""Installing the browser tests' Debian packages: as root, through password-less sudo, or a
clear message.  apt-get, dpkg-query and sudo are replaced by a recorder (nothing is
installed)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.report import cdp


class FakeSystem:
    """Answers the commands ``ensure_packages`` runs and records them."""

    def __init__(
        self,
        *,
        uid: int,
        sudo: str | None = "/usr/bin/sudo",
        sudo_ok: bool = True,
        installed: tuple[str, ...] = (),
        install_fails_once: bool = False,
    ) -> None:
        self.uid = uid
        self.sudo = sudo
        self.sudo_ok = sudo_ok
        self.installed = set(installed)
        self.install_fails = install_fails_once
        self.commands: list[list[str]] = []

    def which(self, name: str) -> str | None:
        return {"apt-get": "/usr/bin/apt-get", "dpkg-query": "/usr/bin/dpkg-query"}.get(
            name, self.sudo if name == "sudo" else None
        )

    def run(self, cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(list(cmd))
        if cmd[0] == "dpkg-query":
            ok = cmd[-1] in self.installed
            return subprocess.CompletedProcess(cmd, 0 if ok else 1, "install ok installed", "")
        if cmd[-1] == "true":  # sudo -n true
            return subprocess.CompletedProcess(cmd, 0 if self.sudo_ok else 1, "", "")
        if "install" in cmd:
            if self.install_fails:
                self.install_fails = False
                return subprocess.CompletedProcess(cmd, 100, "", "Unable to locate package")
            self.installed.update(cmd[cmd.index("--no-install-recommends") + 1 :])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    def apt(self) -> list[list[str]]:
        return [c for c in self.commands if "apt-get" in c]


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> FakeSystem:
    fake = FakeSystem(**request.param)
    monkeypatch.setattr(cdp.os, "geteuid", lambda: fake.uid)
    monkeypatch.setattr(cdp.shutil, "which", fake.which)
    monkeypatch.setattr(cdp.subprocess, "run", fake.run)
    return fake


@pytest.mark.parametrize("system", [{"uid": 0}], indirect=True)
def test_root_runs_apt_get_itself(system: FakeSystem) -> None:
    cdp.ensure_packages(("chromium", "fonts-noto-cjk"))
    assert system.apt() == [
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium", "fonts-noto-cjk"]
    ]
    assert not any("sudo" in c[0] for c in system.commands)


@pytest.mark.parametrize("system", [{"uid": 1000}], indirect=True)
def test_a_user_with_passwordless_sudo_installs_through_sudo_n(system: FakeSystem) -> None:
    cdp.ensure_packages(("chromium",))
    assert ["/usr/bin/sudo", "-n", "true"] in system.commands
    assert system.apt() == [
        ["/usr/bin/sudo", "-n", "apt-get", "install", "-y", "-q", "--no-install-recommends",
         "chromium"]
    ]  # fmt: skip
    assert "chromium" in system.installed


@pytest.mark.parametrize("system", [{"uid": 1000, "install_fails_once": True}], indirect=True)
def test_a_failed_install_updates_the_lists_first_with_the_same_prefix(
    system: FakeSystem,
) -> None:
    cdp.ensure_packages(("chromium",))
    assert [c[:4] for c in system.apt()] == [
        ["/usr/bin/sudo", "-n", "apt-get", "install"],
        ["/usr/bin/sudo", "-n", "apt-get", "update"],
        ["/usr/bin/sudo", "-n", "apt-get", "install"],
    ]


@pytest.mark.parametrize(
    ("system", "why"),
    [
        ({"uid": 1000, "sudo_ok": False}, "sudo needs a password"),
        ({"uid": 1000, "sudo": None}, "there is no sudo"),
    ],
    indirect=["system"],
)
def test_without_root_or_passwordless_sudo_the_message_says_what_to_run(
    system: FakeSystem, why: str
) -> None:
    with pytest.raises(RuntimeError, match=f"not root, and {why}") as caught:
        cdp.ensure_packages(("chromium", "fonts-thai-tlwg"))
    assert "run sudo apt-get install -y chromium fonts-thai-tlwg" in str(caught.value)
    assert system.apt() == []


@pytest.mark.parametrize("system", [{"uid": 1000, "installed": ("chromium",)}], indirect=True)
def test_nothing_missing_runs_nothing(system: FakeSystem) -> None:
    cdp.ensure_packages(("chromium",))
    assert system.apt() == []
    assert not any(c[-1] == "true" for c in system.commands)  # sudo not even asked
