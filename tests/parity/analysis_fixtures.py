#!/usr/bin/env python3
"""Checks the call-graph / consent analysis against the analysis fixtures.

Each fixture app (tests/fixtures/apps/an_*, built by tests/fixtures/build_fixtures.sh) exhibits
one pattern; tests/fixtures/analysis_expected.json says what the report must contain for it.
For every app this runs `appaudit scan DIR/apk/<app>.apk --format json` and checks every
expectation, printing one line per check (PASS/FAIL), then a summary. Exit 1 if any check
fails, 2 on bad usage or an unreadable expectations file.

Expectation language (also summarised in the file's "about"):
  sections per app: collections, self_start, permissions, missing_permissions, sdks — each a
    list of {id, match, count?, set?, expect} over the report array of the same name;
    `match` selects entries (every condition holds); selecting nothing is a failure;
    `count` is the exact number of selected entries; `set` maps a field to the sorted unique
    values it takes over the selected entries; every `expect` condition must hold for every
    selected entry.
  collections_absent / missing_permissions_absent: [{id, match}] that must select nothing.
  no_pre_consent (no collection is pre-consent), all_reachable (every collection is
    reachable), min_collections (at least N collections).
  condition keys: a dotted field path ("entry.kind") and an optional operator after ':' —
    none (JSON equality, null included), contains, any_of, not, first, last, len, prefix.
    A field absent from the report fails every condition on it.
"""

import argparse
import json
import os
import subprocess
import sys

SECTIONS = ("collections", "self_start", "permissions", "missing_permissions", "sdks")
ABSENT_SECTIONS = {"collections_absent": "collections",
                   "missing_permissions_absent": "missing_permissions"}
APP_KEYS = {"app", "no_pre_consent", "all_reachable", "min_collections", *SECTIONS,
            *ABSENT_SECTIONS}
OPERATORS = {"eq", "contains", "any_of", "not", "first", "last", "len", "prefix"}
MISSING = object()


class ExpectationError(Exception):
    """The expectations file itself is malformed."""


def get_field(obj, path):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return MISSING
        obj = obj[part]
    return obj


def split_key(key):
    field, _, op = key.partition(":")
    op = op or "eq"
    if op not in OPERATORS:
        raise ExpectationError(f"unknown operator '{op}' in condition '{key}'")
    return field, op


def show(value):
    return "<missing>" if value is MISSING else json.dumps(value, ensure_ascii=False)


def holds(actual, op, want):
    """True when `actual` satisfies `op want`; a missing field never does."""
    if actual is MISSING:
        return False
    if op == "eq":
        return actual == want
    if op == "not":
        return actual != want
    if op == "any_of":
        return actual in want
    if op == "contains":
        wants = want if isinstance(want, list) else [want]
        if isinstance(actual, str):
            return all(isinstance(w, str) and w in actual for w in wants)
        if isinstance(actual, list):
            return all(w in actual for w in wants)
        return False
    if op in ("first", "last"):
        return isinstance(actual, list) and bool(actual) and actual[0 if op == "first" else -1] == want
    if op == "len":
        return isinstance(actual, (list, str)) and len(actual) == want
    if op == "prefix":
        return isinstance(actual, str) and actual.startswith(want)
    raise AssertionError(op)


def describe(field, op, want):
    words = {"eq": "==", "not": "!=", "any_of": "in", "contains": "contains",
             "first": "first ==", "last": "last ==", "len": "length ==", "prefix": "starts with"}
    return f"{field} {words[op]} {show(want)}"


def matches(entry, match):
    for key, want in match.items():
        field, op = split_key(key)
        if not holds(get_field(entry, field), op, want):
            return False
    return True


def ident(section, entry):
    """A short name for a report entry in failure messages."""
    if section == "collections":
        return f"{entry.get('caller')}@{entry.get('pc')} {entry.get('pi_type')} ({entry.get('api')})"
    if section == "permissions":
        return str(entry.get("name"))
    if section == "sdks":
        return str(entry.get("id"))
    if section == "missing_permissions":
        return f"{entry.get('api')} in {entry.get('caller')}"
    return f"{entry.get('kind')} {entry.get('component')}"


