// The student page: renders the booth's state from server-sent events and sends touch actions.
"use strict";

const $ = (sel) => document.querySelector(sel);

function setText(el, msg) {
  el.querySelector(".zh").textContent = msg.zh;
  el.querySelector(".en").textContent = msg.en;
}

function bilingual(msg) {
  const li = document.createElement("li");
  li.className = "t";
  for (const lang of ["zh", "en"]) {
    const span = document.createElement("span");
    span.className = lang;
    span.textContent = msg[lang];
    li.appendChild(span);
  }
  return li;
}

function render(s) {
  // Self-contained parts of the page (the scan advice) listen for the state instead of living here.
  document.dispatchEvent(new CustomEvent("booth:state", { detail: s }));
  const view = s.state === "countdown" || s.state === "capture" ? "pose" : s.state;
  document.body.dataset.state = s.state;
  document.body.dataset.view = view;

  if (s.camera_ok !== undefined) $("#camera-down").hidden = s.camera_ok;
  const notice = $("#notice");
  if (s.notice) { setText(notice, s.notice); notice.hidden = false; } else { notice.hidden = true; }

  if (s.subject) {
    $("#id-name").textContent = s.subject.name;
    $("#id-idn").textContent = s.subject.idn;
    $("#id-school").textContent = s.subject.school;
    $("#id-level").textContent = s.subject.level;
  }
  $("#count").textContent = s.countdown ? String(s.countdown) : "";
  $("#hints").replaceChildren(...(s.hints || []).map(bilingual));

  if (s.verdict) {
    $("#verdict-pass").hidden = !s.verdict.pass;
    $("#verdict-fail").hidden = s.verdict.pass;
    const list = $("#reasons");
    list.replaceChildren(...s.verdict.reasons.map(bilingual));
    $("#btn-accept").hidden = !s.verdict.pass;
    $("#btn-retake").hidden = s.verdict.pass ? !s.verdict.can_retake : !s.verdict.can_retake;
    $("#btn-leave").hidden = s.verdict.pass;
    setText($("#attempts"), {
      zh: `第 ${s.attempt} 次，共可拍 ${s.max_attempts} 次`,
      en: `Shot ${s.attempt} of ${s.max_attempts}`,
    });
  }
  const q = s.question;
  if (q) {
    setText($("#question-text"), q);
    setText($("#btn-answer"), q.answer);
    $("#btn-answer").dataset.check = q.id;
    $("#btn-ask-retake").hidden = !(s.verdict && s.verdict.can_retake);
    setText($("#question-count"), q.of > 1
      ? { zh: `第 ${q.number} 个问题，共 ${q.of} 个`, en: `Question ${q.number} of ${q.of}` }
      : { zh: "", en: "" });
  }
  for (const shot of [$("#shot"), $("#ask-shot")]) {
    if (s.photo && shot.getAttribute("src") !== s.photo) shot.src = s.photo;
  }
}

async function act(action, check) {
  try {
    await fetch("/api/action", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(check ? { action, check } : { action }),
    });
  } catch (e) {
    // The next state update will show where the booth is; nothing to tell the student here.
  }
}

document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-action]");
  if (btn) act(btn.dataset.action, btn.dataset.check);
});

$("#lang").addEventListener("click", () => {
  document.body.classList.toggle("lang-zh");
  document.body.classList.toggle("lang-en");
  document.documentElement.lang = document.body.classList.contains("lang-en") ? "en" : "zh-CN";
});

// The live view reconnects by itself if the stream ends or the booth restarts.
const live = $("#live");
live.addEventListener("error", () => {
  $("#camera-down").hidden = false;
  setTimeout(() => { live.src = "/stream.mjpg?t=" + Date.now(); }, 2000);
});
live.addEventListener("load", () => { $("#camera-down").hidden = true; });

function connect() {
  const es = new EventSource("/events");
  es.onmessage = (ev) => render(JSON.parse(ev.data));
  es.onerror = () => { es.close(); setTimeout(connect, 2000); };
}
connect();
