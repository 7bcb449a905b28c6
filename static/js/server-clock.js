// Shows server time, never the browser's: the offset is measured once against /api/time
// (half the round trip corrects for latency) and applied to the local monotonic clock.
// Every time a page shows is Beijing time with its zone, whatever the browser's zone (the
// tool, the pages and the record say the same; ggzy.templatetags.times on the server side).
// The zone's name comes translated from the page (base.html, data-zone on #server-clock).
window.ggzyBeijing = (d) => {
  const lang = document.documentElement.lang || "zh-hans";
  const text = d.toLocaleString(lang, { hour12: false, timeZone: "Asia/Shanghai" });
  const clock = document.getElementById("server-clock");
  const zone = (clock && clock.dataset.zone) || "北京时间 / Beijing time";
  return `${text} ${zone}`;
};
// "3d 04:05:06" / "3天 04:05:06": the day unit of countdowns, translated by the page.
window.ggzyDayUnit = () => {
  const clock = document.getElementById("server-clock");
  return (clock && clock.dataset.dayUnit) || "d";
};

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
        el.textContent = window.ggzyBeijing(d);
      };
      tick();
      setInterval(tick, 1000);
    })
    .catch(() => { el.textContent = ""; });
})();