class Checker:
    def __init__(self, verbose_limit=3):
        self.passed = 0
        self.failed = 0
        self.failed_apps = {}
        self.limit = verbose_limit

    def record(self, app, where, ok, what, detail=""):
        status = "PASS" if ok else "FAIL"
        line = f"{status} {app} {where}: {what}"
        if not ok and detail:
            line += f" -- {detail}"
        print(line)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failed_apps[app] = self.failed_apps.get(app, 0) + 1

    def entries(self, report, section):
        """The report's array for a section, or (None, reason) if it has none."""
        value = report.get(section, MISSING)
        if value is MISSING:
            return None, f"report has no '{section}' key (analysis not in this binary?)"
        if not isinstance(value, list):
            return None, f"report '{section}' is {type(value).__name__}, not an array"
        return value, ""

    def check_section_item(self, app, report, section, item):
        where = f"{section}[{item.get('id', '?')}]"
        match = item.get("match")
        if not isinstance(match, dict) or not match:
            raise ExpectationError(f"{app} {where}: 'match' must be a non-empty object")
        unknown = set(item) - {"id", "match", "count", "set", "expect"}
        if unknown:
            raise ExpectationError(f"{app} {where}: unknown keys {sorted(unknown)}")
        for key in list(match) + list(item.get("expect", {})):
            split_key(key)
        expect = item.get("expect", {})
        sets = item.get("set", {})

        entries, why = self.entries(report, section)
        selected = [e for e in entries or [] if isinstance(e, dict) and matches(e, match)]
        self.record(app, where, bool(selected), f"match {show(match)} selects {len(selected)}",
                    why or f"no entry of {len(entries)} in '{section}' matches")
        why = why or "nothing selected"
        if "count" in item:
            self.record(app, where, len(selected) == item["count"],
                        f"count == {item['count']}", (f"got {len(selected)}: " +
                        "; ".join(ident(section, e) for e in selected[: self.limit]))
                        if selected else why)
        for field, want in sets.items():
            got = sorted({json.dumps(get_field(e, field), ensure_ascii=False)
                          for e in selected if get_field(e, field) is not MISSING})
            got = [json.loads(g) for g in got]
            ok = bool(selected) and got == sorted(want, key=lambda v: json.dumps(v))
            self.record(app, where, ok, f"values of {field} == {show(want)}",
                        f"got {show(got)}" if selected else why)
        for key, want in expect.items():
            field, op = split_key(key)
            bad = [e for e in selected if not holds(get_field(e, field), op, want)]
            ok = bool(selected) and not bad
            if not selected:
                detail = why
            else:
                detail = "; ".join(f"{ident(section, e)}: {field} = {show(get_field(e, field))}"
                                   for e in bad[: self.limit])
                if len(bad) > self.limit:
                    detail += f"; ... {len(bad) - self.limit} more"
            self.record(app, where, ok, describe(field, op, want), detail)

    def check_absent(self, app, report, key, item):
        section = ABSENT_SECTIONS[key]
        where = f"{key}[{item.get('id', '?')}]"
        match = item.get("match")
        if not isinstance(match, dict) or not match:
            raise ExpectationError(f"{app} {where}: 'match' must be a non-empty object")
        entries, why = self.entries(report, section)
        if entries is None:
            self.record(app, where, False, f"nothing matches {show(match)}", why)
            return
        hits = [e for e in entries if isinstance(e, dict) and matches(e, match)]
        self.record(app, where, not hits, f"nothing matches {show(match)}",
                    "; ".join(ident(section, e) for e in hits[: self.limit]))

    def check_app(self, app_exp, report, scan_error):
        app = app_exp["app"]
        unknown = set(app_exp) - APP_KEYS
        if unknown:
            raise ExpectationError(f"{app}: unknown keys {sorted(unknown)}")
        if scan_error:
            # Count every check this app would have made as failed, with the reason.
            n = sum(len(app_exp.get(s, [])) for s in (*SECTIONS, *ABSENT_SECTIONS))
            n += sum(k in app_exp for k in ("no_pre_consent", "all_reachable", "min_collections"))
            for _ in range(max(n, 1)):
                self.record(app, "scan", False, "report available", scan_error)
            return
        colls, why = self.entries(report, "collections")
        if "min_collections" in app_exp:
            want = app_exp["min_collections"]
            self.record(app, "collections", colls is not None and len(colls) >= want,
                        f"at least {want} collections", why or f"got {len(colls)}")
        if app_exp.get("no_pre_consent"):
            pre = [c for c in (colls or []) if c.get("pre_consent") is True]
            self.record(app, "collections", colls is not None and not pre,
                        "no collection is pre-consent",
                        why or "; ".join(ident("collections", c) for c in pre[: self.limit]))
        if app_exp.get("all_reachable"):
            unreach = [c for c in (colls or []) if c.get("reachable") is not True]
            self.record(app, "collections", colls is not None and not unreach,
                        "every collection is reachable",
                        why or "; ".join(ident("collections", c) for c in unreach[: self.limit]))
        for section in SECTIONS:
            for item in app_exp.get(section, []):
                self.check_section_item(app, report, section, item)
        for key in ABSENT_SECTIONS:
            for item in app_exp.get(key, []):
                self.check_absent(app, report, key, item)


