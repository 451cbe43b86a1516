// The student page: renders the booth's state from server-sent events and sends touch actions.
"use strict";

const $ = (sel) => document.querySelector(sel);
const SVG = "http://www.w3.org/2000/svg";
const DEFAULT_LANG = document.body.classList.contains("lang-en") ? "en" : "zh";

// The capture code names the level in Chinese; the usual ones get their English name beside it.
const LEVEL_EN = {
  "专科": "Associate degree",
  "本科": "Bachelor's degree",
  "研究生": "Postgraduate",
  "硕士": "Master's degree",
  "博士": "Doctorate",
};

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

function setLanguage(lang) {
  document.body.classList.toggle("lang-en", lang === "en");
  document.body.classList.toggle("lang-zh", lang !== "en");
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
}

// Each student starts at the top of the page, in the booth's own language. The language goes back when
// a student's session ends, not when the next one starts: a student who picks English on the start
// screen, before showing the code, keeps it for the session that code starts.
let lastSession = null;
function startFresh(s) {
  const session = s.session === undefined ? null : s.session;
  if (session === lastSession) return;
  if (lastSession !== null) setLanguage(DEFAULT_LANG);
  lastSession = session;
  window.scrollTo(0, 0);
}

function el(name, attrs) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// The same guide as the live view's (viewBox 300 x 400 over the middle of the frame).
function guide() {
  const g = el("g", { class: "guide" });
  g.append(
    el("ellipse", { cx: 150, cy: 150, rx: 70, ry: 92 }),
    el("line", { x1: 95, y1: 140, x2: 205, y2: 140 }),
    el("path", { d: "M20 400 Q40 280 150 270 Q260 280 280 400" }),
  );
  return g;
}

function arrowPath(dir, x, y, w, h) {
  const cx = x + w / 2, cy = y + h * 0.45, r = Math.min(w, h) * 0.32;
  const head = (tx, ty, ang) => {
    const a1 = ang + 2.6, a2 = ang - 2.6, len = 18;
    return `M${tx + len * Math.cos(a1)} ${ty + len * Math.sin(a1)} L${tx} ${ty} L${tx + len * Math.cos(a2)} ${ty + len * Math.sin(a2)}`;
  };
  const straight = { left: [1, 0], right: [-1, 0], up: [0, 1], down: [0, -1] }[dir];
  if (straight) {
    const [dx, dy] = straight;
    const x0 = cx + dx * r, y0 = cy + dy * r, x1 = cx - dx * r, y1 = cy - dy * r;
    return `M${x0} ${y0} L${x1} ${y1} ` + head(x1, y1, Math.atan2(y1 - y0, x1 - x0));
  }
  // A turn of the head in the picture's plane: an arc over the face with the head at its end.
  const sweep = dir === "clockwise" ? 1 : 0;
  const a0 = Math.PI * (sweep ? 1.15 : 1.85), a1 = Math.PI * (sweep ? 1.85 : 1.15);
  const sx = cx + r * Math.cos(a0), sy = cy + r * Math.sin(a0), ex = cx + r * Math.cos(a1), ey = cy + r * Math.sin(a1);
  const tangent = a1 + (sweep ? Math.PI / 2 : -Math.PI / 2);
  return `M${sx} ${sy} A${r} ${r} 0 0 ${sweep} ${ex} ${ey} ` + head(ex, ey, tangent);
}

function drawMarks(marks) {
  const svg = $("#marks");
  svg.replaceChildren();
  for (const m of marks || []) {
    if (m.kind === "guide") { svg.appendChild(guide()); continue; }
    const [x, y, w, h] = [m.box[0] * 300, m.box[1] * 400, m.box[2] * 300, m.box[3] * 400];
    if (m.kind === "arrow") {
      const d = arrowPath(m.dir, x, y, w, h);
      svg.append(el("path", { d, class: "arrow-halo" }), el("path", { d, class: "arrow" }));
    } else {
      svg.append(el("rect", { x, y, width: w, height: h, rx: 6, class: "halo" }),
        el("rect", { x, y, width: w, height: h, rx: 6, class: "box" }));
    }
    const bx = Math.max(14, Math.min(286, x)), by = Math.max(14, Math.min(386, y));
    const num = el("text", { x: bx, y: by, class: "num" });
    num.textContent = String(m.n);
    svg.append(el("circle", { cx: bx, cy: by, r: 14, class: "badge" }), num);
  }
}

