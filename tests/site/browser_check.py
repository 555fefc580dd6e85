#!/usr/bin/env python3
"""The leaderboard page (`python3 -m analysis site`) opened in headless Chromium and driven by
tests/site/selftest.js: row count, sorting by ic, the text filter, one chart mark per finished cell,
the metric toggle, details on demand, failed/partial marks, the comparison with a leaderboard CSV,
named controls, and no console error.

    browser_check.py synthetic OUTDIR   failed cells, a partial cell and a leaderboard CSV (synth.py)
    browser_check.py demo OUTDIR        the demo sweep, run with $ICSWEEP; writes OUTDIR/site_demo.png

Exit 0 when every check passes, 1 when one fails, 77 (ctest SKIP_RETURN_CODE: "not run") when no
Chromium is installed (Debian package `chromium`, scripts/install-deps.sh)."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests", "python")]
NOT_RUN = 77

HOOK = """<script>window.__selftest_errors = [];
window.addEventListener("error", function (e) { window.__selftest_errors.push("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { window.__selftest_errors.push("rejection: " + e.reason); });
(function () { var original = console.error; console.error = function () {
  window.__selftest_errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  original.apply(console, arguments); }; })();
window.SELFTEST_FILTER = %s;</script>"""


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def chromium(browser, args, profile):
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"] + args
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def drive(browser, page, filter_text, work):
    """(what selftest.js saw, the console lines Chromium logged) for a copy of PAGE with the hooks."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(HERE, "selftest.js"), encoding="utf-8") as f:
        selftest = f.read()
    text = text.replace("<head>", "<head>\n" + HOOK % json.dumps(filter_text), 1)
    head, _, tail = text.rpartition("</body>")
    copy = os.path.join(work, "selftest.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(head + "<script>" + selftest + "</script>\n</body>" + tail)
    done = chromium(browser, ["--virtual-time-budget=10000", "--dump-dom", "file://" + copy], os.path.join(work, "profile"))
    found = re.search(r'<pre id="selftest-result">(.*?)</pre>', done.stdout, re.S)
    if not found:
        raise RuntimeError(f"no #selftest-result in the DOM Chromium dumped (exit {done.returncode}):\n{done.stderr[-3000:]}")
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return json.loads(html.unescape(found.group(1))), console


def screenshot(browser, page, target, work, width=1280, height=1500):
    done = chromium(browser, [f"--window-size={width},{height}", f"--screenshot={target}", "file://" + page],
                    os.path.join(work, "profile-shot"))
    if not os.path.isfile(target):
        raise RuntimeError(f"no screenshot written (exit {done.returncode}):\n{done.stderr[-2000:]}")


def check(seen, console, expect):
    """The failed checks, as messages."""
    failures = []

    def need(ok, message):
        if not ok:
            failures.append(message)
    need("exception" not in seen, f"selftest.js raised: {seen.get('exception')}")
    need(not console and not seen.get("errors"), f"console: {console} page errors: {seen.get('errors')}")
    need(seen.get("rows") == expect["rows"] == seen.get("rows_shown"), f"rows {seen.get('rows')} shown "
         f"{seen.get('rows_shown')}, expected {expect['rows']}")
    need(seen.get("marks") == expect["marks"], f"chart marks {seen.get('marks')}, expected {expect['marks']} (finished cells)")
    need(sorted(seen.get("mark_ids", [])) == sorted(expect["mark_ids"]), f"marks drawn for rows {seen.get('mark_ids')}, "
         f"expected {expect['mark_ids']}")
    ic = seen.get("ic_first_click", [])
    finite = [v for v in ic if v is not None]
    need(seen.get("order_ic_first_click") != seen.get("order_before"), "sorting by ic did not reorder the rows")
    need(finite == sorted(finite, reverse=True) and ic[:len(finite)] == finite,
         f"first click on ic: not descending with missing values last: {ic}")
    need(seen.get("aria_sort_ic") == "descending", f"aria-sort of ic: {seen.get('aria_sort_ic')}")
    second = [v for v in seen.get("ic_second_click", []) if v is not None]
    need(second == sorted(second), f"second click on ic: not ascending: {second}")
    need(seen.get("rows_shown_filtered") == expect["filtered"], f"filter {expect['filter']!r} shows "
         f"{seen.get('rows_shown_filtered')} rows ({seen.get('shown_names')}), expected {expect['filtered']}")
    need(all(expect["filter"] in n for n in seen.get("shown_names", [])), f"filter shows {seen.get('shown_names')}")
    need(seen.get("marks_filtered", 99) <= seen.get("rows_shown_filtered", -1), "the chart ignores the filter")
    need(seen.get("rows_shown_reset") == expect["rows"], "clearing the filter does not show every row again")
    need(seen.get("failed_rows") == seen.get("rows_shown_failed") == expect["failed"],
         f"failed rows marked {seen.get('failed_rows')}, status filter {seen.get('rows_shown_failed')}, expected {expect['failed']}")
    need(seen.get("partial_rows") == expect["partial"], f"partial rows marked {seen.get('partial_rows')}, expected {expect['partial']}")
    need(seen.get("badges", []).count("failed") == expect["failed"] and seen.get("badges", []).count("partial") == expect["partial"],
         f"badges {seen.get('badges')}")
    need(seen.get("marks_information_capacity") == expect["marks"] and seen.get("marks_moved", 0) > 0
         and seen.get("metric_heading", "").startswith("information_capacity"), "the ic/information_capacity toggle")
    need(seen.get("details_visible") and "interval" in seen.get("details_text", "") and "FLOPs profile" in seen.get("details_text", ""),
         "details on demand")
    need(seen.get("unnamed_controls") == 0, f"{seen.get('unnamed_controls')} controls without an accessible name")
    need(seen.get("external") == 0, "the page loads external resources")
    need("icsweep" in seen.get("provenance", "") and "commit" in seen.get("provenance", ""), "provenance line")
    if "compare" in expect:
        need(seen.get("compare_summary") and expect["compare"] in seen["compare_summary"],
             f"comparison summary {seen.get('compare_summary')!r}, expected to contain {expect['compare']!r}")
        need(seen.get("compare_rows") == expect["compare_rows"], f"comparison rows {seen.get('compare_rows')}")
    return failures


def synthetic(work):
    """Two series on two datasets; c-big failed on en; b-1 partial on zh; a leaderboard CSV with the a-*
    rows (ic shifted by +0.01) and one row of a model not in the sweep."""
    import h5py
    import numpy as np
    import synth
    from analysis.load import PUBLISHED_COLUMNS, load_cells
    rng = np.random.default_rng(7)
    specs = []
    for model, series, flops in [("a-1", "a", 1e8), ("a-2", "a", 1e9), ("b-1", "b", 3e8), ("c-big", "c", 5e9)]:
        for data in ["en", "zh"]:
            specs.append(dict(model_name=model, data_name=data, series=series, size=model[2:], flops_per_token=flops,
                              failed=(model, data) == ("c-big", "en"), **synth.random_samples(rng, 12)))
    index = synth.write_sweep(os.path.join(work, "sweep"), specs)
    with h5py.File(os.path.join(work, "sweep", "cells", "b-1__zh.h5"), "r+") as f:
        f.attrs["partial"] = np.int64(1)
    board = load_cells(index)
    board = board[board["model_name"].str.startswith("a-")][PUBLISHED_COLUMNS].copy()
    board["ic"] += 0.01
    ghost = board.iloc[[0]].assign(model_name="ghost-7B")
    csv = os.path.join(work, "board.csv")
    __import__("pandas").concat([board, ghost]).to_csv(csv, index=False)
    # Row ids follow the index's order: a-1 en, a-1 zh, a-2 en, a-2 zh, b-1 en, b-1 zh, c-big en, c-big zh.
    expect = {"rows": 8, "marks": 6, "mark_ids": [0, 1, 2, 3, 4, 7], "failed": 1, "partial": 1, "filter": "a-",
              "filtered": 4, "compare": "4 of 8 cells matched", "compare_rows": 4}
    return [index], ["--compare", csv], expect


def demo(work):
    """The demo models (scripts/make-demo.sh, fewer steps) scored on the demo data by $ICSWEEP."""
    icsweep = os.environ.get("ICSWEEP")
    if not icsweep or not os.access(icsweep, os.X_OK):
        raise RuntimeError("set ICSWEEP to the icsweep binary (ctest does)")
    env = dict(os.environ, ICSWEEP=os.path.abspath(icsweep), PYTHON=sys.executable,
               DEMO_STEPS=os.environ.get("DEMO_STEPS", "40"))
    subprocess.run(["scripts/make-demo.sh", os.path.join(work, "demo")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(ROOT, "configs", "demo.yaml"), encoding="utf-8") as f:
        sweep = f.read().replace("../demo/", "demo/")
    with open(os.path.join(work, "demo.yaml"), "w", encoding="utf-8") as f:
        f.write(sweep)
    subprocess.run([os.path.abspath(icsweep), "run", "demo.yaml"], cwd=work, check=True, stdout=subprocess.DEVNULL)
    expect = {"rows": 6, "marks": 6, "mark_ids": list(range(6)), "failed": 0, "partial": 0, "filter": "tiny-llama-s",
              "filtered": 2}
    return [os.path.join(work, "demo", "results", "results.h5")], [], expect


def main(argv):
    if len(argv) != 3 or argv[1] not in ("synthetic", "demo"):
        print(__doc__, file=sys.stderr)
        return 2
    browser = find_chromium()
    if browser is None:
        print("NOT RUN: no chromium found (install Debian's chromium package: scripts/install-deps.sh)", file=sys.stderr)
        return NOT_RUN
    out = os.path.abspath(argv[2])
    os.makedirs(out, exist_ok=True)
    from analysis.__main__ import main as analysis
    with tempfile.TemporaryDirectory() as work:
        results, options, expect = (synthetic if argv[1] == "synthetic" else demo)(work)
        site = os.path.join(out, f"site_{argv[1]}")
        if analysis(["site"] + results + options + ["--bootstrap", "200", "-o", site]) != 0:
            print("FAIL: the site command failed", file=sys.stderr)
            return 1
        page = os.path.join(site, "index.html")
        seen, console = drive(browser, page, expect["filter"], work)
        screenshot(browser, page, os.path.join(out, f"site_{argv[1]}.png"), work)
    failures = check(seen, console, expect)
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    print(f"{argv[1]}: {len(failures)} failed check(s); rows {seen.get('rows')}, marks {seen.get('marks')}, "
          f"page {page}, screenshot {os.path.join(out, f'site_{argv[1]}.png')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
