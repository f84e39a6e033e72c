"""One browser for a whole run, shared by the workers.

Playwright's sync objects belong to the thread that made them, so every worker thread runs its
own Playwright driver. Instead of each driver launching a browser of its own (a browser, GPU,
network and zygote process per worker), one browser is started here through Playwright's
`launchServer` and every driver connects to it and opens its own context in it.

    shared = SharedBrowser(settings)
    browser = shared.connect(playwright)   # in any thread, with that thread's Playwright
    shared.close()                         # at the end of the run

The server runs in a process session of its own, like the drivers (see `runner`): Ctrl-C in
the terminal reaches Python only, and the rows in flight finish. Like a driver, it ends with its
browser when its stdin closes, so it can't outlive the run even when the run is killed. If it
dies, the next `connect()` starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.browser import LAUNCH_ARGS, choose_browser
from rpa.errors import ConfigError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

    from rpa.config import Settings

START_TIMEOUT_S = 60.0
# Node script: launch the browser server, print its endpoint, stop when stdin closes (our end
# of the pipe closes when this process ends, however it ends).
SERVER_JS = """
const [pkg, options, disable] = process.argv.slice(1);
// Chromium reads only the last --disable-features: fold ours into Playwright's own list.
const childProcess = require('child_process');
const spawn = childProcess.spawn;
childProcess.spawn = function (command, args, ...rest) {
  const flag = '--disable-features=';
  if (Array.isArray(args) && disable && args.some(a => a.startsWith(flag))) {  // the browser
    const lists = args.filter(a => a.startsWith(flag)).map(a => a.slice(flag.length));
    const merged = [...new Set([...lists.join(',').split(','), ...disable.split(',')].filter(Boolean))];
    args = [...args.filter(a => !a.startsWith(flag)), flag + merged.join(',')];
  }
  return spawn.call(this, command, args, ...rest);
};
require(pkg).chromium.launchServer(JSON.parse(options)).then(server => {
  console.log(server.wsEndpoint());
  const stop = () => server.close().finally(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}, error => { console.error(String(error && error.message || error)); process.exit(1); });
"""
# Chromium features the tool has no use for and that cost in every context: each context
# preloads two omnibox popups (WebUI pages, in a renderer of ~40 MB per context). Peak PSS at
# concurrency 4 fell from 1492 to 1359 MB (40 rows) and from 1584 to 1478 MB (200 rows).
# Names a Chromium doesn't know are ignored.
DISABLED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]
# Node sizes its heap by the machine's memory and collects late; with these caps the drivers of
# a concurrency-4 run took ~0.1 GB less between them (measured), at no cost in speed.
NODE_OPTIONS = "--max-old-space-size=256 --max-semi-space-size=2"


def node_options() -> str:
    """NODE_OPTIONS for a Playwright driver or server process (the user's own options kept)."""
    return f"{NODE_OPTIONS} {os.environ.get('NODE_OPTIONS', '')}".strip()


def driver_env() -> dict[str, str]:
    """The environment for the browser server process."""
    return {**os.environ, "NODE_OPTIONS": node_options()}


def own_session() -> dict[str, Any]:
    """Popen arguments that keep a child out of the terminal's Ctrl-C."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}


class SharedBrowser:
    """A browser served by Playwright's `launchServer`, started on first use, for all threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._endpoint: str | None = None
        self._stderr: Any = None

    def connect(self, playwright: Playwright) -> Browser:
        """A connection to the shared browser for this thread's Playwright (started if needed)."""
        return playwright.chromium.connect(self._ensure(), timeout=self.settings.timeout_ms)

    def _ensure(self) -> str:
        with self._lock:
            if self._process is None or self._process.poll() is not None or self._endpoint is None:
                self._stop()
                self._start()
            assert self._endpoint is not None
            return self._endpoint

    def _start(self) -> None:
        from playwright._impl._driver import compute_driver_executable

        choice = choose_browser(self.settings)  # a headless shell for a headless run, if there is one
        options = {"headless": self.settings.headless, "args": LAUNCH_ARGS}
        if choice.executable_path:
            options["executablePath"] = choice.executable_path
        if choice.channel:
            options["channel"] = choice.channel
        node, cli = compute_driver_executable()
        # stderr to a file, not a pipe nobody reads while the run lasts (a full pipe would block it).
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self._process = subprocess.Popen(
            [node, "-e", SERVER_JS, str(Path(cli).parent), json.dumps(options), ",".join(DISABLED_FEATURES)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, encoding="utf-8", errors="replace", env=driver_env(), **own_session(),
        )
        # The server prints its ws:// endpoint once the browser is up (or dies saying why).
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        endpoint = line[0].strip() if line else ""
        if not endpoint.startswith("ws"):
            why = ""
            if self._process.poll() is not None:
                self._stderr.seek(0)
                why = _last_error_line(self._stderr.read())
            self._stop()
            raise ConfigError(
                f"无法启动浏览器（{choice.describe()}）：{why or '启动超时'}。"
                "请检查 RPA_BROWSER_PATH / RPA_BROWSER_CHANNEL，或运行 make setup。"
            )
        self._endpoint = endpoint

    def close(self) -> None:
        """Stop the server and its browser."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        process, self._process, self._endpoint = self._process, None, None
        if process is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # the server closes its browser and exits
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                if os.name == "posix":
                    process.kill()
                else:  # end the server and its browser as a tree
                    subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5)
            with contextlib.suppress(OSError):
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _last_error_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return next((line for line in lines if "rror" in line), lines[-1] if lines else "")[:300]
