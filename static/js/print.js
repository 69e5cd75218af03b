/* The printable decision record: its "Print" button opens the browser's print dialog (CSP
   refuses inline scripts, so the button is wired here). */
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
