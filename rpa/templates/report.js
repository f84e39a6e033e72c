// Sorting, the tiles' filter and the screenshot viewer. Plain script, no library: the report
// must work when opened from disk (file://) on a laptop without network.
(function () {
  "use strict";
  var table = document.getElementById("rows"), body = table.tBodies[0];
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // Sorting: click a header; click again for the other direction.
  each(table.tHead.rows[0].cells, function (th, col) {
    if (th.classList.contains("nosort")) { return; }
    var asc = true;
    th.addEventListener("click", function () {
      var num = th.dataset.type === "num", rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var c = num ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, "zh-CN");
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      asc = !asc;
    });
  });

  // Tiles: show only the rows of one group (or those needing a person, or all).
  var tiles = document.querySelectorAll(".tile");
  each(tiles, function (tile) {
    tile.addEventListener("click", function () {
      var f = tile.dataset.filter;
      each(tiles, function (t) {
        t.classList.toggle("active", t === tile);
        t.setAttribute("aria-pressed", t === tile ? "true" : "false");
      });
      each(body.rows, function (r) {
        r.hidden = !(f === "all" || (f === "need" && r.dataset.need === "yes") || r.dataset.group === f);
      });
    });
  });

  // The viewer: a thumbnail opens its screenshot large; ← / → go to the previous / next row's
  // screenshot in the order the table shows now (sorted, filtered); Esc closes.
  var box = document.getElementById("lightbox"), img = document.getElementById("lb-img");
  var caption = document.getElementById("lb-caption"), count = document.getElementById("lb-count");
  var prev = document.getElementById("lb-prev"), next = document.getElementById("lb-next");
  var stage = document.getElementById("lb-stage"), original = document.getElementById("lb-open");
  var shots = [], at = -1, opener = null;

  function visibleShots() {
    return Array.prototype.filter.call(body.querySelectorAll("a.shot"), function (a) {
      return !a.closest("tr").hidden;
    });
  }
  function show(i) {
    if (i < 0 || i >= shots.length) { return; }
    at = i;
    var link = shots[i], row = link.closest("tr");
    img.src = link.getAttribute("href");
    img.alt = link.querySelector("img").alt;
    original.href = link.getAttribute("href");
    // textContent only: names come from the batch and are never read as HTML.
    caption.textContent = "第 " + row.querySelector(".rowno").textContent.trim() + " 行　" +
      row.querySelector(".name").textContent.trim() + "　" + row.querySelector(".badge").textContent.trim();
    count.textContent = (i + 1) + " / " + shots.length;
    prev.disabled = i === 0;
    next.disabled = i === shots.length - 1;
    stage.scrollTop = 0;
  }
  function open(link) {
    shots = visibleShots();
    opener = link;
    box.hidden = false;
    show(shots.indexOf(link));
    stage.focus();  // so PageDown / ↑ ↓ scroll a tall screenshot
  }
  function close() {
    box.hidden = true;
    img.removeAttribute("src");
    if (opener) { opener.focus(); }
  }
  each(body.querySelectorAll("a.shot"), function (a) {
    a.addEventListener("click", function (e) { e.preventDefault(); open(a); });
  });
  prev.addEventListener("click", function () { show(at - 1); });
  next.addEventListener("click", function () { show(at + 1); });
  document.getElementById("lb-close").addEventListener("click", close);
  stage.addEventListener("click", function (e) { if (e.target === stage) { close(); } });
  document.addEventListener("keydown", function (e) {
    if (box.hidden) { return; }
    if (e.key === "Escape") { close(); }
    else if (e.key === "ArrowRight") { e.preventDefault(); show(at + 1); }
    else if (e.key === "ArrowLeft") { e.preventDefault(); show(at - 1); }
  });
})();
