/* The secretary's console. Plain JS, no build step. State comes from /ws/console/{sid}. */
"use strict";

const CONFIG = JSON.parse(document.getElementById("console-config").textContent);
const STRINGS = CONFIG.strings || {};
// Strings of the day's rhythm and the corrections, translated by the template itself.
const EXTRA = document.getElementById("console-strings");
if (EXTRA) for (const [k, v] of Object.entries(JSON.parse(EXTRA.textContent))) if (!(k in STRINGS)) STRINGS[k] = v;

// T, h, $, api, ApiError, toast and the dialog helpers: common.js, loaded before this script.

/** A lapsed login (api() has said so): the page shows the login form again. */
function afterExpiry() {
  location.reload();
}

/* ---- login ------------------------------------------------------------------------------- */

function setupLogin() {
  const form = $("#login-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#login-error");
    error.textContent = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", "/api/login", { password: form.password.value });
      location.reload();
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
      form.password.select();
      form.password.focus();
    }
  });
}

/* ---- state ------------------------------------------------------------------------------- */

const state = {
  sessions: [],
  sid: null,
  session: null,
  seats: [],
  seatsAt: 0,
  links: null,
  chosen: null,        // interview id the secretary picked, or null to follow the flow
  socket: null,
  socketUp: false,
  retry: 0,
  dialogInterview: null,
};

const STATE_LABEL = {
  waiting: "等待中", interviewing: "面试中", scored: "已评分", announced: "已宣布",
  confirmed: "已确认", absent: "缺考", disputed: "未签字",
};

function interviews() { return (state.session && state.session.interviews) || []; }

const SETTLED = new Set(["confirmed", "disputed"]);
const ENDED = new Set(["scored", "announced", "confirmed", "disputed"]);

function nextKey() { return "kiosk.console.next." + state.sid; }

/**
 * Where the sitting stands in the plan's rhythm: a candidate leaves after the interview, waits
 * outside, and comes back to hear and sign once the next candidate's interview has ended.
 * Returns the interview to show and its step: "signing" (on screen until signed or noted),
 * "settled" (signed or noted: 下一位), "announce", "scoring", "start" or "done".
 */
function rhythm() {
  const list = interviews();
  const onScreen = list.find((i) => i.state === "announced");
  if (onScreen) return { i: onScreen, step: "signing" };
  const shown = list.filter((i) => SETTLED.has(i.state) && i.announced_at)
    .sort((a, b) => a.announced_at.localeCompare(b.announced_at)).pop();
  if (shown && String(shown.id) !== localStorage.getItem(nextKey())
      && !list.some((j) => j.started_at && j.started_at > shown.announced_at)) {
    return { i: shown, step: "settled" };
  }
  const live = list.find((i) => i.state === "interviewing");
  const waiting = list.filter((i) => i.state === "waiting");
  const scored = list.filter((i) => i.state === "scored")
    .sort((a, b) => (a.started_at || "").localeCompare(b.started_at || ""));
  for (const k of scored) {
    const after = list.find((j) => j.id !== k.id && j.started_at && k.started_at
      && j.started_at > k.started_at && ENDED.has(j.state));
    if (after) return { i: k, step: "announce", after };
    if (!live && !waiting.length) return { i: k, step: "announce", last: true };
  }
  if (live) return { i: live, step: "scoring", outside: scored[0] || null };
  if (waiting.length) return { i: waiting[0], step: "start", outside: scored[0] || null };
  return { i: list[list.length - 1] || null, step: "done" };
}

/** The interview the live panel shows: the chosen one, else the rhythm's next step. */
function focused() {
  const chosen = interviews().find((i) => i.id === state.chosen);
  return chosen || rhythm().i;
}

function who(i) { return T("{code} 岗位 {n} 号考生{name}", { code: i.position_code, n: i.draw_no, name: i.candidate_name }); }

/* ---- sessions ---------------------------------------------------------------------------- */

async function loadSessions(selectId) {
  state.sessions = await api("GET", "/api/sessions");
  const select = $("#session-select");
  select.replaceChildren(...state.sessions.map((s) =>
    h("option", { value: s.id }, `${s.title}${s.batch ? " · " + s.batch : ""} (#${s.id})`)));
  const remembered = Number(selectId || new URLSearchParams(location.hash.slice(1)).get("s") || localStorage.getItem("kiosk.console.sid"));
  const pick = state.sessions.find((s) => s.id === remembered) || state.sessions[0];
  $("#no-session").hidden = Boolean(pick);
  $("#session-view").hidden = !pick;
  select.disabled = !pick;
  if (pick) {
    select.value = String(pick.id);
    await openSession(pick.id);
  }
}

async function openSession(sid) {
  if (state.socket) { state.socket.onclose = null; state.socket.close(); }
  state.sid = sid;
  state.chosen = null;
  state.session = null;
  state.links = null;
  localStorage.setItem("kiosk.console.sid", String(sid));
  history.replaceState(null, "", "#s=" + sid);
  for (const a of document.querySelectorAll("[data-export]")) a.href = `/api/sessions/${sid}/${a.dataset.export}`;
  $("#qr-sheet").href = `/console/sessions/${sid}/qr`;
  state.session = await api("GET", `/api/sessions/${sid}`);
  render();
  connect();
  loadLinks();
  loadRanking();
}

async function reload(sid) {
  const session = await api("GET", `/api/sessions/${sid}`);
  if (state.sid !== sid) return;
  state.session = session;
  render();
  scheduleRanking();
}

