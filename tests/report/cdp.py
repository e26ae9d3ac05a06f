"""A minimal headless-Chromium driver over the DevTools protocol, standard library only.

Chromium is started with ``--remote-debugging-pipe``: commands go to its fd 3 and replies
come from its fd 4, as JSON messages ended by NUL - no port, no websocket, no extra package.

    with Browser.launch() as browser:
        page = browser.open("file:///tmp/r/index.html")
        page.evaluate("document.title")

Run as a script to measure a report: ``python tests/report/cdp.py DIR/index.html``.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Browser",
    "Page",
    "chromium_path",
    "ensure_chromium",
    "ensure_packages",
    "root_prefix",
]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str | None:
    env = os.environ.get("TOKENCENSUS_CHROMIUM")
    if env:
        return env
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def root_prefix() -> list[str] | None:
    """How to run apt-get: directly as root ([]), through password-less sudo
    (["sudo", "-n"]), or not at all (None)."""
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
        return [sudo, "-n"]
    return None


def ensure_packages(packages: tuple[str, ...]) -> None:
    """Install the Debian ``packages`` that are missing with apt-get: as root, or through
    password-less sudo (``sudo -n``) for another user.

    Raises RuntimeError saying what to do when they are missing and cannot be installed.
    """
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing:
        return
    names = " ".join(missing)
    if not shutil.which("apt-get"):
        raise RuntimeError(f"Debian packages {names} are needed, but apt-get is not on PATH")
    prefix = root_prefix()
    if prefix is None:
        why = "sudo needs a password" if shutil.which("sudo") else "there is no sudo"
        raise RuntimeError(
            f"Debian packages {names} are needed but cannot be installed here (not root, and "
            f"{why}): run sudo apt-get install -y {names}, or the tests as root"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        for cmd in ([*prefix, "apt-get", "update", "-q"], install):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")


def ensure_chromium(packages: tuple[str, ...] = ("chromium",)) -> str:
    """Chromium's path, installing Debian's ``chromium`` (and the other ``packages``, e.g.
    fonts) with apt-get, as root or through ``sudo -n``, when missing (see
    :func:`ensure_packages`)."""
    path = chromium_path()
    ensure_packages(tuple(p for p in packages if p != "chromium" or not path))
    path = chromium_path()
    if not path:
        raise RuntimeError("apt-get installed chromium but no chromium executable is on PATH")
    return path


def _high(*fds: int) -> tuple[int, ...]:
    """The same pipe ends moved above fd 9, so ``3<&N 4>&M`` cannot overwrite one another."""
    import fcntl

    out = []
    for fd in fds:
        out.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return tuple(out)


def _dpkg_installed(package: str) -> bool:
    if not shutil.which("dpkg-query"):
        return True  # not Debian: nothing we can install
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    )
    return out.returncode == 0 and "install ok installed" in out.stdout


@dataclass
class Page:
    browser: Browser
    session: str
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        return self.browser.send(method, params, session=self.session, timeout=timeout)

    def on_event(self, msg: dict[str, Any]) -> None:
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
            )
            self.console.append({"type": p.get("type"), "text": text})
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.exceptions.append(d.get("exception", {}).get("description") or d.get("text", ""))
        elif method == "Log.entryAdded":
            self.log.append(p.get("entry", {}))
        elif method == "Network.requestWillBeSent":
            self.requests.append(p.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed":
            self.failed.append(p.get("errorText", ""))

    def evaluate(self, expression: str, *, await_promise: bool = False, timeout: float = 30) -> Any:
        res = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": await_promise},
            timeout=timeout,
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def navigate(self, url: str, timeout: float = 60) -> float:
        """Open ``url``; seconds until its load event."""
        t0 = time.perf_counter()
        self.browser.expect(self.session, "Page.loadEventFired")
        self.send("Page.navigate", {"url": url})
        self.browser.wait_event(self.session, "Page.loadEventFired", timeout)
        return time.perf_counter() - t0

    def screenshot(self, path: Path, selector: str | None = None, pad: int = 8) -> Path:
        """PNG of the page's viewport, or of the element ``selector`` matches."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if selector:
            box = self.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                " e.scrollIntoView(); const r = e.getBoundingClientRect();"
                " return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()"
            )
            x, y, w, h = box
            params["clip"] = {
                "x": max(0, x - pad), "y": max(0, y - pad),
                "width": w + 2 * pad, "height": h + 2 * pad, "scale": 1,
            }  # fmt: skip
        data = self.send("Page.captureScreenshot", params, timeout=60)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """One headless Chromium driven over its DevTools pipe."""

    def __init__(self, proc: subprocess.Popen[bytes], to_chrome: int, from_chrome: int) -> None:
        self.proc = proc
        self._out = to_chrome
        self._in = from_chrome
        self._id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._waiting: dict[tuple[str | None, str], queue.Queue[dict[str, Any]]] = {}
        self.pages: dict[str, Page] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    @contextmanager
    def launch(
        cls, executable: str | None = None, *, width: int = 1200, height: int = 900
    ) -> Iterator[Browser]:
        exe = executable or chromium_path()
        if not exe:
            raise RuntimeError("no chromium found")
        profile = tempfile.mkdtemp(prefix="tc-chromium-")
        cmd_r, cmd_w = _high(*os.pipe())  # we write commands -> chromium reads on fd 3
        ev_r, ev_w = _high(*os.pipe())  # chromium writes on fd 4 -> we read
        argv = [
            shutil.which("bash") or "/bin/bash", "-c", f'exec "$0" "$@" 3<&{cmd_r} 4>&{ev_w}', exe, *FLAGS,
            f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank",
        ]  # fmt: skip
        log = open(Path(profile) / "chromium.log", "wb")  # noqa: SIM115 - closed with the browser
        proc = subprocess.Popen(
            argv,
            pass_fds=(cmd_r, ev_w),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        os.close(cmd_r)
        os.close(ev_w)
        browser = cls(proc, cmd_w, ev_r)
        try:
            yield browser
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)

    def close(self) -> None:
        with suppress(Exception):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._out, self._in):
            with suppress(OSError):
                os.close(fd)

    # ----------------------------------------------------------------- protocol
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 20)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    q = self._replies.get(msg["id"])
                    if q is not None:
                        q.put(msg)
                    continue
                session = msg.get("sessionId")
                page = self.pages.get(session) if session else None
                if page is not None:
                    page.on_event(msg)
                q = self._waiting.get((session, msg.get("method", "")))
                if q is not None:
                    q.put(msg)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = 30,
    ) -> Any:
        with self._lock:
            self._id += 1
            mid = self._id
            q: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[mid] = q
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        try:
            reply = q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no reply to {method} within {timeout}s") from None
        finally:
            self._replies.pop(mid, None)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def expect(self, session: str | None, method: str) -> None:
        self._waiting[(session, method)] = queue.Queue()

    def wait_event(self, session: str | None, method: str, timeout: float) -> dict[str, Any]:
        q = self._waiting.setdefault((session, method), queue.Queue())
        try:
            return q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no {method} within {timeout}s") from None
        finally:
            self._waiting.pop((session, method), None)

    def new_page(self, *, width: int = 1200, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        self.pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page


def measure(index: Path) -> dict[str, Any]:
    """Size in bytes and load times (load event; every chart drawn) of a report page."""
    with Browser.launch() as browser:
        page = browser.new_page()
        t0 = time.perf_counter()
        load_s = page.navigate(index.resolve().as_uri())
        page.evaluate("window.tcReport.ready", await_promise=True, timeout=120)
        drawn_s = time.perf_counter() - t0
        in_page = page.evaluate(
            "[performance.getEntriesByName('tc-charts-drawn')[0].startTime,"
            " performance.timing.loadEventEnd - performance.timing.navigationStart,"
            " (performance.getEntriesByType('mark').find(m => m.name.startsWith('tc-chart-'))"
            "  || {startTime: -1}).startTime]"
        )
        status = page.evaluate("window.tcReport.status")
    return {
        "bytes": index.stat().st_size,
        "load_event_s": round(load_s, 3),
        "charts_drawn_s": round(drawn_s, 3),
        "in_page_charts_drawn_ms": round(in_page[0]),
        "in_page_load_event_ms": in_page[1],
        "in_page_first_chart_ms": round(in_page[2]),
        "charts": len(status),
        "errors": sorted(k for k, v in status.items() if v != "ok"),
    }


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:]:
        print(json.dumps({"page": arg, **measure(Path(arg))}))
