// ClassConnection: one device's live link to its class. It says hello,
// keeps the epoch and offset it has seen, reconnects with backoff and
// resumes, queues commands while disconnected, and keeps a clock offset
// so that countdowns follow the server's clock, not the device's. The
// commands a page marks to keep (a student's answers) also wait in the
// device's storage, so that they survive a reload and are sent once the
// device is back, with their request IDs: the server answers a repeated
// ID with its first answer, so nothing is done twice.

// Close codes after which the device must not reconnect by itself.
const FINAL = new Set([1001, 1008, 4002, 4003, 4004, 4007]);

export class CommandError extends Error {
  // retryAfter (ms) is set with rate_limited: how long to wait before
  // sending the command again with the same ID.
  constructor(code, message, retryAfter = 0) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export class ClassConnection {
  // keep names the storage that holds the kept commands of this device's
  // person in this class (none: nothing is kept).
  // onToken(token, expires), when given, is told each fresh token the
  // connection got by renewing its own before it expires (a console open
  // all day, a device through a long one, a projector on the wall): the
  // page keeps it where it keeps the first.
  constructor({ url, token, room, keep, onWelcome, onEvent, onStatus, onClosed, onToken }) {
    this.url = url || defaultURL();
    this.token = token;
    this.onToken = onToken || null;
    this.renewTimer = null;
    this.room = room;
    this.onWelcome = onWelcome || (() => {});
    this.onEvent = onEvent || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onClosed = onClosed || (() => {});
    this.epoch = null;
    this.offset = 0;
    this.clockOffset = 0; // server time minus local time, in ms
    this.bestRTT = Infinity; // round trip of the ping the offset came from
    this.pingTimers = [];
    this.fresh = false; // the next hello asks for a snapshot, not a resume
    this.pending = new Map(); // id → {frame, resolve, reject}
    this.nextID = 1;
    this.attempt = 0;
    this.notBefore = 0; // no reconnect before this time (a server's retry_after)
    this.ready = false;
    this.stopped = false;
    this.pinger = null;
    this.timer = null;
    this.prefix = Math.random().toString(36).slice(2, 8);
    this.keep = keep || "";
    for (const k of this.stored()) {
      let resolve, reject;
      const done = new Promise((res, rej) => ((resolve = res), (reject = rej)));
      done.catch(() => {}); // a page that does not wait for it need not
      this.pending.set(k.id, { frame: k.frame, type: k.type, data: k.data, kept: true, done, resolve, reject });
    }
    window.addEventListener("online", () => this.reconnectSoon(0));
    // The system knows before TCP does that the network is gone: the
    // device says so at once, and keeps what is sent for when it is back.
    window.addEventListener("offline", () => {
      if (this.ws) this.ws.close(1000);
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && !this.ws) this.reconnectSoon(0);
    });
    this.connect();
  }

