// Shared notes: several members of a group type into one text at once.
//
// The server merges edits by operational transformation and sends every
// change, as applied, to the whole group. A device keeps the text as the
// server has it (with its revision), at most one change of its own in
// flight, and whatever was typed since. A change from someone else is
// transformed over the change in flight and the typing since, so that
// nobody's text is lost, with the same rules as the server: where two
// insert at one point the earlier (the server's) text comes first, a
// character deleted by both is deleted once.
//
// Positions are counted in Unicode code points, as on the wire.

// An op is one pass over a text: an array of components {r: n} (keep n
// characters), {i: [code points]} (insert) and {d: n} (delete). Ops built
// with the helpers below are canonical, like the server's.
function retain(o, n) {
  if (n <= 0) return;
  const last = o[o.length - 1];
  if (last && last.r !== undefined) last.r += n;
  else o.push({ r: n });
}

function insert(o, s) {
  if (!s.length) return;
  const k = o.length;
  const last = o[k - 1];
  if (last && last.d !== undefined) {
    const before = o[k - 2];
    if (before && before.i !== undefined) before.i = before.i.concat(s);
    else o.splice(k - 1, 0, { i: s.slice() });
    return;
  }
  if (last && last.i !== undefined) last.i = last.i.concat(s);
  else o.push({ i: s.slice() });
}

function del(o, n) {
  if (n <= 0) return;
  const last = o[o.length - 1];
  if (last && last.d !== undefined) last.d += n;
  else o.push({ d: n });
}

function done(o) {
  if (o.length && o[o.length - 1].r !== undefined) o.pop();
  return o;
}

const size = (c) => (c.i !== undefined ? c.i.length : c.r !== undefined ? c.r : c.d);
const kind = (c) => (c === undefined ? "r" : c.i !== undefined ? "i" : c.r !== undefined ? "r" : "d");

// Cursor walks an op, taking parts of components. Past its end an op reads
// as an endless retain.
class Cursor {
  constructor(o) {
    this.o = o;
    this.i = 0;
    this.off = 0;
  }
  more() {
    return this.i < this.o.length;
  }
  kind() {
    return kind(this.o[this.i]);
  }
  left() {
    return this.more() ? size(this.o[this.i]) - this.off : Infinity;
  }
  take(n) {
    if (!this.more()) return null;
    const c = this.o[this.i];
    const s = c.i !== undefined ? c.i.slice(this.off, this.off + n) : null;
    this.off += n;
    if (this.off === size(c)) {
      this.i++;
      this.off = 0;
    }
    return s;
  }
}

// compose returns the op doing a and then b.
export function compose(a, b) {
  const ca = new Cursor(a);
  const cb = new Cursor(b);
  const out = [];
  while (ca.more() || cb.more()) {
    if (ca.kind() === "d") {
      const n = ca.left();
      del(out, n);
      ca.take(n);
      continue;
    }
    if (cb.kind() === "i") {
      insert(out, cb.take(cb.left()));
      continue;
    }
    const n = Math.min(ca.left(), cb.left());
    const ka = ca.kind();
    const kb = cb.kind();
    const s = ca.take(n);
    cb.take(n);
    if (ka === "r" && kb === "r") retain(out, n);
    else if (ka === "r" && kb === "d") del(out, n);
    else if (ka === "i" && kb === "r") insert(out, s);
  }
  return done(out);
}

// transform takes two ops made on the same text, first the one the
// server ordered first, and returns [later', first']: later' applies after
// first, first' after later, and both paths give the same text.
export function transform(first, later) {
  const cf = new Cursor(first);
  const cl = new Cursor(later);
  const f2 = [];
  const l2 = [];
  while (cf.more() || cl.more()) {
    if (cf.kind() === "i") {
      const s = cf.take(cf.left());
      insert(f2, s);
      retain(l2, s.length);
      continue;
    }
    if (cl.kind() === "i") {
      const s = cl.take(cl.left());
      insert(l2, s);
      retain(f2, s.length);
      continue;
    }
    const n = Math.min(cf.left(), cl.left());
    const kf = cf.kind();
    const kl = cl.kind();
    cf.take(n);
    cl.take(n);
    if (kf === "r" && kl === "r") {
      retain(f2, n);
      retain(l2, n);
    } else if (kf === "d" && kl === "r") del(f2, n);
    else if (kf === "r" && kl === "d") del(l2, n);
  }
  return [done(l2), done(f2)];
}

