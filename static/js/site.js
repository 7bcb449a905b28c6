// Behaviour every page shares, kept out of the templates so the Content-Security-Policy can
// forbid inline script (no onclick=/onchange= attributes):
//   <select data-autosubmit>  submits its form when a choice is made (the language switch);
//   <form data-confirm="…">   asks the question before submitting (withdrawing a bid).
// From the keyboard, arrow keys only move through the choices and Enter submits: a change
// of context on every arrow press would stop a keyboard user at the first language
// (WCAG 2.1 3.2.2, docs/accessibility.md).
(function () {
  const isAutosubmit = (field) =>
    field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form;
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (!isAutosubmit(field)) return;
    if (event.key === "Enter") { event.preventDefault(); field.form.submit(); return; }
    if (event.key !== "Tab") field.dataset.keyboard = "true";
  });
  document.addEventListener("pointerdown", (event) => {
    if (isAutosubmit(event.target)) delete event.target.dataset.keyboard;
  });
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (isAutosubmit(field) && !field.dataset.keyboard) field.form.submit();
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
