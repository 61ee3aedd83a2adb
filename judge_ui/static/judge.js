// The judge's phone: one seat, one mark per interview, never another judge's mark.
//
// The server's `state` frame is the truth. The only thing kept in the browser is a mark that
// was confirmed but not yet acknowledged: it waits in localStorage with its request id and is
// re-sent, with the same id, whenever the socket comes back, so it is never lost or doubled.
//
// A sitting scored by elements (评分要素) sends `parts` beside the total: the same keypad types
// each element in turn, an element over its maximum is refused here, and the total (their sum,
// added up in whole units of the last decimal place: no float ever holds a mark) is confirmed
// in the same two steps and queued the same way.

import { LiveSocket, fill, randomId, readJson, wsUrl } from "./live.js";

const $ = (id) => document.getElementById(id);
const app = $("app");
const token = app.dataset.token;
const lang = app.dataset.lang;
const T = readJson("strings");
const PENDING = `kiosk.judge.${token}.pending`;
const ACKED = `kiosk.judge.${token}.acked`;

let server = null; // the last state frame
let entered = ""; // the mark being typed
let enteredFor = null; // the interview the typed mark is for
let lastError = "";
let partsEntered = {}; // code → the text typed for that element (sheet sittings)
let active = 0; // the element the keypad types into
const PAGE_CRITERIA = readJson("criteria");