  // send runs a command and resolves with its result. While disconnected the
  // command waits and is sent after the welcome, with the same ID, which the
  // server deduplicates.
  // With {keep: true} the command also waits in storage until answered.
  send(type, data = {}, { keep = false } = {}) {
    const id = `${this.prefix}-${this.nextID++}`;
    const frame = JSON.stringify({ v: 1, id, type, data });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { frame, type, data, kept: keep && !!this.keep, resolve, reject });
      if (keep) this.store();
      if (this.ready) this.ws.send(frame);
    });
  }

  // keptCommands are the kept commands not answered yet, oldest first:
  // {id, type, data, done}, done a promise of the answer for those that
  // came from storage (a page that sent one has its own).
  keptCommands() {
    return [...this.pending].filter(([, p]) => p.kept).map(([id, p]) => ({ id, type: p.type, data: p.data, done: p.done }));
  }

  stored() {
    if (!this.keep) return [];
    try {
      const list = JSON.parse(localStorage.getItem(this.keep));
      return Array.isArray(list) ? list.filter((k) => k && typeof k.id === "string" && typeof k.frame === "string") : [];
    } catch {
      return [];
    }
  }

  store() {
    if (!this.keep) return;
    const list = [...this.pending].filter(([, p]) => p.kept).map(([id, p]) => ({ id, type: p.type, data: p.data, frame: p.frame }));
    try {
      if (list.length) localStorage.setItem(this.keep, JSON.stringify(list));
      else localStorage.removeItem(this.keep);
    } catch {
      // storage full or refused: the command still waits in memory
    }
  }

  // renewLater renews the token when half of what is left of its life
  // has passed (POST /api/v1/token/renew), and again after each renewal.
  // A renewal the network failed is tried again a minute later; one the
  // server refused (the class ended, the account gone) is not: the next
  // hello says what to do.
  renewLater(delay) {
    clearTimeout(this.renewTimer);
    if (delay === undefined) {
      let exp = 0;
      try {
        exp = JSON.parse(atob(this.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).exp * 1000;
      } catch {
        return; // not a token this page can read the life of
      }
      delay = Math.max(1000, (exp - Date.now()) / 2);
    }
    this.renewTimer = setTimeout(() => this.renew(), delay);
  }

  async renew() {
    if (this.stopped) return;
    let res;
    try {
      res = await fetch("/api/v1/token/renew", { method: "POST", headers: { Authorization: `Bearer ${this.token}` } });
    } catch {
      this.renewLater(60000);
      return;
    }
    if (res.status >= 500) {
      this.renewLater(60000);
      return;
    }
    if (!res.ok) {
      this.renewTimer = null;
      return;
    }
    const r = await res.json();
    this.token = r.token;
    this.onToken(r.token, r.expires);
    this.renewLater();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.renewTimer);
    this.stopPings();
    if (this.ws) this.ws.close(1000);
  }

  // resync drops what this device has built from events and starts again
  // from a fresh snapshot: for state that events alone cannot rebuild
  // (the workspace of a group the student was moved into).
  resync() {
    if (this.stopped) return;
    this.fresh = true;
    if (this.ws) this.ws.close(1000);
    else this.reconnectSoon(0);
  }

  stopPings() {
    clearInterval(this.pinger);
    for (const t of this.pingTimers) clearTimeout(t);
    this.pingTimers = [];
  }

  connect() {
    if (this.stopped || this.ws) return;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      const hello = { token: this.token };
      if (this.room) hello.room = this.room;
      if (this.epoch && !this.fresh) hello.resume = { epoch: this.epoch, offset: this.offset };
      this.fresh = false;
      ws.send(JSON.stringify({ v: 1, id: "hello", type: "hello", data: hello }));
    };
    ws.onmessage = (m) => this.receive(JSON.parse(m.data));
    ws.onclose = (e) => {
      this.ws = null;
      this.ready = false;
      this.stopPings();
      if (this.stopped) return;
      if (FINAL.has(e.code)) {
        this.stopped = true;
        this.onStatus("closed");
        this.onClosed(e.code, e.reason);
        for (const p of this.pending.values()) p.reject(new CommandError("closed", e.reason || "the connection was closed"));
        this.pending.clear();
        this.store();
        return;
      }
      // 1012: the server restarts; come back at once, spread out a little.
      let delay = e.code === 1012 ? Math.random() * 500 : backoff(this.attempt++);
      if (this.fresh) delay = 0; // closed by resync
      // 4006 (too many connections) comes with how long to wait; so may
      // another refusal. A refused handshake (503 with Retry-After) shows
      // here as 1006, which the growing back-off spreads out.
      delay = Math.max(delay, this.notBefore - Date.now());
      this.reconnectSoon(delay);
    };
  }

  reconnectSoon(delay) {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    this.onStatus("reconnecting");
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(f) {
    switch (f.type) {
      case "welcome": {
        const w = f.data;
        if (!w.resumed || w.epoch !== this.epoch) this.offset = w.offset;
        this.epoch = w.epoch;
        this.ready = true;
        this.attempt = 0;
        // A first estimate; pings refine it. A new connection may have
        // another route to the server, so earlier samples are dropped.
        this.clockOffset = w.server_time - Date.now();
        this.bestRTT = Infinity;
        this.onStatus("connected");
        if (this.onToken && !this.renewTimer) this.renewLater();
        // What waited goes first, in the order it was sent; what the page
        // sends on the welcome follows it.
        for (const p of this.pending.values()) this.ws.send(p.frame);
        this.onWelcome(w);
        this.stopPings();
        for (const d of [0, 1500, 4000]) this.pingTimers.push(setTimeout(() => this.ping(), d));
        this.pinger = setInterval(() => this.ping(), 30000);
        return;
      }
      case "event":
        if (f.epoch !== this.epoch || f.seq <= this.offset) return;
        this.offset = f.seq;
        this.onEvent(f.event, f.data, f);
        return;
      case "result":
      case "error": {
        const p = this.pending.get(f.id);
        if (!p) {
          // A refused hello, or this connection closed as its person's
          // oldest (too_many_connections, no id): wait as told before
          // coming back, so that the person's devices do not take turns
          // closing each other.
          if (f.type === "error" && (f.id === "hello" || (!f.id && f.error.code === "too_many_connections"))) {
            if (f.error.retry_after) this.notBefore = Date.now() + f.error.retry_after;
            this.onStatus("refused", f.error);
          }
          return;
        }
        this.pending.delete(f.id);
        if (p.kept) this.store();
        if (f.type === "result") p.resolve(f.data);
        else p.reject(new CommandError(f.error.code, f.error.message, f.error.retry_after || 0));
      }
    }
  }

  // ping measures the clock offset. The sample with the smallest round
  // trip is the most precise one, so it is kept until a better one comes.
  async ping() {
    if (!this.ready) return;
    const sent = Date.now();
    try {
      const r = await this.send("ping");
      const now = Date.now();
      const rtt = now - sent;
      if (rtt <= this.bestRTT) {
        this.bestRTT = rtt;
        this.clockOffset = r.server_time - (sent + now) / 2;
      }
    } catch {
      // the next welcome sets the offset again
    }
  }

  serverNow() {
    return Date.now() + this.clockOffset;
  }
}

function defaultURL() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

// Exponential backoff with full jitter: a random wait between zero and a
// ceiling that starts at 300 ms and doubles up to 30 s, so that a school's
// devices refused by a busy server come back spread out, not in waves.
function backoff(attempt) {
  const cap = Math.min(30000, 300 * 2 ** Math.min(attempt, 10));
  return Math.random() * cap;
}
