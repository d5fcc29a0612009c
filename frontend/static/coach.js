// The coach page: accept an invitation, sign in, pick a class, then follow
// the groups the teacher gave this coach: who in them needs help (the help
// queue, read-only: the teacher acts on it), members, roles, where they are
// in the rotation, their workspaces, and comments on them.
import { ClassConnection } from "./client.js";
import { api, el, show } from "./api.js";
import { clock, leg, stationName, trackOf } from "./orch.js";
import { WorkspaceView, emptyWorkspace } from "./workspace.js";
import { FlagBook, renderQueue } from "./flags.js";
import { followFocus } from "./focus.js";

followFocus();

const KEY = "classhub.coach";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let session = null; // {token, expires, coach}
let conn = null;
let state = null; // the coach's view of the class
const views = new Map(); // group ID → {card, view}
let ticker = null;
const flags = new FlagBook();

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() && s.coach ? s : null;
  } catch {
    return null;
  }
}

function signedIn(s) {
  session = s;
  localStorage.setItem(KEY, JSON.stringify(s));
  const room = roomFrom(params.get("room") || "");
  history.replaceState(null, "", room ? `/coach?room=${room}` : "/coach");
  if (room) open({ id: room, title: "" });
  else rooms();
}

$("accept-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("accept-error").textContent = "";
  if ($("accept-password").value !== $("accept-password2").value) {
    $("accept-error").textContent = "The two passwords are not the same.";
    return;
  }
  try {
    const s = await api("POST", "/api/v1/coaches/accept", { code: params.get("invite"), password: $("accept-password").value });
    params.delete("invite");
    signedIn(s);
  } catch (err) {
    $("accept-error").textContent = err.message;
  }
});

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  try {
    const s = await api("POST", "/api/v1/login", { email: $("signin-email").value, password: $("signin-password").value });
    if (s.role !== "coach") {
      $("signin-error").replaceChildren("This is a teacher's account. ", el("a", { href: "/teacher" }, "Go to the teacher console"));
      return;
    }
    $("signin-password").value = "";
    signedIn(s);
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

// roomFrom finds a class ID in a link or takes the ID itself.
function roomFrom(text) {
  const m = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(text.toLowerCase());
  return m ? m[0] : "";
}

async function rooms() {
  if (conn) conn.close();
  conn = null;
  clearInterval(ticker);
  show("rooms");
  $("coach-name").textContent = session.coach.name;
  $("rooms-error").textContent = "";
  $("rooms-note").textContent = "";
  try {
    const r = await api("GET", "/api/v1/coach/rooms", undefined, session.token);
    const list = r.rooms || [];
    $("room-list").replaceChildren(...list.map((x) => el("li", {}, el("a", { href: `/coach?room=${x.id}`, onclick: (e) => (e.preventDefault(), open(x)) }, x.title))));
    if (!list.length) $("rooms-note").textContent = "No class has given you a group yet. When a teacher does, it is listed here.";
  } catch (err) {
    if (err.code === "unauthorized") return signout("Please sign in again.");
    $("room-list").replaceChildren();
    $("rooms-note").textContent = "Ask the teacher for the link of their class and paste it below.";
  }
}

$("room-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = roomFrom($("room-link").value);
  if (!id) {
    $("rooms-error").textContent = "That is not a class link. It looks like …/coach?room=… and comes from the teacher.";
    return;
  }
  open({ id, title: "" });
});

$("back").addEventListener("click", (e) => {
  e.preventDefault();
  history.replaceState(null, "", "/coach");
  rooms();
});

function open(r) {
  state = null;
  views.clear();
  flags.load([]);
  $("groups").replaceChildren();
  $("coach-flags").replaceChildren();
  show("live");
  $("live-title").textContent = r.title || "Class";
  $("live-error").textContent = "";
  history.replaceState(null, "", `/coach?room=${r.id}`);
  conn = new ClassConnection({
    token: session.token,
    room: r.id,
    onToken: (token, expires) => {
      if (!session) return;
      session = { ...session, token, expires };
      localStorage.setItem(KEY, JSON.stringify(session));
    },
    onStatus: (st, err) => {
      $("live-status").textContent = st === "refused" ? err.message : st;
      $("live-status").dataset.state = st;
    },
    onWelcome: (w) => {
      if (!w.resumed) {
        state = w.snapshot;
        flags.load(state.flags);
        views.clear();
        $("groups").replaceChildren();
      }
      render();
    },
    onEvent: (type, d, f) => {
      if (apply(type, d, f)) render();
    },
    onClosed: (code, reason) => {
      if (code === 4002) {
        $("live-error").textContent = reason || "This class is not open to you. Check the link with the teacher.";
      }
      if (code === 4003 && state) {
        state.status = "ended";
        render();
      }
    },
  });
  clearInterval(ticker);
  ticker = setInterval(tick, 500);
}