const store = {
  get(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (err) {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (err) {
      /* private mode: the queue lives only in memory then */
    }
    memory[key] = value;
  },
};
const memory = {};
const read = (key) => {
  const value = store.get(key);
  return value !== null ? value : memory[key] ?? null;
};

// --- the mark's rules ---------------------------------------------------------------------

function decimals() {
  return server ? server.score_decimals : 1;
}

// The sitting's elements: from the state frame when the server sends them, else from the page.
function criteria() {
  const list = server && Array.isArray(server.criteria) ? server.criteria : PAGE_CRITERIA;
  return Array.isArray(list) && list.length ? list : null;
}

// A plain decimal text as a whole number of units of the d-th place ("16.5", 1 → 165).
function units(text, d) {
  const [whole, frac = ""] = String(text).split(".");
  return Number(whole) * 10 ** d + Number((frac + "0".repeat(d)).slice(0, d) || "0");
}

function fromUnits(n, d) {
  if (d === 0) return String(n);
  const text = String(n).padStart(d + 1, "0");
  return `${text.slice(0, -d)}.${text.slice(-d)}`;
}

// A maximum as people read it: "20.0" → "20", "12.50" → "12.5".
function plain(text) {
  return String(text).includes(".") ? String(text).replace(/0+$/, "").replace(/\.$/, "") : String(text);
}

// Why `text` is not a valid mark for criterion `c`, or "" when it is.
function partProblem(text, c) {
  if (text === undefined || text === "") return fill(T.err_part_empty, { name: c.name });
  const why = problem(text);
  if (why && why !== T.err_range) return why;
  if (why || units(text, decimals()) > units(c.max, decimals())) {
    return fill(T.err_part_max, { name: c.name, max: plain(c.max) });
  }
  return "";
}

function sheetTotal(list) {
  const d = decimals();
  let sum = 0;
  for (const c of list) {
    const text = partsEntered[c.code];
    if (text && !partProblem(text, c)) sum += units(text, d);
  }
  return fromUnits(sum, d);
}

function sheetComplete(list) {
  return list.every((c) => !partProblem(partsEntered[c.code], c));
}

// Why `text` is not a valid mark, or "" when it is.
function problem(text) {
  const d = decimals();
  if (text === "") return T.err_empty;
  if (!/^\d+(\.\d*)?$/.test(text)) return T.err_digits;
  if (text.endsWith(".")) return T.err_dot_end;
  const [whole, frac = ""] = text.split(".");
  if (d === 0 && text.includes(".")) return T.err_integer;
  if (frac.length > d) return fill(T.err_decimals, { d });
  if (Number(whole) > 100 || (Number(whole) === 100 && /[1-9]/.test(frac))) return T.err_range;
  return "";
}

function press(key) {
  if (!canEnter()) return;
  const list = criteria();
  const c = list ? list[active] : null;
  const current = c ? partsEntered[c.code] || "" : entered;
  let next = current;
  const d = decimals();
  if (key === "back") {
    next = current.slice(0, -1);
  } else if (key === ".") {
    if (d === 0) return showError(T.err_integer);
    if (current.includes(".")) return;
    next = current === "" ? "0." : current + ".";
  } else if (/^[0-9]$/.test(key)) {
    const [whole, frac] = current.split(".");
    if (frac !== undefined && frac.length >= d) return showError(fill(T.err_decimals, { d }));
    if (frac === undefined && whole.length >= 3) return showError(c ? partProblem("999", c) : T.err_range);
    next = current === "0" ? key : current + key;
  } else {
    return;
  }
  if (c) {
    partsEntered[c.code] = next;
    // Over the element's maximum: said at once, and the element cannot be left or sent so.
    const why = next && !next.endsWith(".") ? partProblem(next, c) : "";
    showError(why === fill(T.err_part_max, { name: c.name, max: plain(c.max) }) ? why : "");
    render();
    return;
  }
  entered = next;
  const why = entered && !entered.endsWith(".") ? problem(entered) : "";
  showError(why === T.err_range ? why : "");
  render();
}

// Choose the element the keypad types into (a tap on its tile, or "下一项").
function choose(index) {
  if (!canEnter()) return;
  const list = criteria();
  if (!list) return;
  active = Math.max(0, Math.min(list.length - 1, index));
  showError("");
  render();
}

// The big button on a sheet: on to the next element that still needs a mark, or, once every
// element holds a valid mark, the two-step confirm of the total.
function nextOrConfirm(list) {
  const c = list[active];
  const why = partProblem(partsEntered[c.code], c);
  if (why) return showError(why);
  for (let step = 1; step <= list.length; step += 1) {
    const index = (active + step) % list.length;
    if (partProblem(partsEntered[list[index].code], list[index])) return choose(index);
  }
  showError("");
  const [before, after = ""] = T.confirm.split("{score}");
  const big = document.createElement("strong");
  big.className = "confirm-score";
  big.textContent = sheetTotal(list);
  $("confirm-text").replaceChildren(before, big, after);
  $("confirm-parts").replaceChildren(...partItems(list, partsEntered));
  $("confirm-parts").classList.toggle("many", list.length > 6);
  $("confirm-parts").hidden = false;
  $("confirm").hidden = false;
  $("confirm-yes").focus();
}

function partItems(list, parts) {
  return list.map((c) => {
    const item = document.createElement("li");
    item.dataset.code = c.code;
    const name = document.createElement("span");
    name.textContent = c.name;
    const value = document.createElement("strong");
    value.textContent = parts && parts[c.code] !== undefined ? parts[c.code] : "—";
    item.append(name, value);
    return item;
  });
}

function showError(text) {
  lastError = text || "";
  const box = $("error");
  box.textContent = lastError;
  box.classList.toggle("shown", Boolean(lastError));
}

// --- submitting -----------------------------------------------------------------------------

function askConfirm() {
  if (!canEnter()) return;
  const list = criteria();
  if (list) return nextOrConfirm(list);
  $("confirm-parts").hidden = true;
  const why = problem(entered);
  if (why) return showError(why);
  showError("");
  // The mark itself in large type, inside the sentence: "最终打分为 85.5 分，确认提交？"
  const [before, after = ""] = T.confirm.split("{score}");
  const big = document.createElement("strong");
  big.className = "confirm-score";
  big.textContent = entered;
  $("confirm-text").replaceChildren(before, big, after);
  $("confirm").hidden = false;
  $("confirm-yes").focus();
}

function closeConfirm() {
  $("confirm").hidden = true;
}

function confirmSubmit() {
  closeConfirm();
  const list = criteria();
  if (!canEnter() || (list ? !sheetComplete(list) : problem(entered))) return;
  const pending = { request_id: randomId(), interview_id: server.interview.id, score: entered };
  if (list) {
    // The total and every element, exactly as typed: the server checks that they add up.
    pending.score = sheetTotal(list);
    pending.parts = Object.fromEntries(list.map((c) => [c.code, partsEntered[c.code]]));
  }
  store.set(PENDING, pending); // queued first: a dropped Wi-Fi cannot lose it
  entered = "";
  partsEntered = {};
  active = 0;
  render();
  sendPending();
}

function sendPending() {
  const pending = read(PENDING);
  if (!pending) return;
  socket.send({ type: "submit", ...pending });
}

function onAck(frame) {
  const pending = read(PENDING);
  if (pending && pending.request_id === frame.request_id) store.set(PENDING, null);
  store.set(ACKED, { interview_id: frame.interview_id, score: frame.score, parts: frame.parts || null });
  if (server && server.interview && server.interview.id === frame.interview_id) {
    server.my_score = frame.score; // the stored mark, exactly as the server keeps it
    if (frame.parts) server.my_parts = frame.parts;
  }
  render();
}

function onError(frame) {
  const pending = read(PENDING);
  if (frame.code === "rate_limited") {
    setTimeout(sendPending, 2000);
    return;
  }
  if (pending && frame.request_id === pending.request_id) {
    store.set(PENDING, null); // the server refused it for good: say why and show the truth
    if (frame.code === "invalid_score") entered = pending.score;
    if (frame.code === "invalid_parts" || (frame.code === "invalid_score" && pending.parts)) {
      partsEntered = { ...(pending.parts || {}) };
    }
  }
  showError(fill(T.err_send, { message: frame.message || frame.code }));
  render();
}

// --- what to show ---------------------------------------------------------------------------

function phase() {
  if (!server) return "not_open";
  const iv = server.interview;
  if (!iv) return "not_open";
  if (server.excused) return "excused";
  const pending = read(PENDING);
  if (pending && pending.interview_id === iv.id && server.my_score === null) return "pending";
  if (server.my_score !== null) return "submitted";
  if (iv.state !== "interviewing") return "not_open";
  const acked = read(ACKED);
  if (acked && acked.interview_id === iv.id) return "reopened";
  return "ready";
}

function canEnter() {
  const p = phase();
  return p === "ready" || p === "reopened";
}

function render() {
  const p = phase();
  const iv = server && server.interview;
  if (iv && enteredFor !== iv.id) {
    entered = "";
    partsEntered = {};
    active = 0;
    enteredFor = iv.id;
    showError("");
  }
  const list = criteria();
  $("candidate").textContent = iv
    ? fill(T.candidate, { draw: iv.draw_no, post: iv.position_name })
    : server
      ? T.no_candidate
      : T.st_connecting;
  const conn = $("conn").dataset.conn;
  const texts = {
    not_open: !server ? T.st_connecting : iv ? T.st_closed : T.st_not_open,
    ready: list ? T.st_ready_sheet : T.st_ready,
    reopened: T.st_reopened,
    pending: conn === "online" ? T.st_pending : T.st_pending_offline,
    submitted: T.st_submitted,
    excused: T.st_excused,
  };
  $("status").dataset.state = p;
  $("status-text").textContent = texts[p];

  const entering = p === "ready" || p === "reopened";
  $("entry").hidden = !entering;
  if (!entering) closeConfirm();
  $("score-input").value = entered;
  renderSheet(list, entering);

  const pending = read(PENDING);
  const showDone = p === "submitted" || p === "pending";
  $("done").hidden = !showDone;
  $("done").dataset.kind = p;
  $("done-label").textContent = p === "pending" ? T.pending_label : T.my_label;
  $("my-score").textContent = p === "submitted" ? server.my_score : "";
  $("pending-score").textContent = p === "pending" && pending ? pending.score : "";
  $("done-note").textContent =
    p === "pending"
      ? T.pending_note
      : iv && p === "submitted"
        ? fill(T.progress, { n: server.submitted, m: server.expected })
        : "";
  $("done").classList.toggle("is-pending", p === "pending");
  const shownParts = list && showDone ? doneParts(p, iv, pending) : null;
  $("done-parts").hidden = !shownParts;
  $("done-parts").replaceChildren(...(shownParts ? partItems(list, shownParts) : []));
  $("done-parts").classList.toggle("many", Boolean(list) && list.length > 6);
}

// The elements behind the total shown as done: the pending ones, else the acknowledged ones.
function doneParts(p, iv, pending) {
  if (p === "pending") return pending && pending.parts ? pending.parts : null;
  if (server.my_parts) return server.my_parts;
  const acked = read(ACKED);
  return acked && iv && acked.interview_id === iv.id && acked.parts ? acked.parts : null;
}

function renderSheet(list, entering) {
  $("sheet").hidden = !(list && entering);
  $("app").classList.toggle("by-sheet", Boolean(list));
  if (!list) {
    $("submit-btn").textContent = T.submit_score;
    return;
  }
  if (active >= list.length) active = 0;
  const c = list[active];
  $("score-input").value = partsEntered[c.code] || "";
  $("score-input").placeholder = `0–${plain(c.max)}`;
  $("part-label").textContent = fill(T.part_label, { name: c.name, max: plain(c.max) });
  $("sheet-total").textContent = sheetTotal(list);
  $("submit-btn").textContent = sheetComplete(list) ? T.submit_sheet : T.next_part;
  const items = list.map((item, index) => {
    const text = partsEntered[item.code] || "";
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "part";
    button.dataset.part = item.code;
    if (index === active) {
      button.classList.add("active");
      button.setAttribute("aria-current", "true");
    }
    if (text && !text.endsWith(".") && partProblem(text, item)) button.classList.add("bad");
    else if (text && !partProblem(text, item)) button.classList.add("filled");
    const name = document.createElement("span");
    name.className = "part-name";
    name.textContent = item.name;
    const value = document.createElement("span");
    value.className = "part-value";
    value.textContent = text || "—";
    const top = document.createElement("span");
    top.className = "part-max";
    top.textContent = "/" + plain(item.max);
    value.append(top);
    button.append(name, value);
    button.setAttribute("aria-label", `${fill(T.part_label, { name: item.name, max: plain(item.max) })} ${text || "—"}`);
    button.addEventListener("click", () => choose(index));
    li.append(button);
    return li;
  });
  $("sheet-items").replaceChildren(...items);
}

function onStatus(status) {
  const conn = $("conn");
  conn.dataset.conn = status;
  $("conn-text").textContent = T[status] || status;
  // Frames flow again: a mark sent into a silent socket may have lost its ack on the way back.
  // The same request id is safe to repeat: the server answers it with the original ack.
  if (status === "online") sendPending();
  render();
}

function onFrame(frame) {
  switch (frame.type) {
    case "state":
      server = frame;
      if (server.my_score !== null && server.interview) {
        const old = read(ACKED);
        const kept = old && old.interview_id === server.interview.id ? old.parts : null;
        store.set(ACKED, { interview_id: server.interview.id, score: server.my_score, parts: server.my_parts || kept || null });
      }
      render();
      break;
    case "ack":
      onAck(frame);
      break;
    case "error":
      onError(frame);
      break;
    default:
      console.error("unknown frame type", frame);
  }
}

const socket = new LiveSocket(wsUrl(`/ws/judge/${encodeURIComponent(token)}${lang === "en" ? "?lang=en" : ""}`), {
  onFrame,
  onStatus,
  onOpen: sendPending,
});

document.querySelectorAll("button[data-key]").forEach((button) => {
  button.addEventListener("click", () => press(button.dataset.key));
});
$("submit-btn").addEventListener("click", askConfirm);
$("confirm-yes").addEventListener("click", confirmSubmit);
$("confirm-no").addEventListener("click", () => {
  closeConfirm();
  $("submit-btn").focus();
});
document.addEventListener("keydown", (event) => {
  if (!$("confirm").hidden) {
    if (event.key === "Escape") closeConfirm();
    return;
  }
  if (/^[0-9.]$/.test(event.key)) press(event.key);
  else if (event.key === "Backspace") press("back");
  else if (criteria() && (event.key === "ArrowDown" || event.key === "ArrowRight")) choose(active + 1);
  else if (criteria() && (event.key === "ArrowUp" || event.key === "ArrowLeft")) choose(active - 1);
  else if (event.key === "Enter") askConfirm();
  else return;
  event.preventDefault();
});

render();
socket.start();
setInterval(() => {
  if (socket.status === "online") sendPending();
}, 5000);
