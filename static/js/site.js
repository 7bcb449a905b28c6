// Behaviour every page shares, kept out of the templates so the Content-Security-Policy can
// forbid inline script (no onclick=/onchange= attributes):
//   <select data-autosubmit>  submits its form when changed (the language switch);
//   <form data-confirm="…">   asks the question before submitting (withdrawing a bid).
(function () {
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