// apply runs op over text (an array of code points) and returns the new
// array; it throws if the op does not fit.
export function apply(op, text) {
  const out = [];
  let pos = 0;
  for (const c of op) {
    if (c.r !== undefined) {
      if (c.r > text.length - pos) throw new Error("the edit does not fit the notes");
      for (let k = 0; k < c.r; k++) out.push(text[pos + k]);
      pos += c.r;
    } else if (c.i !== undefined) {
      for (const ch of c.i) out.push(ch);
    } else {
      if (c.d > text.length - pos) throw new Error("the edit does not fit the notes");
      pos += c.d;
    }
  }
  for (; pos < text.length; pos++) out.push(text[pos]);
  return out;
}

// fromEdits turns wire edits ({pos, del, ins}, each against the text the
// previous one left) into one op.
export function fromEdits(edits) {
  let acc = [];
  for (const e of edits || []) {
    const one = [];
    retain(one, e.pos || 0);
    insert(one, Array.from(e.ins || ""));
    del(one, e.del || 0);
    acc = compose(acc, done(one));
  }
  return acc;
}

// toEdits turns an op into wire edits, sorted by position.
export function toEdits(op) {
  const edits = [];
  let pos = 0;
  for (let i = 0; i < op.length; ) {
    if (op[i].r !== undefined) {
      pos += op[i].r;
      i++;
      continue;
    }
    const e = { pos };
    if (op[i].i !== undefined) {
      e.ins = op[i].i.join("");
      pos += op[i].i.length;
      i++;
    }
    if (i < op.length && op[i].d !== undefined) {
      e.del = op[i].d;
      i++;
    }
    edits.push(e);
  }
  return edits;
}

// diff is the op that turns a into b (arrays of code points): one
// replacement between their common prefix and suffix.
export function diff(a, b) {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  const o = [];
  retain(o, p);
  insert(o, b.slice(p, b.length - s));
  del(o, a.length - p - s);
  return done(o);
}

// movePos moves a position in a text over an op applied to that text.
// An insert exactly at the position stays after it when after is true.
export function movePos(op, pos, after = false) {
  let at = 0; // position in the old text
  let shift = 0;
  for (const c of op) {
    if (at > pos || (at === pos && !after && c.i !== undefined)) break;
    if (c.r !== undefined) at += c.r;
    else if (c.i !== undefined) shift += c.i.length;
    else {
      const n = Math.min(c.d, Math.max(0, pos - at));
      shift -= n;
      at += c.d;
    }
  }
  return pos + shift;
}

const cps = (s) => Array.from(s);

// NotesSync binds a textarea to a group's shared notes. send(base, edits)
// sends one change and resolves with the command's result. onError(err)
// hears of a change the server refused (the notes then show the server's
// text again) and, with err.code "resync", of notes this device has lost
// track of: the caller then reloads them with reset.
export class NotesSync {
  constructor({ textarea, send, onError }) {
    this.ta = textarea;
    this.sendEdits = send;
    this.onError = onError || (() => {});
    this.server = []; // the text at revision rev
    this.rev = 0;
    this.pending = null; // the change in flight, against server
    this.ackBase = null; // the revision the server applied it at, once answered
    this.held = []; // changes that arrived before the answer to pending
    this.typed = []; // typing since, against the text with pending applied
    this.shown = []; // what the textarea held when last looked at
    this.ta.addEventListener("input", () => this.input());
  }

