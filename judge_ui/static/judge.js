// The judge's phone: one seat, one mark per interview, never another judge's mark.
//
// The server's `state` frame is the truth. The only thing kept in the browser is a mark that
// was confirmed but not yet acknowledged: it waits in localStorage with its request id and is
// re-sent, with the same id, whenever the socket comes back, so it is never lost or doubled.

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
  let next = entered;
  const d = decimals();
  if (key === "back") {
    next = entered.slice(0, -1);
  } else if (key === ".") {
    if (d === 0) return showError(T.err_integer);
    if (entered.includes(".")) return;
    next = entered === "" ? "0." : entered + ".";
  } else if (/^[0-9]$/.test(key)) {
    const [whole, frac] = entered.split(".");
    if (frac !== undefined && frac.length >= d) return showError(fill(T.err_decimals, { d }));
    if (frac === undefined && whole.length >= 3) return showError(T.err_range);
    next = entered === "0" ? key : entered + key;
  } else {
    return;
  }
  entered = next;
  const why = entered && !entered.endsWith(".") ? problem(entered) : "";
  showError(why === T.err_range ? why : "");
  render();
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
  if (!canEnter() || problem(entered)) return;
  const pending = { request_id: randomId(), interview_id: server.interview.id, score: entered };
  store.set(PENDING, pending); // queued first: a dropped Wi-Fi cannot lose it
  entered = "";
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
  store.set(ACKED, { interview_id: frame.interview_id, score: frame.score });
  if (server && server.interview && server.interview.id === frame.interview_id) {
    server.my_score = frame.score; // the stored mark, exactly as the server keeps it
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
    enteredFor = iv.id;
    showError("");
  }
  $("candidate").textContent = iv
    ? fill(T.candidate, { draw: iv.draw_no, post: iv.position_name })
    : server
      ? T.no_candidate
      : T.st_connecting;
  const conn = $("conn").dataset.conn;
  const texts = {
    not_open: !server ? T.st_connecting : iv ? T.st_closed : T.st_not_open,
    ready: T.st_ready,
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
        store.set(ACKED, { interview_id: server.interview.id, score: server.my_score });
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
  else if (event.key === "Enter") askConfirm();
  else return;
  event.preventDefault();
});

render();
socket.start();
setInterval(() => {
  if (socket.status === "online") sendPending();
}, 5000);