const CAPTIONS = {
  pass: { zh: "这就是将要保存的照片", en: "This is the photo that will be saved" },
  fail: { zh: "标出的地方需要调整", en: "The marked places need a change" },
};

function renderVerdict(s) {
  const v = s.verdict;
  const failed = !v.pass;
  $("#verdict-pass").hidden = failed;
  $("#verdict-staff").hidden = !(failed && v.staff);
  $("#verdict-last").hidden = !(failed && !v.staff && v.last_attempt);
  $("#verdict-fail").hidden = !(failed && !v.staff && !v.last_attempt);
  $("#reasons").replaceChildren(...v.reasons.map((r) => {
    const li = bilingual(r);
    if (r.staff) li.classList.add("staff");
    return li;
  }));
  const note = $("#staff-note");
  if (failed && v.staff) {
    setText(note, { zh: "在本机无法解决，请找工作人员帮助。", en: "This cannot be fixed here at the booth: a member of staff will help." });
  } else if (failed && v.last_attempt) {
    setText(note, { zh: "本次拍摄次数已用完，请找工作人员帮助。", en: "There are no more tries this time: a member of staff will help." });
  } else if (failed && v.staff_advised) {
    setText(note, { zh: "摘下眼镜后重拍；如不能摘下，请找工作人员。", en: "Take your glasses off and retake; if you cannot, ask a member of staff." });
  }
  note.hidden = !(failed && (v.staff || v.last_attempt || v.staff_advised));
  $("#btn-accept").hidden = failed;
  const retake = $("#btn-retake");
  retake.hidden = !v.can_retake;
  // After a pass, keeping the photo is the way forward; a retake is there but quieter.
  retake.classList.toggle("primary", failed);
  retake.classList.toggle("secondary", !failed);
  const leave = $("#btn-leave");
  leave.hidden = !failed;
  // When no retake is left, finishing is the way forward and looks like it.
  leave.classList.toggle("primary", failed && !v.can_retake);
  leave.classList.toggle("quiet", !(failed && !v.can_retake));
  setText($("#attempts"), {
    zh: `第 ${s.attempt} 次，共可拍 ${s.max_attempts} 次`,
    en: `Shot ${s.attempt} of ${s.max_attempts}`,
  });
  // "Shot 1 of 3" only while another shot is on offer, or to say the last one was used: a student sent
  // to staff after the first shot is not told of two more they cannot take.
  $("#attempts").hidden = !failed || (!v.can_retake && s.attempt < s.max_attempts);
  setText($("#shot-caption"), failed ? CAPTIONS.fail : CAPTIONS.pass);
  $("#shot-caption").hidden = failed && !(v.marks || []).length;
  drawMarks(failed ? v.marks : []);
}

function render(s) {
  // Self-contained parts of the page (the scan advice) listen for the state instead of living here.
  document.dispatchEvent(new CustomEvent("booth:state", { detail: s }));
  startFresh(s);
  const view = s.state === "countdown" || s.state === "capture" ? "pose" : s.state;
  document.body.dataset.state = s.state;
  document.body.dataset.view = view;
  document.body.classList.toggle("placed", Boolean(s.placed));

  if (s.camera_ok !== undefined) $("#camera-down").hidden = s.camera_ok;
  const notice = $("#notice");
  if (s.notice) { setText(notice, s.notice); notice.hidden = false; } else { notice.hidden = true; }

  if (s.subject) {
    $("#id-name").textContent = s.subject.name;
    $("#id-idn").textContent = s.subject.idn;
    $("#id-school").textContent = s.subject.school;
    const level = s.subject.level;
    setText($("#id-level"), { zh: level, en: LEVEL_EN[level] || level });
  }
  $("#count").textContent = s.countdown ? String(s.countdown) : "";
  $("#hints").replaceChildren(...(s.hints || []).map(bilingual));

  if (s.verdict) renderVerdict(s);
  $("#btn-print").hidden = !(s.print && s.print.offered);
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
  setLanguage(document.body.classList.contains("lang-en") ? "zh" : "en");
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
