"""A minimal test harness: named async cases, run one after another, each with a time limit."""
import asyncio
import time
import traceback

CASES = []
# Run after every case, passed or failed (e.g. to close the clients a failed case left open).
AFTER_EACH = []


class CheckFailed(AssertionError):
    pass


def case(name):
    def register(function):
        CASES.append((name, function))
        return function
    return register


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


async def wait_for(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def run_all(selected=None, case_timeout=30.0):
    passed, failed = 0, []
    for name, function in CASES:
        if selected and not any(s in name for s in selected):
            continue
        started = time.monotonic()
        try:
            await asyncio.wait_for(function(), case_timeout)
            passed += 1
            print(f"ok    {name} ({time.monotonic() - started:.2f}s)", flush=True)
        except Exception as error:  # every failure is reported, whatever raised it
            failed.append(name)
            print(f"FAIL  {name}: {type(error).__name__}: {error}", flush=True)
            if not isinstance(error, CheckFailed):
                traceback.print_exc()
        for cleanup in AFTER_EACH:
            await cleanup()
    return passed, failed
