// The teacher console: sign in, open a class, watch the roster live.
import { ClassConnection } from "./client.js";
import { api, el, show } from "./api.js";

const KEY = "classhub.teacher";
const $ = (id) => document.getElementById(id);
let session = null; // {token, expires, teacher}
let conn = null;
let room = null; // the room being shown
let state = null; // the teacher's snapshot, kept current by events

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() ? s : null;
  } catch {
    return null;
  }
}

async function call(method, path, body) {
  try {
    return await api(method, path, body, session && session.token);
  } catch (err) {
    if (err.code === "unauthorized") signout("Please sign in again.");
    throw err;
  }
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  try {
    session = await api("POST", "/api/v1/login", { email: $("signin-email").value, password: $("signin-password").value });
    localStorage.setItem(KEY, JSON.stringify(session));
    $("signin-password").value = "";
    classes();
  } catch (err) {
    $("signin-error").textContent = err.message;
  }
});

function signout(msg) {
  if (conn) conn.close();
  conn = null;
  session = null;
  localStorage.removeItem(KEY);
  $("signin-error").textContent = msg || "";
  show("signin");
}
$("signout").addEventListener("click", (e) => {
  e.preventDefault();
  signout();
});

async function classes() {
  if (conn) conn.close();
  conn = null;
  show("classes");
  $("teacher-name").textContent = session.teacher.name;
  $("classes-error").textContent = "";
  try {
    const { rooms } = await call("GET", "/api/v1/rooms");
    $("class-list").replaceChildren(
      ...rooms.map((r) =>
        el("li", {}, el("a", { href: "#", onclick: (e) => (e.preventDefault(), open(r)) }, r.title),
          " ", el("span", { class: "muted" }, r.status === "open" ? `open · code ${r.code}` : "ended", " · ", new Date(r.created).toLocaleString()))),
    );
  } catch (err) {
    $("classes-error").textContent = err.message;
  }
}

$("new-class-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await call("POST", "/api/v1/rooms", { title: $("new-class-title").value.trim() });
    $("new-class-title").value = "";
    open(r);
  } catch (err) {
    $("classes-error").textContent = err.message;
  }
});

function open(r) {
  room = r;
  state = null;
  show("live");
  $("live-title").textContent = r.title;
  $("join-url").textContent = location.host;
  $("join-code-show").textContent = r.status === "open" ? pretty(r.code) : "ended";
  $("live-error").textContent = "";
  conn = new ClassConnection({
    token: session.token,
    room: r.id,
    onStatus: (st, err) => {
      $("live-status").textContent = st === "refused" ? err.message : st;
      $("live-status").dataset.state = st;
    },
    onWelcome: (w) => {
      if (!w.resumed) state = w.snapshot;
      render();
    },
    onEvent: (type, data, f) => {
      apply(type, data, f);
      render();
    },
    onClosed: (code) => {
      if (code === 4002) signout("Please sign in again.");
      if (code === 4003 && state) {
        state.status = "ended";
        render();
      }
    },
  });
}

const pretty = (code) => (code ? `${code.slice(0, 3)}-${code.slice(3)}` : "");

function apply(type, d, f) {
  if (!state) return;
  const s = state.students.find((x) => x.id === d.student);
  switch (type) {
    case "student_joined":
      if (!s) state.students.push({ id: d.student, name: d.name, online: false, hand: false, joined: f.time });
      break;
    case "presence":
      if (s) s.online = d.online;
      break;
    case "hand":
      if (s) Object.assign(s, { hand: d.raised, note: d.note || "" });
      break;
    case "announcement":
      state.announcements.push(d);
      break;
    case "class_ended":
      state.status = "ended";
      break;
  }
}

function render() {
  if (!state) return;
  const list = state.students.slice().sort((a, b) => (b.hand - a.hand) || a.name.localeCompare(b.name));
  const online = list.filter((s) => s.online).length;
  const hands = list.filter((s) => s.hand).length;
  $("counts").textContent = `${list.length} joined · ${online} online · ${hands} hand${hands === 1 ? "" : "s"} up`;
  $("roster").replaceChildren(
    ...list.map((s) =>
      el("tr", { "data-student": s.id, class: s.hand ? "hand-up" : "" },
        el("td", {}, s.name),
        el("td", {}, el("span", { class: `dot ${s.online ? "on" : "off"}`, title: s.online ? "online" : "offline" }), s.online ? " online" : " offline"),
        el("td", {}, s.hand ? `✋ ${s.note || ""}` : ""),
        el("td", {}, new Date(s.joined).toLocaleTimeString()),
        el("td", {}, s.hand && state.status === "open" ? el("button", { class: "secondary lower-hand", onclick: (e) => command("lower_hand", { student: s.id }, e.target) }, "Lower hand") : null))),
  );
  const to = $("announce-to");
  const chosen = to.value;
  to.replaceChildren(el("option", { value: "" }, "Everyone"), ...list.map((s) => el("option", { value: s.id }, s.name)));
  to.value = chosen;
  const names = Object.fromEntries(list.map((s) => [s.id, s.name]));
  $("sent").replaceChildren(...state.announcements.slice().reverse().map((a) => el("li", {}, a.to ? el("span", { class: "tag" }, `to ${names[a.to] || "one student"}`) : null, a.text)));
  const ended = state.status === "ended";
  $("end-class").hidden = ended;
  $("announce-form").hidden = ended;
  if (ended) $("join-code-show").textContent = "ended";
}

async function command(type, data, button) {
  $("live-error").textContent = "";
  if (button) button.disabled = true;
  try {
    return await conn.send(type, data);
  } catch (err) {
    $("live-error").textContent = err.message;
  } finally {
    if (button) button.disabled = false;
  }
}

$("announce-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const data = { text: $("announce-text").value.trim() };
  if ($("announce-to").value) data.to = $("announce-to").value;
  if (await command("announce", data, $("announce-submit"))) $("announce-text").value = "";
});

$("end-class").addEventListener("click", () => {
  if (confirm("End this class? Students are disconnected and the code stops working.")) command("end_class", {}, $("end-class"));
});

$("back").addEventListener("click", (e) => {
  e.preventDefault();
  classes();
});

$("fullscreen-code").addEventListener("click", () => {
  $("code-overlay-text").textContent = pretty(room.code);
  $("code-overlay").hidden = false;
});
$("code-overlay").addEventListener("click", () => ($("code-overlay").hidden = true));

session = load();
if (session) classes();
else show("signin");
