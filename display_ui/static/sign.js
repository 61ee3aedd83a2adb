// The signature tablet beside the display: only the pad and the candidate's post, draw number and
// result.

import { LiveSocket, fill, readJson, wsUrl } from "/assets/judge/live.js";
import { SignPad, showSignState } from "./pad.js";

const $ = (id) => document.getElementById(id);
const root = $("sign-main");
const token = root.dataset.token;
const T = readJson("strings");
let state = null;

function render() {
  const a = state && state.announcement;
  root.dataset.mode = a ? a.state : "none";
  // The post too: draw numbers start again at 1 for every post.
  $("sign-for").textContent = a
    ? fill(T.sign_for, { post: a.position_name, draw: a.draw_no, score: a.result })
    : T.sign_none;
  showSignState(pad, a, T);
  if (!a) $("sign-pad").hidden = true;
}

const pad = new SignPad({
  token,
  T,
  interviewId: () => (state && state.announcement && state.announcement.state === "announced" ? state.announcement.interview_id : null),
  onSigned: (body) => {
    if (state && state.announcement && state.announcement.interview_id === body.interview_id) {
      state.announcement = { ...state.announcement, state: body.state, signed_at: body.signed_at };
      render();
    }
  },
});

const socket = new LiveSocket(wsUrl(`/ws/display/${encodeURIComponent(token)}`), {
  onFrame(frame) {
    if (frame.type === "state") {
      state = frame;
      render();
    } else if (frame.type !== "error") {
      console.error("unknown frame type", frame);
    }
  },
  onStatus(status) {
    $("conn").dataset.conn = status;
    $("conn-text").textContent = T[status] || status;
  },
});
render();
socket.start();
