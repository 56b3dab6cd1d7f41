"""The official browser client (socket.io-client 4.x) in headless Chromium, driven by Selenium, against the gateway's
interop fixture. The page (page.html, with the client's socket.io.min.js) is served from another loopback port than the
gateway, so that every case is cross-origin."""
import asyncio
import functools
import http.server
import os
import shutil
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from harness import case, check

TRANSPORT_SETTINGS = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": None}
CASES = ["auth", "ack", "binary", "rooms", "recovery"]
HERE = os.path.dirname(os.path.abspath(__file__))


class Browser:
    def __init__(self, gateway, client_js):
        self.root = tempfile.mkdtemp(prefix="interop-page.")
        shutil.copy(os.path.join(HERE, "page.html"), self.root)
        shutil.copy(client_js, os.path.join(self.root, "socket.io.min.js"))
        handler = functools.partial(QuietHandler, directory=self.root)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        options = webdriver.ChromeOptions()
        options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]:
            options.add_argument(flag)
        service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(options=options, service=service)
        page = f"http://127.0.0.1:{self.server.server_address[1]}/page.html?gateway={gateway}"
        self.driver.get(page)
        check(self.driver.execute_script("return typeof io === 'function'"), "socket.io.min.js did not load")
        self.version = self.driver.execute_script("return io.protocol")

    def run(self, name, transports, timeout=20.0):
        """Starts a case in the page and polls the page for its result (no virtual time: real waits)."""
        self.driver.execute_script("window.start(arguments[0], arguments[1])", name, transports)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.driver.execute_script("return window.result")
            if result is not None:
                return result
            time.sleep(0.05)
        return {"ok": False, "error": f"no result after {timeout}s"}

    def close(self):
        self.driver.quit()
        self.server.shutdown()
        shutil.rmtree(self.root, ignore_errors=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def register(browser):
    for label, transports in TRANSPORT_SETTINGS.items():
        for name in CASES:
            _register(browser, label, transports, name)


def _register(browser, label, transports, name):
    @case(f"chromium socket.io-client {label}: {name}")
    async def run_in_page():
        result = await asyncio.to_thread(browser.run, name, transports)
        check(result["ok"], result.get("error", "failed"))
