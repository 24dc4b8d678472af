#!/usr/bin/env python3
"""Assembles a large multi-DEX APK (>= --classes distinct class descriptors) from the real DEX
files of the shared corpus, the way a big app is laid out: one app, many DEX files, almost no
class defined twice.

1. Every distinct DEX in the corpus (loose *.dex and classes*.dex of every APK) whose checksum
   and signature verify is read and its class definitions listed. Largest first, a DEX is taken when at least 90% of its classes
   are new (the corpus holds many versions of the same apps; taking them all would mostly add
   duplicate classes: 116k definitions but only 23.5k distinct descriptors).
2. That selection is replicated in rounds 1, 2, ... under renamed packages until the target is
   reached. A rename changes one character in place in the DEX string table: the last
   character of the deepest package segment of each package the DEX defines classes in
   (`Lcom/google/android/gms/common/` -> `.../commoo/`), in every string that starts with
   that package, at any array depth (`[Lcom/...`). String lengths do not change, so no
   offset moves; the candidate character is chosen so that the string table stays strictly
   sorted (DEX spec: string_ids sorted by UTF-16 code units), which the script checks for
   every changed string against its neighbours. All other sorted tables index strings, not
   contents, so they stay valid. Framework packages (android.*, java.*, org.json, ...) are
   never renamed, so calls into the platform keep resolving. Checksum (adler32) and
   signature (SHA-1) are recomputed.
3. The APK gets the manifest and resources.arsc of the tvleanback APK and the DEX files as
   classes.dex, classes2.dex, ...; every ZIP field is fixed, so the output is byte-identical
   from run to run.
Only Python's standard library. Usage: make_big_multidex.py CORPUS OUT.apk [--classes N]
"""
import argparse
import hashlib
import os
import re
import struct
import sys
import zipfile
import zlib

# Packages of the platform (and bundled platform libraries): never renamed.
FRAMEWORK_ROOTS = {"java", "javax", "dalvik", "sun", "libcore", "junit"}
ANDROID_APP_LIBS = {"support", "arch"}  # android.support.*, android.arch.*: app libraries
FRAMEWORK_2 = {("org", "json"), ("org", "w3c"), ("org", "xml"), ("org", "xmlpull"),
               ("org", "apache"), ("com", "android")}
CANDIDATES = b"abcdefghijklmnopqrstuvwxyz0123456789"


def read_uleb(b, off):
    value = shift = 0
    while True:
        byte = b[off]
        off += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, off
        shift += 7


class Dex:
    """The string table and class descriptors of one DEX file (format 035-039)."""

    def __init__(self, data):
        if data[:4] != b"dex\n" or data[7] != 0 or not b"035" <= data[4:7] <= b"039":
            raise ValueError("not a DEX file of version 035-039")
        if struct.unpack_from("<I", data, 40)[0] != 0x12345678:
            raise ValueError("not little-endian")
        if struct.unpack_from("<I", data, 32)[0] != len(data):
            raise ValueError("file_size does not match")
        self.data = data
        n_str, str_off = struct.unpack_from("<II", data, 56)
        _, type_off = struct.unpack_from("<II", data, 64)
        n_cls, cls_off = struct.unpack_from("<II", data, 96)
        self.str_pos = []  # offset of each string's MUTF-8 bytes
        self.strings = []
        for i in range(n_str):
            off = struct.unpack_from("<I", data, str_off + 4 * i)[0]
            _, pos = read_uleb(data, off)
            end = data.index(b"\0", pos)
            self.str_pos.append(pos)
            self.strings.append(bytes(data[pos:end]))
        self.classes = []
        for i in range(n_cls):
            type_idx = struct.unpack_from("<I", data, cls_off + 32 * i)[0]
            desc_idx = struct.unpack_from("<I", data, type_off + 4 * type_idx)[0]
            self.classes.append(self.strings[desc_idx])
        # Packages this DEX defines classes in, minus the framework and minus packages nested
        # in another one of the set (the outer rename covers them).
        pkgs = set()
        for c in self.classes:
            slash = c.rfind(b"/")
            if not c.startswith(b"L") or slash < 0:
                continue
            segs = c[1:slash].decode("utf-8", "replace").split("/")
            if segs[0] in FRAMEWORK_ROOTS or (segs[0] == "android" and (
                    len(segs) < 2 or segs[1] not in ANDROID_APP_LIBS)):
                continue
            if len(segs) >= 2 and (segs[0], segs[1]) in FRAMEWORK_2:
                continue
            if not re.fullmatch(rb"[A-Za-z0-9_$]+", c[slash - 1:slash]):
                continue
            pkgs.add(c[:slash + 1])
        self.packages = sorted(p for p in pkgs
                               if not any(p != q and p.startswith(q) for q in pkgs))
        # Strings under each package, at any array depth: (string index, byte to change).
        pset = set(self.packages)
        self.members = {p: [] for p in self.packages}
        for i, s in enumerate(self.strings):
            d = len(s) - len(s.lstrip(b"["))
            if s[d:d + 1] != b"L":
                continue
            j = s.find(b"/", d)
            while j >= 0:
                p = s[d:j + 1]
                if p in pset:
                    self.members[p].append((i, d + len(p) - 2))
                    break
                j = s.find(b"/", j + 1)


