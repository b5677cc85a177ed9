// Progressive enhancement only: every page reads without this file.
(function () {
  "use strict";
  function dark() { return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches; }

  function relative(seconds) {
    if (seconds < 90) return "just now";
    if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
    if (seconds < 172800) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  // Absolute times stay in the HTML (so pages are byte-identical between renders); add "3 h ago" as a tooltip.
  function times() {
    var now = Date.now();
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(t) && !el.title) el.title = relative(Math.max(0, (now - t) / 1000));
    });
  }

  function charts() {
    if (!window.Plotly) return;
    var fg = dark() ? "#e6edf3" : "#1f2328", grid = dark() ? "#30363d" : "#d1d9e0";
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      var layout = Object.assign({}, spec.layout, {
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: fg, size: 11 }
      });
      ["xaxis", "yaxis"].forEach(function (axis) {
        layout[axis] = Object.assign({ gridcolor: grid, zerolinecolor: grid }, layout[axis] || {});
      });
      el.textContent = "";
      window.Plotly.newPlot(el, spec.data, layout, { displaylogo: false, responsive: true });
    });
  }

  // Tables marked "sortable": a click on a header sorts by that column (data-sort, else number, else text).
  function sortable() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, col) {
        th.addEventListener("click", function () {
          var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
          var down = th.getAttribute("aria-sort") !== "descending";
          var key = function (row) {
            var cell = row.cells[col], v = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
            var n = parseFloat(v);
            return isNaN(n) || !/^[-0-9.]/.test(v) ? v : n;
          };
          rows.sort(function (a, b) {
            var x = key(a), y = key(b), c = x < y ? -1 : x > y ? 1 : 0;
            return down ? -c : c;
          });
          table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", down ? "descending" : "ascending");
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { times(); charts(); sortable(); });
})();
