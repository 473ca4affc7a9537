// honeyscope dashboard: hover tips from the charts' <title>s, brushing a
// range of days on daily charts, auto-refresh. No inline script anywhere:
// the page's CSP allows only this file.
(function () {
  "use strict";

  // Hover tips: each chart element's <title> becomes a tip that follows
  // the pointer (the browser's own tooltip is slow and small).
  var tip = document.createElement("div");
  tip.className = "tip hidden";
  document.body.appendChild(tip);
  document.querySelectorAll("figure.chart svg").forEach(function (svg) {
    svg.querySelectorAll("title").forEach(function (t) {
      var el = t.parentNode;
      if (el === svg) {
        // The chart's own title becomes its accessible name: left in place,
        // the browser would show it as a tooltip over every mark too.
        if (!svg.hasAttribute("aria-label")) svg.setAttribute("aria-label", t.textContent);
      } else {
        el.setAttribute("data-tip", t.textContent);
      }
      t.remove();
    });
    svg.addEventListener("mousemove", function (ev) {
      var el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
      if (!el) { tip.classList.add("hidden"); return; }
      tip.textContent = el.getAttribute("data-tip");
      tip.classList.remove("hidden");
      var x = ev.clientX + 14, y = ev.clientY + 14;
      var w = tip.offsetWidth, h = tip.offsetHeight;
      if (x + w > window.innerWidth - 8) x = ev.clientX - w - 10;
      if (y + h > window.innerHeight - 8) y = ev.clientY - h - 10;
      tip.style.left = x + "px";
      tip.style.top = y + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.classList.add("hidden"); });
  });

  // Brushing: drag over the days of a daily chart to show that range
  // (from/to in the URL, the other filters kept).
  document.querySelectorAll("figure.chart[data-brush]").forEach(function (fig) {
    var svg = fig.querySelector("svg");
    if (!svg) return;
    var cols = Array.prototype.slice.call(svg.querySelectorAll("rect.daycol"));
    if (cols.length < 2) return;
    var band = document.createElement("div");
    band.className = "brush hidden";
    fig.classList.add("brushable");
    fig.appendChild(band);
    var start = -1, end = -1, dragged = false;
    function colAt(x) {
      for (var i = 0; i < cols.length; i++) {
        var r = cols[i].getBoundingClientRect();
        if (x >= r.left && x < r.right) return i;
      }
      var first = cols[0].getBoundingClientRect(), last = cols[cols.length - 1].getBoundingClientRect();
      if (x < first.left) return 0;
      if (x >= last.right) return cols.length - 1;
      return -1;
    }
    function draw() {
      var a = Math.min(start, end), b = Math.max(start, end);
      var fr = fig.getBoundingClientRect();
      var ra = cols[a].getBoundingClientRect(), rb = cols[b].getBoundingClientRect();
      band.style.left = (ra.left - fr.left) + "px";
      band.style.width = (rb.right - ra.left) + "px";
      band.style.top = (ra.top - fr.top) + "px";
      band.style.height = ra.height + "px";
      band.classList.remove("hidden");
    }
    svg.addEventListener("mousedown", function (ev) {
      if (ev.button !== 0) return;
      var i = colAt(ev.clientX);
      if (i < 0) return;
      start = end = i;
      dragged = false;
      ev.preventDefault();
    });
    window.addEventListener("mousemove", function (ev) {
      if (start < 0) return;
      var i = colAt(ev.clientX);
      if (i >= 0 && i !== end) { end = i; dragged = true; draw(); }
    });
    window.addEventListener("mouseup", function () {
      if (start < 0) return;
      var a = Math.min(start, end), b = Math.max(start, end);
      start = -1;
      if (!dragged || a === b) { band.classList.add("hidden"); return; }
      var u = new URL(window.location.href);
      u.searchParams.set("from", cols[a].getAttribute("data-day"));
      u.searchParams.set("to", cols[b].getAttribute("data-day"));
      window.location.assign(u.toString());
    });
    // A drag is not a click on the link under it.
    svg.addEventListener("click", function (ev) {
      if (dragged) { ev.preventDefault(); dragged = false; }
    }, true);
  });

  // Auto-refresh every N seconds when the page asks for it (?refresh=N),
  // skipped while the tab is hidden.
  var n = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
  if (n > 0) {
    var due = Date.now() + n * 1000;
    setInterval(function () {
      if (document.hidden || Date.now() < due) return;
      window.location.reload();
    }, 1000);
  }
})();
