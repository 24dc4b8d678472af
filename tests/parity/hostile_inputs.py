#!/usr/bin/env python3
"""Broken and hostile inputs: `appaudit scan` must exit 0 (scanned, maybe with diagnostics)
or 2 (unusable, one line on stderr naming the file), within a time and memory bound, and
never crash. Inputs are derived from real corpus files: truncations at many cut points,
random byte corruption (seeded, reproducible), zip bombs, path-trick and duplicate-entry
archives, the ~290 androguard signing vectors (incl. broken signers), and non-APK junk.
"""
import argparse
import io
import os
import random
import resource
import struct
import subprocess
import sys
import zipfile
import zlib

TIME_LIMIT_S = 60
MEMORY_LIMIT = 3 << 30  # address space per scan


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def scan(appaudit, path):
    try:
        p = subprocess.run([appaudit, "scan", "--format", "json", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=TIME_LIMIT_S, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return "timeout after %ds" % TIME_LIMIT_S
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode == 0:
        return None
    if p.returncode == 2:
        lines = err.splitlines()
        if len(lines) != 1:
            return "exit 2 but stderr has %d lines: %r" % (len(lines), err[:300])
        if os.path.basename(path) not in lines[0]:
            return "exit 2 message does not name the file: %r" % lines[0]
        return None
    return "exit %d (signal %d): %s" % (p.returncode, -p.returncode if p.returncode < 0 else 0,
                                        err[:300])


def zip_bomb(path, inflated_gib=2):
    """One entry of `inflated_gib` GiB of zeros, deflated (a few MB), honest sizes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data = bytearray()
    crc = 0
    for _ in range(inflated_gib << 10):
        data += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    data += comp.flush()
    size = inflated_gib << 30
    name = b"classes.dex"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data) & 0xFFFFFFFF,
                        size & 0xFFFFFFFF, len(name), 0) + name
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                     len(data) & 0xFFFFFFFF, size & 0xFFFFFFFF, len(name), 0, 0, 0, 0, 0, 0) + name
    body = local + bytes(data)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + cd + eocd)


def lying_bomb(path):
    """Declares a small size but inflates to much more: must stop at the declared size."""
    payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = payload.compress(b"\0" * (64 << 20)) + payload.flush()
    name = b"AndroidManifest.xml"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(data), 100,
                        len(name), 0) + name
    cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, 0, len(data), 100,
                     len(name), 0, 0, 0, 0, 0, 0) + name
    body = local + data
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(body), 0)
    with open(path, "wb") as f:
        f.write(body + cd + eocd)


def tricky_zip(path, base_apk):
    """Real APK content re-zipped with path tricks and a duplicate manifest."""
    with zipfile.ZipFile(base_apk) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("../../../../tmp/appaudit-pwned", b"should never be written")
        dst.writestr("/etc/passwd", b"root:x:0:0")
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dst.writestr("AndroidManifest.xml", b"not binary xml")


def janus(path, dex_path, base_apk):
    """A DEX file with an APK appended (the Janus trick, CVE-2017-13156): zipfile's append
    mode writes the archive after the DEX with absolute offsets, as the attack does."""
    with open(path, "wb") as f:
        f.write(open(dex_path, "rb").read())
    with zipfile.ZipFile(base_apk) as src, zipfile.ZipFile(path, "a") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))


def policy_json_apk(path):
    """Consent-dialog JSON under assets/ gone wrong: nested a million deep, unbalanced, and
    5,000 strings that each look like a dialog text with a policy link; script bundles and a
    Dart snapshot that are nothing but a policy's name and 同意, in UTF-8 and UTF-16LE, and one
    of "http://x/" run together."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("assets/index.android.bundle", '"隐私政策同意"' * 3000000)
        z.writestr("assets/urls.js", "http://x/privacy" * 2000000)
        z.writestr("lib/x86/libapp.so", "隐私政策同意".encode("utf-16-le") * 3000000)
        z.writestr("assets/privacy.json", "[" * 1000000)
        z.writestr("assets/privacy2.json", "[" * 500000 + "]" * 500000)
        z.writestr("assets/yinsi.json", '{"a": [' + ",".join(
            '"请阅读《隐私政策》并同意 https://x.example/privacy/%d"' % i for i in range(5000)) + "]}")


def scan_json(appaudit, path):
    p = subprocess.run([appaudit, "scan", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIME_LIMIT_S, preexec_fn=limit)
    if p.returncode != 0:
        return None
    import json
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--appaudit", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(20261130)

    inputs = []
    # Signing vectors and other real files, as they are.
    apksig = os.path.join(args.corpus, "androguard", "data", "APK", "apksig")
    for dirpath, _, files in os.walk(apksig):
        inputs += [os.path.join(dirpath, f) for f in sorted(files)]
    # Truncations and corruptions of a few real files.
    seeds = [os.path.join(args.corpus, p) for p in (
        "androguard/data/APK/TestActivity.apk", "androguard/data/APK/multidex.apk",
        "androguard/data/APK/Test.dex", "bugly/apks/BuglyHotfixDemo-app-release-old.apk",
        "androguard/data/APK/a2dp.Vol_137.apk")]
    for seed in seeds:
        if not os.path.exists(seed):
            continue
        data = open(seed, "rb").read()
        stem = os.path.basename(seed)
        for i, frac in enumerate((0.0, 0.01, 0.1, 0.33, 0.5, 0.9, 0.999)):
            p = os.path.join(args.out, "trunc%d-%s" % (i, stem))
            open(p, "wb").write(data[: int(len(data) * frac)])
            inputs.append(p)
        for i in range(12):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 64)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            p = os.path.join(args.out, "corrupt%d-%s" % (i, stem))
            open(p, "wb").write(bytes(buf))
            inputs.append(p)
    bomb = os.path.join(args.out, "bomb.apk")
    zip_bomb(bomb)
    lying = os.path.join(args.out, "lying-size.apk")
    lying_bomb(lying)
    tricky = os.path.join(args.out, "path-tricks.apk")
    tricky_zip(tricky, seeds[0])
    junk = os.path.join(args.out, "junk.apk")
    open(junk, "wb").write(bytes(rng.randrange(256) for _ in range(4096)))
    empty = os.path.join(args.out, "empty.dex")
    open(empty, "wb").write(b"")
    inputs += [bomb, lying, tricky, junk, empty, args.out]  # a directory, too

    failures = []
    dex_seed = os.path.join(args.corpus, "androguard/data/APK/FieldsTest.dex")
    if os.path.exists(dex_seed):
        jp = os.path.join(args.out, "janus.apk")
        janus(jp, dex_seed, seeds[0])
        report = scan_json(args.appaudit, jp)
        codes = [d["code"] for d in (report or {}).get("diagnostics", [])]
        if report is None or report["input"]["kind"] != "apk" or "apk.dex_prefix" not in codes:
            failures.append((jp, "a DEX with an APK appended must be scanned as the APK, "
                                 "with an apk.dex_prefix diagnostic"))
        inputs.append(jp)
    pj = os.path.join(args.out, "policy-json.apk")
    policy_json_apk(pj)
    report = scan_json(args.appaudit, pj)
    kinds = [c["kind"] for c in ((report or {}).get("policy") or {}).get("candidates", [])]
    if report is None or kinds.count("dialog_text") > 16 or kinds.count("url") > 32:
        failures.append((pj, "hostile consent-dialog JSON must give a bounded report (%d dialog "
                             "texts, %d URLs)" % (kinds.count("dialog_text"), kinds.count("url"))))
    inputs.append(pj)
    for p in inputs:
        problem = scan(args.appaudit, p)
        if problem:
            failures.append((p, problem))
    if os.path.exists("/tmp/appaudit-pwned"):
        failures.append((tricky, "a zip entry name was used as a file path"))
    for p, problem in failures:
        print("FAIL %s: %s" % (p, problem))
    print("%d passed, %d failed" % (len(inputs) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
