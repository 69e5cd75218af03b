/* Cost grid behaviour, on top of htmx: spreadsheet keys, saving a cell when the user leaves
   it changed, and pasting a block copied from a spreadsheet.

   Without this file every cell is still a small form that saves with Enter (a plain POST
   that redirects back), so the grid works without JavaScript.

   Keys: Enter / Shift+Enter save and move down / up; Tab moves along the row; arrow keys
   move between cells (left/right once the caret is at the edge of the text); Esc puts back
   the saved value (after a conflict: takes the other person's value). */
(function () {
  "use strict";

  var INPUT = "input.cg-in";

  function isCell(el) {
    return el && el.matches && el.matches(INPUT);
  }

  function rowsWithCells(table) {
    return Array.prototype.filter.call(table.rows, function (tr) {
      return tr.querySelector(INPUT) !== null;
    });
  }

  function focusCell(input) {
    if (!input) return false;
    input.focus();
    input.select();
    return true;
  }

  // The input `dRow` rows down and `dCol` cells right of `input`, or null at the edge.
  function neighbour(input, dRow, dCol) {
    var td = input.closest("td");
    var tr = td.parentElement;
    if (dCol) {
      var next = dCol > 0 ? td.nextElementSibling : td.previousElementSibling;
      return next ? next.querySelector(INPUT) : null;
    }
    var rows = rowsWithCells(tr.closest("table"));
    var target = rows[rows.indexOf(tr) + dRow];
    var cell = target && target.cells[td.cellIndex];
    return cell ? cell.querySelector(INPUT) : null;
  }

  // The value as saved: the rendered value, unless the cell shows a refused or conflicting
  // input (then data-saved holds what is saved), or a save is on its way.
  function savedValue(input) {
    return input.dataset.saved !== undefined ? input.dataset.saved : input.defaultValue;
  }

  function clearFeedback(input) {
    var td = input.closest("td");
    td.classList.remove("is-invalid", "is-conflict");
    var message = td.querySelector(".cg-msg");
    if (message) message.remove();
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }

  // Send the cell when its text differs from what is saved. After a conflict only an
  // explicit Enter applies the user's value: leaving the cell decides nothing.
  function save(input, explicit) {
    var td = input.closest("td");
    if (td.classList.contains("is-conflict") && !explicit) return;
    // A refused amount left as it was is not sent again just because the cursor passed by.
    if (td.classList.contains("is-invalid") && input.value === input.defaultValue && !explicit) {
      return;
    }
    if (input.value === savedValue(input)) {
      clearFeedback(input);
      return;
    }
    // The request is on its way: leaving the cell next must not send it a second time.
    input.dataset.saved = input.value;
    htmx.trigger(input.form, "cost-save");
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!isCell(input) || event.isComposing) return;
    var moved = null;
    switch (event.key) {
      case "Enter":
        event.preventDefault();
        save(input, true);
        moved = neighbour(input, event.shiftKey ? -1 : 1, 0);
        if (moved) focusCell(moved);
        return;
      case "Escape":
        input.value = savedValue(input);
        clearFeedback(input);
        input.select();
        return;
      case "ArrowUp":
      case "ArrowDown":
        moved = neighbour(input, event.key === "ArrowUp" ? -1 : 1, 0);
        break;
      case "ArrowLeft":
      case "ArrowRight": {
        var all = input.selectionStart === 0 && input.selectionEnd === input.value.length;
        var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
        var atEnd = input.selectionStart === input.value.length;
        var left = event.key === "ArrowLeft";
        if (!(all || (left && atStart) || (!left && atEnd))) return;
        moved = neighbour(input, 0, left ? -1 : 1);
        break;
      }
      default:
        return;
    }
    if (moved) {
      event.preventDefault();
      focusCell(moved);
    }
  });

  // Leaving a changed cell (Tab, arrows, a click elsewhere) saves it.
  document.addEventListener("focusout", function (event) {
    if (isCell(event.target)) save(event.target, false);
  });

  // A mobile keyboard's "Go" submits the form: save through htmx instead of a page load.
  document.addEventListener("submit", function (event) {
    var input = event.target.querySelector && event.target.querySelector(INPUT);
    if (!input || !event.target.closest("#cost-table")) return;
    event.preventDefault();
    save(input, true);
  });

  // The versions of the lines under a block about to be pasted at `input`, so the server can
  // refuse to overwrite a line someone changed since this page was loaded.
  function versionsUnder(input, rowCount, colCount) {
    var versions = {};
    var rows = rowsWithCells(input.closest("table"));
    var first = rows.indexOf(input.closest("tr"));
    var col = input.closest("td").cellIndex;
    rows.slice(first, first + rowCount).forEach(function (tr) {
      for (var c = col; c < col + colCount && c < tr.cells.length; c++) {
        var form = tr.cells[c].querySelector("form");
        if (!form || !form.elements.cell) continue;
        var line = form.elements.cell.value.replace(/_[a-z]+$/, "");
        var version = form.elements.version.value;
        versions[line] = version === "" ? null : parseInt(version, 10);
      }
    });
    return versions;
  }

  // A block (more than one cell) pasted into a cell goes to the server in one request.
  document.addEventListener("paste", function (event) {
    var input = event.target;
    if (!isCell(input)) return;
    var text = (event.clipboardData || window.clipboardData).getData("text");
    var block = text.replace(/[\r\n]+$/, "");
    if (!/[\t\r\n]/.test(block)) return; // one value: an ordinary paste into the cell
    event.preventDefault();
    var lines = block.split(/\r\n|\r|\n/);
    var width = Math.max.apply(null, lines.map(function (l) { return l.split("\t").length; }));
    var form = document.getElementById("cost-paste");
    form.elements.anchor.value = input.form.elements.cell.value;
    form.elements.text.value = text;
    form.elements.versions.value = JSON.stringify(versionsUnder(input, lines.length, width));
    htmx.trigger(form, "cost-paste");
  });

  // A save that never reached the server, or that it refused outright (403, 500…), must not
  // look saved: say so, and let Enter send the cell again.
  function failed(event, message) {
    var grid = document.getElementById("cost-grid");
    var elt = event.detail.elt;
    if (!grid || !elt || !grid.contains(elt)) return;
    var input = elt.querySelector ? elt.querySelector(INPUT) : null;
    if (input) delete input.dataset.saved;
    var status = document.getElementById("cost-status");
    if (!status) return;
    status.className = "cg-status cg-status-error";
    status.textContent = message;
  }
  document.addEventListener("htmx:sendError", function (event) {
    failed(event, "Not saved: the server could not be reached. Your input is still in " +
      "the cell: press Enter in it to try again.");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var code = event.detail.xhr ? event.detail.xhr.status : "";
    failed(event, "Not saved: the server refused the change (" + code + "). Your input " +
      "is still in the cell; reload the page to see the current figures.");
  });

  // Open the grid on the current month, with up to two earlier months for context where
  // the box is wide enough to show them beside it.
  function showCurrentMonth() {
    var box = document.querySelector(".cg-scroll");
    var now = box && box.querySelector("thead th.is-now");
    if (!now) return;
    var label = box.querySelector("thead .cg-label").offsetWidth;
    var room = box.clientWidth - label;
    var first = now;
    for (var i = 0; i < 2; i++) {
      var previous = first.previousElementSibling;
      if (!previous || previous.classList.contains("cg-label")) break;
      if (now.offsetLeft + now.offsetWidth - previous.offsetLeft > room) break;
      first = previous;
    }
    box.scrollLeft = first.offsetLeft - label;
  }

  // After the grid is redrawn (a paste, undo or year switch) put the cursor back, or show
  // the current month.
  document.addEventListener("htmx:afterSettle", function (event) {
    var grid = document.getElementById("cost-grid");
    if (!grid || event.detail.elt !== grid) return;
    var key = grid.dataset.focus;
    if (!key) {
      showCurrentMonth();
      return;
    }
    grid.dataset.focus = "";
    var cell = document.getElementById("c-" + key);
    focusCell(cell && cell.querySelector(INPUT));
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showCurrentMonth);
  } else {
    showCurrentMonth();
  }
})();
