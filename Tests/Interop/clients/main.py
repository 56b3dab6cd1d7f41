"""Runs the python-socketio and Chromium cases against a running gateway; prints `interop: N passed, M failed`.

    python main.py --gateway http://127.0.0.1:PORT --client-js socket.io.min.js [--only SUBSTRING ...]
"""
import argparse
import asyncio
import sys

import browser_cases
import python_cases
from harness import run_all


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--client-js", required=True, help="the official socket.io.min.js the page loads")
    parser.add_argument("--only", nargs="*", help="run only the cases whose name contains one of these")
    parser.add_argument("--no-browser", action="store_true")
    arguments = parser.parse_args()

    python_cases.register(arguments.gateway)
    browser = None
    if not arguments.no_browser:
        browser = browser_cases.Browser(arguments.gateway, arguments.client_js)
        browser_cases.register(browser)
    try:
        passed, failed = asyncio.run(run_all(arguments.only))
    finally:
        if browser:
            browser.close()
    print(f"interop: {passed} passed, {len(failed)} failed")
    for name in failed:
        print(f"  failed: {name}")
    sys.exit(1 if failed or passed == 0 else 0)


if __name__ == "__main__":
    main()
