// icsweep leaderboard page (analysis/site.py): table, filters, details and the IC-vs-FLOPs chart, drawn
// from the JSON in #icsweep-data with DOM calls only (no innerHTML of data, no network).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("icsweep-data").textContent);
  var rows = data.rows;
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf"];
  var DIGITS = {seq_len: 0, uniform_entropy: 3, constant: 2, conditional_entropy: 4, entropy_gain: 4,
                information_capacity: 4, ic: 4};
  var NUMERIC = ["seq_len", "uniform_entropy", "constant", "conditional_entropy", "entropy_gain", "BF16_TFLOPs",
                 "information_capacity", "ic"];
  var state = {sort: null, ascending: true, metric: "ic", open: {}};
  var seriesNames = unique(rows.map(function (r) { return r.series; }));
  var datasets = unique(rows.map(function (r) { return r.data_name; }));
  var colour = {};
  seriesNames.forEach(function (s, i) { colour[s] = PALETTE[i % PALETTE.length]; });

  function unique(values) {
    var seen = {}, out = [];
    values.forEach(function (v) { if (!Object.prototype.hasOwnProperty.call(seen, v)) { seen[v] = 1; out.push(v); } });
    return out;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function isNumber(v) { return typeof v === "number" && isFinite(v); }
  function fmt(column, v) {
    if (!isNumber(v)) return v === null || v === undefined ? "—" : String(v);
    if (column === "BF16_TFLOPs" || column === "flops_per_token") {
      return v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
    }
    var d = DIGITS[column];
    return d === undefined ? String(v) : v.toFixed(d);
  }
  var ROUND_OFF = 1e-9;  // differences below this are the float round trip of a CSV, shown as 0
  function fmtSigned(column, v) {
    if (!isNumber(v)) return "—";
    if (Math.abs(v) < ROUND_OFF) return "0";
    var text = Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential(2) : v.toFixed(Math.max(DIGITS[column] || 4, 4));
    return (v > 0 ? "+" : "") + text;
  }
  function interval(r, name) {
    var i = r.intervals && r.intervals[name];
    return i ? "[" + i[0].toFixed(4) + ", " + i[1].toFixed(4) + "]" : "—";
  }
  function finished(r) { return r.status === "ok"; }

  // ---- provenance, filters ---------------------------------------------------------------------
  function provenance() {
    var g = data.generator;
    var text = "Built " + g.built_at + " by icsweep analysis " + g.version + (g.git_commit ? " (commit " +
      g.git_commit + ")" : "") + " from " + data.sources.map(function (s) {
        return s.name + " (icsweep " + (s.icsweep_version || "?") + ", commit " + (s.git_commit || "?") + ")";
      }).join("; ") + ".";
    document.getElementById("provenance").textContent = text;
    var list = document.getElementById("sources");
    data.sources.forEach(function (s) {
      list.appendChild(el("li", {}, s.path + " — " + s.cells + " cells, icsweep " + (s.icsweep_version || "?") +
        ", commit " + (s.git_commit || "?")));
    });
    if (data.compare) list.appendChild(el("li", {}, data.compare.file + " — leaderboard CSV, " +
      data.compare.board_rows + " rows"));
  }
  function fillSelect(id, values) {
    var select = document.getElementById(id);
    values.forEach(function (v) { select.appendChild(el("option", {value: v}, v)); });
  }
  function filters() {
    return {text: document.getElementById("filter-text").value.trim().toLowerCase(),
            series: document.getElementById("filter-series").value,
            data: document.getElementById("filter-data").value,
            status: document.getElementById("filter-status").value};
  }
  function visible(r, f) {
    if (f.series && r.series !== f.series) return false;
    if (f.data && r.data_name !== f.data) return false;
    if (f.status && r.status !== f.status) return false;
    if (!f.text) return true;
    return [r.model_name, r.series, r.model_size, r.data_name, r.status].join(" ").toLowerCase().indexOf(f.text) >= 0;
  }

  // ---- table -------------------------------------------------------------------------------------
  function tableColumns() {
    var cols = [{key: "details", label: "", sortable: false}];
    data.columns.forEach(function (c) { cols.push({key: c, label: c, sortable: true}); });
    cols.push({key: "status", label: "status", sortable: true});
    if (data.compare) cols.push({key: "diff_ic", label: "Δ ic vs leaderboard", sortable: true});
    return cols;
  }
  function sortValue(r, key) {
    if (key === "diff_ic") return r.board ? r.board.diff.ic : null;
    return r[key];
  }
  function header() {
    var tr = el("tr");
    tableColumns().forEach(function (c) {
      var th = el("th", {scope: "col", "data-key": c.key});
      if (c.key === "details") { th.className = "details-col"; th.appendChild(el("span", {class: "visually-hidden"}, "Details")); }
      if (c.sortable) {
        th.setAttribute("aria-sort", "none");
        var b = el("button", {type: "button", "aria-label": "Sort by " + c.label});
        c.label.split("_").forEach(function (part, i, parts) {  // long names may break after "_"
          b.appendChild(document.createTextNode(part + (i < parts.length - 1 ? "_" : "")));
          if (i < parts.length - 1) b.appendChild(el("wbr"));
        });
        b.addEventListener("click", function () { sortBy(c.key); });
        th.appendChild(b);
      }
      tr.appendChild(th);
    });
    document.querySelector("#cells thead").appendChild(tr);
  }
  function badge(status) { return el("span", {class: "badge " + status}, status === "ok" ? "finished" : status); }
  function cellRow(r) {
    var tr = el("tr", {class: "cell-row status-" + r.status, "data-id": r.id});
    tableColumns().forEach(function (c) {
      var td;
      if (c.key === "details") {
        td = el("td", {class: "details-col"});
        var b = el("button", {type: "button", class: "details-toggle", "aria-expanded": "false",
                              "aria-controls": "details-" + r.id,
                              "aria-label": "Details of " + r.model_name + " on " + r.data_name}, "Details");
        b.addEventListener("click", function () { toggleDetails(r.id); });
        td.appendChild(b);
      } else if (c.key === "status") {
        td = el("td"); td.appendChild(badge(r.status));
      } else if (c.key === "diff_ic") {
        td = el("td", {class: "num"}, r.board ? fmtSigned("ic", r.board.diff.ic) : "—");
      } else {
        var numeric = NUMERIC.indexOf(c.key) >= 0;
        td = el(c.key === "model_name" ? "th" : "td", numeric ? {class: "num"} : (c.key === "model_name" ? {scope: "row"} : {}),
                numeric ? fmt(c.key, r[c.key]) : r[c.key]);
      }
      tr.appendChild(td);
    });
    return tr;
  }
  function detailItems(r) {
    var items = [
      ["status", r.status === "partial" ? "partial: a sample-limited trial; its numbers are not the full cell's" :
        r.status === "ok" ? "finished" : r.status],
      ["series / size", r.series + " / " + (r.model_size || "—")],
      ["bias b", fmt("bias", r.bias) + " bits/token"],
      ["FLOPs profile", r.flops_profile], ["sequence length", r.max_sample_length], ["dtype", r.dtype],
      ["FLOPs per token N", fmt("flops_per_token", r.flops_per_token)],
      ["samples scored / skipped", r.samples_scored + " / " + r.samples_skipped],
      ["scored tokens", r.total_scored_tokens],
      ["NLL (conditional_entropy) " + Math.round(data.confidence * 100) + "% interval", interval(r, "conditional_entropy")],
      ["ic " + Math.round(data.confidence * 100) + "% interval", interval(r, "ic")],
      ["information_capacity " + Math.round(data.confidence * 100) + "% interval", interval(r, "information_capacity")],
      ["results file", data.sources[r.source].path],
      ["icsweep version / commit", (r.icsweep_version || "?") + " / " + (r.git_commit || "?")],
      ["finished at", r.finished_at || "—"]];
    if (r.error_count) items.push(["errors (" + r.error_count + ")", r.errors.join("\n")]);
    if (r.board) {
      items.push(["leaderboard row", r.board.model_name + " × " + r.board.data_name]);
      NUMERIC.forEach(function (c) {
        items.push(["Δ " + c + " (ours − board)", fmt(c, r[c]) + " − " + fmt(c, r.board.values[c]) + " = " +
          fmtSigned(c, r.board.diff[c])]);
      });
    } else if (data.compare) {
      items.push(["leaderboard row", "none matched"]);
    }
    return items;
  }
  function detailsRow(r) {
    var tr = el("tr", {class: "details-row", id: "details-" + r.id, hidden: ""});
    var td = el("td", {colspan: tableColumns().length});
    var dl = el("dl", {class: "details"});
    detailItems(r).forEach(function (item) {
      dl.appendChild(el("dt", {}, item[0]));
      var dd = el("dd", {}, item[1] === undefined || item[1] === null ? "—" : item[1]);
      dd.style.whiteSpace = "pre-line";
      dl.appendChild(dd);
    });
    td.appendChild(dl);
    tr.appendChild(td);
    return tr;
  }
  function toggleDetails(id) {
    state.open[id] = !state.open[id];
    var button = document.querySelector('tr.cell-row[data-id="' + id + '"] button.details-toggle');
    button.setAttribute("aria-expanded", state.open[id] ? "true" : "false");
    button.textContent = state.open[id] ? "Hide" : "Details";
    applyFilters();
  }
  function renderTable() {
    var body = document.querySelector("#cells tbody");
    var ordered = rows.slice();
    if (state.sort) {
      var key = state.sort, sign = state.ascending ? 1 : -1;
      ordered.sort(function (a, b) {
        var x = sortValue(a, key), y = sortValue(b, key);
        var xn = x === null || x === undefined || (typeof x === "number" && !isFinite(x));
        var yn = y === null || y === undefined || (typeof y === "number" && !isFinite(y));
        if (xn || yn) return xn === yn ? a.id - b.id : (xn ? 1 : -1);  // missing values last
        if (typeof x === "number" && typeof y === "number") return sign * (x - y) || a.id - b.id;
        return sign * String(x).localeCompare(String(y)) || a.id - b.id;
      });
    }
    ordered.forEach(function (r) {
      body.appendChild(document.querySelector('tr.cell-row[data-id="' + r.id + '"]'));
      body.appendChild(document.getElementById("details-" + r.id));
    });
  }
  function sortBy(key) {
    state.ascending = state.sort === key ? !state.ascending : NUMERIC.indexOf(key) < 0 || key === "seq_len";
    if (state.sort !== key && (key === "ic" || key === "information_capacity" || key === "entropy_gain")) {
      state.ascending = false;  // largest first, as a leaderboard ranks
    }
    state.sort = key;
    document.querySelectorAll("#cells thead th[aria-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === key ? (state.ascending ? "ascending" : "descending") : "none");
    });
    renderTable();
  }

  // ---- chart -------------------------------------------------------------------------------------
  var W = 360, H = 250, M = {left: 52, right: 16, top: 10, bottom: 40};
  function logTicks(lo, hi) {
    var ticks = [], span = Math.log10(hi / lo), subs = span < 2 ? [1, 2, 5] : [1];
    for (var e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      subs.forEach(function (m) { var v = m * Math.pow(10, e); if (v >= lo && v <= hi) ticks.push(v); });
    }
    return ticks;
  }
  function tickLabel(v) {
    var e = Math.floor(Math.log10(v) + 1e-9), m = Math.round(v / Math.pow(10, e));
    return (m === 1 ? "" : m + "×") + "10^" + e;
  }
  function linearTicks(lo, hi) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 4 || 1)));
    [1, 2, 5, 10].some(function (k) { if ((hi - lo) / (k * step) <= 5) { step = k * step; return true; } return false; });
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  function axisText(g, x, y, text, anchor) {
    var t = svg("text", {x: x, y: y, "text-anchor": anchor || "middle"});
    var caret = text.indexOf("^");
    if (caret < 0) { t.textContent = text; } else {
      t.appendChild(document.createTextNode(text.slice(0, caret)));
      t.appendChild(svg("tspan", {dy: -4, "font-size": "8px"}, text.slice(caret + 1)));
    }
    g.appendChild(t);
  }
  function panel(dataName, cells, metric) {
    var xs = cells.map(function (r) { return r.flops_per_token; }), ys = cells.map(function (r) { return r[metric]; });
    var x0 = Math.min.apply(null, xs) / 1.6, x1 = Math.max.apply(null, xs) * 1.6;
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var pad = Math.max((y1 - y0) * 0.15, Math.abs(y1) * 0.02, 1e-3);  // equal values still get a readable axis
    y0 -= pad; y1 += pad;
    function X(v) { return M.left + (Math.log(v / x0) / Math.log(x1 / x0)) * (W - M.left - M.right); }
    function Y(v) { return H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom); }
    var figure = el("figure", {"data-dataset": dataName});
    figure.appendChild(el("figcaption", {}, dataName));
    var root = svg("svg", {viewBox: "0 0 " + W + " " + H, role: "group",
      "aria-label": metric + " against FLOPs per token on " + dataName + ", " + cells.length + " cells"});
    var grid = svg("g", {class: "grid"}), axes = svg("g", {class: "axis"});
    logTicks(x0, x1).forEach(function (v) {
      grid.appendChild(svg("line", {x1: X(v), x2: X(v), y1: M.top, y2: H - M.bottom}));
      axisText(axes, X(v), H - M.bottom + 15, tickLabel(v));
    });
    var yTicks = linearTicks(y0, y1), step = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
    var decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
    yTicks.forEach(function (v) {
      grid.appendChild(svg("line", {x1: M.left, x2: W - M.right, y1: Y(v), y2: Y(v)}));
      axisText(axes, M.left - 5, Y(v) + 4, v.toFixed(decimals), "end");
    });
    axes.appendChild(svg("path", {d: "M" + M.left + "," + M.top + "V" + (H - M.bottom) + "H" + (W - M.right), fill: "none"}));
    axisText(axes, (M.left + W - M.right) / 2, H - 6, "FLOPs per token (log scale)");
    var yl = svg("text", {transform: "translate(12," + (H - M.bottom + M.top) / 2 + ") rotate(-90)", "text-anchor": "middle"}, metric);
    axes.appendChild(yl);
    root.appendChild(grid); root.appendChild(axes);
    seriesNames.forEach(function (s) {
      var mine = cells.filter(function (r) { return r.series === s; })
        .sort(function (a, b) { return a.flops_per_token - b.flops_per_token; });
      if (!mine.length) return;
      var g = svg("g", {class: "series", "data-series": s});
      if (mine.length > 1) {
        g.appendChild(svg("path", {class: "series-line", stroke: colour[s], d: mine.map(function (r, i) {
          return (i ? "L" : "M") + X(r.flops_per_token).toFixed(1) + "," + Y(r[metric]).toFixed(1); }).join("")}));
      }
      mine.forEach(function (r) {
        var label = r.model_name + " × " + r.data_name + ": " + metric + " " + fmt(metric, r[metric]) +
          ", " + fmt("flops_per_token", r.flops_per_token) + " FLOPs/token";
        var c = svg("circle", {class: "mark", cx: X(r.flops_per_token).toFixed(1), cy: Y(r[metric]).toFixed(1), r: 5,
                               fill: colour[s], tabindex: 0, "data-id": r.id, role: "img", "aria-label": label});
        c.appendChild(svg("title", {}, label));
        c.addEventListener("mouseenter", function () { showTip(c, r, metric); });
        c.addEventListener("focus", function () { showTip(c, r, metric); });
        c.addEventListener("mouseleave", hideTip);
        c.addEventListener("blur", hideTip);
        c.addEventListener("click", function () { openRow(r.id); });
        g.appendChild(c);
        g.appendChild(svg("text", {class: "size", x: X(r.flops_per_token) + 6, y: Y(r[metric]) + 13},
                          r.model_size || r.model_name));
      });
      root.appendChild(g);
    });
    figure.appendChild(root);
    return figure;
  }
  function showTip(mark, r, metric) {
    var tip = document.getElementById("tooltip"), box = mark.getBoundingClientRect();
    var host = document.getElementById("chart-section").getBoundingClientRect();
    tip.textContent = r.model_name + " × " + r.data_name + " (" + r.series + ", " + (r.model_size || "—") + ")\n" +
      "ic " + fmt("ic", r.ic) + "  information_capacity " + fmt("information_capacity", r.information_capacity) +
      "\nNLL " + fmt("conditional_entropy", r.conditional_entropy) + "  constant " + fmt("constant", r.constant) +
      "\nBF16_TFLOPs " + fmt("BF16_TFLOPs", r.BF16_TFLOPs) + "  bias " + r.bias;
    tip.hidden = false;
    tip.style.left = Math.max(0, Math.min(box.left - host.left + 12, host.width - 330)) + "px";
    tip.style.top = (box.top - host.top + 14) + "px";
  }
  function hideTip() { document.getElementById("tooltip").hidden = true; }
  function openRow(id) {
    if (!state.open[id]) toggleDetails(id);
    var row = document.querySelector('tr.cell-row[data-id="' + id + '"]');
    if (row.scrollIntoView) row.scrollIntoView({block: "center"});
    row.querySelector("button.details-toggle").focus();
  }
  function renderChart(shown) {
    var chart = document.getElementById("chart"), metric = state.metric;
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    var drawable = shown.filter(function (r) { return finished(r) && isNumber(r[metric]) && isNumber(r.flops_per_token) && r.flops_per_token > 0; });
    datasets.forEach(function (d) {
      var cells = drawable.filter(function (r) { return r.data_name === d; });
      if (cells.length) chart.appendChild(panel(d, cells, metric));
    });
    var failed = shown.filter(function (r) { return r.status === "failed"; }).length;
    var partial = shown.filter(function (r) { return r.status === "partial"; }).length;
    var note = "One point per finished cell; y axis per dataset (biases differ). Click a point for its row.";
    if (failed || partial) note += " Not drawn: " + failed + " failed and " + partial + " partial cell(s).";
    document.getElementById("chart-heading").textContent = (metric === "ic" ? "ic" : "information_capacity") + " against FLOPs per token";
    document.getElementById("chart-note").textContent = note;
  }
  function legend() {
    var list = document.getElementById("legend");
    seriesNames.forEach(function (s) {
      var li = el("li", {}, s);
      li.style.setProperty("--swatch", colour[s]);
      list.appendChild(li);
    });
  }

  // ---- comparison --------------------------------------------------------------------------------
  function renderCompare() {
    var c = data.compare;
    if (!c) return;
    document.getElementById("compare-section").hidden = false;
    document.getElementById("compare-summary").textContent = c.name + ": " + c.matched + " of " + c.rows +
      " cells matched a leaderboard row by model and data name; " + c.unmatched_ours.length +
      " cell(s) without a row, " + c.unmatched_board.length + " leaderboard row(s) without a cell. Differences are ours − leaderboard.";
    var head = el("tr");
    ["model_name", "data_name"].concat(NUMERIC.map(function (n) { return "Δ " + n; })).forEach(function (h) {
      head.appendChild(el("th", {scope: "col"}, h));
    });
    document.querySelector("#compare-table thead").appendChild(head);
    var body = document.querySelector("#compare-table tbody");
    rows.filter(function (r) { return r.board; }).forEach(function (r) {
      var tr = el("tr", {class: "compare-row"});
      tr.appendChild(el("th", {scope: "row"}, r.model_name));
      tr.appendChild(el("td", {}, r.data_name));
      NUMERIC.forEach(function (n) {
        var v = r.board.diff[n];
        tr.appendChild(el("td", {class: "num" + (isNumber(v) && Math.abs(v) >= ROUND_OFF ? (v > 0 ? " diff-pos" : " diff-neg") : "")}, fmtSigned(n, v)));
      });
      body.appendChild(tr);
    });
    var lists = document.getElementById("unmatched-lists");
    [["Cells without a leaderboard row", c.unmatched_ours], ["Leaderboard rows without a cell", c.unmatched_board]].forEach(function (p) {
      lists.appendChild(el("h3", {}, p[0] + " (" + p[1].length + ")"));
      var ul = el("ul");
      p[1].forEach(function (x) { ul.appendChild(el("li", {}, x.model_name + " × " + x.data_name)); });
      lists.appendChild(ul);
    });
  }

  // ---- wiring ------------------------------------------------------------------------------------
  function applyFilters() {
    var f = filters(), shown = [];
    rows.forEach(function (r) {
      var on = visible(r, f);
      if (on) shown.push(r);
      document.querySelector('tr.cell-row[data-id="' + r.id + '"]').hidden = !on;
      document.getElementById("details-" + r.id).hidden = !(on && state.open[r.id]);
    });
    var count = function (s) { return shown.filter(function (r) { return r.status === s; }).length; };
    document.getElementById("counts").textContent = "Showing " + shown.length + " of " + rows.length + " cells: " +
      count("ok") + " finished, " + count("failed") + " failed, " + count("partial") + " partial.";
    renderChart(shown);
  }
  function init() {
    provenance();
    fillSelect("filter-series", seriesNames);
    fillSelect("filter-data", datasets);
    header();
    var body = document.querySelector("#cells tbody");
    rows.forEach(function (r) { body.appendChild(cellRow(r)); body.appendChild(detailsRow(r)); });
    legend();
    renderCompare();
    ["filter-text", "filter-series", "filter-data", "filter-status"].forEach(function (id) {
      document.getElementById(id).addEventListener("input", applyFilters);
      document.getElementById(id).addEventListener("change", applyFilters);
    });
    document.querySelectorAll('input[name="metric"]').forEach(function (radio) {
      radio.addEventListener("change", function () { state.metric = radio.value; applyFilters(); });
    });
    applyFilters();
  }
  init();
})();
