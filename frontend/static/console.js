// What the parts of the teacher console share: the open class's state and
// connection, and how a command is sent and its error shown.

export const $ = (id) => document.getElementById(id);

export const ctx = {
  session: null, // {token, expires, teacher}
  conn: null,
  room: null, // the room being shown
  state: null, // the teacher's snapshot, kept current by events
};

// send runs a command; it rejects with an error carrying .code.
export async function send(type, data, button) {
  if (button) button.disabled = true;
  try {
    return await ctx.conn.send(type, data);
  } finally {
    if (button) button.disabled = false;
  }
}

// command runs a command and shows a refusal in errorEl (the console's
// error line by default). It resolves with the result, or null.
export async function command(type, data, button, errorEl) {
  const out = errorEl || $("live-error");
  out.textContent = "";
  try {
    return (await send(type, data, button)) || {};
  } catch (err) {
    out.textContent = err.message;
    return null;
  }
}

// skillNames names skills by their IDs, from the content banks: events
// carry IDs only.
export const skillNames = new Map();

export const student = (id) => (ctx.state ? ctx.state.students.find((s) => s.id === id) : null);
export const group = (id) => (ctx.state ? ctx.state.groups.find((g) => g.id === id) : null);
export const station = (id) => (ctx.state ? ctx.state.stations.find((s) => s.id === id) : null);
export const studentName = (id) => (student(id) || { name: "a student who left" }).name;

// keyed makes parent's children one node per item, reusing the node of
// the same key, so that a field being typed in keeps its value and focus.
export function keyed(parent, items, key, create, update) {
  const old = new Map([...parent.children].map((n) => [n.dataset.key, n]));
  const nodes = items.map((it) => {
    const k = String(key(it));
    let n = old.get(k);
    if (!n) {
      n = create(it);
      n.dataset.key = k;
    }
    update(n, it);
    return n;
  });
  // Only what moved is moved: a row that keeps its place keeps the
  // keyboard focus.
  const keep = new Set(nodes);
  for (const n of [...parent.children]) if (!keep.has(n)) n.remove();
  nodes.forEach((n, i) => parent.children[i] !== n && parent.insertBefore(n, parent.children[i] || null));
}

// idle reports whether the user is not typing in el right now.
export const idle = (el) => document.activeElement !== el;

// whenIdle runs render now, or, while the user is in a field inside
// container, once they leave it: an update arriving meanwhile must not
// close a menu or take the text being typed.
export function whenIdle(container, render) {
  const a = document.activeElement;
  if (a && a !== document.body && container.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) {
    if (container.dataset.deferred) return;
    container.dataset.deferred = "true";
    a.addEventListener("blur", () => {
      delete container.dataset.deferred;
      setTimeout(render, 0);
    }, { once: true });
    return;
  }
  render();
}
