// The evaluation page: signing the report in the browser (the private key never leaves it)
// and, for everyone on the page, live progress. Each progress message is the whole snapshot
// with its sequence (experts/progress.py): an older one is ignored, a missed one is mended by
// the next; on (re)connect the server sends the current snapshot first.
(function () {
  const root = document.getElementById("evaluation");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  // Set once the page is on its way somewhere (a form posted): a progress message that the
  // stage changed must not reload over that navigation and lose its answer.
  let leaving = false;
  document.addEventListener("submit", (event) => { if (!event.defaultPrevented) leaving = true; });
  window.addEventListener("pagehide", () => { leaving = true; });

  // --- signing -------------------------------------------------------------------------------
  const form = $("sign-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      if ($("signature").value) return; // signed: let the form go
      event.preventDefault();
      const error = $("sign-error");
      error.textContent = "";
      try {
        const crypto = window.ggzyHallCrypto;
        const file = $("key-file").files[0];
        if (!file) throw new crypto.HallCryptoError("请选择您的私钥文件", "choose your private key file");
        const key = await crypto.readPrivateKey(await file.text(), $("key-password").value);
        const response = await fetch(form.dataset.report, { credentials: "same-origin" });
        if (!response.ok) throw new crypto.HallCryptoError("无法读取评标报告", "the report could not be read");
        const text = await response.text();
        const agrees = form.querySelector("[name=agrees]:checked").value === "yes";
        const dissent = agrees ? "" : $("dissent").value.trim();
        $("dissent").value = dissent;
        $("signature").value = crypto.signReport(text, form.dataset.sm3, agrees, dissent, key);
        leaving = true; // a programmatic submit fires no submit event
        form.submit();
      } catch (e) {
        error.textContent = e && e.message ? e.message : String(e);
      }
    });
  }

  // --- live progress -------------------------------------------------------------------------
  const board = $("progress");
  if (!board || !board.dataset.ws || !("WebSocket" in window)) return;
  let sequence = Number(board.dataset.sequence || -1);
  let attempts = 0;
  const mark = (yes) => (yes ? "✓" : "—");

  function apply(snapshot) {
    if (snapshot.type !== "progress" || snapshot.sequence < sequence) return;
    sequence = snapshot.sequence;
    board.dataset.sequence = String(sequence);
    if (snapshot.status !== root.dataset.status) {
      board.dataset.stale = "true"; // the page's forms belong to another stage: reload
      if (!leaving) window.location.reload();
      return;
    }
    for (const row of snapshot.members) {
      const line = board.querySelector(`[data-order="${row.order}"]`);
      if (!line) continue;
      line.querySelector(".scored").textContent = `${row.scored} / ${snapshot.needed}`;
      line.querySelector(".submitted").textContent = mark(row.submitted);
      line.querySelector(".time-short").textContent = mark(row.time_short);
      line.querySelector(".signed").textContent = mark(row.signed);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${board.dataset.ws}`);
    socket.onopen = () => { attempts = 0; board.dataset.live = "true"; };
    socket.onmessage = (message) => apply(JSON.parse(message.data));
    socket.onclose = () => {
      board.dataset.live = "false";
      attempts += 1;
      setTimeout(connect, Math.min(30000, 1000 * 2 ** Math.min(attempts, 5)));
    };
  }
  connect();
})();