def scan(appaudit, apk, timeout):
    """(report, error): the parsed JSON report, or None and why not."""
    if not os.path.isfile(apk):
        return None, f"{apk} not found (run tests/fixtures/build_fixtures.sh)"
    try:
        proc = subprocess.run([appaudit, "scan", apk, "--format", "json"], capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"cannot run {appaudit}: {err}"
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        return None, f"scan exited {proc.returncode}: {msg[-1] if msg else '(no stderr)'}"
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        return None, f"scan output is not JSON: {err}"
    if not isinstance(report, dict):
        return None, "scan output is not a JSON object"
    return report, ""


# --- self-test: the expectations are consistent and every condition can fail ----------------

def set_field(obj, path, value):
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(obj.get(part), dict):
            obj[part] = {}
        obj = obj[part]
    obj[parts[-1]] = value


def synthesize_entry(conditions):
    """An entry satisfying `conditions` (equalities first, then the other operators)."""
    entry = {}
    keyed = [(*split_key(k), v) for k, v in conditions.items()]
    for field, op, want in sorted(keyed, key=lambda t: t[1] != "eq"):
        cur = get_field(entry, field)
        if op == "eq" or op == "prefix":
            set_field(entry, field, want)
        elif op == "any_of":
            set_field(entry, field, want[0])
        elif op == "contains":
            cur = list(cur) if isinstance(cur, list) else []
            cur += [w for w in (want if isinstance(want, list) else [want]) if w not in cur]
            set_field(entry, field, cur)
        elif op in ("first", "last"):
            cur = list(cur) if isinstance(cur, list) else []
            if op == "first":
                if not cur or cur[0] != want:
                    cur.insert(0, want)
            elif not cur or cur[-1] != want:
                cur.append(want)
            set_field(entry, field, cur)
        elif op == "len":
            set_field(entry, field, ["x"] * want)
    return entry


def synthesize_report(app_exp):
    report = {s: [] for s in (*SECTIONS, *ABSENT_SECTIONS.values())}
    for section in SECTIONS:
        for item in app_exp.get(section, []):
            base = synthesize_entry({**item["match"], **item.get("expect", {})})
            sets = item.get("set", {})
            n = item.get("count", max([len(v) for v in sets.values()] + [1]))
            for i in range(n):
                entry = json.loads(json.dumps(base))
                for field, values in sets.items():
                    set_field(entry, field, values[i % len(values)])
                report[section].append(entry)
    # Expectations whose matches overlap: each also holds for the other's entries.
    for _ in range(2):
        for section in SECTIONS:
            for item in app_exp.get(section, []):
                for entry in report[section]:
                    if matches(entry, item["match"]):
                        merge(entry, synthesize_entry(item.get("expect", {})))
    return report


def merge(entry, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(entry.get(key), dict):
            merge(entry[key], value)
        elif key not in entry or not isinstance(value, list):
            entry[key] = value
        else:
            entry[key] = value + [v for v in entry[key] if v not in value]


def run_quiet(app_exp, report):
    """Checks one app's expectations against `report` without printing; returns the Checker."""
    checker = Checker()
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            checker.check_app(app_exp, report, "")
        finally:
            sys.stdout = stdout
    return checker


def self_test(apps):
    """0 if a synthesised ideal report passes and each broken condition fails, else 1."""
    problems = 0
    for app_exp in apps:
        report = synthesize_report(app_exp)
        checker = run_quiet(app_exp, report)
        if checker.failed:
            print(f"SELFTEST FAIL {app_exp['app']}: ideal report fails {checker.failed} checks")
            problems += 1
            continue
        mutations = 0
        breakers = []  # (what, function that breaks a copy of the report)
        if app_exp.get("no_pre_consent") and report["collections"]:
            breakers.append(("no_pre_consent",
                             lambda r: r["collections"][0].update(pre_consent=True)))
        if app_exp.get("all_reachable") and report["collections"]:
            breakers.append(("all_reachable",
                             lambda r: r["collections"][-1].update(reachable=False)))
        for key, section in ABSENT_SECTIONS.items():
            for item in app_exp.get(key, []):
                breakers.append((f"{key}[{item.get('id')}]",
                                 lambda r, s=section, m=item["match"]:
                                 r[s].append(synthesize_entry(m))))
        for what, breaker in breakers:
            broken = json.loads(json.dumps(report))
            breaker(broken)
            probe = run_quiet(app_exp, broken)
            mutations += 1
            if not probe.failed:
                print(f"SELFTEST FAIL {app_exp['app']}: breaking {what} is not detected")
                problems += 1
        for section in SECTIONS:
            for item in app_exp.get(section, []):
                for key in list(item.get("expect", {})) + list(item.get("set", {})):
                    field = split_key(key)[0]
                    broken = json.loads(json.dumps(report))
                    target = next(e for e in broken[section] if matches(e, item["match"]))
                    set_field(target, field, "__broken__")
                    probe = run_quiet(app_exp, broken)
                    mutations += 1
                    if not probe.failed:
                        print(f"SELFTEST FAIL {app_exp['app']} {section}[{item.get('id')}]: "
                              f"breaking {key} is not detected")
                        problems += 1
        print(f"SELFTEST PASS {app_exp['app']}: ideal report passes {checker.passed} checks; "
              f"{mutations} broken conditions all detected")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--appaudit", help="the appaudit binary")
    ap.add_argument("--fixtures", help="build_fixtures.sh output dir (has apk/)")
    ap.add_argument("--expected", required=True, help="tests/fixtures/analysis_expected.json")
    ap.add_argument("--app", action="append", help="check only this app (repeatable)")
    ap.add_argument("--out", help="write each app's report to OUT/<app>.json")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per scan")
    ap.add_argument("--self-test", action="store_true",
                    help="check the expectations against synthesised reports (no binary needed)")
    args = ap.parse_args()
    if not args.self_test and not (args.appaudit and args.fixtures):
        ap.error("--appaudit and --fixtures are required (unless --self-test)")

    try:
        with open(args.expected, encoding="utf-8") as f:
            doc = json.load(f)
        apps = doc["apps"]
        if not isinstance(apps, list) or not apps:
            raise ExpectationError("'apps' must be a non-empty array")
    except (OSError, json.JSONDecodeError, KeyError, ExpectationError) as err:
        print(f"analysis_fixtures: {args.expected}: {err}", file=sys.stderr)
        return 2
    names = [a.get("app") for a in apps]
    if args.app:
        unknown = sorted(set(args.app) - set(names))
        if unknown:
            print(f"analysis_fixtures: no expectations for {unknown}", file=sys.stderr)
            return 2
        apps = [a for a in apps if a.get("app") in args.app]
    if args.self_test:
        try:
            return self_test(apps)
        except ExpectationError as err:
            print(f"analysis_fixtures: {args.expected}: {err}", file=sys.stderr)
            return 2
    if args.out:
        os.makedirs(args.out, exist_ok=True)

    checker = Checker()
    try:
        for app_exp in apps:
            apk = os.path.join(args.fixtures, "apk", app_exp["app"] + ".apk")
            report, err = scan(args.appaudit, apk, args.timeout)
            if report is not None and args.out:
                with open(os.path.join(args.out, app_exp["app"] + ".json"), "w",
                          encoding="utf-8") as f:
                    json.dump(report, f, indent=1, ensure_ascii=False)
            checker.check_app(app_exp, report, err)
    except ExpectationError as err:
        print(f"analysis_fixtures: {args.expected}: {err}", file=sys.stderr)
        return 2

    total = checker.passed + checker.failed
    print(f"analysis_fixtures: {len(apps)} apps, {total} checks, {checker.passed} passed, "
          f"{checker.failed} failed")
    if checker.failed_apps:
        print("failing apps: " + ", ".join(f"{a} ({n})" for a, n in checker.failed_apps.items()))
    return 1 if checker.failed else 0


if __name__ == "__main__":
    sys.exit(main())
