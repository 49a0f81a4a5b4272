#!/usr/bin/python3
"""Checks executed GoNB notebooks (run with Debian's /usr/bin/python3; standard library only).

usage: check.py [--scrub ROOT] NOTEBOOK.ipynb...

For each executed notebook it fails (exit 1, one line per problem) when
  - a cell produced an error output, or its stderr holds a Go panic / compile error,
  - a code cell was not executed (execution_count is null),
  - a code cell tagged "figure" (cell metadata tags) has no image output
    (image/png, image/svg+xml, or text/html holding an <img>/<svg>),
  - the notebook has no image output at all (unless its metadata says
    "coarsealign": {"figures": false}, as 00_setup does).
With --scrub ROOT it first rewrites, in place, every occurrence of the absolute paths ROOT (the
repository), its parent, $HOME and GoNB's /tmp/gonb_<id> folders in the outputs, so the executed
notebooks can be committed without build-machine paths.
"""
import json
import os
import re
import sys

IMAGE_MIMES = ("image/png", "image/svg+xml")
GO_FAILURE = re.compile(r"^panic: |^goroutine \d+ \[|: undefined: |cannot use .* as |^# gonb_|failed to run")


def text_of(x):
    return "".join(x) if isinstance(x, list) else (x or "")


def has_image(outputs):
    for o in outputs:
        data = o.get("data", {})
        if any(m in data for m in IMAGE_MIMES):
            return True
        html = text_of(data.get("text/html", ""))
        if "<img" in html or "<svg" in html:
            return True
    return False


def scrub(nb_path, root):
    root = os.path.abspath(root).rstrip("/")
    pairs = [(root, "<repo>"), (os.path.dirname(root), "<repo>/.."), (os.path.expanduser("~"), "~")]
    with open(nb_path) as f:
        text = f.read()
    for old, new in pairs:
        if old and old != "/":
            # The path as a whole component: followed by '/', a quote, a JSON escape or a space.
            text = re.sub(re.escape(old) + r'(?=[/"\\\s:,)])', lambda m: new, text)
    text = re.sub(r"/tmp/gonb_[0-9a-f]+", "<gonb-tmp>", text)
    with open(nb_path, "w") as f:
        f.write(text)


def check(nb_path):
    problems = []
    try:
        with open(nb_path) as f:
            nb = json.load(f)
    except (OSError, ValueError) as e:
        return ["%s: cannot read: %s" % (nb_path, e)]
    name = os.path.basename(nb_path)
    images = 0
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = text_of(cell.get("source"))
        if not src.strip():
            continue
        outputs = cell.get("outputs", [])
        if cell.get("execution_count") is None:
            problems.append("%s: cell %d was not executed" % (name, i))
        for o in outputs:
            if o.get("output_type") == "error":
                problems.append("%s: cell %d raised %s: %s" % (name, i, o.get("ename"), text_of(o.get("evalue"))[:300]))
            if o.get("output_type") == "stream" and o.get("name") == "stderr":
                for line in text_of(o.get("text")).splitlines():
                    if GO_FAILURE.search(line):
                        problems.append("%s: cell %d stderr: %s" % (name, i, line[:300]))
                        break
        if has_image(outputs):
            images += 1
        elif "figure" in cell.get("metadata", {}).get("tags", []):
            problems.append("%s: cell %d is tagged figure but shows no image" % (name, i))
    expect = nb.get("metadata", {}).get("coarsealign", {}).get("figures", True)
    if images == 0 and expect:
        problems.append("%s: no figure output (image/png, image/svg+xml or inline <img>/<svg>)" % name)
    return problems


def main(argv):
    root = None
    if len(argv) >= 2 and argv[0] == "--scrub":
        root, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    for nb in argv:
        if root:
            scrub(nb, root)
        p = check(nb)
        problems += p
        print("check.py: %s: %s" % (os.path.basename(nb), "ok" if not p else "%d problem(s)" % len(p)))
    for p in problems:
        print("check.py: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
