// Uploading a bid sealed with ggzy-bid: resumable (the idempotency key is derived from the
// file, so choosing the same file again continues where it stopped), with a progress bar.
(function () {
  const form = document.getElementById("bid-upload");
  if (!form) return;
  const messages = JSON.parse(document.getElementById("bid-messages").textContent);
  const status = document.getElementById("bid-status");
  const bar = document.getElementById("bid-progress");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("bid-file").files[0];
    if (!file) return;
    const seed = `${form.dataset.section}|${file.name}|${file.size}|${file.lastModified}|${form.dataset.replaces}`;
    try {
      const bid = await window.ggzyTus.upload(file, {
        endpoint: form.dataset.endpoint, csrf, section: form.dataset.section,
        replaces: form.dataset.replaces, idempotencyKey: await window.ggzyTus.keyOf(seed),
        onProgress: (sent, total) => {
          bar.value = (100 * sent) / total;
          status.textContent = `${messages.sending} ${sent} / ${total}`;
        },
      });
      bar.value = 100;
      status.replaceChildren(window.ggzyTus.receiptLink(bid, messages.done));
      status.firstChild.id = "bid-receipt";
    } catch (error) {
      status.textContent = `${messages.refused}: ${error.message}`;
    }
  });
})();
