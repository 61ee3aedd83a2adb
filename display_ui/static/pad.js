// The candidate's signature: Pointer Events on a canvas (finger, pen or mouse), recorded as
// strokes of [x, y, t] in canvas pixels (CSS pixels of the pad; t in ms since the first touch).

import { fill } from "/assets/judge/live.js";

const MIN_POINTS = 3; // the server's rule too: fewer points or a spread under 10 px is a tap
const MIN_SPREAD = 10;

export function hhmm(iso) {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

// Why these strokes are not a signature, or "" when they may be one.
export function trivial(strokes, T) {
  const points = strokes.flat();
  if (points.length < MIN_POINTS) return T.sign_empty;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const spread = (v) => Math.max(...v) - Math.min(...v);
  if (spread(xs) < MIN_SPREAD && spread(ys) < MIN_SPREAD) return T.sign_small;
  return "";
}

export class SignPad {
  constructor({ token, T, interviewId, onSigned }) {
    this.token = token;
    this.T = T;
    this.interviewId = interviewId; // () => the id awaiting a signature, or null
    this.onSigned = onSigned;
    this.canvas = document.getElementById("sign-canvas");
    this.ctx = this.canvas.getContext("2d");
    this.strokes = [];
    this.current = null;
    this.t0 = null;
    this.sending = false;
    this.forId = null;
    this.label = document.getElementById("sign-submit").textContent;
    this.bind();
    new ResizeObserver(() => this.resize()).observe(this.canvas);
  }

  bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 && e.pointerType === "mouse") return;
      e.preventDefault();
      c.setPointerCapture(e.pointerId);
      this.current = [this.point(e)];
      this.strokes.push(this.current);
      this.error("");
      this.draw();
    });
    c.addEventListener("pointermove", (e) => {
      if (!this.current) return;
      e.preventDefault();
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) this.current.push(this.point(ev));
      this.draw();
    });
    const end = (e) => {
      if (!this.current) return;
      this.current = null;
      if (c.hasPointerCapture(e.pointerId)) c.releasePointerCapture(e.pointerId);
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    document.getElementById("sign-clear").addEventListener("click", () => this.clear());
    document.getElementById("sign-submit").addEventListener("click", () => this.submit());
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    if (this.t0 === null) this.t0 = performance.now();
    const round = (v) => Math.round(v * 10) / 10;
    return [round(e.clientX - rect.left), round(e.clientY - rect.top), Math.round(performance.now() - this.t0)];
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(rect.width * ratio));
    this.canvas.height = Math.max(1, Math.round(rect.height * ratio));
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.draw();
  }

  draw() {
    const { ctx, canvas } = this;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111111";
    ctx.fillStyle = "#111111";
    for (const stroke of this.strokes) {
      if (stroke.length === 1) {
        ctx.beginPath();
        ctx.arc(stroke[0][0], stroke[0][1], 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(stroke[0][0], stroke[0][1]);
      for (const [x, y] of stroke.slice(1)) ctx.lineTo(x, y);
      ctx.stroke();
    }
    this.canvas.parentElement.classList.toggle("has-ink", this.strokes.length > 0);
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.t0 = null;
    this.error("");
    this.draw();
  }

  // A new interview to sign for: start from a blank pad.
  reset(interviewId) {
    if (interviewId !== this.forId) {
      this.forId = interviewId;
      this.clear();
    }
  }

  error(text) {
    const box = document.getElementById("sign-error");
    box.textContent = text;
    box.classList.toggle("shown", Boolean(text));
  }

  async submit() {
    if (this.sending) return;
    const id = this.interviewId();
    if (id === null) return;
    const why = trivial(this.strokes, this.T);
    if (why) {
      this.error(why);
      return;
    }
    this.sending = true;
    this.error("");
    const button = document.getElementById("sign-submit");
    button.disabled = true;
    button.textContent = this.T.sign_sending;
    try {
      const response = await fetch(`/api/display/${encodeURIComponent(this.token)}/signature`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ interview_id: id, strokes: this.strokes }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.status === 201) {
        this.onSigned(body);
      } else {
        this.error(fill(this.T.sign_failed, { message: body.detail || response.status }));
      }
    } catch (err) {
      this.error(this.T.sign_offline);
    } finally {
      this.sending = false;
      button.disabled = false;
      button.textContent = this.label;
    }
  }
}

// Show the pad, the signed time or the dispute note for an announcement.
export function showSignState(pad, announcement, T) {
  const signedBox = document.getElementById("signed");
  const padBox = document.getElementById("sign-pad");
  const disputed = document.getElementById("disputed");
  const state = announcement ? announcement.state : null;
  padBox.hidden = state !== "announced";
  signedBox.hidden = state !== "confirmed";
  disputed.hidden = state !== "disputed";
  if (state === "confirmed") signedBox.textContent = fill(T.signed, { time: hhmm(announcement.signed_at) });
  if (state === "announced") pad.reset(announcement.interview_id);
}
