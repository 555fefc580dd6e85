// Injected by tests/site/browser_check.py at the end of a copy of the page: drives the page as a user
// would (sort, filter, metric toggle, details) and writes what it saw as JSON into #selftest-result,
// which `chromium --dump-dom` returns. Expectations are checked in Python, not here.
(function () {
  "use strict";
  var out = {};
  function ids() {
    return Array.prototype.map.call(document.querySelectorAll("#cells tbody tr.cell-row"),
                                    function (tr) { return +tr.getAttribute("data-id"); });
  }
  function shown() { return document.querySelectorAll("#cells tbody tr.cell-row:not([hidden])").length; }
  function marks() { return document.querySelectorAll("#chart .mark").length; }
  function fire(node, type) { node.dispatchEvent(new Event(type, {bubbles: true})); }
  try {
    var data = JSON.parse(document.getElementById("icsweep-data").textContent);
    var byId = {};
    data.rows.forEach(function (r) { byId[r.id] = r; });
    out.rows = document.querySelectorAll("#cells tbody tr.cell-row").length;
    out.rows_shown = shown();
    out.marks = marks();
    out.mark_ids = Array.prototype.map.call(document.querySelectorAll("#chart .mark"),
                                            function (m) { return +m.getAttribute("data-id"); });
    out.panels = Array.prototype.map.call(document.querySelectorAll("#chart figure"),
                                          function (f) { return f.getAttribute("data-dataset"); });
    out.failed_rows = document.querySelectorAll("#cells tr.status-failed").length;
    out.partial_rows = document.querySelectorAll("#cells tr.status-partial").length;
    out.badges = Array.prototype.map.call(document.querySelectorAll("#cells .badge"), function (b) { return b.textContent; });
    out.order_before = ids();
    document.querySelector('#cells th[data-key="ic"] button').click();
    out.order_ic_first_click = ids();
    out.ic_first_click = out.order_ic_first_click.map(function (i) { return byId[i].ic; });
    out.aria_sort_ic = document.querySelector('#cells th[data-key="ic"]').getAttribute("aria-sort");
    document.querySelector('#cells th[data-key="ic"] button').click();
    out.ic_second_click = ids().map(function (i) { return byId[i].ic; });
    var text = document.getElementById("filter-text");
    text.value = window.SELFTEST_FILTER || "";
    fire(text, "input");
    out.rows_shown_filtered = shown();
    out.marks_filtered = marks();
    out.shown_names = Array.prototype.filter.call(document.querySelectorAll("#cells tbody tr.cell-row"),
      function (tr) { return !tr.hidden; }).map(function (tr) { return byId[+tr.getAttribute("data-id")].model_name; });
    text.value = "";
    fire(text, "input");
    out.rows_shown_reset = shown();
    var status = document.getElementById("filter-status");
    status.value = "failed";
    fire(status, "change");
    out.rows_shown_failed = shown();
    status.value = "";
    fire(status, "change");
    var before = Array.prototype.map.call(document.querySelectorAll("#chart .mark"), function (m) { return m.getAttribute("cy"); });
    var radio = document.querySelector('input[name="metric"][value="information_capacity"]');
    radio.click();
    out.metric_heading = document.getElementById("chart-heading").textContent;
    out.marks_information_capacity = marks();
    out.marks_moved = Array.prototype.map.call(document.querySelectorAll("#chart .mark"),
      function (m, i) { return m.getAttribute("cy") !== before[i]; }).filter(Boolean).length;
    var toggle = document.querySelector("#cells button.details-toggle");
    toggle.click();
    var details = document.getElementById(toggle.getAttribute("aria-controls"));
    out.details_visible = !details.hidden && toggle.getAttribute("aria-expanded") === "true";
    out.details_text = details.textContent;
    out.compare_summary = document.getElementById("compare-section").hidden ? null :
      document.getElementById("compare-summary").textContent;
    out.compare_rows = document.querySelectorAll("#compare-table tbody tr").length;
    out.unnamed_controls = Array.prototype.filter.call(document.querySelectorAll("input, select, button"), function (c) {
      var labelled = c.getAttribute("aria-label") || (c.id && document.querySelector('label[for="' + c.id + '"]')) ||
        c.closest("label") || c.textContent.trim();
      return !labelled;
    }).length;
    out.provenance = document.getElementById("provenance").textContent;
    out.external = Array.prototype.filter.call(document.querySelectorAll("[src], link[href]"), function (n) {
      return true;
    }).length;
  } catch (e) {
    out.exception = String(e && e.stack || e);
  }
  out.errors = (window.__selftest_errors || []).slice();
  var pre = document.createElement("pre");
  pre.id = "selftest-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
