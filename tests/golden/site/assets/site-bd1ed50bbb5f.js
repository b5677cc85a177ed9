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

  // Pages whose <body> has data-poll="<their JSON>" keep themselves current while the tab is visible: the JSON
  // is fetched every minute with cache "no-cache" (a conditional GET: an unchanged file is a 304), and when it
  // changed the page's HTML is fetched once and each [data-live] element that differs is swapped in place, so
  // unchanged cells stay the same nodes (no reload, no flicker, no scroll jump). [data-live-note] says when
  // the data is stale or a poll failed. The interval can be set by window.QUARTZ_POLL_MS (tests).
  // Each [data-live] element's HTML as the server sent it (before times() adds its tooltips).
  function snapshot(root) {
    var found = {};
    root.querySelectorAll("[data-live]").forEach(function (el) { found[el.getAttribute("data-live")] = el.outerHTML; });
    return found;
  }

  function live(sent) {
    var body = document.body, url = body.getAttribute("data-poll"), note = document.querySelector("[data-live-note]");
    if (!url || !window.fetch || !window.DOMParser) return;
    var every = window.QUARTZ_POLL_MS || 60000, staleAfter = 1000 * (+body.getAttribute("data-stale-after") || 1800);
    var seen = body.getAttribute("data-generated"), lastText = null, lastOk = Date.now(), asOf = null, timer = null;
    var retries = 0;  // the JSON changed but the page did not (yet): a publish uploads one file after another

    function say(text, bad) {
      if (!note) return;
      note.hidden = !text;
      note.textContent = text || "";
      note.classList.toggle("stale", !!bad);
    }
    function clock(ms) { return new Date(ms).toISOString().slice(11, 16) + " UTC"; }
    function judge() {
      var age = asOf === null ? 0 : Date.now() - asOf;
      var failing = Date.now() - lastOk > 1.5 * every;
      var fresh = document.querySelector("[data-live=fresh]");
      if (fresh && age > staleAfter) fresh.classList.add("stale");
      if (failing) say("Could not update this page since " + clock(lastOk) + "; it shows what it showed then.", true);
      else if (age > staleAfter) say("Stale data: nothing new from Quartz for " + Math.round(age / 60000) + " min.", true);
      else say("");
    }
    function swap(html) {
      var fresh = new DOMParser().parseFromString(html, "text/html"), now = snapshot(fresh);
      var olds = document.querySelectorAll("[data-live]"), news = fresh.querySelectorAll("[data-live]");
      var x = window.scrollX, y = window.scrollY, swapped = 0;
      if (Object.keys(now).join("\n") !== Object.keys(sent).join("\n")) {  // rows came or went: all of main
        document.getElementById("main").innerHTML = fresh.getElementById("main").innerHTML;
        charts(); sortable(); swapped = 1;
      } else {
        Array.prototype.forEach.call(news, function (el, i) {
          var key = el.getAttribute("data-live");
          if (sent[key] === now[key]) return;
          if (olds[i].contains(document.activeElement)) { now[key] = sent[key]; return; }  // next time
          olds[i].replaceWith(document.importNode(el, true));
          swapped += 1;
        });
      }
      sent = now;
      times();
      window.scrollTo(x, y);
      return swapped;
    }
    function tick() {
      if (document.visibilityState !== "visible") return;
      fetch(url, { cache: "no-cache" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      }).then(function (text) {
        var doc = JSON.parse(text), changed = lastText !== null ? text !== lastText : doc.generated_at !== seen;
        var previous = lastText;
        lastText = text; lastOk = Date.now();
        var at = Date.parse(doc.freshness ? doc.freshness.as_of : "");
        asOf = isNaN(at) ? null : at;
        if (!changed) return judge();
        return fetch(location.href.split("#")[0], { cache: "no-cache" }).then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        }).then(function (html) {
          if (swap(html) === 0 && retries < 3) { retries += 1; lastText = previous; } else { retries = 0; }
          judge();
        });
      }).catch(function () { judge(); });
    }
    function start() { if (!timer) timer = window.setInterval(tick, every); }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { tick(); start(); }
      else { window.clearInterval(timer); timer = null; }
    });
    var at = Date.parse((document.querySelector("[data-live=fresh] time") || {}).dateTime || "");
    asOf = isNaN(at) ? null : at;
    judge();
    if (document.visibilityState === "visible") start();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var sent = snapshot(document);
    times(); charts(); sortable(); live(sent);
  });
})();
