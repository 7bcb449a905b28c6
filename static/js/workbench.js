// The workbench (templates/accounts/dashboard.html): htmx refreshes each panel every 60 s and
// on its refresh button (hx-get, configured by the page's htmx-config meta: no eval, no
// injected styles). This script keeps the charts right across those swaps and tells
// assistive technology which panel is being refreshed.
(function () {
  document.addEventListener("htmx:beforeRequest", (event) => {
    const panel = event.detail.elt.closest(".wb-panel");
    if (panel) panel.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const panel = event.detail.elt.closest(".wb-panel");
    if (panel) panel.removeAttribute("aria-busy");
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (window.ggzyCharts) window.ggzyCharts.destroyIn(event.detail.target);
  });
  document.addEventListener("htmx:load", (event) => {
    if (window.ggzyCharts) window.ggzyCharts.drawIn(event.detail.elt);
  });
})();
