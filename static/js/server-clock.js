// Shows server time, never the browser's: the offset is measured once against /api/time
// (half the round trip corrects for latency) and applied to the local monotonic clock.
(function () {
  const el = document.getElementById("server-clock");
  if (!el) return;
  const started = performance.now();
  fetch(el.dataset.timeUrl, { cache: "no-store" })
    .then((r) => r.json())
    .then((body) => {
      const rtt = performance.now() - started;
      const serverAtStart = body.epoch_ms - rtt / 2 - started;
      window.ggzyServerNow = () => serverAtStart + performance.now();
      const tick = () => {
        const d = new Date(window.ggzyServerNow());
        el.textContent = d.toLocaleString(document.documentElement.lang, { hour12: false });
      };
      tick();
      setInterval(tick, 1000);
    })
    .catch(() => { el.textContent = ""; });
})();
