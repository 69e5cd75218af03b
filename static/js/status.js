// Status report editor: show the reason box where a RAG choice differs from the rules, and
// ask before the irrevocable submit. The page works without this script (every reason box is
// then shown, and the server still refuses a submit without its reasons).
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

  // Runs in the capture phase, before htmx sees the submit, so "Cancel" stops both.
  document.addEventListener(
    "submit",
    function (event) {
      var button = event.submitter;
      if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener("DOMContentLoaded", function () { syncAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { syncAll(event.detail.target); });
})();
