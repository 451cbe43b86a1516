// The scanning advice ("hold your phone closer", "turn up the brightness", "hold it still"): the booth
// puts it in its state while idle when it sees a code it cannot read; this shows it with its picture.
"use strict";

document.addEventListener("booth:state", (ev) => {
  const box = document.getElementById("scan-hint");
  if (!box) return;
  const hint = ev.detail && ev.detail.state === "idle" ? ev.detail.scan_hint : null;
  box.hidden = !hint;
  if (!hint) return;
  box.dataset.advice = hint.advice;
  box.querySelector(".zh").textContent = hint.zh;
  box.querySelector(".en").textContent = hint.en;
});
