// The opening hall's client (docs/hall-protocol.md). The websocket streams: a snapshot on
// every (re)connect, then events numbered snapshot+1, +2, … — an event is applied only when it
// is exactly the next one; a gap (or a tick that is ahead of us) means this connection missed
// something, so it is dropped and a new one brings a new snapshot. After each event the page
// asks for a fresh snapshot as well (resync): the snapshot is the truth, events only make the
// page react at once. When no websocket can be opened, it polls GET /api/halls/<code> every
// 2 s (and keeps trying the websocket, with backoff). Every action is an HTTP POST with the
// page's CSRF token. Countdowns run on server time: the offset comes from the snapshot, ticks
// and ping/pong, measured against the monotonic clock — never the computer's own clock.
(function () {
  const root = document.getElementById("hall");
  if (!root) return;
  const config = JSON.parse(document.getElementById("hall-config").textContent);
  const M = config.messages;
  const L = config.labels;
  const crypto = window.ggzyHallCrypto;
  const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const lang = document.documentElement.lang || "zh-hans";

  let state = null; // the last snapshot, with the events after it applied
  let last = -1; // the sequence number ``state`` reflects
  let offset = null; // server time − performance.now(), ms
  let preciseOffset = false; // measured with a known round trip
  let socket = null;
  let attempts = 0;
  let retryTimer = null;
  let pollTimer = null;
  let pingTimer = null;
  let resyncTimer = null;

  // --- server time ---------------------------------------------------------------------------
  function measure(serverTime, roundTrip) {
    if (typeof serverTime !== "number") return;
    const now = performance.now();
    if (roundTrip !== undefined) {
      offset = serverTime + roundTrip / 2 - now;
      preciseOffset = true;
    } else if (!preciseOffset || offset === null) {
      offset = serverTime - now;
    }
  }
  const serverNow = () => (offset === null ? null : performance.now() + offset);

  // --- connection ------------------------------------------------------------------------------
  function setConnection(kind) {
    const el = $("hall-connection");
    el.className = `conn ${kind}`;
    el.textContent = { live: M.live, polling: M.polling, reconnecting: M.reconnecting }[kind];
  }

  function connect() {
    clearTimeout(retryTimer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}${config.socket}`);
    } catch (e) {
      failed();
      return;
    }
    socket = ws;
    ws.onmessage = (message) => {
      if (ws !== socket) return;
      let data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      receive(data, ws);
    };
    ws.onclose = () => {
      if (ws !== socket) return;
      socket = null;
      clearInterval(pingTimer);
      failed();
    };
  }

  function failed() {
    attempts += 1;
    if (attempts >= 2) {
      setConnection("polling");
      startPolling();
    } else {
      setConnection("reconnecting");
    }
    const delay = Math.min(30000, 1000 * 2 ** Math.min(attempts - 1, 5)) + Math.random() * 500;
    retryTimer = setTimeout(connect, delay);
  }

  /** A gap: this connection missed something. Drop it; a new one starts with a snapshot. */
  function reconnect() {
    const ws = socket;
    socket = null;
    clearInterval(pingTimer);
    if (ws) { ws.onclose = null; ws.close(); }
    setConnection("reconnecting");
    connect();
  }

  function ping(ws) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping", t: performance.now() }));
  }

  function receive(message, ws) {
    if (message.type === "snapshot") {
      if (!ws.pinging) { // the first snapshot on this connection: measure the round trip
        ws.pinging = true;
        clearInterval(pingTimer);
        ping(ws);
        pingTimer = setInterval(() => ping(ws), 30000);
      }
      attempts = 0;
      stopPolling();
      setConnection("live");
      measure(message.server_time);
      applySnapshot(message);
    } else if (message.type === "event") {
      if (!state || message.sequence <= last) return; // already in the snapshot
      if (message.sequence !== last + 1) { reconnect(); return; }
      last = message.sequence;
      applyEvent(message);
      announceEvent(message);
      render();
      scheduleResync();
    } else if (message.type === "tick") {
      measure(message.server_time);
      if (message.sequence > last) reconnect(); // the server sent what we never saw
    } else if (message.type === "pong" && typeof message.echo === "number") {
      measure(message.server_time, performance.now() - message.echo);
    }
  }

  function startPolling() {
    if (pollTimer) return;
    poll();
    pollTimer = setInterval(poll, 2000);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }
  async function poll() {
    const started = performance.now();
    try {
      const response = await fetch(config.api, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const snapshot = await response.json();
      measure(snapshot.server_time, performance.now() - started);
      if (snapshot.sequence >= last) applySnapshot(snapshot);
    } catch (e) { /* offline for a moment: the next poll tries again */ }
  }

  /** Ask for the whole picture again (after an event, or after our own action). */
  function refresh() {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resync" }));
    else poll();
  }
  function scheduleResync() {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(refresh, 250);
  }

  // --- state -----------------------------------------------------------------------------------
  function applySnapshot(snapshot) {
    state = snapshot;
    last = snapshot.sequence;
    render();
  }

  function applyEvent(event) {
    const p = event.payload || {};
    switch (event.kind) {
      case "stage":
        state.stage = p.stage;
        state.stage_deadline = p.deadline || null;
        if (p.reading) state.reading = p.reading;
        if (p.reading_sm3) state.reading_sm3 = p.reading_sm3;
        if (p.record_sm3) state.record_sm3 = p.record_sm3;
        if (p.stage === "closed") state.record_state = state.record_sm3 ? "signed" : "pending";
        break;
      case "record": // the record, built by a task after the close, has been signed
        state.record_sm3 = p.record_sm3;
        state.record_state = "signed";
        break;
      case "signed_in":
        state.bidders.filter((b) => b.bidder === p.bidder).forEach((b) => { b.signed_in = true; });
        break;
      case "bid_status":
        state.bidders.filter((b) => b.bid === p.bid).forEach((b) => { b.status = p.status; });
        break;
      case "answered":
        state.answers.push({ bidder: p.bidder, decision: p.decision });
        break;
      case "objection":
        // Long texts come as an excerpt (``truncated``): the full text is fetched by id.
        state.objections.push({
          id: p.id, bidder: p.bidder, text: p.text, truncated: !!p.truncated,
          answer: "", answer_truncated: false, answered: false,
        });
        state.objections_total = (state.objections_total || 0) + 1;
        break;
      case "objection_answered":
        state.objections.filter((o) => o.id === p.id).forEach((o) => {
          o.answer = p.answer;
          o.answer_truncated = !!p.answer_truncated;
          o.answered = true;
        });
        break;
      case "rescue_started":
        state.rescue_started = event.at;
        break;
      case "rescue_ended":
        state.rescue_started = null;
        break;
      default: // window_closed, share_received: the resync that follows tells the rest
    }
  }

  // --- the events log: a polite live region (role="log") that screen readers announce -----------
  let announcedStage = null; // the stage first drawn is on the badge, not news
  const ANNOUNCED = {
    signed_in: "signedIn", answered: "answered", objection: "objection",
    objection_answered: "objectionAnswered", record: "record",
    rescue_started: "rescueStarted", rescue_ended: "rescueEnded",
  };

  function announce(text) {
    const log = $("hall-log");
    if (!log || !text) return;
    const now = window.ggzyServerNow ? new Date(window.ggzyServerNow()) : new Date();
    const item = el("p", text);
    const time = el("time", window.ggzyBeijing ? window.ggzyBeijing(now) : now.toISOString());
    item.prepend(time, " ");
    log.append(item);
    while (log.children.length > 50) log.firstElementChild.remove();
  }

  function announceEvent(event) { // stage changes are told by render(), whatever brought them
    const key = ANNOUNCED[event.kind];
    if (key) announce($("hall-log").dataset[key]);
  }

  // --- drawing ---------------------------------------------------------------------------------
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function row(cells) {
    const tr = document.createElement("tr");
    cells.forEach((cell) => tr.appendChild(cell instanceof Node ? cell : el("td", cell)));
    return tr;
  }
  const td = (content, className) => {
    const cell = el("td", content instanceof Node ? undefined : content, className);
    if (content instanceof Node) cell.appendChild(content);
    return cell;
  };
  const badge = (value, label) => el("span", label || value, `status ${value}`);
  const yuan = (text) => {
    const match = /^(\d+)(\.\d+)?$/.exec(String(text));
    return match ? match[1].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[2] || "") : String(text);
  };
  const show = (id, visible) => { $(id).hidden = !visible; };

  function mine() {
    if (!state || !state.you || state.you.role !== "bidder") return null;
    return state.bidders.find((b) => b.bid === state.you.bid) || null;
  }
  function myAnswer() {
    const me = mine();
    return me ? state.answers.find((a) => a.bidder === me.bidder) || null : null;
  }

  function render() {
    if (!state) return;
    if (root.dataset.stage !== state.stage) { // a new stage: yesterday's messages are stale
      root.querySelectorAll(".action-status").forEach((status) => {
        if (!status.closest(".reply-form")) { status.textContent = ""; status.className = "action-status"; }
      });
    }
    if (root.dataset.stage !== state.stage && announcedStage !== null) announce(
      $("hall-log").dataset.stage.replace("%(stage)s", L.stages[state.stage] || state.stage));
    announcedStage = state.stage;
    root.dataset.stage = state.stage;
    $("hall-stage").textContent = L.stages[state.stage] || state.stage;
    // Where the hall stands and what comes next, in the server's words (realtime/guide.py).
    if (state.guide) $("hall-guide").textContent = `${state.guide.zh} / ${state.guide.en}`;
    renderSteps();
    const opening = new Date(state.section.opening_time);
    $("hall-opening-time").textContent = window.ggzyBeijing(opening);
    $("hall-ceiling").textContent = state.section.price_ceiling ? yuan(state.section.price_ceiling) : "—";
    $("hall-role").textContent = L.roles[state.you.role] || state.you.role;
    renderBidders();
    renderReading();
    renderObjections();
    renderRecord();
    show("rescue-card", state.stage === "decryption" && !!state.rescue_started);
    renderPanels();
    tick();
  }

  function renderSteps() {
    const list = $("hall-steps");
    const current = config.steps.indexOf(state.stage);
    list.replaceChildren(...config.steps.map((stage, i) => {
      const item = el("li", L.stages[stage]);
      if (current >= 0 && i < current) item.className = "done";
      if (i === current) item.className = stage === "closed" ? "done current" : "current";
      return item;
    }));
  }

  function renderBidders() {
    const body = $("bidders-body");
    if (!state.bidders.length) return;
    const me = mine();
    // The deposit column: the server sends a row's deposit only to those who may see it
    // (host, regulator, tenderee: every row; a bidder: its own row).
    const deposits = state.bidders.some((b) => b.deposit);
    show("bidders-deposit", deposits);
    const credit = state.bidders.some((b) => b.credit);
    show("bidders-credit", credit);
    body.replaceChildren(...state.bidders.slice().sort((a, b) => a.sequence - b.sequence).map((b) => {
      const cells = [
        td(b.sequence, "num"),
        td(b.bidder, "name"),
        td(b.signed_in ? `✓ ${M.yes}` : "—"),
        td(badge(b.status, L.statuses[b.status])),
        td(b.queue ? M.queue.replace("%(position)s", b.queue) : "—"),
      ];
      if (deposits) {
        const deposit = b.deposit
          ? badge(`deposit ${b.deposit.covered ? "covered" : "uncovered"}`, L.deposits[b.deposit.state])
          : "—";
        const cell = td(deposit, "deposit");
        if (b.deposit) cell.dataset.depositState = b.deposit.state;
        cells.push(cell);
      }
      // The credit column: records in force, sent only to the host and the regulator.
      if (credit) {
        const cell = td(b.credit ? "" : "—", "credit");
        (b.credit || []).forEach((record, i) => {
          if (i) cell.appendChild(document.createTextNode(" "));
          const link = el("a", `${M.credit_in_force}: ${L.credit[record.kind] || record.kind}`, "status credit");
          link.href = record.url;
          link.target = "_blank";
          link.rel = "noopener";
          link.dataset.creditRecord = record.id;
          cell.appendChild(link);
        });
        cells.push(cell);
      }
      const tr = row(cells);
      tr.dataset.bid = b.bid;
      if (me && me.bid === b.bid) tr.classList.add("mine");
      return tr;
    }));
  }

  function renderReading() {
    const reading = state.reading;
    show("reading-card", !!reading);
    if (!reading) return;
    const answers = new Map(state.answers.map((a) => [a.bidder, a.decision]));
    const withAnswers = ["confirmation", "objections", "closed"].includes(state.stage) || answers.size > 0;
    const items = reading.items || [];
    const head = [el("th", M.col_number, "num"), el("th", M.col_bidder), el("th", M.col_status)];
    items.forEach((item) => head.push(el("th", L.items[item] || item, item === "price" ? "num" : "")));
    if (withAnswers) head.push(el("th", M.col_answer));
    $("reading-head").replaceChildren(row(head));
    const me = mine();
    $("reading-body").replaceChildren(...reading.rows.map((r) => {
      const cells = [td(r.sequence, "num"), td(r.bidder, "name"), td(badge(r.status, L.statuses[r.status]))];
      items.forEach((item) => {
        const value = r.values ? r.values[item] : null;
        const shown = value === null || value === undefined ? "—" : item === "price" ? yuan(value) : value;
        cells.push(td(shown, item === "price" ? "num price" : ""));
      });
      if (withAnswers) {
        const decision = answers.get(r.bidder);
        cells.push(td(decision ? badge(decision, L.decisions[decision]) : "—"));
      }
      const tr = row(cells);
      tr.dataset.sequence = r.sequence;
      if (me && me.bidder === r.bidder) tr.classList.add("mine");
      return tr;
    }));
    $("reading-ceiling").textContent = reading.price_ceiling ? yuan(reading.price_ceiling) : "—";
    $("reading-sm3").textContent = state.reading_sm3 || "—";
  }

  const objectionNodes = new Map(); // kept between renders: a half-written answer survives
  const fullTexts = new Map(); // objection id → {text, answer}, fetched on demand
  function renderObjections() {
    const card = $("objections-card");
    const open = ["reading", "confirmation", "objections"].includes(state.stage);
    show("objections-card", state.objections.length > 0 || (open && state.you.role === "bidder"));
    const list = $("objections-list");
    const total = state.objections_total || state.objections.length;
    const more = $("objections-more");
    more.hidden = total <= state.objections.length;
    $("objections-more-count").textContent = `${state.objections.length} / ${total}`;
    if (!state.objections.length) {
      list.replaceChildren(el("li", M.none, "empty"));
      objectionNodes.clear();
      return;
    }
    // The snapshot lists unanswered objections first; the page shows them in order raised.
    const shown = [...state.objections].sort((a, b) => a.id - b.id);
    const nodes = shown.map((o) => {
      let node = objectionNodes.get(o.id);
      if (!node) {
        node = el("li");
        node.dataset.objection = o.id;
        node.append(el("div", o.bidder, "who"), el("div", "", "text"), el("div", "", "reply"));
        objectionNodes.set(o.id, node);
      }
      const full = fullTexts.get(o.id);
      const text = node.querySelector(".text");
      text.replaceChildren(full ? full.text : o.text);
      if (!full && (o.truncated || o.answer_truncated)) {
        const button = el("button", card.dataset.fullText, "link");
        button.type = "button";
        button.addEventListener("click", () => readInFull(o.id, button));
        text.append(" ", button);
      }
      const answer = full && full.answer ? full.answer : o.answer;
      const reply = node.querySelector(".reply");
      const answered = !!(o.answered || o.answer);
      node.classList.toggle("answered", answered);
      if (answered) reply.replaceChildren(el("strong", M.answer), " ", answer);
      else reply.textContent = M.unanswered;
      const form = node.querySelector(".reply-form");
      if (answered || !config.answers_objections || state.stage === "closed") {
        if (form) form.remove();
      } else if (!form) {
        node.appendChild(replyForm(o.id));
      }
      return node;
    });
    list.replaceChildren(...nodes);
  }

  /** Fetch one objection in full (the stream carries long ones as an excerpt). */
  async function readInFull(id, button) {
    button.disabled = true;
    try {
      const response = await fetch(`${config.api}/objections/${id}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${response.status}`);
      const data = await response.json();
      fullTexts.set(id, { text: data.text, answer: data.answer });
      render();
    } catch (e) {
      button.disabled = false;
    }
  }

  function replyForm(id) {
    const form = el("div", undefined, "reply-form");
    const text = el("textarea");
    text.rows = 2;
    text.placeholder = M.answer_placeholder;
    text.setAttribute("aria-label", M.answer);
    const button = el("button", M.answer);
    button.type = "button";
    const status = el("p", "", "action-status");
    status.setAttribute("role", "status");
    button.addEventListener("click", () => act(button, status, async () => {
      if (!text.value.trim()) throw new Error(M.write_text);
      await post(`${config.api}/objections/${id}/answer`, { text: text.value.trim() });
      return M.answer_sent;
    }));
    form.append(text, button, status);
    return form;
  }

  function renderRecord() {
    // After the close a task builds and signs the record: "being generated" until then.
    const closed = state.stage === "closed";
    const signed = closed && !!state.record_sm3;
    show("record-card", closed);
    show("record-pending", closed && !signed);
    show("record-ready", signed);
    if (signed) $("record-sm3").textContent = state.record_sm3;
  }

  function renderPanels() {
    const role = state.you.role;
    show("host-panel", role === "host");
    show("bidder-panel", role === "bidder");
    show("watcher-panel", role !== "host" && role !== "bidder");
    if (role === "host") {
      const next = config.next[state.stage];
      const button = $("advance");
      button.textContent = next ? M.next.replace("%(stage)s", L.stages[next]) : "";
      button.hidden = !next;
      button.disabled = !next || button.dataset.busy === "1";
      // A bid the platform failed on: only the host's rescue lets the key holders act [E31].
      const failed = state.bidders.some((b) => b.status === "failed");
      show("rescue-box", state.stage === "decryption" && failed && !state.rescue_started);
    }
    if (role === "bidder") {
      const me = mine();
      const answer = myAnswer();
      const stage = state.stage;
      const running = !["waiting", "closed", "failed"].includes(stage);
      const summary = $("bidder-summary");
      summary.replaceChildren();
      if (me) {
        summary.append(el("strong", `#${me.sequence} ${me.bidder}`), " ", badge(me.status, L.statuses[me.status]));
        if (answer) summary.append(" ", badge(answer.decision, L.decisions[answer.decision]));
      } else {
        summary.textContent = M.waiting_host;
      }
      const pending = me && me.status === "pending";
      const unlocking = stage === "decryption" && pending;
      const answering = stage === "confirmation" && !answer;
      show("sign-in-box", running && me && !me.signed_in);
      show("unlock-box", unlocking);
      show("unlock-go", unlocking);
      show("answer-box", answering);
      show("key-box", unlocking || answering);
      show("objection-box", ["reading", "confirmation", "objections"].includes(stage));
    }
  }

  // --- the countdown -------------------------------------------------------------------------
  const pad = (n) => String(n).padStart(2, "0");
  function tick() {
    if (!state) return;
    const label = $("hall-countdown-label");
    const out = $("hall-countdown");
    let target = null;
    if (state.stage === "waiting") { target = state.section.opening_time; label.textContent = M.to_opening; }
    else if (state.stage_deadline) { target = state.stage_deadline; label.textContent = M.to_deadline; }
    else { label.textContent = ""; out.textContent = ""; return; }
    const now = serverNow();
    if (now === null) { out.textContent = "…"; return; }
    const left = target - now;
    out.classList.toggle("over", left <= 0);
    if (left <= 0) { out.textContent = M.window_over; return; }
    const s = Math.floor(left / 1000);
    const d = Math.floor(s / 86400);
    out.textContent = `${d ? d + (window.ggzyDayUnit ? window.ggzyDayUnit() : "d") + " " : ""}${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  }

  // --- actions -------------------------------------------------------------------------------
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { /* an empty or HTML answer */ }
    if (!response.ok) throw new Error(data.detail || `${response.status} ${response.statusText}`);
    refresh();
    return data;
  }

  async function act(button, status, work) {
    button.disabled = true;
    button.dataset.busy = "1";
    status.className = "action-status";
    status.textContent = M.working;
    try {
      status.textContent = await work();
      status.classList.add("ok");
    } catch (error) {
      status.textContent = `${M.refused}: ${error.message}`;
      status.classList.add("error");
    } finally {
      button.dataset.busy = "";
      button.disabled = false;
      render();
    }
  }

  async function privateKey() {
    const file = $("key-file").files[0];
    if (!file) throw new Error(M.choose_key);
    return crypto.readPrivateKey(await file.text(), $("key-password").value);
  }

  const bidderStatus = $("bidder-status");
  $("sign-in").addEventListener("click", (e) => act(e.currentTarget, bidderStatus, async () => {
    // The server's words, as ggzy-bid signin prints them: the time and what comes next.
    const answer = await post(`${config.api}/sign-in`);
    return answer.detail || M.signed_in;
  }));

  /** A bid sealed in this browser (the upload page keeps it in the origin-private file
   * system under the section's code), for a bidder who did not save the .gbid file. */
  async function sealedHere() {
    try {
      const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle("sealed-bids");
      return await (await folder.getFileHandle(`${config.code}.gbid`)).getFile();
    } catch (e) {
      return null;
    }
  }

  $("unlock").addEventListener("click", (e) => act(e.currentTarget, bidderStatus, async () => {
    const file = $("bid-file").files[0] || (await sealedHere());
    if (!file) throw new Error(M.choose_bid);
    const me = mine();
    if (!me) throw new Error(M.no_bid);
    const key = await privateKey();
    const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
    const extent = crypto.manifestExtent(head);
    const manifest = crypto.readManifest(new Uint8Array(await file.slice(0, extent).arrayBuffer()));
    if (!manifest.section || manifest.section.code !== config.code) {
      throw new Error(`${M.wrong_section} (${manifest.section && manifest.section.code})`);
    }
    const contentKey = crypto.unwrapContentKey(manifest, key);
    await post(`${config.api}/bids/${me.bid}/key`, { content_key: contentKey });
    return M.unlocked;
  }));

  function answerWith(decision) {
    return (e) => act(e.currentTarget, bidderStatus, async () => {
      const key = await privateKey();
      const signature = crypto.signReading(state.reading, state.reading_sm3, key);
      await post(`${config.api}/answer`, { decision, signature });
      return decision === "confirm" ? M.answered_confirm : M.answered_object;
    });
  }
  $("confirm").addEventListener("click", answerWith("confirm"));
  $("object").addEventListener("click", answerWith("object"));

  $("raise-objection").addEventListener("click", (e) => act(e.currentTarget, bidderStatus, async () => {
    const text = $("objection-text").value.trim();
    if (!text) throw new Error(M.write_text);
    await post(`${config.api}/objections`, { text });
    $("objection-text").value = "";
    return M.objection_sent;
  }));

  const hostStatus = $("host-status");
  $("advance").addEventListener("click", (e) => act(e.currentTarget, hostStatus, async () => {
    const moved = await post(`${config.api}/advance`);
    return M.advanced.replace("%(stage)s", L.stages[moved.stage] || moved.stage);
  }));

  $("start-rescue").addEventListener("click", (e) => act(e.currentTarget, hostStatus, async () => {
    await post(`${config.api}/rescue`);
    return $("start-rescue").dataset.done;
  }));

  setInterval(tick, 250);
  if ("WebSocket" in window) connect();
  else { setConnection("polling"); startPolling(); }
})();