function connect() {
  const sid = state.sid;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws/console/${sid}?lang=${CONFIG.lang}`);
  state.socket = ws;
  ws.onopen = () => { state.socketUp = true; state.retry = 0; renderLive(); };
  ws.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    switch (frame.type) {
      case "session":
        state.session = frame.session;
        state.seats = frame.seats;
        state.seatsAt = Date.now();
        render();
        scheduleRanking();
        break;
      case "interviews": {
        // After the first "session" frame, a change to interviews only carries those interviews.
        const list = interviews();
        const missing = frame.interviews.some((i) => !list.some((x) => x.id === i.id));
        if (!state.session || state.session.id !== sid || missing) {
          reload(sid);  // out of step (a roster change we did not see): fetch the whole sitting
          break;
        }
        for (const changed of frame.interviews) list[list.findIndex((x) => x.id === changed.id)] = changed;
        state.session.version = frame.version;
        state.seats = frame.seats;
        state.seatsAt = Date.now();
        render();
        scheduleRanking();
        break;
      }
      case "seats":
        state.seats = frame.seats;
        state.seatsAt = Date.now();
        renderCurrent();
        break;
      case "pong":
        break;
      case "error":
        toast(frame.message, true);
        break;
      default:
        console.error("unknown frame", frame);
    }
  };
  ws.onclose = () => {
    state.socketUp = false;
    renderLive();
    if (state.socket !== ws || state.sid !== sid) return;
    state.retry = Math.min(state.retry + 1, 6);
    setTimeout(() => { if (state.socket === ws) connect(); }, 500 * 2 ** state.retry);
  };
}

setInterval(() => {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: "ping" }));
}, 10000);

// Seats go stale without a frame (a phone just stops pinging): re-check every few seconds.
setInterval(() => { if (state.session) { renderCurrent(); renderCountdown(); } }, 1000);

function renderLive() {
  const el = $("#live-status");
  if (!el) return;
  el.textContent = state.socketUp ? T("实时连接正常") : T("实时连接已断开，正在重连…");
  el.className = "live-status " + (state.socketUp ? "ok" : "bad");
}

/* ---- rendering --------------------------------------------------------------------------- */

function render() {
  renderLive();
  renderCountdown();
  renderMeta();
  renderQueue();
  renderCurrent();
  renderPositions();
}

function renderMeta() {
  const s = state.session;
  const sheet = s.criteria && s.criteria.length
    ? ` · ${T("按要素")} ${s.criteria.length} · ${T(s.trim === "per_criterion" ? "分项去分" : "合计去分")}` : "";
  $("#session-meta").textContent = `${s.title}${s.batch ? " · " + s.batch : ""} · ${T("评委")} ${s.judge_count}${sheet}`;
}

function badge(stateName) {
  return h("span", { class: "badge s-" + stateName }, T(STATE_LABEL[stateName] || stateName));
}

function renderQueue() {
  const body = $("#queue tbody");
  const list = interviews();
  const current = focused();
  $("#queue-empty").hidden = list.length > 0;
  $("#queue-empty").textContent = T("名单还没有考生。");
  const rows = list.map((i) => {
    const done = i.state === "waiting" || i.state === "absent" ? "—" : `${i.submitted}/${i.expected}`;
    return h("tr", { class: current && current.id === i.id ? "focused" : "", dataset: { id: i.id } },
      h("td", { class: "num" }, i.draw_no),
      h("td", {}, i.candidate_name),
      h("td", { title: i.position_name }, i.position_code),
      h("td", {}, badge(i.state)),
      h("td", { class: "num" }, done),
      h("td", { class: "num strong" }, i.result || ""),
      h("td", { class: "row-actions" }, h("button", {
        type: "button", class: "small",
        "aria-pressed": current && current.id === i.id ? "true" : "false",
        "aria-label": `${T("查看")} ${i.draw_no} ${i.candidate_name}`,
        onclick: () => { state.chosen = i.id; renderQueue(); renderCurrent(); focusCurrent(); },
      }, T("查看")),
      // Until the interview starts, a mistyped row can be corrected or removed.
      i.state === "waiting" ? h("button", {
        type: "button", class: "small", dataset: { edit: i.id },
        "aria-label": `${T("更正")} ${i.draw_no} ${i.candidate_name}`,
        onclick: (event) => openInterviewDialog(i, event.currentTarget),
      }, T("更正")) : null,
      i.state === "waiting" ? h("button", {
        type: "button", class: "small danger", dataset: { remove: i.id },
        "aria-label": `${T("删除")} ${i.draw_no} ${i.candidate_name}`,
        onclick: (event) => confirmThen(event.currentTarget,
          T("删除考生"),
          T("确定从名单中删除{who}吗？删除会记入审计日志。", { who: who(i) }),
          T("删除"),
          async () => {
            await api("DELETE", `/api/interviews/${i.id}`);
            if (state.chosen === i.id) state.chosen = null;
            await refreshSession();
            toast(T("已删除该考生。"));
          }),
      }, T("删除")) : null));
  });
  body.replaceChildren(...rows);
}

function focusCurrent() {
  const target = $("#current-body [data-primary]") || $("#current-panel");
  if (target === $("#current-panel")) target.tabIndex = -1;
  target.focus();
}

function seatConnection(seat) {
  const row = state.seats.find((s) => s.seat === seat);
  if (!row || row.connections === 0) return { key: "off", text: T("未连接") };
  const age = row.seconds_since_heard === null ? Infinity
    : row.seconds_since_heard + (Date.now() - state.seatsAt) / 1000;
  if (row.live && age <= CONFIG.staleAfter) {
    return { key: "live", text: T("在线") + (row.connections > 1 ? " · " + T("{n} 台设备", { n: row.connections }) : "") };
  }
  return { key: "stale", text: T("无响应") };
}

let lastCurrent = null;
function renderCurrent() {
  const target = $("#current-body");
  const i = focused();
  // Called every second to age the seats: rebuild only when something a person sees changed.
  const signature = JSON.stringify([i, state.seats.map((s) => seatConnection(s.seat).key), interviews().map((x) => x.state)]);
  if (signature === lastCurrent && target.childElementCount) return;
  lastCurrent = signature;
  renderPending(i);
  if (!i) {
    target.replaceChildren(h("p", { class: "muted" }, T("没有进行中的面试。")));
    return;
  }
  // Re-rendering would steal focus from a control inside the panel: keep it by its key.
  const active = document.activeElement;
  const activeKey = active && target.contains(active) ? active.dataset.key : null;
  const activeValue = active && active.tagName === "INPUT" ? active.value : null;

  const outliers = new Set(i.outliers || []);
  const seats = i.marks.map((m) => {
    const conn = seatConnection(m.seat);
    let status;
    if (m.excused) status = h("span", { class: "sub excused" }, T("免评"));
    else if (m.submitted) status = h("span", { class: "sub done" }, "✓ " + T("已提交"));
    else status = h("span", { class: "sub todo" }, T("未提交"));
    const score = m.score !== null
      ? h("div", { class: "score" + (m.dropped ? " dropped" : "") }, h("span", { class: "value" }, m.score),
        m.dropped ? h("small", {}, T(m.dropped === "high" ? "去掉最高分" : "去掉最低分")) : null,
        partsLine(m.parts))
      : null;
    return h("li", {
      class: `seat conn-${conn.key}` + (outliers.has(m.seat) ? " outlier" : "") + (m.submitted ? " submitted" : ""),
      dataset: { seat: m.seat },
    },
    h("div", { class: "seat-name" }, T("第 {seat} 席", { seat: m.seat })),
    h("div", { class: "conn" }, h("span", { class: "dot", "aria-hidden": "true" }), conn.text),
    status, score);
  });

  const parts = [
    h("div", { class: "who" },
      h("span", { class: "draw" }, `${T("抽签号")} ${i.draw_no}`),
      h("strong", { class: "name" }, i.candidate_name),
      h("span", { class: "muted" }, `${i.position_name}（${i.position_code}）`),
      badge(i.state)),
    h("p", { class: "progress" }, T("已提交 {n} / {m}", { n: i.submitted, m: i.expected })),
    h("ul", { class: "seats", "aria-label": T("评委席位") }, seats),
  ];
  if (outliers.size && i.state === "scored") {
    parts.push(h("p", { class: "warning", role: "alert", id: "outlier-warning" },
      "⚠ " + T("第 {seats} 席的评分与其他评委相差超过 15 分，宣布前请与评委核实。", { seats: [...outliers].join("、") })));
  }
  if (i.result !== null) {
    parts.push(h("div", { class: "result" }, h("span", {}, T("面试得分")), h("strong", { id: "result" }, i.result)));
  }
  const reasons = Object.entries(i.excuse_reasons || {});
  if (reasons.length) {
    parts.push(h("p", { class: "muted small" }, reasons.map(([s, r]) => `${T("免评")} ${T("第 {seat} 席", { seat: s })}：${r}`).join("；")));
  }
  if (i.signed_at) parts.push(h("p", { class: "muted small" }, `${T("签字时间")}：${new Date(i.signed_at).toLocaleString()}`));
  if (i.note) parts.push(h("p", { class: "muted small" }, `${T("备注")}：${i.note}`));
  parts.push(actions(i));
  target.replaceChildren(...parts);
  renderCountdown();

  if (activeKey) {
    const again = target.querySelector(`[data-key="${activeKey}"]`);
    if (again) {
      if (activeValue !== null && again.tagName === "INPUT") again.value = activeValue;
      again.focus();
    }
  }
}

/** The rhythm's sentence above the panel: who waits outside, who may come back, who signs. */
function renderPending(current) {
  const note = $("#pending-note");
  const flow = rhythm();
  let text = "";
  let kind = "info";
  if (state.chosen && current && flow.i && current.id !== flow.i.id) {
    text = T("正在查看其他考生。当前步骤：{who}。", { who: who(flow.i) });
  } else if (flow.step === "signing") {
    text = T("请{who}在大屏前听分并签字确认。考生拒绝签字或未返回时，请记录说明；签字或记录后才能宣布下一位的成绩。", { who: who(flow.i) });
    kind = "act";
  } else if (flow.step === "settled") {
    text = flow.i.state === "confirmed"
      ? T("{who}已签字确认。", { who: who(flow.i) })
      : T("{who}未签字，已记录说明。", { who: who(flow.i) });
  } else if (flow.step === "announce" && flow.after) {
    text = T("{after} 号考生的面试已结束：请{who}返回考场听分，到大屏前后再宣布成绩。", { after: flow.after.draw_no, who: who(flow.i) });
    kind = "act";
  } else if (flow.step === "announce" && flow.last) {
    text = T("{who}是最后一位：稍候片刻后请其返回考场听分，再宣布成绩。", { who: who(flow.i) });
    kind = "act";
  } else if (flow.outside) {
    text = T("{who}已评分，正在场外候分；下一位考生面试结束后再请其返回听分。", { who: who(flow.outside) });
  }
  note.hidden = !text;
  note.className = "note rhythm-" + kind;
  note.replaceChildren(text);
}

function minutesInput(key) {
  return h("input", {
    type: "number", name: "minutes", min: "1", max: "240", size: "4", class: "minutes",
    "aria-label": T("分钟"), placeholder: T("不限时"), dataset: { key },
    value: localStorage.getItem("kiosk.console.minutes") || "",
    oninput: (event) => localStorage.setItem("kiosk.console.minutes", event.target.value.trim()),
  });
}

function flowButton(label, key, handler, primary) {
  return h("button", {
    type: "button", class: primary ? "primary" : "", dataset: { key, primary: primary ? "1" : null },
    onclick: (event) => handler(event.currentTarget),
  }, T(label));
}

async function runFlow(interview, step, body, done) {
  try {
    const updated = await api("POST", `/api/interviews/${interview.id}/${step}`, body);
    applyInterview(updated);
    if (done) toast(T(done));
    return updated;
  } catch (err) {
    toast(err.message, true);
    throw err;
  }
}

/** Show a flow answer at once; the socket's next frame brings the rest. */
function applyInterview(updated) {
  const list = interviews();
  const index = list.findIndex((i) => i.id === updated.id);
  if (index >= 0) list[index] = updated;
  renderQueue();
  renderCurrent();
}

function bigButton(label, key, handler) {
  return h("button", {
    type: "button", class: "primary big", dataset: { key, primary: "1" },
    onclick: (event) => handler(event.currentTarget),
  }, T(label));
}

/** A step that waits for someone else (the judges, the candidate): shown, not pressed. */
function waitStep(label, key) {
  return h("button", { type: "button", class: "big wait-step", disabled: true, "aria-disabled": "true", dataset: { key } }, label);
}

function actions(i) {
  const flow = rhythm();
  const isFlow = flow.i && flow.i.id === i.id;
  const bar = h("div", { class: "actions" });
  const onScreen = interviews().find((x) => x.state === "announced" && x.id !== i.id);
  if (i.state === "waiting") {
    const form = h("form", { class: "row", dataset: { key: "start-form" } },
      h("button", { type: "submit", class: "primary big", dataset: { key: "start", primary: "1" } }, T("开始面试")),
      h("label", { class: "inline" }, T("设置倒计时"), minutesInput("start-minutes"), T("分钟")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = form.minutes.value.trim();
      localStorage.setItem("kiosk.console.minutes", value);
      try {
        await runFlow(i, "start", value ? { countdown_minutes: Number(value) } : undefined, "面试已开始。");
        state.chosen = null;
        renderQueue(); renderCurrent();
        const again = $("#current-body [data-primary]"); if (again) again.focus();
      } catch (err) { /* shown */ }
    });
    bar.append(form, flowButton("缺考", "absent", async () => {
      try { await runFlow(i, "absent", undefined, "已记为缺考。"); state.chosen = null; render(); focusCurrent(); } catch (err) { /* shown */ }
    }));
  }
  if (i.state === "interviewing") {
    bar.append(waitStep(T("等待评分（{n} / {m}）", { n: i.submitted, m: i.expected }), "wait-scores"));
    const form = h("form", { class: "row", dataset: { key: "countdown-form" } },
      h("label", { class: "inline" }, T("设置倒计时"), minutesInput("countdown-minutes"), T("分钟")),
      h("button", { type: "submit", dataset: { key: "countdown" } }, T("设置倒计时")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = form.minutes.value.trim();
      try { await runFlow(i, "countdown", { minutes: value ? Number(value) : null }, "倒计时已设置。"); } catch (err) { /* shown */ }
    });
    bar.append(form);
    // Excusing is offered only while enough seats would remain to score the interview.
    if (i.marks.some((m) => !m.submitted && !m.excused) && i.expected - 1 >= state.session.min_scores) {
      bar.append(flowButton("免评席位", "excuse", (btn) => openSeatDialog(i, "excuse", btn)));
    }
  }
  if (i.state === "scored") {
    if (onScreen) {
      bar.append(h("button", { type: "button", class: "big", disabled: true, dataset: { key: "announce" } }, T("宣布成绩")));
      bar.append(h("p", { class: "blocked" }, T("{who}的成绩仍在大屏上：签字确认或记录说明后，才能宣布这一位。", { who: who(onScreen) })));
    } else {
      const press = (btn) => {
        if ((i.outliers || []).length) {
          state.dialogInterview = i;
          $("#announce-warning").textContent = T("第 {seats} 席的评分与其他评委相差超过 15 分，宣布前请与评委核实。", { seats: i.outliers.join("、") });
          openDialog($("#announce-dialog"), btn);
        } else {
          announce(i).catch(() => {});
        }
      };
      // Ready when the next interview has ended (or it is the last): then it is the big step.
      bar.append(isFlow && flow.step === "announce" ? bigButton("宣布成绩", "announce", press)
        : flowButton("宣布成绩", "announce", press));
    }
  }
  if ((i.state === "interviewing" || i.state === "scored") && i.marks.some((m) => m.submitted)) {
    bar.append(flowButton("重新评分", "reopen", (btn) => openSeatDialog(i, "reopen", btn)));
  }
  if (i.state === "announced") {
    bar.append(waitStep(T("等待签字"), "wait-signature"));
    bar.append(h("button", {
      type: "button", class: "secondary-step", dataset: { key: "dispute", primary: "1" },
      onclick: (event) => openDisputeDialog(i, event.currentTarget),
    }, T("记录未签字说明")));
  }
  if (SETTLED.has(i.state) && isFlow && flow.step === "settled") {
    bar.append(bigButton("下一位", "next", () => {
      localStorage.setItem(nextKey(), String(i.id));
      state.chosen = null;
      render();
      focusCurrent();
    }));
  }
  if (state.chosen && !isFlow && flow.i) {
    bar.append(flowButton("回到当前步骤", "back-to-flow", () => { state.chosen = null; render(); focusCurrent(); }));
  }
  return bar;
}

async function announce(i) {
  await runFlow(i, "announce", undefined, "成绩已宣布。");
  state.chosen = null;
  render();
  focusCurrent();
}

function openDisputeDialog(i, opener) {
  state.dialogInterview = i;
  $("#dispute-who").textContent = who(i);
  $("#dispute-form").note.value = "";
  openDialog($("#dispute-dialog"), opener);
}

function openSeatDialog(i, kind, opener) {
  state.dialogInterview = i;
  state.seatKind = kind;
  const dialog = $("#seat-dialog");
  $("#seat-dialog-title").textContent = `${T(kind === "excuse" ? "免评席位" : "重新评分")} · ${i.draw_no} ${i.candidate_name}`;
  const eligible = i.marks.filter((m) => (kind === "excuse" ? !m.submitted && !m.excused : m.submitted));
  const form = $("#seat-form");
  form.seat.replaceChildren(...eligible.map((m) => h("option", { value: m.seat }, T("第 {seat} 席", { seat: m.seat }))));
  form.reason.value = "";
  openDialog(dialog, opener);
}

function renderCountdown() {
  const el = $("#countdown");
  const i = focused();
  if (!i || i.state !== "interviewing" || !i.countdown_ends_at) { el.textContent = ""; el.className = "countdown"; return; }
  const left = Math.round((new Date(i.countdown_ends_at).getTime() - Date.now()) / 1000);
  if (left <= 0) { el.textContent = T("倒计时已结束"); el.className = "countdown over"; return; }
  const mm = String(Math.floor(left / 60)).padStart(2, "0");
  const ss = String(left % 60).padStart(2, "0");
  el.textContent = T("倒计时 {t}", { t: `${mm}:${ss}` });
  el.className = "countdown" + (left <= 60 ? " soon" : "");
}

function renderPositions() {
  const list = $("#positions");
  const positions = state.session.positions;
  const started = sittingStarted();
  $("#edit-session").hidden = false;
  $("#remove-session").hidden = started;
  if (!positions.length) { list.replaceChildren(h("li", { class: "muted" }, T("还没有岗位。"))); return; }
  list.replaceChildren(...positions.map((p) => {
    const used = interviews().filter((i) => i.position_code === p.code).length;
    return h("li", { class: "position", dataset: { code: p.code } },
      h("span", { class: "grow" }, h("strong", {}, p.code), ` ${p.name} · ${T("名额")} ${p.openings} · ${T("差额比例")} ${p.shortlist_ratio}`),
      h("button", { type: "button", class: "small", "aria-label": `${T("更正")} ${p.code}`,
        onclick: (event) => openPositionDialog(p, used, event.currentTarget) }, T("更正")),
      used ? null : h("button", { type: "button", class: "small danger", "aria-label": `${T("删除")} ${p.code}`,
        onclick: (event) => confirmThen(event.currentTarget, T("删除岗位"),
          T("确定删除岗位 {code}（{name}）吗？删除会记入审计日志。", { code: p.code, name: p.name }), T("删除"),
          async () => {
            await api("DELETE", `/api/sessions/${state.sid}/positions/${encodeURIComponent(p.code)}`);
            await refreshSession();
            toast(T("已删除岗位 {code}。", { code: p.code }));
          }) }, T("删除")));
  }));
}

/* ---- corrections before the start ------------------------------------------------------- */

function sittingStarted() {
  return interviews().some((i) => i.started_at || (i.state !== "waiting" && i.state !== "absent"));
}

async function refreshSession() {
  state.session = await api("GET", `/api/sessions/${state.sid}`);
  render();
  scheduleRanking();
}

function openInterviewDialog(i, opener) {
  state.dialogInterview = i;
  const form = $("#interview-form");
  $("#interview-dialog-title").textContent = `${T("更正考生信息")} · ${i.draw_no} ${i.candidate_name}`;
  form.draw_no.value = String(i.draw_no);
  form.candidate_name.value = i.candidate_name;
  form.position_code.replaceChildren(...state.session.positions.map((p) =>
    h("option", { value: p.code }, `${p.code} ${p.name}`)));
  form.position_code.value = i.position_code;
  openDialog($("#interview-dialog"), opener);
}

function openPositionDialog(p, used, opener) {
  state.dialogPosition = p;
  const form = $("#position-edit-form");
  $("#position-dialog-title").textContent = `${T("更正岗位")} · ${p.code}`;
  form.code.value = p.code;
  form.code.disabled = used > 0;
  $("#position-code-help").hidden = used === 0;
  form.name.value = p.name;
  form.openings.value = String(p.openings);
  form.shortlist_ratio.value = p.shortlist_ratio;
  openDialog($("#position-dialog"), opener);
}

function openSessionDialog(opener) {
  const s = state.session;
  const form = $("#session-edit-form");
  const started = sittingStarted();
  form.title.value = s.title;
  form.batch.value = s.batch || "";
  for (const name of ["judge_count", "min_scores", "score_decimals", "result_decimals"]) {
    form[name].value = String(s[name]);
    form[name].disabled = started;
  }
  $("#session-started-help").hidden = !started;
  openDialog($("#session-edit-dialog"), opener);
}

function wireCorrections() {
  wireConfirm();
  dialogSubmit($("#interview-dialog"), async (form) => {
    await api("PATCH", `/api/interviews/${state.dialogInterview.id}`, {
      draw_no: Number(form.draw_no.value),
      candidate_name: form.candidate_name.value,
      position_code: form.position_code.value,
    });
    await refreshSession();
    toast(T("已更正考生信息。"));
  });
  dialogSubmit($("#position-dialog"), async (form) => {
    const p = state.dialogPosition;
    const body = { name: form.name.value, openings: Number(form.openings.value), shortlist_ratio: form.shortlist_ratio.value.trim() };
    if (!form.code.disabled) body.code = form.code.value;
    await api("PATCH", `/api/sessions/${state.sid}/positions/${encodeURIComponent(p.code)}`, body);
    await refreshSession();
    toast(T("已更正岗位。"));
  });
  dialogSubmit($("#session-edit-dialog"), async (form) => {
    const body = { title: form.title.value, batch: form.batch.value };
    if (!form.judge_count.disabled) {
      for (const name of ["judge_count", "min_scores", "score_decimals", "result_decimals"]) body[name] = Number(form[name].value);
    }
    const before = state.session.judge_count;
    await api("PATCH", `/api/sessions/${state.sid}`, body);
    await loadSessions(state.sid);
    if (state.session.judge_count !== before) loadLinks();
    toast(T("已更正场次信息。"));
  });
  $("#edit-session").addEventListener("click", (event) => openSessionDialog(event.currentTarget));
  $("#remove-session").addEventListener("click", (event) => {
    const s = state.session;
    confirmThen(event.currentTarget, T("删除场次"),
      T("确定删除场次“{title}”吗？删除后它不再出现在列表中，评委和大屏链接随即失效；审计日志会保留删除记录。", { title: s.title }),
      T("删除场次"),
      async () => {
        await api("DELETE", `/api/sessions/${state.sid}`);
        localStorage.removeItem("kiosk.console.sid");
        history.replaceState(null, "", location.pathname + location.search);
        await loadSessions();
        toast(T("已删除场次。"));
      });
  });
  for (const button of $("#dispute-dialog").querySelectorAll("[data-note]")) {
    button.addEventListener("click", () => {
      const note = $("#dispute-form").note;
      note.value = button.dataset.note;
      note.focus();
    });
  }
}

async function loadLinks() {
  const sid = state.sid;
  const data = await api("GET", `/api/sessions/${sid}/links`);
  if (sid !== state.sid) return;
  state.links = data;
  const item = (label, url, img, extra) => h("li", extra || {},
    h("img", { src: img, alt: "", width: "72", height: "72" }),
    h("div", {},
      h("strong", {}, label),
      h("a", { href: url, target: "_blank", rel: "noopener", class: "url", title: url }, url),
      h("button", { type: "button", class: "small", onclick: async (event) => {
        const button = event.currentTarget;
        try { await navigator.clipboard.writeText(url); button.textContent = T("已复制"); } catch (err) { toast(url); }
      } }, T("复制链接"))));
  $("#links").replaceChildren(
    ...data.judges.map((j) => item(T("第 {seat} 席", { seat: j.seat }), j.url, `/api/sessions/${sid}/qr/judge/${j.seat}.svg`, { dataset: { seat: j.seat } })),
    item(T("大屏"), data.display.url, `/api/sessions/${sid}/qr/display.svg`, { class: "display-link" }));
}

let rankingTimer = null;
function scheduleRanking() {
  clearTimeout(rankingTimer);
  rankingTimer = setTimeout(loadRanking, 300);
}

async function loadRanking() {
  const target = $("#ranking");
  const sid = state.sid;
  let data;
  try {
    data = await api("GET", `/api/sessions/${sid}/ranking`);
  } catch (err) {
    if (sid === state.sid) target.replaceChildren(h("p", { class: "muted" }, err.status === 404 ? T("排名功能尚未启用。") : err.message));
    return;
  }
  if (sid !== state.sid) return;
  const blocks = (data.positions || []).map((p) => h("div", { class: "rank-block" },
    h("h3", {}, `${p.code} ${p.name}`, h("span", { class: "muted small" }, ` · ${T("名额")} ${p.openings} · ${T("拟确定 {n} 名考察对象", { n: p.shortlist_size })}`)),
    p.ranking.length === 0 ? h("p", { class: "muted small" }, T("暂无已评分的考生。")) :
      h("table", { class: "ranking" },
        h("thead", {}, h("tr", {}, ...["名次", "抽签号", "姓名", "总成绩", "面试得分", "考察对象"].map((c) => h("th", { scope: "col" }, T(c))))),
        h("tbody", {}, ...p.ranking.map((r) => h("tr", { class: r.shortlisted ? "shortlisted" : (r.eligible ? "" : "ineligible") },
          h("td", { class: "num" }, r.rank), h("td", { class: "num" }, r.draw_no), h("td", {}, r.candidate_name),
          h("td", { class: "num strong" }, r.total), h("td", { class: "num" }, r.interview),
          h("td", {}, r.shortlisted ? "✓ " + T("入围") + (r.tie_at_cutoff ? `（${T("并列")}）` : "") : (r.eligible ? "" : T("不足 60 分")))))))));
  target.replaceChildren(...(blocks.length ? blocks : [h("p", { class: "muted" }, T("还没有岗位。"))]));
  scheduleJudges(); // the calibration changes whenever the ranking does: after each scored interview
}

/* ---- score sheets by element (评分要素) ------------------------------------------------------ */

/** A seat's parts under its total, in the sitting's order: "综合分析能力 18 · 言语表达能力 16.5 …". */
function partsLine(parts) {
  const criteria = (state.session && state.session.criteria) || [];
  if (!parts || !criteria.length) return null;
  return h("small", { class: "parts" }, criteria.map((c) => `${c.name} ${parts[c.code] ?? "—"}`).join(" · "));
}

// Sums of maxima in whole hundredths: a maximum has at most 2 decimals, and no float adds them.
function hundredths(text) {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  return m ? Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0")) : null;
}

const sheetTemplates = { list: [], loaded: false };

async function loadSheetTemplates() {
  if (sheetTemplates.loaded) return;
  try {
    const data = await api("GET", `/api/sheet-templates?lang=${CONFIG.lang}`);
    sheetTemplates.list = data.templates || [];
    sheetTemplates.loaded = true;
  } catch (err) {
    return; // no templates offered: a custom sheet still works
  }
  const select = $("#sheet-template");
  const custom = select.querySelector('option[value="custom"]');
  for (const t of sheetTemplates.list) select.insertBefore(h("option", { value: t.key }, t.title), custom);
}

function criterionRow(c, index) {
  return h("tr", {},
    h("td", {}, h("input", { name: "c_code", value: c.code || "", maxlength: "20", size: "9", required: true, "aria-label": `${T("代码")} ${index + 1}` })),
    h("td", {}, h("input", { name: "c_name", value: c.name || "", maxlength: "50", required: true, "aria-label": T("第 {n} 个要素", { n: index + 1 }) })),
    h("td", {}, h("input", { name: "c_max", value: c.max || "", inputmode: "decimal", size: "5", required: true, "aria-label": `${T("满分")} ${index + 1}`, oninput: criteriaSum })),
    h("td", {}, h("button", { type: "button", class: "small danger", "aria-label": T("删除此要素"), onclick: (event) => {
      event.currentTarget.closest("tr").remove();
      criteriaSum();
    } }, "×")));
}

function setCriteria(list) {
  $("#criteria-rows").replaceChildren(...list.map(criterionRow));
  criteriaSum();
}

function readCriteria() {
  return [...$("#criteria-rows").querySelectorAll("tr")].map((row) => ({
    code: row.querySelector('[name="c_code"]').value.trim(),
    name: row.querySelector('[name="c_name"]').value.trim(),
    max: row.querySelector('[name="c_max"]').value.trim(),
  }));
}

function criteriaSum() {
  const values = readCriteria().map((c) => hundredths(c.max));
  const out = $("#criteria-sum");
  if (values.some((v) => v === null)) { out.textContent = ""; return; }
  const sum = values.reduce((a, b) => a + b, 0);
  const text = `${Math.floor(sum / 100)}${sum % 100 ? "." + String(sum % 100).padStart(2, "0").replace(/0$/, "") : ""}`;
  out.textContent = sum === 10000 ? "✓ " + T("各要素满分合计 100 分") : T("各要素满分合计 {sum} 分（须为 100 分）", { sum: text });
  out.className = "small " + (sum === 10000 ? "ok" : "error");
}

function setupSheetEditor() {
  const select = $("#sheet-template");
  select.addEventListener("change", () => {
    const key = select.value;
    $("#criteria-editor").hidden = !key;
    const template = sheetTemplates.list.find((t) => t.key === key);
    if (template) setCriteria(template.criteria);
    else if (key === "custom" && !$("#criteria-rows").children.length) setCriteria([{}, {}]);
  });
  $("#add-criterion").addEventListener("click", () => {
    const rows = $("#criteria-rows");
    rows.append(criterionRow({}, rows.children.length));
    rows.lastElementChild.querySelector("input").focus();
  });
}

function resetSheetEditor() {
  $("#sheet-template").value = "";
  $("#criteria-editor").hidden = true;
  $("#criteria-rows").replaceChildren();
  $("#criteria-sum").textContent = "";
  loadSheetTemplates();
}

/** The sheet part of a new sitting's body: nothing for one number, else criteria and trim. */
function sheetBody(form) {
  if (!form.sheet_template.value) return {};
  return { criteria: readCriteria(), trim: form.trim.value };
}

/* ---- calibration: how each judge scores against the panel ---------------------------------- */

let judgesTimer = null;
function scheduleJudges() {
  clearTimeout(judgesTimer);
  judgesTimer = setTimeout(loadJudges, 400);
}

async function loadJudges() {
  const sid = state.sid;
  const panel = $("#judges-panel");
  let data;
  try {
    data = await api("GET", `/api/sessions/${sid}/judges`);
  } catch (err) {
    if (sid === state.sid && err.status === 404) panel.hidden = true;
    return;
  }
  if (sid !== state.sid) return;
  panel.hidden = false;
  renderJudges(data);
}

function renderJudges(data) {
  const seats = data.seats || [];
  const any = seats.some((s) => s.marks > 0);
  const perPart = seats.some((s) => s.parts_dropped_high || s.parts_dropped_low);
  const head = ["席位", "评分次数", "被去最高分", "被去最低分", "平均偏差"].concat(perPart ? ["要素被去最高", "要素被去最低"] : []);
  $("#judges").replaceChildren(any
    ? h("table", { class: "judges" },
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, T(c))))),
      h("tbody", {}, ...seats.map((s) => h("tr", { dataset: { seat: s.seat } },
        h("td", {}, h("span", { class: "swatch", style: `background:${seatColour(s.seat)}` }), T("第 {seat} 席", { seat: s.seat })),
        h("td", { class: "num" }, s.marks),
        h("td", { class: "num" + (s.dropped_high && s.dropped_high * 2 >= s.marks && s.marks >= 2 ? " flag" : "") }, s.dropped_high),
        h("td", { class: "num" + (s.dropped_low && s.dropped_low * 2 >= s.marks && s.marks >= 2 ? " flag" : "") }, s.dropped_low),
        h("td", { class: "num strong" }, s.mean_deviation === null ? "—" : signed(s.mean_deviation)),
        perPart ? h("td", { class: "num" }, s.parts_dropped_high) : null,
        perPart ? h("td", { class: "num" }, s.parts_dropped_low) : null))))
    : h("p", { class: "muted" }, T("还没有已评分的考生。")));
  $("#judges-chart").replaceChildren(any ? deviationChart(seats) : "");
  const batch = data.batch;
  $("#rooms").replaceChildren(batch && batch.rooms && batch.rooms.length > 1
    ? h("div", {},
      h("h3", {}, `${T("本批次各考场")} · ${batch.name}`),
      h("table", { class: "judges" },
        h("thead", {}, h("tr", {}, ...["考场", "考生数", "平均得分", "与批次平均之差"].map((c) => h("th", { scope: "col" }, T(c))))),
        h("tbody", {},
          ...batch.rooms.map((r) => h("tr", { class: r.session_id === state.sid ? "focused" : "" },
            h("td", {}, r.title), h("td", { class: "num" }, r.interviews),
            h("td", { class: "num" }, r.mean ?? "—"), h("td", { class: "num strong" }, r.difference === null ? "—" : signed(r.difference)))),
          h("tr", { class: "total" }, h("td", {}, T("批次平均")), h("td", { class: "num" }, batch.interviews),
            h("td", { class: "num strong" }, batch.mean ?? "—"), h("td", {}, "")))))
    : "");
}

function signed(text) {
  return /^-/.test(text) || /^0(\.0*)?$/.test(text) ? text : "+" + text;
}

const SEAT_COLOURS = ["#1d5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d",
  "#4d7c0f", "#1e3a8a", "#9a3412", "#065f46", "#6b21a8", "#991b1b", "#155e75"];
function seatColour(seat) { return SEAT_COLOURS[(seat - 1) % SEAT_COLOURS.length]; }

/**
 * Each seat's deviation per scored interview, in the day's order, as an inline SVG: one line per
 * seat, zero in the middle. Pixels only: the figures themselves are the server's exact strings.
 */
function deviationChart(seats) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...kids) => {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const kid of kids) if (kid) el.append(kid);
    return el;
  };
  const order = [];
  const label = {};
  for (const s of seats) for (const d of s.deviations || []) {
    if (!(d.interview_id in label)) { order.push(d.interview_id); label[d.interview_id] = d; }
  }
  const rank = Object.fromEntries(interviews().map((i, n) => [i.id, [i.started_at || "", n]]));
  order.sort((a, b) => {
    const [sa, na] = rank[a] || ["", 0];
    const [sb, nb] = rank[b] || ["", 0];
    return sa.localeCompare(sb) || na - nb;
  });
  const values = seats.flatMap((s) => (s.deviations || []).map((d) => Math.abs(Number(d.deviation))));
  const top = Math.max(1, Math.ceil(Math.max(0, ...values)));
  const W = 560, H = 220, left = 40, right = 10, upper = 12, lower = 28;
  const x = (n) => left + (order.length < 2 ? (W - left - right) / 2 : (n * (W - left - right)) / (order.length - 1));
  const y = (v) => upper + ((top - v) * (H - upper - lower)) / (2 * top);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", class: "deviation-chart",
    "aria-label": T("每位考生的偏差（评委打分 − 面试得分）") });
  chart.append(svg("title", {}, document.createTextNode(T("每位考生的偏差（评委打分 − 面试得分）"))));
  for (const v of [top, top / 2, 0, -top / 2, -top]) {
    chart.append(svg("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), stroke: v === 0 ? "#5f6b7a" : "#d5dbe3", "stroke-width": v === 0 ? 1.5 : 1 }));
    const tick = svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5f6b7a" });
    tick.textContent = (v > 0 ? "+" : "") + (Number.isInteger(v) ? v : v.toFixed(1));
    chart.append(tick);
  }
  order.forEach((iid, n) => {
    const tick = svg("text", { x: x(n), y: H - 10, "text-anchor": "middle", "font-size": 11, fill: "#5f6b7a" });
    tick.textContent = String(label[iid].draw_no);
    chart.append(tick);
  });
  for (const s of seats) {
    const points = (s.deviations || []).map((d) => [x(order.indexOf(d.interview_id)), y(Number(d.deviation)), d]);
    if (!points.length) continue;
    const colour = seatColour(s.seat);
    const group = svg("g", { "data-seat": s.seat });
    if (points.length > 1) {
      group.append(svg("polyline", { points: points.map(([px, py]) => `${px},${py}`).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
    }
    for (const [px, py, d] of points) {
      const dot = svg("circle", { cx: px, cy: py, r: 3.5, fill: colour });
      dot.append(svg("title", {}, document.createTextNode(
        `${T("第 {seat} 席", { seat: s.seat })} · ${T("{n} 号考生", { n: d.draw_no })}: ${d.mark} − ${d.result} = ${signed(d.deviation)}`)));
      group.append(dot);
    }
    chart.append(group);
  }
  return chart;
}

/* ---- forms ------------------------------------------------------------------------------- */

function setupConsole() {
  wireDialogs(() => { if ($("#current-panel")) focusCurrent(); });
  const sessionDialog = $("#session-dialog");
  for (const id of ["#new-session", "#new-session-empty"]) {
    $(id).addEventListener("click", (event) => {
      $("#session-form").reset();
      resetSheetEditor();
      openDialog(sessionDialog, event.currentTarget);
    });
  }
  setupSheetEditor();
  $("#judges-refresh").addEventListener("click", loadJudges);
  const sessionForm = $("#session-form");
  sessionForm.judge_count.addEventListener("input", () => {
    const n = Number(sessionForm.judge_count.value);
    if (n >= 3) sessionForm.min_scores.value = String(Math.min(5, n));
  });
  dialogSubmit(sessionDialog, async (form) => {
    const created = await api("POST", "/api/sessions", {
      title: form.title.value,
      batch: form.batch.value,
      judge_count: Number(form.judge_count.value),
      min_scores: Number(form.min_scores.value),
      score_decimals: Number(form.score_decimals.value),
      result_decimals: Number(form.result_decimals.value),
      ...sheetBody(form),
    });
    sessionDialog._opener = null;
    await loadSessions(created.id);
    toast(T("已创建场次。"));
    setTimeout(() => { const first = $("#position-form input"); if (first) first.focus(); });
  });

  $("#session-select").addEventListener("change", (event) => openSession(Number(event.target.value)));
  $("#logout").addEventListener("click", async () => {
    await api("POST", "/api/logout").catch(() => {});
    location.reload();
  });

  const positionForm = $("#position-form");
  positionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("POST", `/api/sessions/${state.sid}/positions`, {
        code: positionForm.code.value,
        name: positionForm.name.value,
        openings: Number(positionForm.openings.value),
        shortlist_ratio: positionForm.shortlist_ratio.value.trim(),
      });
      toast(T("已添加岗位 {code}。", { code: created.code }));
      positionForm.code.value = "";
      positionForm.name.value = "";
      positionForm.code.focus();
      state.session = await api("GET", `/api/sessions/${state.sid}`);
      render();
      scheduleRanking();
    } catch (err) { toast(err.message, true); }
  });

  const rosterForm = $("#roster-form");
  rosterForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("#roster-result");
    out.replaceChildren();
    if (!rosterForm.file.files.length) { out.replaceChildren(h("p", { class: "error" }, T("请选择要导入的文件。"))); return; }
    const body = new FormData();
    body.append("file", rosterForm.file.files[0]);
    try {
      const result = await api("POST", `/api/sessions/${state.sid}/roster`, body);
      out.replaceChildren(h("p", { class: "ok" }, T("已导入 {n} 名考生。", { n: result.imported })));
      rosterForm.reset();
      state.session = await api("GET", `/api/sessions/${state.sid}`);
      render();
    } catch (err) {
      const lines = (err.body.errors || []).filter((e) => e.line !== undefined);
      out.replaceChildren(
        h("p", { class: "error" }, lines.length ? T("名单有误，未导入任何一行：") : err.message),
        lines.length ? h("ol", { class: "errors" }, ...lines.map((e) => h("li", {}, T("第 {line} 行：{message}", { line: e.line, message: e.message })))) : null);
    }
  });

  const seatDialog = $("#seat-dialog");
  dialogSubmit(seatDialog, async (form) => {
    const kind = state.seatKind;
    await runFlow(state.dialogInterview, kind, { seat: Number(form.seat.value), reason: form.reason.value },
      kind === "excuse" ? "已免评。" : "已重新开放评分。");
  });
  dialogSubmit($("#dispute-dialog"), async (form) => {
    await runFlow(state.dialogInterview, "dispute", { note: form.note.value }, "已记录说明。");
    state.chosen = null;
    render();
  });
  wireCorrections();
  dialogSubmit($("#announce-dialog"), async () => {
    $("#announce-dialog")._opener = null;
    await announce(state.dialogInterview);
  });

  loadSessions().catch((err) => toast(err.message, true));
}

if ($("#login-form")) setupLogin();
else setupConsole();
