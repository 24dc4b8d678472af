#!/usr/bin/env python3
"""The platform's HTTP API over real HTTP against a real `appaudit serve` (issue 5, §5).

Starts the server on a free loopback port with a fresh data folder, creates users with
`appaudit user add`, and checks every endpoint and every role boundary: uploads (streamed,
deduplicated, re-checks, junk, empty, too large), scans and their reports (byte for byte the
CLI's JSON), findings and reviews, apps, versions and their diff, enterprises and
distributors, the case workflow (open → order → re-check → rectified; notify → takedown
→ notices), repeat offenders, statistics, the notice exports, the audit log; a scan killed by
its memory limit ends failed while the server keeps answering.

Usage: api_test.py --appaudit build/bin/appaudit --fixtures build/fixtures --corpus ../shared/corpus
With --postgres, every server and user runs on PostgreSQL: a fresh database per test class
on the server named by APPAUDIT_TEST_PG (a libpq URI; scripts/pg_test_server.sh starts one,
scripts/test.sh exports it). Without the variable the run is skipped — or fails under CI=true.
"""
import argparse
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import zipfile

ARGS = None


def fresh_db(name):
    """'' for SQLite; with --postgres a new, empty database `name` and its URI."""
    if not ARGS.postgres:
        return ""
    base = os.environ["APPAUDIT_TEST_PG"]
    prefix, _, _ = base.rpartition("/")
    for sql in ("DROP DATABASE IF EXISTS %s" % name, "CREATE DATABASE %s" % name):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", base, "-c", sql], check=True,
                       capture_output=True)
    return prefix + "/" + name


class Server:
    """`appaudit serve` on a free port with its own data folder."""

    def __init__(self, data_dir, *extra, db=""):
        self.data_dir = data_dir
        cmd = [ARGS.appaudit, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
               "--workers", "2", "--lease-seconds", "3", *extra]
        if db:
            cmd += ["--db", db]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = ""
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if "serving http://" in line or not line:
                break
        if "serving http://" not in line:
            raise RuntimeError("server did not start: %r %s" % (line, self.proc.stderr.read()))
        self.base = line.split("serving ")[1].split()[0]
        # Drain stdout so that the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig:
                self.proc.send_signal(sig)
            else:
                self.proc.terminate()
            self.proc.wait(timeout=30)


