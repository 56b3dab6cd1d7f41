#!/usr/bin/env python3
"""Summarize an Autobahn|Testsuite fuzzingclient report (index.json).

Usage:
    summarize.py REPORT_DIR_OR_INDEX_JSON [--out summary.txt] [--agent NAME] [--expect N]

Writes a plain-text summary: counts per outcome (OK, NON-STRICT, INFORMATIONAL,
UNIMPLEMENTED, FAILED, plus any other outcome the report contains) and the list of
non-OK cases with their outcome, close behaviour and the peer's close code.

Exit status:
    0  no case FAILED or UNIMPLEMENTED
    1  at least one case FAILED or UNIMPLEMENTED
    2  the report is missing, unreadable, empty, or has fewer cases than --expect
       (a run that connected to nothing writes an index.json with no cases)

Standard library only.
"""

import argparse
import json
import os
import sys

OUTCOMES = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
BAD_OUTCOMES = ("FAILED", "UNIMPLEMENTED")


def case_sort_key(case_id):
    """'6.10.2' sorts after '6.9.1'; non-numeric parts sort after numbers."""
    key = []
    for part in str(case_id).split("."):
        key.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return key


def load_index(path):
    if os.path.isdir(path):
        path = os.path.join(path, "index.json")
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError("%s: top level is not an object" % path)
    return path, data


def summarize(index, agent=None):
    """Return a list of (agent, counts, non_ok) per agent.

    counts: dict outcome -> number (all of OUTCOMES present, others added as found)
    non_ok: list of (case_id, behavior, behaviorClose, remoteCloseCode), in case order
    """
    if not index:
        return []  # the client never got a case through (nothing listening, handshake refused)
    agents = [agent] if agent else sorted(index)
    result = []
    for name in agents:
        cases = index.get(name)
        if cases is None:
            raise KeyError("agent %r not in report (agents: %s)" % (name, ", ".join(sorted(index)) or "none"))
        counts = {o: 0 for o in OUTCOMES}
        non_ok = []
        for case_id in sorted(cases, key=case_sort_key):
            entry = cases[case_id] or {}
            behavior = str(entry.get("behavior", "MISSING"))
            counts[behavior] = counts.get(behavior, 0) + 1
            if behavior != "OK":
                non_ok.append((case_id, behavior, entry.get("behaviorClose"), entry.get("remoteCloseCode")))
        result.append((name, counts, non_ok))
    return result


def render(index_path, per_agent, expect=None):
    lines = ["Autobahn|Testsuite fuzzingclient summary", "report: %s" % index_path]
    for name, counts, non_ok in per_agent:
        total = sum(counts.values())
        lines.append("")
        lines.append("agent: %s" % name)
        lines.append("cases: %d%s" % (total, "" if expect is None else " (expected %d)" % expect))
        for outcome in list(OUTCOMES) + sorted(set(counts) - set(OUTCOMES)):
            lines.append("  %-14s %d" % (outcome, counts[outcome]))
        lines.append("non-OK cases: %d" % len(non_ok))
        for case_id, behavior, close, code in non_ok:
            lines.append("  %-9s %-14s close=%s remoteCloseCode=%s" % (case_id, behavior, close, code))
    return "\n".join(lines) + "\n"


def verdict(per_agent, expect=None):
    """(exit_code, message)"""
    if not per_agent:
        return 2, "ERROR: report has no agents (did the client connect at all?)"
    problems = []
    code = 0
    for name, counts, _ in per_agent:
        total = sum(counts.values())
        if total == 0:
            return 2, "ERROR: agent %s has no cases in the report (did the client connect?)" % name
        if expect is not None and total < expect:
            return 2, "ERROR: agent %s has %d cases, expected %d (run cut short?)" % (name, total, expect)
        bad = sum(counts.get(o, 0) for o in BAD_OUTCOMES)
        if bad:
            code = 1
            problems.append("%s: %s" % (name, ", ".join("%d %s" % (counts[o], o) for o in BAD_OUTCOMES if counts.get(o))))
    if code:
        return 1, "RESULT: FAIL (" + "; ".join(problems) + ")"
    return 0, "RESULT: PASS (no FAILED or UNIMPLEMENTED case)"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", help="report directory (containing index.json) or the index.json file")
    ap.add_argument("--out", help="write the summary here as well as to stdout")
    ap.add_argument("--agent", help="only this agent (default: every agent in the report)")
    ap.add_argument("--expect", type=int, help="number of cases the run was asked for; fewer is an error")
    args = ap.parse_args(argv)

    try:
        index_path, index = load_index(args.report)
        per_agent = summarize(index, args.agent)
    except (OSError, ValueError, KeyError) as e:
        msg = "ERROR: cannot read report: %s\n" % e
        sys.stderr.write(msg)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(msg)
        return 2

    code, message = verdict(per_agent, args.expect)
    text = render(index_path, per_agent, args.expect) + "\n" + message + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
