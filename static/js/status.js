// Status report editor: show the reason box where a RAG choice differs from the rules. The
// page works without this script (every reason box is then shown, and the server still
// refuses a submit without its reasons). The final "submit?" question is the server's: it is
// asked only once the draft passes its checks.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function sync(row) {
    var select = row.querySelector("select");
    if (!select) return;
    row.classList.toggle("is-overridden", select.value !== row.dataset.suggested);
  }

  function syncAll(root) {
    root.querySelectorAll(".rag-row[data-suggested]").forEach(sync);
  }

  document.addEventListener("change", function (event) {
    var row = event.target.closest(".rag-row[data-suggested]");
    if (row) {
      sync(row);
      if (row.classList.contains("is-overridden")) {
        var reason = row.querySelector("textarea");
        if (reason && !reason.value) reason.focus();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { syncAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { syncAll(event.detail.target); });
})();
