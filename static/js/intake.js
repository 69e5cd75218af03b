/* The intake form: the strategic objectives offered are the organisation's and the chosen
   portfolio's. Without JavaScript every portfolio's objectives show under its name, and the
   service refuses objectives of another portfolio with a message next to the field. The
   other portfolios' boxes are hidden and disabled (a disabled box is not submitted). */
(function () {
  "use strict";

  function sync(form) {
    var select = form.querySelector("select[name='portfolio']");
    if (!select) return;
    var chosen = select.value;
    var groups = form.querySelectorAll("[data-objective-portfolio]");
    var shown = 0;
    groups.forEach(function (group) {
      var owner = group.dataset.objectivePortfolio;
      if (!owner) return; // the organisation's objectives: offered whatever the portfolio
      var mine = owner === chosen;
      if (mine) shown += 1;
      group.hidden = !mine;
      group.querySelectorAll("input").forEach(function (box) {
        box.disabled = !mine;
      });
    });
    var hint = form.querySelector("[data-objectives-hint]");
    if (hint) hint.hidden = Boolean(chosen);
    var none = form.querySelector("[data-objectives-none]");
    if (none) none.hidden = !chosen || shown > 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-testid='intake-form']");
    if (!form) return;
    sync(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "portfolio") sync(form);
    });
  });
})();
