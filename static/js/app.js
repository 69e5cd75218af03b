/* Behaviour shared by every page, as delegated listeners: our Content-Security-Policy allows
   scripts only from files like this one, so no template carries onclick/onchange/hx-on.

   data-autosubmit    on a field: changing it submits its form (the form also has a submit
                      button for use without JavaScript).
   data-dismiss-card  on a link inside a card loaded by htmx: removes the card instead of
                      following the link (the link still leads back without JavaScript). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) {
      field.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-dismiss-card]");
    if (!link) return;
    var card = link.closest(link.dataset.dismissCard);
    if (card) {
      event.preventDefault();
      card.remove();
    }
  });
})();
