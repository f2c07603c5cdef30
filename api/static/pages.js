// Policy Ledger pages: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Copy link" buttons: shown only where the clipboard can be written.
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var url = new URL(button.getAttribute("data-copy"), window.location.href).href;
      navigator.clipboard.writeText(url).then(function () {
        button.textContent = button.getAttribute("data-done");
      }, function () {
        button.hidden = true;
      });
    });
  });
  // An empty optional field is left out of the address, so links stay short and citable.
  document.querySelectorAll("form[method=get]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[name]").forEach(function (input) {
        if (input.value === "") {
          input.disabled = true;
        }
      });
    });
  });
});
// Fields left out on submit come back when the page is shown again from the history.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[method=get] input:disabled").forEach(function (input) {
    input.disabled = false;
  });
});
// Printed pages show what closed <details> hold (the chart's table), then close them again.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details:not([open])").forEach(function (details) {
    details.setAttribute("open", "");
    details.setAttribute("data-printed", "");
  });
});
window.addEventListener("afterprint", function () {
  document.querySelectorAll("details[data-printed]").forEach(function (details) {
    details.removeAttribute("open");
    details.removeAttribute("data-printed");
  });
});
