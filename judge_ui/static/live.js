// A self-healing socket shared by the judge page and the hall display.
//
// "Online" is claimed only while frames keep arriving: a ping goes out every few seconds and,
// when nothing (not even the pong) comes back within the timeout, the socket is dropped and
// re-opened with exponential backoff. The browser's offline event counts as a drop at once.

export function wsUrl(path) {
  // The hall Wi-Fi serves plain HTTP; a deployment behind TLS must use wss://.
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export function randomId() {
  // crypto.randomUUID is missing on plain-HTTP origins; getRandomValues is not.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function readJson(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : `{${key}}`));
}

export class LiveSocket {
  constructor(url, { onFrame, onStatus, onOpen, pingMs = 3000, timeoutMs = 7000, maxDelayMs = 10000 }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onStatus = onStatus || (() => {});
    this.onOpen = onOpen || (() => {});
    this.pingMs = pingMs;
    this.timeoutMs = timeoutMs;
    this.maxDelayMs = maxDelayMs;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.lastHeard = 0;
    this.status = "connecting";
    this.live = false; // a frame has arrived on the current socket
  }

  start() {
    window.addEventListener("offline", () => this.drop());
    window.addEventListener("online", () => this.reconnectNow());
    setInterval(() => this.heartbeat(), this.pingMs);
    this.connect();
  }

  setStatus(status) {
    if (status !== this.status) {
      this.status = status;
      this.onStatus(status);
    }
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    if (navigator.onLine === false) {
      this.setStatus("offline");
      this.schedule();
      return;
    }
    if (this.status !== "offline") this.setStatus("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this.schedule();
      return;
    }
    this.ws = ws;
    this.live = false;
    this.lastHeard = Date.now();
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      this.onOpen();
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        console.error("unreadable frame", event.data);
        return;
      }
      if (!this.live) {
        this.live = true;
        this.attempt = 0;
      }
      this.setStatus("online");
      if (frame.type !== "pong") this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // A socket that never delivered a frame on the first tries is "connecting"; after that, offline.
      if (this.live || this.attempt >= 2 || navigator.onLine === false) this.setStatus("offline");
      this.live = false;
      this.schedule();
    };
  }

  schedule() {
    if (this.timer) return;
    // 0.5 s, 1 s, 2 s, ... up to maxDelay, with jitter so a hall of phones does not reconnect in step.
    const base = Math.min(this.maxDelayMs, 500 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  drop() {
    const ws = this.ws;
    this.ws = null;
    this.live = false;
    this.setStatus("offline");
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch (err) {
        /* already closed */
      }
    }
    this.schedule();
  }

  reconnectNow() {
    this.attempt = 0;
    clearTimeout(this.timer);
    this.timer = null;
    if (this.ws) this.drop();
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  heartbeat() {
    if (!this.ws) return;
    if (Date.now() - this.lastHeard > this.timeoutMs) {
      this.drop();
      return;
    }
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "ping" }));
  }

  // Send a frame now if the socket is up; return whether it went.
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