def utf16_key(s):
    """MUTF-8 bytes -> big-endian UTF-16 code units: byte order == the DEX sort order."""
    if s.isascii():
        return s.decode("ascii").encode("utf-16-be")
    units, i = [], 0
    while i < len(s):
        b = s[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b < 0xE0:
            units.append(((b & 0x1F) << 6) | (s[i + 1] & 0x3F))
            i += 2
        else:
            units.append(((b & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F))
            i += 3
    return struct.pack(">%dH" % len(units), *units)


def renamed(dex, round_no):
    """A copy of dex with every package renamed (variant round_no), or None if impossible."""
    if round_no == 0:
        return dex.data, dex.classes
    strings = list(dex.strings)
    keys = {}

    def key(i):
        if i not in keys:
            keys[i] = utf16_key(strings[i])
        return keys[i]

    def sorted_around(idx):
        for i in idx:
            if i > 0 and not key(i - 1) < key(i):
                return False
            if i + 1 < len(strings) and not key(i) < key(i + 1):
                return False
        return True

    for p in dex.packages:
        members = dex.members[p]
        old = p[-2]
        start = CANDIDATES.index(old) + 1 if old in CANDIDATES else 0
        order = [c for c in CANDIDATES[start:] + CANDIDATES[:start] if c != old]
        valid = 0
        for c in order:
            saved = [(i, strings[i]) for i, _ in members]
            for i, k in members:
                s = strings[i]
                strings[i] = s[:k] + bytes([c]) + s[k + 1:]
                keys.pop(i, None)
            if sorted_around([i for i, _ in members]):
                valid += 1
                if valid == round_no:
                    break
            for i, s in saved:
                strings[i] = s
                keys.pop(i, None)
        else:
            return None
    data = bytearray(dex.data)
    for i, s in enumerate(strings):
        if s is not dex.strings[i]:
            data[dex.str_pos[i]:dex.str_pos[i] + len(s)] = s
    data[12:32] = hashlib.sha1(data[32:]).digest()
    data[8:12] = struct.pack("<I", zlib.adler32(data[12:]))
    rename = {dex.strings[i]: strings[i] for i in range(len(strings))}
    return bytes(data), [rename[c] for c in dex.classes]


def corpus_dex(corpus):
    """Every distinct DEX (by content) in the corpus, in a fixed order."""
    seen = {}
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(".dex"):
                with open(path, "rb") as f:
                    blobs = [f.read()]
            elif name.endswith(".apk"):
                try:
                    with zipfile.ZipFile(path) as z:
                        blobs = [z.read(n) for n in sorted(z.namelist())
                                 if re.fullmatch(r"classes\d*\.dex", n)]
                except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError,
                        NotImplementedError):
                    continue
            else:
                continue
            for b in blobs:
                seen.setdefault(hashlib.sha256(b).hexdigest(), b)
    out = []
    for digest, b in seen.items():
        # Keep only files whose checksum and signature verify (a few corpus test files don't).
        if len(b) < 0x70 or hashlib.sha1(b[32:]).digest() != b[12:32] or \
                zlib.adler32(b[12:]) != struct.unpack_from("<I", b, 8)[0]:
            continue
        try:
            out.append((digest, Dex(b)))
        except (ValueError, IndexError, struct.error):
            pass
    out.sort(key=lambda x: (-len(x[1].data), x[0]))
    return [d for _, d in out]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--classes", type=int, default=50000)
    ap.add_argument("--base", default=None, help="APK whose manifest and resources are used")
    args = ap.parse_args()
    base = args.base or os.path.join(args.corpus, "large", "com.example.android.tvleanback.apk")

    dexes = corpus_dex(args.corpus)
    seen, chosen = set(), []
    for round_no in range(0, 40):
        for dex in dexes:
            r = renamed(dex, round_no)
            if r is None:
                continue
            data, classes = r
            if len(set(classes) - seen) < 0.9 * len(classes):
                continue
            seen.update(classes)
            chosen.append((data, round_no))
            if len(seen) >= args.classes:
                break
        if len(seen) >= args.classes:
            break
    if len(seen) < args.classes:
        sys.exit("make_big_multidex: only %d distinct classes reachable" % len(seen))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(tmp, "w") as z:
        def put(name, data, method):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.create_system = 3
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=6 if method == zipfile.ZIP_DEFLATED else None)
        for name in ("AndroidManifest.xml", "resources.arsc"):
            put(name, src.read(name), src.getinfo(name).compress_type)
        for n, (data, _) in enumerate(chosen, 1):
            put("classes.dex" if n == 1 else "classes%d.dex" % n, data, zipfile.ZIP_DEFLATED)
    os.replace(tmp, args.out)
    rounds = max(r for _, r in chosen)
    print("%s: %d DEX files (%d rounds), %d distinct classes, %.1f MB of DEX, %.1f MB APK" % (
        args.out, len(chosen), rounds + 1, len(seen),
        sum(len(d) for d, _ in chosen) / 1e6, os.path.getsize(args.out) / 1e6))


if __name__ == "__main__":
    main()
