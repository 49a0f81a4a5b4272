#!/usr/bin/python3
"""Checks executed GoNB notebooks (run with Debian's /usr/bin/python3; standard library only).

usage: check.py [--scrub ROOT] NOTEBOOK.ipynb...
       check.py --sources NOTEBOOK.ipynb...

For each executed notebook it fails (exit 1, one line per problem) when
  - a cell produced an error output, or its stderr holds a Go panic / compile error,
  - a code cell was not executed (execution_count is null),
  - a code cell tagged "figure" (cell metadata tags) has no image output
    (image/png, image/svg+xml, or text/html holding an <img>/<svg>),
  - the notebook has no image output at all (unless its metadata says
    "coarsealign": {"figures": false}, as 00_setup does).
With --sources it checks the notebooks' code instead (executed or not; scripts/notebooks/run.sh
passes all of notebooks/NN_*.ipynb), failing when
  - a code cell is longer than MAX_CELL_LINES (30) lines,
  - a code cell of more than MAX_SHARED_LINES (5) lines appears verbatim (up to trailing white space
    and blank lines at either end) in two notebooks.
Code shared by notebooks belongs in pkg/ (pkg/nbkit holds the notebooks' set-up); a cell that long
is an analysis that belongs there too.
With --scrub ROOT it first rewrites, in place, every occurrence of the absolute paths ROOT (the
repository), its parent, $HOME and GoNB's /tmp/gonb_<id> folders in the outputs, so the executed
notebooks can be committed without build-machine paths.
"""
import json
import os
import re
import sys

IMAGE_MIMES = ("image/png", "image/svg+xml")
MAX_CELL_LINES = 30
MAX_SHARED_LINES = 5
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


def code_lines(cell):
    """The lines of a code cell, without trailing white space and blank lines at either end."""
    lines = [l.rstrip() for l in text_of(cell.get("source")).splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def check_sources(paths):
    """The limits on the notebooks' code: cell length, and cells repeated across notebooks."""
    problems = []
    seen = {}  # code -> (notebook, cell index, cell id) of its first appearance
    for nb_path in paths:
        try:
            with open(nb_path) as f:
                nb = json.load(f)
        except (OSError, ValueError) as e:
            problems.append("%s: cannot read: %s" % (nb_path, e))
            continue
        name = os.path.basename(nb_path)
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            lines = code_lines(cell)
            where = "%s: cell %d (id %s, %r)" % (name, i, cell.get("id", "?"), lines[0][:40] if lines else "")
            if len(lines) > MAX_CELL_LINES:
                problems.append("%s has %d lines, more than %d: move its functions into pkg/ (pkg/nbkit for notebook helpers) or split it"
                                % (where, len(lines), MAX_CELL_LINES))
            if len(lines) <= MAX_SHARED_LINES:
                continue
            key = "\n".join(lines)
            first = seen.get(key)
            if first is None:
                seen[key] = (name, i, cell.get("id", "?"))
            elif first[0] != name:
                problems.append("%s repeats the %d-line cell %d (id %s) of %s verbatim: code shared by notebooks belongs in pkg/ (pkg/nbkit)"
                                % (where, len(lines), first[1], first[2], first[0]))
    return problems


def main(argv):
    if argv and argv[0] == "--sources":
        if len(argv) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        problems = check_sources(argv[1:])
        print("check.py: code limits of %d notebooks (cells <= %d lines, no cell of more than %d lines in two notebooks): %s"
              % (len(argv) - 1, MAX_CELL_LINES, MAX_SHARED_LINES, "ok" if not problems else "%d problem(s)" % len(problems)))
        for p in problems:
            print("check.py: " + p, file=sys.stderr)
        return 1 if problems else 0
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
