#!/usr/bin/env python3
"""Every field name the JSON report emits must be documented in docs/report-schema.md.

Scans the given APK/DEX files with `appaudit scan --timings`, walks every object in the
reports and checks that each key appears in the schema document as `key` (in backticks).
The JSON report is a public contract: an undocumented field is a defect."""
import argparse
import json
import os
import re
import subprocess
import sys


def keys(value, path, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.setdefault(k, path + "." + k)
            keys(v, path + "." + k, out)
    elif isinstance(value, list):
        for v in value:
            keys(v, path + "[]", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--policy", nargs="*", default=[],
                    help="policy files for `appaudit policy --with-text`; their fields must be "
                         "documented in the schema's `appaudit policy` section")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    doc = open(args.schema, encoding="utf-8").read()
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", doc))
    # Compound headings such as `a`, `b` and "`{"kind", "value"}`" name fields too.
    for group in re.findall(r"`\{([^`]*)\}`", doc):
        documented.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', group))
    found = {}
    scanned = 0
    for path in args.inputs:
        if not os.path.exists(path):
            print("missing input: %s" % path)
            return 1
        r = subprocess.run([args.appaudit, "scan", path, "--format", "json", "--timings"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("scan failed (%d): %s: %s" % (r.returncode, path, r.stderr.strip()))
            return 1
        keys(json.loads(r.stdout), "", found)
        scanned += 1
    missing = sorted((k, p) for k, p in found.items() if k not in documented)
    # The policy report: its fields must be documented in its own section.
    section = doc[doc.find("# `appaudit policy` JSON output"):] if args.policy else ""
    policy_documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", section))
    for group in re.findall(r"`\{([^`]*)\}`", section):
        policy_documented.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', group))
    policy_found = {}
    for path in args.policy:
        r = subprocess.run([args.appaudit, "policy", path, "--with-text"], capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0:
            print("policy failed (%d): %s: %s" % (r.returncode, path, r.stderr.strip()))
            return 1
        keys(json.loads(r.stdout), "", policy_found)
        scanned += 1
    missing += sorted((k, "policy" + p) for k, p in policy_found.items()
                      if k not in policy_documented)
    found.update({k: p for k, p in policy_found.items() if k not in found})
    for k, p in missing:
        print("undocumented field `%s` (first seen at %s)" % (k, p))
    print("%d reports, %d distinct field names, %d undocumented" % (scanned, len(found),
                                                                   len(missing)))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
