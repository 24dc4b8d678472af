#!/usr/bin/env python3
"""Checks that each layer under src/ includes only itself and the layers below it
(DESIGN.md §4: dependencies point down only). Layers not yet present are ignored."""
import os
import re
import sys

# Lowest first; a layer may include the layers listed before it.
ORDER = ["core", "apk", "dex", "knowledge", "analysis", "policy", "dynamic", "rules",
         "engine", "report", "store", "queue", "server", "cli"]
# Layers at the same level that must not see each other.
PEERS = {("apk", "dex"), ("dex", "apk")}


def main(root):
    src = os.path.join(root, "src")
    bad = []
    for layer in sorted(os.listdir(src)):
        if layer not in ORDER:
            bad.append("src/%s: not a known layer (add it to ORDER)" % layer)
            continue
        allowed = set(ORDER[: ORDER.index(layer) + 1])
        for dirpath, _, files in os.walk(os.path.join(src, layer)):
            for f in files:
                if not f.endswith((".hpp", ".cpp", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    m = re.match(r'\s*#\s*include\s+"([a-z_]+)/', line)
                    if not m:
                        continue
                    target = m.group(1)
                    if target in ORDER and (target not in allowed or (layer, target) in PEERS):
                        bad.append("%s:%d: layer '%s' includes '%s'" %
                                   (os.path.relpath(path, root), n, layer, target))
    for b in bad:
        print(b)
    print("%d passed, %d failed" % (0 if bad else 1, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
