// Staff console: confirmations for forms that stop things, and the dashboard's live refresh
// (it polls /staff/api/live; a 401 means the session ended, so it goes to the sign-in page).
(() => {
  "use strict";

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  if (document.body.dataset.page !== "dashboard") return;

  const STATES = {
    idle: ["等待扫码", "Waiting for a code"], confirm: ["核对信息", "Checking details"],
    pose: ["摆姿势", "Posing"], countdown: ["倒计时", "Countdown"], capture: ["拍照中", "Taking photo"],
    analyse: ["检测中", "Checking photo"], review: ["查看结果", "Reviewing"], done: ["完成", "Done"],
    paused: ["已暂停", "Paused"],
  };
  const both = (zh, en) => `${zh} ${en}`;
  const yesNo = (v, yes, no) => (v === null || v === undefined ? "–" : v ? yes : no);
  const age = (s) => {
    if (s === null || s === undefined) return "–";
    s = Math.floor(s);
    if (s < 120) return `${s} s`;
    if (s < 7200) return `${Math.floor(s / 60)} min`;
    if (s < 172800) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d`;
  };
  const FORMATS = {
    state: (v) => (STATES[v] ? both(...STATES[v]) : v),
    ready: (v) => yesNo(v, both("可接待学生", "Ready"), both("不能接待", "Not ready")),
    ok: (v) => yesNo(v, both("正常", "OK"), both("异常", "Problem")),
    age,
    ago: (v) => (v === null || v === undefined ? "–" : `${age(v)} ago`),
    minutes: (v) => (v === null || v === undefined ? "–" : `${Math.round(v)} min`),
    pace: (v) => (v === null || v === undefined ? "–" : `${v.toFixed(2)} /min`),
    mb: (v) => (v === null || v === undefined ? "–" : v >= 1024 ? `${(v / 1024).toFixed(1)} GB` : `${Math.round(v)} MB`),
    temp: (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} °C`),
    ms: (v) => (v === null || v === undefined ? "–" : `${Math.round(v)} ms`),
    printer: (v) => {
      if (!v) return both("未设置", "none configured");
      if (!v.known) return `${v.printer}: ${both("打印系统中找不到", "not found in CUPS")} (${v.detail})`;
      const words = { idle: both("空闲", "idle"), printing: both("正在打印", "printing"), disabled: both("已停用", "DISABLED") };
      return `${v.printer}: ${words[v.state] || v.state} · ${both("排队", "queued")} ${v.jobs}`;
    },
    share: (v) => (v ? `${FORMATS.mb(v.used_mb)} / ${FORMATS.mb(v.total_mb)} (${v.percent}%)` : "–"),
    pressed: (v) => yesNo(v, both("按下", "pressed"), both("松开", "released")),
    loaded: (v) => yesNo(v, both("已加载", "loaded"), both("未加载", "NOT loaded")),
    voltage: (v) => yesNo(v, both("电压不足", "UNDER-VOLTAGE"), both("电压正常", "voltage OK")),
    throttled: (v) => yesNo(v, both("正在降频", "throttled"), both("未降频", "not throttled")),
    synced: (v) => yesNo(v, both("已同步", "synchronised"), both("未同步", "NOT synchronised")),
    clock: (v) => (v ? v.slice(11, 19) : "–"),
  };

  const lookup = (data, path) => path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), data);
  const $ = (id) => document.getElementById(id);

  function text(el, value) {
    const fmt = FORMATS[el.dataset.format];
    const shown = fmt ? fmt(value) : value === null || value === undefined ? "–" : String(value);
    if (el.textContent !== shown) el.textContent = shown;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }

  // What each pin drives, in words: "主灯 Key light 50% · 蜂鸣器 Buzzer 关 off".
  function lights(data) {
    const levels = data.health.gpio.lights;
    if (!levels) return "–";
    return Object.entries(levels).map(([pin, level]) => {
      const [zh, en] = (data.lights || {})[pin] || [pin, pin];
      const state = level <= 0 ? both("关", "off") : level >= 1 ? both("开", "on") : `${Math.round(level * 100)}%`;
      return `${zh} ${en} ${state}`;
    }).join(" · ");
  }

  function renderVerdict(data) {
    const v = data.verdict;
    const box = $("verdict");
    box.dataset.level = v.level;
    $("verdict-zh").textContent = v.zh;
    $("verdict-en").textContent = v.en;
    $("verdict-reasons").replaceChildren(...v.reasons.map((r) => {
      const li = document.createElement("li");
      li.textContent = both(r.zh, r.en);
      return li;
    }));
    const pace = $("verdict-pace");
    pace.hidden = v.on_pace === null || v.on_pace === undefined;
    pace.className = `badge ${v.on_pace ? "ok" : "warn"}`;
    pace.textContent = v.on_pace ? both("当前批次进度正常", "Current batch on pace") : both("当前批次进度落后", "Current batch behind pace");
  }

  function render(data) {
    document.querySelectorAll("[data-bind]").forEach((el) => text(el, lookup(data, el.dataset.bind)));
    renderVerdict(data);
    const lightsText = lights(data);
    if ($("lights").textContent !== lightsText) $("lights").textContent = lightsText;
    const health = data.health;
    $("status").dataset.level = health.level;
    const list = $("warnings");
    list.replaceChildren(...health.warnings.map((w) => {
      const li = document.createElement("li");
      li.className = w.level;
      li.textContent = both(w.zh, w.en);
      return li;
    }));
    $("pause").disabled = health.booth.paused;
    $("resume").disabled = !health.booth.paused;

    const current = data.batches.current;
    $("batch-current").hidden = !current;
    $("batch-none").hidden = !!current;
    if (current) {
      $("batch-bar").style.width = `${Math.min(100, current.percent || 0)}%`;
      const verdict = $("pace-verdict");
      verdict.hidden = current.on_track === null;
      verdict.className = `badge ${current.on_track ? "ok" : "warn"}`;
      verdict.textContent = current.on_track ? both("进度正常", "On pace") : both("进度落后", "Behind pace");
    }
    $("batch-next").hidden = !data.batches.upcoming;
    $("past-batches").tBodies[0].replaceChildren(...data.batches.finished.map((b) =>
      row([`${b.starts}–${b.ends}`, b.unit, `${b.captured} / ${b.expected}`])));
  }

  let timer = null;
  async function poll(delay) {
    clearTimeout(timer);
    try {
      const response = await fetch("/staff/api/live", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 401) {
        window.location.assign("/staff/login?why=expired");
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      render(data);
      $("offline").hidden = true;
      delay = data.poll_ms || delay;
    } catch (err) {
      $("offline").hidden = false;
    }
    timer = setTimeout(() => poll(delay), delay);
  }

  const initial = JSON.parse($("live-initial").textContent);
  render(initial);
  timer = setTimeout(() => poll(initial.poll_ms || 3000), initial.poll_ms || 3000);
})();