function apply(type, d, f) {
  if (!state) return false;
  const find = (id) => state.groups.find((g) => g.id === id);
  switch (type) {
    case "announcement":
      state.announcements.push(d);
      break;
    case "class_ended":
      state.status = "ended";
      break;
    case "stations":
      state.stations = d.stations;
      break;
    case "rotation":
      state.rotation = d.rotation;
      break;
    case "class_paused":
      state.paused = d.paused;
      break;
    case "flag":
      flags.event(d);
      break;
    case "group": {
      const g = find(d.group.id);
      if (!g) {
        // A group newly given to this coach: its workspace and students
        // come with a fresh snapshot.
        conn.resync();
        return false;
      }
      if (!(d.group.coaches || []).includes(session.coach.id)) {
        // The teacher took this group away: it is the last event of it.
        state.groups = state.groups.filter((x) => x.id !== g.id);
        break;
      }
      Object.assign(g, { name: d.group.name, members: d.group.members, coaches: d.group.coaches || [] });
      break;
    }
    case "groups":
      state.groups = state.groups.filter((g) => d.groups.some((x) => x.id === g.id));
      break;
    case "workspace": {
      const v = views.get(d.group);
      if (v && !v.view.event(d, f.time)) {
        conn.resync();
        return false;
      }
      break;
    }
  }
  return true;
}

function render() {
  if (!state) return;
  $("live-title").textContent = state.title;
  $("live-paused").hidden = !state.paused;
  $("no-groups").hidden = state.groups.length > 0;
  for (const [id, v] of views) {
    if (!state.groups.some((g) => g.id === id)) views.delete(id);
  }
  const cards = state.groups.map((g) => {
    let v = views.get(g.id);
    if (!v) {
      let ws = state.workspaces.find((w) => w.group === g.id);
      if (!ws) {
        ws = emptyWorkspace(g.id);
        state.workspaces.push(ws);
      }
      const body = el("div", {});
      const card = el("section", { class: "card workspace", "data-group": g.id }, el("h2", {}), el("p", { class: "where muted" }), el("ul", { class: "members" }), body);
      const view = new WorkspaceView({
        root: body,
        edit: false,
        comment: state.status === "open",
        prefix: `ws-${g.id}`,
        send: (op) => conn.send("edit_workspace", { group: g.id, op }),
        onReload: () => conn.resync(),
      });
      view.load(ws, g);
      v = { card, view };
      views.set(g.id, v);
    }
    v.view.group = g;
    const roles = g.roles || [];
    v.card.querySelector("h2").textContent = g.name;
    v.card.querySelector(".members").replaceChildren(
      ...g.members.map((m) => {
        const r = roles.find((x) => x.student === m.id);
        return el("li", {}, m.name, r ? el("span", { class: "tag role" }, r.role) : null);
      }),
    );
    v.view.notes.value = v.view.ws.notes;
    v.view.render();
    return v.card;
  });
  const box = $("groups");
  if (box.children.length !== cards.length || cards.some((c, i) => c !== box.children[i])) box.replaceChildren(...cards);
  $("announcements").replaceChildren(...state.announcements.filter((a) => !a.to && !a.group && !a.station).slice().reverse().map((a) => el("li", {}, a.text)));
  tick();
}

// tick shows where each group is in the rotation, and the help queue, from
// the server's clock.
function tick() {
  if (!state || !conn) return;
  renderFlags();
  for (const g of state.groups) {
    const v = views.get(g.id);
    if (!v) continue;
    const t = trackOf(state.rotation, g.id);
    const l = leg(state.rotation, t, conn.serverNow());
    let text = "";
    if (l && l.state !== "done") {
      const at = stationName(state.stations, t.station);
      text = `At ${at || "a station"}: ` + (l.state === "due" ? "time's up, waiting for the teacher" : l.state === "running" ? `${clock(l.left)} left` : `paused, ${clock(l.left)} left`);
    }
    v.card.querySelector(".where").textContent = text;
  }
}

session = load();
if (params.get("invite")) show("accept");
else if (session) signedIn(session);
else show("signin");

function renderFlags() {
  const now = conn.serverNow();
  const list = flags.queue(now);
  renderQueue($("coach-flags"), list, { now, actions: null });
  $("coach-flags-empty").hidden = list.length > 0;
  $("coach-flags-count").textContent = list.length ? String(list.length) : "";
}