  // input records one change of the textarea. Each is small (a key, a
  // paste), so the op stays as precise as the typing was.
  input() {
    const cur = cps(this.ta.value);
    this.typed = compose(this.typed, diff(this.shown, cur));
    this.shown = cur;
    this.flush();
  }

  // reset takes the notes as a snapshot has them. Typing not yet sent is
  // kept when the notes did not change under it.
  reset(text, rev) {
    const next = cps(text);
    let keep = this.pending === null && this.rev === rev && next.join("") === this.server.join("") ? this.typed : [];
    this.server = next;
    this.rev = rev;
    this.pending = null;
    this.ackBase = null;
    this.held = [];
    let view = next;
    try {
      view = apply(keep, next);
    } catch {
      keep = [];
    }
    this.typed = keep;
    this.show(view, null);
    this.flush();
  }

  flush() {
    if (this.pending || !this.typed.length) return;
    const op = this.typed;
    this.pending = op;
    this.typed = [];
    this.ackBase = null;
    const base = this.rev;
    this.sendEdits(base, toEdits(op)).then(
      (r) => {
        if (this.pending !== op) return;
        const applied = r && r.op;
        // notes_base is left out of the JSON when it is 0.
        const at = applied ? applied.notes_base || 0 : base;
        if (at < this.rev) return this.lost();
        this.ackBase = at;
        this.release();
      },
      (err) => {
        if (this.pending !== op) return;
        // A refused change changed nothing: back to the server's text.
        this.pending = null;
        this.typed = [];
        this.show(this.server, null);
        this.release();
        this.onError(err);
      },
    );
  }

  lost() {
    this.pending = null;
    this.held = [];
    this.onError(Object.assign(new Error("the notes changed in a way this device missed"), { code: "resync" }));
  }

  // remote takes a change of the notes as the server applied it
  // ({notes_base, edits}). Until the answer to the change in flight
  // arrives, changes are held back: the answer tells which one is ours. It
  // returns false when the change does not follow the notes this device
  // has (a change was missed): the caller then reloads.
  remote(op) {
    if (this.pending && this.ackBase === null) {
      this.held.push(op);
      return true;
    }
    return this.take(op);
  }

  release() {
    while (this.held.length && !(this.pending && this.ackBase === null)) {
      if (!this.take(this.held.shift())) return this.lost();
    }
  }

  take(op) {
    const base = op.notes_base || 0; // left out of the JSON when it is 0
    if (base !== this.rev) return false;
    const ev = fromEdits(op.edits);
    let next;
    try {
      next = apply(ev, this.server);
    } catch {
      return false;
    }
    if (this.pending && this.ackBase === base) {
      // Our own change, transformed by the server as it was here.
      this.server = next;
      this.rev++;
      this.pending = null;
      this.ackBase = null;
      this.flush();
      return true;
    }
    let overLocal = ev;
    if (this.pending) {
      const [p2, e2] = transform(ev, this.pending);
      this.pending = p2;
      overLocal = e2;
    }
    const [t2, e3] = transform(overLocal, this.typed);
    let view;
    try {
      view = apply(e3, this.shown);
    } catch {
      return false;
    }
    this.typed = t2;
    this.server = next;
    this.rev++;
    this.show(view, e3);
    return true;
  }

  // show puts text into the textarea, keeping the caret where it was
  // relative to the text around it.
  show(text, moved) {
    const ta = this.ta;
    this.shown = text;
    const value = text.join("");
    if (value === ta.value) return;
    const focused = document.activeElement === ta;
    let start = 0;
    let end = 0;
    if (focused && moved) {
      start = movePos(moved, cps(ta.value.slice(0, ta.selectionStart)).length);
      end = movePos(moved, cps(ta.value.slice(0, ta.selectionEnd)).length);
    }
    ta.value = value;
    if (focused && moved) {
      const unit = (n) => text.slice(0, n).join("").length;
      ta.setSelectionRange(unit(start), unit(end));
    }
  }
}
