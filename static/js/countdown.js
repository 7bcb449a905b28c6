// Countdowns to absolute server times (data-countdown-to = epoch milliseconds), computed
// from server time (window.ggzyServerNow, set by server-clock.js), never the local clock.
(function () {
  const items = document.querySelectorAll("[data-countdown-to]");
  if (!items.length) return;
  // A timer to assistive technology, read when asked, never announced each second.
  items.forEach((el) => { if (!el.hasAttribute("role")) el.setAttribute("role", "timer"); });
  const pad = (n) => String(n).padStart(2, "0");
  const render = () => {
    if (!window.ggzyServerNow) return;
    const now = window.ggzyServerNow();
    items.forEach((el) => {
      const left = Number(el.dataset.countdownTo) - now;
      if (left <= 0) { el.textContent = el.dataset.doneText || "0"; return; }
      const s = Math.floor(left / 1000);
      const d = Math.floor(s / 86400);
      el.textContent = `${d ? d + (window.ggzyDayUnit ? window.ggzyDayUnit() : "d") + " " : ""}${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
    });
  };
  setInterval(render, 250);
})();
