/* The journal grid from the keyboard (CONVENTIONS: arrows/Tab/Enter move, a digit sets the
   mark, «н» an absence, «о»/«оп» a lateness, Backspace clears, F2 or Space opens the mark
   with its comment). Every cell saves on its own through htmx; the answer replaces the
   cell, so a refused value shows in the cell with its reason. Without this script the
   cells are links to a form page. */
(function () {
  "use strict";
  var table = document.querySelector("table.journal");
  if (!table || !window.htmx) return;
  document.documentElement.classList.add("js");
  var cellUrl = table.dataset.cellUrl; // …/lesson/0/cell/
  var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "";
  var DIGITS = /^[0-9]$/;
  var ABSENT = ["н", "Н", "n", "N"];
  var editing = null;

  function rows() {
    return Array.prototype.slice.call(table.tBodies[0].rows);
  }
  function cellsOf(row) {
    return Array.prototype.slice.call(row.querySelectorAll("td.cell, td.pcell"));
  }
  function position(td) {
    var row = td.closest("tr");
    return { r: rows().indexOf(row), c: cellsOf(row).indexOf(td) };
  }
  function at(r, c) {
    var all = rows();
    if (r < 0 || r >= all.length) return null;
    var cells = cellsOf(all[r]);
    if (!cells.length) return null;
    return cells[Math.max(0, Math.min(c, cells.length - 1))];
  }
  function focusCell(td) {
    if (!td) return;
    var old = table.querySelector("td.focused");
    if (old) old.classList.remove("focused");
    td.classList.add("focused");
    td.focus({ preventScroll: false });
    td.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  function move(td, dr, dc) {
    var p = position(td);
    var next = at(p.r + dr, p.c + dc);
    if (dc !== 0 && next === td) {
      next = at(p.r + (dc > 0 ? 1 : -1), dc > 0 ? 0 : 1e6);
    }
    focusCell(next || td);
  }
  function refocus(id) {
    // the swap removed the focused cell: focus its replacement, unless the teacher has
    // already moved on to another cell
    var active = document.activeElement;
    if (active && active !== document.body && active.closest && active.closest("td.cell, td.pcell")) return;
    var td = document.getElementById(id);
    if (td) focusCell(td);
  }

  function siblings(td) {
    var lesson = td.dataset.lesson, student = td.dataset.student;
    return Array.prototype.slice
      .call(td.closest("tr").querySelectorAll('td.cell[data-lesson="' + lesson + '"]'))
      .filter(function (x) { return x.dataset.student === student; })
      .map(function (x) { return x.dataset.wt + "-" + x.dataset.part + "-" + x.dataset.first; });
  }

  function save(td, value, comment, op) {
    if (!td.dataset.edit) return;
    var id = td.id;
    td.classList.add("saving");
    if (td.classList.contains("pcell")) {
      return htmx.ajax("POST", td.dataset.periodUrl, {
        target: "#" + id, swap: "outerHTML", headers: { "X-CSRFToken": csrf },
        values: { period: td.dataset.period, student: td.dataset.student, token: td.dataset.token, value: value }
      }).then(function () { refocus(id); });
    }
    var values = {
      student: td.dataset.student, work_type: td.dataset.wt, part: td.dataset.part,
      first: td.dataset.first, value: value, comment: comment == null ? (td.dataset.comment || "") : comment,
      mark_token: td.dataset.markToken, att_token: td.dataset.attToken, sibling: siblings(td)
    };
    if (op) values.op = op;
    return htmx.ajax("POST", cellUrl.replace("/0/", "/" + td.dataset.lesson + "/"), {
      target: "#" + id, swap: "outerHTML", headers: { "X-CSRFToken": csrf }, values: values
    }).then(function () { refocus(id); }, function () {
      var cell = document.getElementById(id);
      if (cell) {
        cell.classList.remove("saving");
        cell.classList.add("refused");
        var note = document.createElement("div");
        note.className = "cell-error";
        note.setAttribute("role", "alert");
        note.textContent = table.dataset.offline || "Не сохранено: нет связи с сервером.";
        cell.appendChild(note);
      }
    });
  }

  function openEditor(td, initial, withComment) {
    if (!td.dataset.edit || editing) return;
    var form = document.createElement("form");
    form.className = "cell-editor";
    var input = document.createElement("input");
    input.name = "value";
    input.value = initial;
    input.setAttribute("aria-label", table.dataset.valueLabel || "Отметка");
    input.autocomplete = "off";
    form.appendChild(input);
    var comment = null;
    if (withComment && !td.classList.contains("pcell")) {
      comment = document.createElement("input");
      comment.name = "comment";
      comment.placeholder = table.dataset.commentLabel || "комментарий";
      comment.value = td.dataset.comment || "";
      form.appendChild(comment);
    }
    td.appendChild(form);
    editing = { td: td, form: form };
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    function close() {
      if (form.parentNode) form.parentNode.removeChild(form);
      editing = null;
    }
    form.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); close(); focusCell(td); return; }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        e.stopPropagation();
        var v = input.value.trim(), c = comment ? comment.value : null;
        close();
        var p = save(td, v, c, v ? null : "clear");
        if (p && p.then) p.then(function () {
          var now = document.getElementById(td.id);
          if (now) move(now, e.key === "Enter" ? 1 : 0, e.key === "Tab" ? (e.shiftKey ? -1 : 1) : 0);
        });
      }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }

  table.addEventListener("click", function (e) {
    var td = e.target.closest("td.cell, td.pcell");
    if (!td || e.target.closest(".cell-editor") || e.target.closest(".cell-error a")) return;
    if (e.target.closest("a.cell-link") || e.target.closest("form.nojs-form")) e.preventDefault();
    focusCell(td);
  });
  table.addEventListener("dblclick", function (e) {
    var td = e.target.closest("td.cell, td.pcell");
    if (td) openEditor(td, td.dataset.value || "", true);
  });

  table.addEventListener("keydown", function (e) {
    if (editing) return;
    var td = e.target.closest("td.cell, td.pcell");
    if (!td || e.ctrlKey || e.metaKey || e.altKey) return;
    var k = e.key;
    if (k === "ArrowRight") { e.preventDefault(); move(td, 0, 1); }
    else if (k === "ArrowLeft") { e.preventDefault(); move(td, 0, -1); }
    else if (k === "ArrowDown" || k === "Enter") { e.preventDefault(); move(td, 1, 0); }
    else if (k === "ArrowUp") { e.preventDefault(); move(td, -1, 0); }
    else if (k === "Tab") { e.preventDefault(); move(td, 0, e.shiftKey ? -1 : 1); }
    else if (k === "Backspace" || k === "Delete") { e.preventDefault(); save(td, "", null, "clear"); }
    else if (k === "F2" || k === " ") { e.preventDefault(); openEditor(td, td.dataset.value || "", true); }
    else if (td.classList.contains("pcell") && k.length === 1) { e.preventDefault(); openEditor(td, k, false); }
    else if (DIGITS.test(k)) { e.preventDefault(); save(td, k, null, null); }
    else if (ABSENT.indexOf(k) >= 0) { e.preventDefault(); save(td, "н", null, null); }
    else if (k.length === 1 && k !== " ") { e.preventDefault(); openEditor(td, k, false); }
  });

  var first = table.querySelector("td.cell[data-edit]") || table.querySelector("td.cell");
  if (first) first.classList.add("focused"), first.setAttribute("tabindex", "0");
})();
