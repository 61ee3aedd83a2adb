// The hall display: read from 5 metres. Shows only what the server's `state` frame says; the
// frame carries no mark or result before the announcement, so none can leak from here.

import { LiveSocket, fill, readJson, wsUrl } from "/assets/judge/live.js";
import { SignPad, showSignState } from "./pad.js";

const $ = (id) => document.getElementById(id);
const root = $("display");
const token = root.dataset.token;
const T = readJson("strings");
const SPOKEN = `kiosk.display.${token}.spoken`;

let state = null;
let clockOffset = 0; // server time minus this screen's clock, in ms
let countdownEnds = null;

// --- speech -----------------------------------------------------------------------------------

// "N 号考生，去掉一个最高分 X 分，去掉一个最低分 Y 分，最终面试得分 Z 分"
export function sentence(a) {
  const high = a.marks.find((m) => m.dropped === "high");
  const low = a.marks.find((m) => m.dropped === "low");
  const parts = [`${a.draw_no} 号考生`];
  if (high) parts.push(`去掉一个最高分 ${high.score} 分`);
  if (low) parts.push(`去掉一个最低分 ${low.score} 分`);
  parts.push(`最终面试得分 ${a.result} 分`);
  return parts.join("，");
}

function speak(text) {
  const synth = window.speechSynthesis;
  if (!synth || typeof SpeechSynthesisUtterance === "undefined") return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = "zh-CN";
  utterance.rate = 0.85; // slower than default: a hall, an anxious listener
  const voices = synth.getVoices ? synth.getVoices() : [];
  const voice =
    voices.find((v) => v.lang === "zh-CN") || voices.find((v) => /^zh[-_](CN|Hans)/i.test(v.lang)) || voices.find((v) => /^zh/i.test(v.lang));
  if (voice) utterance.voice = voice;
  synth.cancel();
  synth.speak(utterance);
}

function spokenIds() {
  try {
    return JSON.parse(localStorage.getItem(SPOKEN) || "[]");
  } catch (err) {
    return [];
  }
}

// Speak each announcement once: not again on the next state frame, a reconnect or a reload.
function speakOnce(a) {
  if (a.state !== "announced") return;
  const done = spokenIds();
  if (done.includes(a.interview_id)) return;
  try {
    localStorage.setItem(SPOKEN, JSON.stringify([...done, a.interview_id].slice(-50)));
  } catch (err) {
    /* without storage we may repeat after a reload; never within one page */
  }
  spokenHere.add(a.interview_id);
  speak(sentence(a));
}
const spokenHere = new Set();

// --- the clock ------------------------------------------------------------------------------

async function syncClock() {
  // The countdown ends at a server time; a TV's clock may be minutes off. The Date header of a
  // same-origin response is the server's clock to the second, which is enough here.
  try {
    const before = Date.now();
    const response = await fetch(`/api/display/${encodeURIComponent(token)}/state`, { cache: "no-store" });
    const date = response.headers.get("Date");
    if (date) clockOffset = new Date(date).getTime() + 500 - (before + Date.now()) / 2;
  } catch (err) {
    /* keep the old offset */
  }
}

function tick() {
  const box = $("countdown");
  if (!countdownEnds) {
    box.hidden = true;
    return;
  }
  const left = Math.max(0, Math.round((countdownEnds - (Date.now() + clockOffset)) / 1000));
  const mm = String(Math.floor(left / 60)).padStart(2, "0");
  const ss = String(left % 60).padStart(2, "0");
  box.hidden = false;
  box.textContent = left > 0 ? fill(T.countdown, { time: `${mm}:${ss}` }) : T.overtime;
  box.classList.toggle("urgent", left <= 60);
}

// --- rendering ------------------------------------------------------------------------------

function mode(s) {
  if (!s) return "idle";
  const a = s.announcement;
  if (a && (a.state === "announced" || !s.current)) return "announcement";
  if (s.current) return "interviewing";
  return "idle";
}

