// The student device: join with a code and a name, then follow the class.
// The token is kept so that a reload or a dropped network comes back as the
// same student.
import { ClassConnection } from "./client.js";
import { api, el, show } from "./api.js";

const KEY = "classhub.student";
const $ = (id) => document.getElementById(id);
let conn = null;
let state = null; // the student's snapshot, kept current by events

function saved() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() ? s : null;
  } catch {
    return null;
  }
}

$("join-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("join-error").textContent = "";
  $("join-submit").disabled = true;
  try {
    const r = await api("POST", "/api/v1/join", { code: $("join-code").value, name: $("join-name").value.trim() });
    localStorage.setItem(KEY, JSON.stringify(r));
    start(r);
  } catch (err) {
    $("join-error").textContent = err.code === "not_found" ? "No open class has that code. Check it with your teacher." : err.message;
  } finally {
    $("join-submit").disabled = false;
  }
});

$("leave").addEventListener("click", (e) => {
  e.preventDefault();
  leave();
});
$("join-another").addEventListener("click", leave);

function leave() {
  if (conn) conn.close();
  conn = null;
  localStorage.removeItem(KEY);
  show("join");
}

const STATUS = { connecting: "connecting…", reconnecting: "reconnecting…", connected: "connected", closed: "disconnected" };

function start(s) {
  show("class");
  $("class-title").textContent = s.room.title;
  $("me").textContent = `You are ${s.name}`;
  conn = new ClassConnection({
    token: s.token,
    onStatus: (st) => {
      $("status").textContent = STATUS[st] || st;
      $("status").dataset.state = st;
    },
    onWelcome: (w) => {
      if (!w.resumed) state = w.snapshot;
      render();
    },
    onEvent: (type, data) => {
      apply(type, data);
      render();
    },
    onClosed: (code) => {
      if (code === 4003) {
        localStorage.removeItem(KEY);
        show("ended");
      } else if (code === 4002 || code === 4004) {
        localStorage.removeItem(KEY);
        $("join-error").textContent = code === 4004 ? "Your teacher removed you from the class." : "Please join again.";
        show("join");
      }
    },
  });
}

function apply(type, d) {
  if (!state) return;
  switch (type) {
    case "announcement":
      state.announcements.push(d);
      break;
    case "hand":
      if (d.student === state.me.id) Object.assign(state.me, { hand: d.raised, note: d.note || "" });
      break;
    case "class_ended":
      state.status = "ended";
      break;
  }
}

function render() {
  if (!state) return;
  $("class-title").textContent = state.title;
  const up = state.me.hand;
  $("raise-hand").hidden = up;
  $("lower-hand").hidden = !up;
  $("hand-state").textContent = up ? `Your hand is up${state.me.note ? `: “${state.me.note}”` : ""}. Your teacher can see it.` : "";
  const list = $("announcements");
  list.replaceChildren(
    ...state.announcements
      .slice()
      .reverse()
      .map((a) => el("li", { class: a.to ? "private" : "" }, a.to ? el("span", { class: "tag" }, "to you") : null, a.text)),
  );
}

async function command(type, data, button) {
  $("class-error").textContent = "";
  button.disabled = true;
  button.dataset.pending = "true";
  try {
    await conn.send(type, data);
  } catch (err) {
    $("class-error").textContent = err.message;
  } finally {
    button.disabled = false;
    delete button.dataset.pending;
  }
}

$("raise-hand").addEventListener("click", () => command("raise_hand", { note: $("hand-note").value.trim() }, $("raise-hand")));
$("lower-hand").addEventListener("click", () => command("lower_hand", {}, $("lower-hand")));

const s = saved();
if (s) start(s);
else show("join");
