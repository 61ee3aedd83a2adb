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
// The server builds the sentence (`announcement.speech`) in the sitting's language; this page
// only says it, with a voice of that language.

const VOICE_LANG = root.dataset.lang === "en" ? "en-US" : "zh-CN";
let unlocked = false; // has someone touched the page, so that the browser lets it speak?
let waiting = null; // an announcement that came before that touch, said right after it

function speak(text) {
  const synth = window.speechSynthesis;
  if (!text || !synth || typeof SpeechSynthesisUtterance === "undefined") return;
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = VOICE_LANG;
  utterance.rate = 0.85; // slower than default: a hall, an anxious listener
  const voices = synth.getVoices ? synth.getVoices() : [];
  const base = VOICE_LANG.slice(0, 2);
  const voice =
    voices.find((v) => v.lang.replace("_", "-") === VOICE_LANG) ||
    (base === "zh" && voices.find((v) => /^zh[-_](CN|Hans)/i.test(v.lang))) ||
    voices.find((v) => v.lang.toLowerCase().startsWith(base));
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
// Before the first touch the browser would drop the sentence, so it waits for that touch.
function speakOnce(a) {
  if (a.state !== "announced") return;
  const done = spokenIds();
  if (done.includes(a.interview_id) || spokenHere.has(a.interview_id)) return;
  if (!unlocked) {
    waiting = a;
    return;
  }
  try {
    localStorage.setItem(SPOKEN, JSON.stringify([...done, a.interview_id].slice(-50)));
  } catch (err) {
    /* without storage we may repeat after a reload; never within one page */
  }
  spokenHere.add(a.interview_id);
  speak(a.speech);
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

// When the candidate on screen signs, or a dispute is recorded, that outcome stays on screen a
// little while even if the next interview is live: the candidate should see it was taken.
const OUTCOME_HOLD_MS = 8000;
let lastSeen = null; // {id, state} of the announcement in the previous frame
let outcomeUntil = 0;

function noteOutcome(a) {
  if (a && lastSeen && lastSeen.id === a.interview_id && lastSeen.state === "announced" && a.state !== "announced") {
    outcomeUntil = Date.now() + OUTCOME_HOLD_MS;
    setTimeout(render, OUTCOME_HOLD_MS + 50);
  }
  lastSeen = a ? { id: a.interview_id, state: a.state } : null;
}

function mode(s) {
  if (!s) return "idle";
  const a = s.announcement;
  if (a && (a.state === "announced" || !s.current || Date.now() < outcomeUntil)) return "announcement";
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

// With per-element trimming (评分要素, trim "per_criterion") no whole mark is dropped: the judges'
// totals stand unstruck and each element's average is shown beneath them.
function renderElements(a) {
  const list = $("elements");
  const note = $("drop-note");
  const elements = a && Array.isArray(a.elements) ? a.elements : null;
  list.hidden = !elements;
  root.classList.toggle("with-elements", Boolean(elements)); // a little less room for each row
  if (note) note.textContent = elements ? T.element_note : T.drop_note;
  if (!elements) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(
    ...elements.map((e) => {
      const item = document.createElement("li");
      item.className = "element";
      item.dataset.code = e.code;
      const name = document.createElement("span");
      name.className = "element-name";
      name.textContent = e.name;
      const average = document.createElement("span");
      average.className = "element-average";
      average.textContent = e.average;
      const top = document.createElement("span");
      top.className = "element-max";
      // "20.0" is read "满分 20": a maximum without its trailing zero decimals.
      const max = String(e.max).includes(".") ? String(e.max).replace(/0+$/, "").replace(/\.$/, "") : String(e.max);
      top.textContent = fill(T.element_max, { max });
      item.append(name, average, top);
      return item;
    }),
  );
}

function render() {
  const s = state;
  noteOutcome(s && s.announcement);
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
  strip.textContent = c
    ? fill(T.live_strip, { post: c.position_name, draw: c.draw_no, n: c.submitted, m: c.expected })
    : "";
  if (a) {
    $("announce-title").textContent = fill(T.announce_title, { draw: a.draw_no, post: a.position_name });
    renderMarks(a);
    renderElements(a);
    $("result").textContent = fill(T.result, { score: a.result });
  } else {
    $("announce-title").textContent = "";
    $("marks").replaceChildren();
    renderElements(null);
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

// Browsers speak only after someone has touched the page once: until then a full-screen prompt
// asks for that touch. The touch itself says something (the waiting result, or "speech is on"),
// which also unlocks speech on browsers that want it started inside the touch's own handler.
// A click, not a pointerdown: on a touch screen the browser grants the activation only when the
// finger lifts, and a sentence spoken before that would be dropped.
function unlock() {
  if (unlocked) return;
  unlocked = true;
  $("sound-gate").hidden = true;
  window.removeEventListener("keydown", unlock, true);
  const a = waiting;
  waiting = null;
  const now = state && state.announcement;
  if (a && now && now.interview_id === a.interview_id && now.state === "announced") {
    speakOnce(now);
  } else {
    speak(T.sound_on);
  }
}
const activation = navigator.userActivation;
if (activation && activation.hasBeenActive) {
  unlocked = true;
} else {
  $("sound-gate").hidden = false;
  $("sound-gate").addEventListener("click", unlock);
  window.addEventListener("keydown", unlock, true);
}

$("replay-btn").addEventListener("click", () => {
  if (state && state.announcement) speak(state.announcement.speech);
});

const socket = new LiveSocket(wsUrl(`/ws/display/${encodeURIComponent(token)}`), { onFrame, onStatus });
setInterval(tick, 250);
render();
socket.start();