function renderMarks(a) {
  const list = $("marks");
  list.replaceChildren(
    ...a.marks.map((m) => {
      const item = document.createElement("li");
      item.className = "mark";
      item.dataset.seat = String(m.seat);
      if (m.dropped === "high") item.classList.add("dropped-high");
      if (m.dropped === "low") item.classList.add("dropped-low");
      const seat = document.createElement("span");
      seat.className = "mark-seat";
      seat.textContent = fill(T.seat, { seat: m.seat });
      const score = document.createElement("span");
      score.className = "mark-score";
      score.textContent = m.score ?? "—";
      const tag = document.createElement("span");
      tag.className = "mark-tag";
      tag.textContent = m.dropped === "high" ? T.dropped_high : m.dropped === "low" ? T.dropped_low : "";
      item.append(seat, score, tag);
      return item;
    }),
  );
}

function render() {
  const s = state;
  const m = mode(s);
  root.dataset.mode = m;
  $("title").textContent = s ? s.session.title : "";
  document.title = s ? s.session.title : document.title;

  const c = s && s.current;
  if (c) {
    $("current-draw").textContent = fill(T.interviewing, { draw: c.draw_no });
    $("current-post").textContent = c.position_name;
    $("progress").textContent = fill(T.progress, { n: c.submitted, m: c.expected });
    countdownEnds = c.countdown_ends_at ? new Date(c.countdown_ends_at).getTime() : null;
  } else {
    $("current-draw").textContent = "";
    $("current-post").textContent = "";
    $("progress").textContent = "";
    countdownEnds = null;
  }
  tick();

  const a = s && s.announcement;
  const strip = $("live-strip");
  strip.hidden = !(m === "announcement" && c);
  strip.textContent = c ? fill(T.live_strip, { draw: c.draw_no, n: c.submitted, m: c.expected }) : "";
  if (a) {
    $("announce-title").textContent = fill(T.announce_title, { draw: a.draw_no, post: a.position_name });
    renderMarks(a);
    $("result").textContent = fill(T.result, { score: a.result });
  } else {
    $("announce-title").textContent = "";
    $("marks").replaceChildren();
    $("result").textContent = "";
  }
  showSignState(pad, a, T);
  if (a && m === "announcement") speakOnce(a);
}

function onFrame(frame) {
  switch (frame.type) {
    case "state":
      state = frame;
      render();
      break;
    case "error":
      console.warn("display socket error", frame);
      break;
    default:
      console.error("unknown frame type", frame);
  }
}

function onStatus(status) {
  $("conn").dataset.conn = status;
  $("conn-text").textContent = T[status] || status;
  if (status === "online") syncClock();
}

const pad = new SignPad({
  token,
  T,
  interviewId: () => (state && state.announcement && state.announcement.state === "announced" ? state.announcement.interview_id : null),
  onSigned: (body) => {
    // Show the confirmation at once; the state frame that follows says the same.
    if (state && state.announcement && state.announcement.interview_id === body.interview_id) {
      state.announcement = { ...state.announcement, state: body.state, signed_at: body.signed_at };
      render();
    }
  },
});

// Browsers speak only after someone has touched the page once: until then, ask for that touch.
const activation = navigator.userActivation;
if (activation && !activation.hasBeenActive) {
  const button = $("sound-btn");
  button.hidden = false;
  const unlock = () => {
    button.hidden = true;
    window.removeEventListener("pointerdown", unlock, true);
    window.removeEventListener("keydown", unlock, true);
  };
  window.addEventListener("pointerdown", unlock, true);
  window.addEventListener("keydown", unlock, true);
}

$("replay-btn").addEventListener("click", () => {
  if (state && state.announcement) speak(sentence(state.announcement));
});

const socket = new LiveSocket(wsUrl(`/ws/display/${encodeURIComponent(token)}`), { onFrame, onStatus });
setInterval(tick, 250);
render();
socket.start();