def user_add(data_dir, name, role, org=None, db=""):
    cmd = [ARGS.appaudit, "user", "add", name, "--role", role, "--data-dir", data_dir]
    if db:
        cmd += ["--db", db]
    if role == "enterprise":
        cmd += ["--enterprise", org]
    if role == "distributor" and org:
        cmd += ["--distributor", org]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def call(server, method, path, token=None, body=None, ctype=None, raw=False):
    """(status, parsed JSON or bytes)."""
    data = None
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
            headers["Content-Type"] = ctype or "application/vnd.android.package-archive"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    req = urllib.request.Request(server.base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            payload = r.read()
            status = r.status
            content_type = r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        payload = e.read()
        status = e.code
        content_type = e.headers.get("Content-Type", "")
    if raw or "json" not in content_type:
        return status, payload
    return status, json.loads(payload)


def fixture(name):
    return os.path.join(ARGS.fixtures, "apk", name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def wait_scan(server, token, scan_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, s = call(server, "GET", "/api/v1/scans/%d" % scan_id, token)
        assert status == 200, (status, s)
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.2)
    raise AssertionError("scan %d did not finish" % scan_id)


class Api(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="appaudit-api-")
        data = os.path.join(cls.tmp, "data")
        db = fresh_db("appaudit_api")
        cls.reg = user_add(data, "regina", "regulator", db=db)
        cls.ent = user_add(data, "eve", "enterprise", "Acme Ltd", db=db)
        cls.ent2 = user_add(data, "oscar", "enterprise", "Other Corp", db=db)
        cls.dist = user_add(data, "dan", "distributor", "AppStore X", db=db)
        cls.dist2 = user_add(data, "dora", "distributor", "AppStore Y", db=db)
        cls.server = Server(data, "--max-upload-mb", "4", db=db)
        s = cls.server
        # Version 1 (a policy that omits an SDK) by the enterprise, and the same bytes through
        # a distributor; version 2 (the complete policy) comes later, in the case test.
        st, cls.sub1 = call(s, "POST", "/api/v1/submissions?source_channel=self-check", cls.ent,
                            read(fixture("an_policy_partial.apk")))
        assert st == 202, (st, cls.sub1)
        cls.scan1 = wait_scan(s, cls.reg, cls.sub1["scan_id"])
        st, cls.sub1d = call(s, "POST", "/api/v1/submissions", cls.dist,
                             read(fixture("an_policy_partial.apk")))
        assert st == 202, (st, cls.sub1d)
        # Another enterprise's app.
        st, cls.sub_other = call(s, "POST", "/api/v1/submissions", cls.ent2,
                                 read(fixture("an_perm_request.apk")))
        assert st == 202, (st, cls.sub_other)
        cls.scan_other = wait_scan(s, cls.reg, cls.sub_other["scan_id"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- identity and authentication ---
    def test_unauthenticated_endpoints(self):
        st, h = call(self.server, "GET", "/api/v1/health")
        self.assertEqual(st, 200)
        self.assertEqual(h["status"], "ok")
        st, doc = call(self.server, "GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        self.assertEqual(doc["openapi"], "3.0.3")
        for p in ["/api/v1/submissions", "/api/v1/scans/{id}", "/api/v1/apps/{id}/diff",
                  "/api/v1/cases/{id}/takedown", "/api/v1/stats", "/api/v1/exports/notice.xlsx"]:
            self.assertIn(p, doc["paths"])

    def test_every_protected_endpoint_needs_a_valid_token(self):
        paths = ["/api/v1/me", "/api/v1/scans", "/api/v1/scans/1", "/api/v1/scans/1/findings",
                 "/api/v1/apps", "/api/v1/apps/1", "/api/v1/apps/1/diff", "/api/v1/enterprises",
                 "/api/v1/distributors", "/api/v1/cases", "/api/v1/cases/1", "/api/v1/notices",
                 "/api/v1/repeat-offenders", "/api/v1/stats", "/api/v1/exports/notice.html",
                 "/api/v1/exports/notice.xlsx", "/api/v1/audit"]
        for p in paths:
            for token in (None, "0" * 64, "garbage"):
                st, body = call(self.server, "GET", p, token)
                self.assertEqual(st, 401, (p, token, body))
        for p, body in [("/api/v1/submissions", b"PK"), ("/api/v1/findings/1/review", {}),
                        ("/api/v1/cases", {}), ("/api/v1/cases/1/order", {})]:
            st, _ = call(self.server, "POST", p, "f" * 64, body)
            self.assertEqual(st, 401, p)

    def test_hostile_json_bodies(self):
        s = self.server
        for path in ["/api/v1/cases", "/api/v1/findings/1/review", "/api/v1/cases/1/order"]:
            for body in [b"[", b"[1,2]", b"\xff\xfe", b'{"app_id": "x"}', b'"text"']:
                st, answer = call(s, "POST", path, self.reg, body, "application/json")
                self.assertIn(st, (400, 404), (path, body, answer))
        st, answer = call(s, "POST", "/api/v1/cases", self.reg,
                          {"app_id": self.scan1["app"]["id"], "finding_ids": "all", "note": 7})
        self.assertEqual(st, 400, answer)
        st, answer = call(s, "POST", "/api/v1/findings/1/review", self.reg,
                          {"state": 5, "reason": ["x"]})
        self.assertEqual(st, 400, answer)

    def test_me(self):
        st, me = call(self.server, "GET", "/api/v1/me", self.ent)
        self.assertEqual(st, 200)
        self.assertEqual((me["name"], me["role"], me["enterprise"]["name"]),
                         ("eve", "enterprise", "Acme Ltd"))
        st, me = call(self.server, "GET", "/api/v1/me", self.dist)
        self.assertEqual((me["role"], me["distributor"]["name"]), ("distributor", "AppStore X"))

    # --- submissions and scans ---
    def test_report_is_the_cli_report(self):
        self.assertEqual(self.scan1["status"], "done")
        out = subprocess.run([ARGS.appaudit, "scan", fixture("an_policy_partial.apk")],
                             check=True, capture_output=True).stdout
        cli = json.loads(out)
        api = self.scan1["report"]
        # The worker scans the blob, named by its SHA-256, not the file name.
        self.assertEqual(api["input"]["file_name"], self.scan1["sha256"])
        cli["input"]["file_name"] = api["input"]["file_name"]
        self.assertEqual(api, cli)
        self.assertEqual(self.scan1["findings_count"], len(cli["findings"]))
        self.assertEqual(self.scan1["app"]["package"], cli["app"]["package"])

    def test_same_bytes_return_the_existing_scan_unless_recheck(self):
        self.assertTrue(self.sub1d["existing"])
        self.assertEqual(self.sub1d["scan_id"], self.sub1["scan_id"])
        st, again = call(self.server, "POST", "/api/v1/submissions?recheck=1", self.reg,
                         read(fixture("an_policy_partial.apk")))
        self.assertEqual(st, 202)
        self.assertFalse(again["existing"])
        self.assertNotEqual(again["scan_id"], self.sub1["scan_id"])
        s = wait_scan(self.server, self.reg, again["scan_id"])
        self.assertEqual(s["status"], "done")

    def test_bad_uploads(self):
        st, body = call(self.server, "POST", "/api/v1/submissions", self.ent, b"")
        self.assertEqual(st, 400, body)
        self.assertIn("empty", body["error"])
        # Over the 4 MiB limit: with a length, chunked, and announced far beyond the limit.
        st, body = call(self.server, "POST", "/api/v1/submissions", self.ent,
                        b"\0" * (5 << 20))
        self.assertEqual(st, 413, body)
        self.assertIn("4 MiB", body["error"])
        host, port = self.server.base.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("POST", "/api/v1/submissions", body=(b"\1" * 65536 for _ in range(80)),
                     headers={"Authorization": "Bearer " + self.ent,
                              "Content-Type": "application/vnd.android.package-archive"},
                     encode_chunked=True)
        r = conn.getresponse()
        self.assertEqual(r.status, 413)
        conn.close()
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(("POST /api/v1/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: "
                          "Bearer %s\r\nContent-Length: 10000000000\r\n\r\n" % self.ent).encode())
            answer = sock.recv(4096).decode(errors="replace")
        self.assertTrue(answer.startswith("HTTP/1.1 413"), answer)
        # Nothing of the refused uploads stays behind.
        tmp = os.path.join(self.server.data_dir, "blobs", "tmp")
        self.assertEqual(os.listdir(tmp) if os.path.isdir(tmp) else [], [])
        st, body = call(self.server, "POST", "/api/v1/submissions?app_type=nonsense", self.ent,
                        b"PK\3\4")
        self.assertEqual(st, 400, body)
        self.assertIn("app_type", body["error"])
        st, body = call(self.server, "POST", "/api/v1/submissions?enterprise=Other%20Corp",
                        self.ent, b"PK\3\4")
        self.assertEqual(st, 403, body)
        # Junk is accepted and ends as a failed scan with a reason; the server keeps answering.
        for junk in [b"not an apk at all", b"PK\3\4" + os.urandom(3000),
                     b"dex\n035\0" + os.urandom(200)]:
            st, sub = call(self.server, "POST", "/api/v1/submissions", self.ent, junk)
            self.assertEqual(st, 202, sub)
            s = wait_scan(self.server, self.ent, sub["scan_id"])
            self.assertEqual(s["status"], "failed", s)
            self.assertTrue(s["error"], s)
            self.assertNotIn("report", s)
        st, _ = call(self.server, "GET", "/api/v1/health")
        self.assertEqual(st, 200)

    def test_a_policy_submitted_with_the_app(self):
        s = self.server
        policy = os.path.join(ARGS.source, "tests", "fixtures", "policy", "denies_imsi.txt")
        st, up = call(s, "POST", "/api/v1/policies", self.ent, read(policy), "text/plain")
        self.assertEqual(st, 201, up)
        self.assertEqual(up["encoding"], "utf-8")
        st, body = call(s, "POST", "/api/v1/policies", self.ent, b"\0\1\2\3" * 100,
                        "application/octet-stream")
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/policies", self.ent, b"", "text/plain")
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/submissions?policy=" + "0" * 64, self.ent,
                        read(fixture("an_policy_partial.apk")))
        self.assertEqual(st, 400, body)
        # The same APK with a policy is a different submission from the APK alone.
        st, sub = call(s, "POST", "/api/v1/submissions?policy=" + up["sha256"], self.ent,
                       read(fixture("an_policy_partial.apk")))
        self.assertEqual(st, 202, sub)
        self.assertFalse(sub["existing"])
        scan = wait_scan(s, self.ent, sub["scan_id"])
        self.assertEqual(scan["status"], "done", scan)
        self.assertEqual(scan["report"]["policy"]["source"], "cli")
        self.assertIn("contradicts_policy", [f["rule"] for f in scan["report"]["findings"]])
        st, again = call(s, "POST", "/api/v1/submissions?policy=" + up["sha256"], self.ent,
                         read(fixture("an_policy_partial.apk")))
        self.assertEqual((again["existing"], again["scan_id"]), (True, sub["scan_id"]))

    def test_scan_listing_is_scoped(self):
        st, mine = call(self.server, "GET", "/api/v1/scans?limit=500", self.ent)
        self.assertEqual(st, 200)
        ids = {s["id"] for s in mine["items"]}
        self.assertIn(self.sub1["scan_id"], ids)
        self.assertNotIn(self.sub_other["scan_id"], ids)
        self.assertNotIn("report", mine["items"][0])
        st, all_ = call(self.server, "GET", "/api/v1/scans?limit=500", self.reg)
        self.assertGreaterEqual(all_["total"], 2)
        self.assertIn(self.sub_other["scan_id"], {s["id"] for s in all_["items"]})
        st, done = call(self.server, "GET", "/api/v1/scans?status=done", self.reg)
        self.assertTrue(all(s["status"] == "done" for s in done["items"]))
        st, _ = call(self.server, "GET", "/api/v1/scans?status=bogus", self.reg)
        self.assertEqual(st, 400)
        st, page = call(self.server, "GET", "/api/v1/scans?limit=1&offset=1", self.reg)
        self.assertEqual(len(page["items"]), 1)
        # Someone else's scan reads as absent.
        for token in (self.ent, self.dist2):
            st, _ = call(self.server, "GET", "/api/v1/scans/%d" % self.sub_other["scan_id"], token)
            self.assertEqual(st, 404)
            st, _ = call(self.server, "GET",
                         "/api/v1/scans/%d/findings" % self.sub_other["scan_id"], token)
            self.assertEqual(st, 404)
        # The distributor that sent the same bytes sees them.
        st, s = call(self.server, "GET", "/api/v1/scans/%d" % self.sub1["scan_id"], self.dist)
        self.assertEqual(st, 200)
        st, _ = call(self.server, "GET", "/api/v1/scans/999999", self.reg)
        self.assertEqual(st, 404)

    # --- apps, organisations ---
    def test_apps_are_scoped_and_searchable(self):
        st, apps = call(self.server, "GET", "/api/v1/apps", self.reg)
        self.assertEqual(st, 200)
        packages = {a["package"] for a in apps["items"]}
        self.assertIn("com.appaudit.fx.sdk", packages)
        self.assertEqual(apps["total"], len(apps["items"]))
        st, mine = call(self.server, "GET", "/api/v1/apps", self.ent)
        self.assertEqual({a["package"] for a in mine["items"]}, {"com.appaudit.fx.sdk"})
        self.assertEqual(mine["items"][0]["enterprise"]["name"], "Acme Ltd")
        st, found = call(self.server, "GET", "/api/v1/apps?q=FX%20SDK", self.reg)
        self.assertEqual([a["package"] for a in found["items"]], ["com.appaudit.fx.sdk"])
        st, none = call(self.server, "GET", "/api/v1/apps?q=zzzz", self.reg)
        self.assertEqual(none["total"], 0)
        st, d = call(self.server, "GET", "/api/v1/apps", self.dist)
        self.assertEqual({a["package"] for a in d["items"]}, {"com.appaudit.fx.sdk"})
        st, d2 = call(self.server, "GET", "/api/v1/apps", self.dist2)
        self.assertEqual(d2["total"], 0)
        app_id = self.scan1["app"]["id"]
        st, app = call(self.server, "GET", "/api/v1/apps/%d" % app_id, self.ent)
        self.assertEqual(st, 200)
        self.assertEqual(app["distributors"], [{"id": app["distributors"][0]["id"],
                                                "name": "AppStore X"}])
        self.assertGreaterEqual(len(app["versions"]), 1)
        for token in (self.ent2, self.dist2):
            st, _ = call(self.server, "GET", "/api/v1/apps/%d" % app_id, token)
            self.assertEqual(st, 404)

    def test_organisations(self):
        st, e = call(self.server, "GET", "/api/v1/enterprises", self.reg)
        self.assertEqual(st, 200)
        self.assertTrue({"Acme Ltd", "Other Corp"} <= {x["name"] for x in e["items"]})
        st, e = call(self.server, "GET", "/api/v1/enterprises", self.ent)
        self.assertEqual([x["name"] for x in e["items"]], ["Acme Ltd"])
        st, d = call(self.server, "GET", "/api/v1/distributors", self.dist)
        self.assertEqual([x["name"] for x in d["items"]], ["AppStore X"])
        self.assertEqual(d["items"][0]["apps"], 1)

    # --- findings, review, cases, notices, statistics, exports ---
    def test_review_and_case_workflow(self):
        s = self.server
        # The case is opened on the app's newest scan (other tests add scans of the same app).
        st, base = call(s, "POST", "/api/v1/submissions?recheck=1", self.ent,
                        read(fixture("an_policy_partial.apk")))
        self.assertEqual(wait_scan(s, self.ent, base["scan_id"])["status"], "done")
        st, fs = call(s, "GET", "/api/v1/scans/%d/findings" % base["scan_id"], self.ent)
        self.assertEqual(st, 200)
        by_rule = {f["rule"]: f for f in fs["items"]}
        self.assertIn("undisclosed_sdk", by_rule)
        f = by_rule["undisclosed_sdk"]
        self.assertTrue(f["title"])
        self.assertEqual(f["finding"]["rule"], "undisclosed_sdk")
        self.assertIsNone(f["review"])
        # Only a regulator reviews; others 403, strangers 404.
        st, _ = call(s, "POST", "/api/v1/findings/%d/review" % f["id"], self.ent,
                     {"state": "false_positive", "reason": "we disagree"})
        self.assertEqual(st, 403)
        st, _ = call(s, "POST", "/api/v1/findings/%d/review" % f["id"], self.ent2,
                     {"state": "confirmed", "reason": "x"})
        self.assertEqual(st, 404)
        st, body = call(s, "POST", "/api/v1/findings/%d/review" % f["id"], self.reg,
                        {"state": "confirmed"})
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/findings/%d/review" % f["id"], self.reg,
                        {"state": "maybe", "reason": "x"})
        self.assertEqual(st, 400, body)
        app_id = self.scan1["app"]["id"]
        # A case needs confirmed findings.
        st, body = call(s, "POST", "/api/v1/cases", self.reg,
                        {"app_id": app_id, "finding_ids": [f["id"]]})
        self.assertEqual(st, 400, body)
        st, rf = call(s, "POST", "/api/v1/findings/%d/review" % f["id"], self.reg,
                      {"state": "confirmed", "reason": "JAnalytics ships and is not disclosed"})
        self.assertEqual(st, 200, rf)
        self.assertEqual(rf["review"]["state"], "confirmed")
        self.assertEqual(rf["review"]["by_name"], "regina")
        other = by_rule.get("no_rights_channel")
        if other:
            st, _ = call(s, "POST", "/api/v1/findings/%d/review" % other["id"], self.reg,
                         {"state": "waived", "reason": "channel exists in the app's help page"})
            self.assertEqual(st, 200)
        st, body = call(s, "POST", "/api/v1/cases", self.ent,
                        {"app_id": app_id, "finding_ids": [f["id"]]})
        self.assertEqual(st, 403, body)
        st, c = call(s, "POST", "/api/v1/cases", self.reg,
                     {"app_id": app_id, "finding_ids": [f["id"]], "note": "first notice"})
        self.assertEqual(st, 201, c)
        self.assertEqual(c["status"], "open")
        self.assertEqual([x["rule"] for x in c["findings"]], ["undisclosed_sdk"])
        cid = c["id"]
        # Wrong transitions, a missing deadline, non-regulators.
        st, body = call(s, "POST", "/api/v1/cases/%d/takedown" % cid, self.reg, {})
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/cases/%d/order" % cid, self.reg, {})
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/cases/%d/order" % cid, self.reg,
                        {"deadline": "soon"})
        self.assertEqual(st, 400, body)
        st, body = call(s, "POST", "/api/v1/cases/%d/order" % cid, self.ent,
                        {"deadline": "2030-01-01"})
        self.assertEqual(st, 403, body)
        st, body = call(s, "POST", "/api/v1/cases/%d/order" % cid, self.ent2,
                        {"deadline": "2030-01-01"})
        self.assertEqual(st, 404, body)
        # An order whose deadline has passed is overdue.
        st, c = call(s, "POST", "/api/v1/cases/%d/order" % cid, self.reg,
                     {"deadline": "2020-01-01", "note": "rectify within 5 working days"})
        self.assertEqual(st, 200, c)
        self.assertEqual((c["status"], c["overdue"]), ("rectifying", True))
        st, od = call(s, "GET", "/api/v1/cases?overdue=1", self.reg)
        self.assertIn(cid, [x["id"] for x in od["items"]])
        st, mine = call(s, "GET", "/api/v1/cases", self.ent)
        self.assertIn(cid, [x["id"] for x in mine["items"]])
        st, theirs = call(s, "GET", "/api/v1/cases", self.ent2)
        self.assertNotIn(cid, [x["id"] for x in theirs["items"]])
        # Re-check before a new version: nothing newer to compare with.
        st, body = call(s, "POST", "/api/v1/cases/%d/recheck" % cid, self.reg, {})
        self.assertEqual(st, 400, body)
        # The enterprise submits the rectified version: re-checked automatically, rectified.
        st, sub2 = call(s, "POST", "/api/v1/submissions", self.ent,
                        read(fixture("an_policy_full.apk")))
        self.assertEqual(st, 202)
        scan2 = wait_scan(s, self.ent, sub2["scan_id"])
        self.assertEqual(scan2["status"], "done")
        self.assertEqual(scan2["app"]["id"], app_id)
        st, c = call(s, "GET", "/api/v1/cases/%d" % cid, self.ent)
        self.assertEqual(c["status"], "rectified", c)
        self.assertEqual(c["recheck"], {"scan_id": sub2["scan_id"], "remaining": [],
                                        "fixed": ["undisclosed_sdk"]})
        self.assertEqual([h["action"] for h in c["history"]],
                         ["open", "order", "recheck", "rectified"])
        # The two versions' differences.
        st, app = call(s, "GET", "/api/v1/apps/%d" % app_id, self.reg)
        self.assertEqual(len(app["versions"]), 2)
        st, diff = call(s, "GET", "/api/v1/apps/%d/diff" % app_id, self.reg)
        self.assertEqual(st, 200, diff)
        self.assertIn("undisclosed_sdk (jiguang_janalytics)", diff["findings"]["removed"])
        self.assertEqual(diff["sdks"], {"added": [], "removed": []})
        v = [x["id"] for x in app["versions"]]
        st, back = call(s, "GET", "/api/v1/apps/%d/diff?from=%d&to=%d" % (app_id, v[0], v[1]),
                        self.reg)
        self.assertIn("undisclosed_sdk (jiguang_janalytics)", back["findings"]["added"])
        st, _ = call(s, "GET", "/api/v1/apps/%d/diff?from=1&to=999999" % app_id, self.reg)
        self.assertEqual(st, 404)
        # The problem comes back in version 3 (the old bytes resubmitted as a re-check):
        # a repeat offender.
        st, sub3 = call(s, "POST", "/api/v1/submissions?recheck=1", self.ent,
                        read(fixture("an_policy_partial.apk")))
        wait_scan(s, self.ent, sub3["scan_id"])
        st, rep = call(s, "GET", "/api/v1/repeat-offenders", self.reg)
        self.assertEqual(st, 200)
        self.assertEqual([(r["enterprise"]["name"], r["recurrences"], r["apps"])
                          for r in rep["items"]],
                         [("Acme Ltd", 1, ["com.appaudit.fx.sdk"])])
        # A second case goes to public notice and takedown.
        st, c2 = call(s, "POST", "/api/v1/cases", self.reg,
                      {"app_id": app_id, "finding_ids": [f["id"]]})
        self.assertEqual(st, 201, c2)
        st, c2 = call(s, "POST", "/api/v1/cases/%d/order" % c2["id"], self.reg,
                      {"deadline": "2020-06-30"})
        st, c2 = call(s, "POST", "/api/v1/cases/%d/notify" % c2["id"], self.reg,
                      {"note": "not rectified in time"})
        self.assertEqual((st, c2["status"]), (200, "notified"))
        st, c2 = call(s, "POST", "/api/v1/cases/%d/takedown" % c2["id"], self.reg, {})
        self.assertEqual((st, c2["status"]), (200, "taken_down"))
        st, notes = call(s, "GET", "/api/v1/notices", self.dist)
        self.assertEqual([(n["case_id"], n["distributor"]["name"], n["kind"])
                          for n in notes["items"]], [(c2["id"], "AppStore X", "takedown")])
        st, notes2 = call(s, "GET", "/api/v1/notices", self.dist2)
        self.assertEqual(notes2["total"], 0)
        # Statistics as the regulator reports them.
        st, stats = call(s, "GET", "/api/v1/stats", self.reg)
        self.assertEqual(st, 200)
        self.assertGreaterEqual(stats["apps_tested"], 2)
        self.assertEqual((stats["ordered_to_rectify"], stats["publicly_notified"],
                          stats["taken_down"]), (2, 1, 1))
        self.assertAlmostEqual(sum(c["share"] for c in stats["by_category"]), 1.0, places=6)
        self.assertTrue(all(c["name_zh"] for c in stats["by_category"]), stats["by_category"])
        self.assertIn("jiguang_janalytics", [x["sdk"] for x in stats["by_sdk"]])
        self.assertEqual([x["distributor"] for x in stats["by_distributor"]], ["AppStore X"])
        self.assertTrue(stats["by_month"])
        st, estats = call(s, "GET", "/api/v1/stats", self.ent2)
        self.assertEqual(estats["apps_tested"], 1)
        self.assertEqual(estats["ordered_to_rectify"], 0)
        # The public notice, as a spreadsheet and as HTML.
        st, html = call(s, "GET", "/api/v1/exports/notice.html", self.reg, raw=True)
        self.assertEqual(st, 200)
        text = html.decode()
        for h in ["序号", "应用名称", "应用开发者", "应用来源", "应用版本", "所涉问题", "fx sdk",
                  "Acme Ltd", "AppStore X", "1.0"]:
            self.assertIn(h, text)
        st, xlsx = call(s, "GET", "/api/v1/exports/notice.xlsx", self.reg, raw=True)
        self.assertEqual(st, 200)
        with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
            shared = z.read("xl/sharedStrings.xml").decode()
        for h in ["序号", "所涉问题", "fx sdk", "Acme Ltd"]:
            self.assertIn(h, shared)
        # Every state change is in the audit log, with who did it.
        st, _ = call(s, "GET", "/api/v1/audit", self.ent)
        self.assertEqual(st, 403)
        st, audit = call(s, "GET", "/api/v1/audit?limit=1000", self.reg)
        actions = [(a["actor"], a["action"]) for a in audit["items"]]
        for want in [("regina", "finding.review"), ("regina", "case.open"),
                     ("regina", "case.order"), ("worker", "case.recheck"),
                     ("worker", "case.rectified"), ("regina", "case.notify"),
                     ("regina", "case.takedown"), ("eve", "submission.create"),
                     ("worker", "scan.done")]:
            self.assertIn(want, actions)


class Isolation(unittest.TestCase):
    def test_a_scan_over_its_memory_limit_fails_alone(self):
        tmp = tempfile.mkdtemp(prefix="appaudit-iso-")
        try:
            data = os.path.join(tmp, "data")
            db = fresh_db("appaudit_isolation")
            token = user_add(data, "r", "regulator", db=db)
            s = Server(data, "--scan-memory-mb", "32", db=db)
            try:
                big = os.path.join(ARGS.corpus, "large", "com.example.android.tvleanback.apk")
                st, sub = call(s, "POST", "/api/v1/submissions", token, read(big))
                self.assertEqual(st, 202)
                scan = wait_scan(s, token, sub["scan_id"], timeout=300)
                self.assertEqual(scan["status"], "failed", scan)
                self.assertIn("32 MiB", scan["error"])
                st, h = call(s, "GET", "/api/v1/health")
                self.assertEqual(st, 200)
                self.assertEqual(s.proc.poll(), None)
            finally:
                s.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class CrashSafety(unittest.TestCase):
    def test_kill_9_during_uploads_and_scans(self):
        """kill -9 while uploads arrive and scans run, twice; after restarts every accepted
        submission has exactly one result and no finding is stored twice."""
        tmp = tempfile.mkdtemp(prefix="appaudit-crash-")
        try:
            data = os.path.join(tmp, "data")
            db = fresh_db("appaudit_crash")
            token = user_add(data, "r", "regulator", db=db)
            apks = sorted(os.path.join(ARGS.fixtures, "apk", f)
                          for f in os.listdir(os.path.join(ARGS.fixtures, "apk"))
                          if f.endswith(".apk"))
            s = Server(data, db=db)
            accepted = []
            lock = threading.Lock()

            def upload(path, recheck):
                try:
                    st, sub = call(s, "POST", "/api/v1/submissions" + ("?recheck=1" if recheck
                                                                      else ""), token, read(path))
                except Exception:  # the server was killed under this upload
                    return
                if st == 202:
                    with lock:
                        accepted.append(sub["scan_id"])

            threads = [threading.Thread(target=upload, args=(p, i >= len(apks)))
                       for i, p in enumerate(apks + apks)]
            for i, t in enumerate(threads):
                t.start()
                if i == len(threads) // 2:
                    time.sleep(0.3)
                    s.proc.kill()  # SIGKILL, in the middle of the batch
            for t in threads:
                t.join()
            s.proc.wait()
            self.assertGreater(len(accepted), 0)
            # Restart, let scans start, kill -9 again while they run.
            s = Server(data, db=db)
            deadline = time.time() + 60
            while time.time() < deadline:
                st, running = call(s, "GET", "/api/v1/scans?status=running", token)
                if running["total"] > 0:
                    break
                time.sleep(0.05)
            s.proc.kill()
            s.proc.wait()
            s = Server(data, db=db)
            try:
                for scan_id in accepted:
                    wait_scan(s, token, scan_id, timeout=180)
                st, all_scans = call(s, "GET", "/api/v1/scans?limit=500", token)
                self.assertTrue(set(accepted) <= {x["id"] for x in all_scans["items"]})
                for x in all_scans["items"]:
                    self.assertIn(x["status"], ("done", "failed"), x)
                retried = [x["id"] for x in all_scans["items"] if x["attempts"] > 1]
                print("crash test: %d accepted, %d scans, %d taken over after a kill"
                      % (len(accepted), all_scans["total"], len(retried)), file=sys.stderr)
                st, audit = call(s, "GET", "/api/v1/audit?limit=1000", token)
                done = [a["object"] for a in audit["items"] if a["action"] == "scan.done"]
                self.assertEqual(len(done), len(set(done)), "a scan was finished twice")
                for scan_id in accepted:
                    st, scan = call(s, "GET", "/api/v1/scans/%d" % scan_id, token)
                    if scan["status"] != "done":
                        continue
                    st, fs = call(s, "GET", "/api/v1/scans/%d/findings" % scan_id, token)
                    self.assertEqual(fs["total"], len(scan["report"]["findings"]), scan_id)
            finally:
                s.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--postgres", action="store_true",
                    help="run on PostgreSQL (APPAUDIT_TEST_PG names the server)")
    ARGS, rest = ap.parse_known_args()
    if ARGS.postgres and not os.environ.get("APPAUDIT_TEST_PG"):
        if os.environ.get("CI") == "true":
            print("APPAUDIT_TEST_PG is not set: the API suite must run on PostgreSQL in CI",
                  file=sys.stderr)
            sys.exit(1)
        print("skipped: APPAUDIT_TEST_PG is not set (scripts/pg_test_server.sh starts a server)")
        sys.exit(0)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
