// The projector: the screen on the wall. It shows what the whole class
// may see — how to join (the code, the link and its QR code), the
// rotation's countdowns, the stations and the groups — and never a flag,
// an answer, a mastery or a score: its token receives only the events
// for everyone. Students' names never come over the network: they come
// from the teacher's console in the same browser, first names only, and
// only when the teacher chose to show them.
import { ClassConnection } from "./client.js";
import { el, show } from "./api.js";
import { KINDS, clock, leg, stationOf } from "./orch.js";

const KEY = "classhub.projector";
const $ = (id) => document.getElementById(id);
let conn = null;
let state = null; // the projector's snapshot, kept current by events
let names = null; // {groups: {id: [first names]}, stations: {id: [first names]}} from the console, or null
let channel = null;
let ticker = null;

// ticket reads what the console passed: the token and the join code, in
// the fragment, which browsers never send to a server. They move to this
// tab's session storage (a reload keeps working) and leave the address
// bar, which a wall screen shows to the whole room.
function ticket() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get("token")) {
    const t = { token: h.get("token"), code: h.get("code") || "" };
    sessionStorage.setItem(KEY, JSON.stringify(t));
    history.replaceState(null, "", location.pathname);
    return t;
  }
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

const STATUS = { connecting: "connecting…", reconnecting: "reconnecting…", connected: "live", closed: "disconnected" };
const pretty = (code) => (code ? `${code.slice(0, 3)}-${code.slice(3)}` : "");

function start(t) {
  show("wall");
  const link = `${location.origin}/?code=${encodeURIComponent(t.code)}`;
  $("wall-url").textContent = location.host;
  $("wall-code").textContent = pretty(t.code);
  $("wall-code").setAttribute("aria-label", `Class code ${t.code.split("").join(" ")}`);
  $("wall-qr").src = `/qr.svg?text=${encodeURIComponent(link)}`;
  $("wall-qr").alt = `QR code of the link ${link}`;
  $("wall-join").hidden = !t.code;
  conn = new ClassConnection({
    token: t.token,
    // A wall screen stays on all day: its token is renewed like the
    // console's, and a reload of this tab takes the fresh one.
    onToken: (token, expires) => {
      sessionStorage.setItem(KEY, JSON.stringify({ ...t, token, expires }));
    },
    onStatus: (st) => {
      $("wall-status").textContent = STATUS[st] || st;
      $("wall-status").dataset.state = st;
    },
    onWelcome: (w) => {
      if (!w.resumed) state = w.snapshot;
      listen(w.room);
      render();
    },
    onEvent: (type, d) => {
      if (apply(type, d)) render();
    },
    onClosed: (code) => {
      if (code === 4003) return nothing("This class has ended", "Thank you! The teacher console has the class's report.");
      if (code === 4002) return nothing("This projector link has expired", "Open the projector again from the teacher console.");
    },
  });
  clearInterval(ticker);
  ticker = setInterval(tick, 250);
}

function nothing(title, text) {
  sessionStorage.removeItem(KEY);
  clearInterval(ticker);
  $("wall-paused").hidden = true;
  $("wall-none-title").textContent = title;
  $("wall-none-text").textContent = text;
  show("wall-none");
}

// listen takes the names the console sends, when its teacher chose to
// show first names; the console answers "hello" with what it has.
function listen(room) {
  if (channel || typeof BroadcastChannel === "undefined") return;
  channel = new BroadcastChannel(`classhub-projector-${room}`);
  channel.onmessage = (e) => {
    if (!e.data || e.data.type !== "names") return;
    names = e.data.groups || e.data.stations ? { groups: e.data.groups || {}, stations: e.data.stations || {} } : null;
    render();
  };
  channel.postMessage({ type: "hello" });
}

// apply folds the events for everyone into the state. Nothing else comes
// to a projector, and anything it does not know is left alone.
function apply(type, d) {
  if (!state) return false;
  switch (type) {
    case "announcement":
      state.announcements.push(d);
      return true;
    case "class_ended":
      state.status = "ended";
      return true;
    case "stations":
      state.stations = d.stations;
      return true;
    case "groups":
      state.groups = d.groups;
      return true;
    case "rotation":
      state.rotation = d.rotation;
      return true;
    case "class_paused":
      state.paused = d.paused;
      return true;
    case "activity":
      state.activities.push(d);
      return true;
  }
  return false;
}

const groupName = (id) => ((state.groups || []).find((g) => g.id === id) || { name: "A group" }).name;
const groupNames = (id) => (names && names.groups[id]) || null;

function people(list) {
  return list && list.length ? el("p", { class: "wall-names" }, list.join(", ")) : null;
}

function render() {
  if (!state) return;
  $("wall-title").textContent = state.title;
  const rot = state.rotation && !state.rotation.ended ? state.rotation : null;
  document.body.dataset.mode = rot ? "class" : "join";
  $("wall-paused").hidden = !state.paused || state.status === "ended";

  const ann = state.announcements[state.announcements.length - 1];
  $("wall-announcement").hidden = !ann;
  $("wall-announcement").textContent = ann ? ann.text : "";
  const act = (state.activities || []).at(-1);
  $("wall-activity").hidden = !act;
  $("wall-activity").replaceChildren(...(act ? [el("strong", {}, act.activity.title), act.activity.text ? ` — ${act.activity.text}` : ""] : []));

  // While a rotation runs: where each group is, and the time left there.
  $("wall-rotation").hidden = !rot;
  if (rot) {
    const cards = rot.tracks.map((t) => {
      const st = stationOf(state.stations, t.station);
      const extra = st && names ? names.stations[st.id] : null;
      return el("li", { class: "wall-track", "data-track": t.group },
        el("p", { class: "wall-group" }, groupName(t.group)),
        el("p", { class: "wall-station" }, t.done ? "Finished" : st ? st.name : "—"),
        st && !t.done ? el("p", { class: "wall-kind" }, KINDS[st.kind] || "") : null,
        el("p", { class: "wall-countdown countdown", role: "timer" }),
        el("p", { class: "wall-state" }),
        people(groupNames(t.group)),
        extra && extra.length ? el("p", { class: "wall-names" }, "Also here: ", extra.join(", ")) : null);
    });
    $("wall-tracks").replaceChildren(...cards);
  }

  // Otherwise the groups and the stations, for the class to find its place.
  const groups = rot ? [] : state.groups || [];
  $("wall-groups-box").hidden = groups.length === 0;
  $("wall-groups").replaceChildren(...groups.map((g) => {
    const list = groupNames(g.id);
    return el("li", { class: "wall-card", "data-group": g.id },
      el("p", { class: "wall-group" }, g.name),
      list ? people(list) : el("p", { class: "wall-kind" }, `${g.size} student${g.size === 1 ? "" : "s"}`));
  }));
  const stations = rot ? [] : state.stations || [];
  $("wall-stations-box").hidden = stations.length === 0;
  $("wall-stations").replaceChildren(...stations.map((s) =>
    el("li", { class: "wall-card", "data-station": s.id },
      el("p", { class: "wall-group" }, s.name),
      el("p", { class: "wall-kind" }, KINDS[s.kind] || ""),
      s.activity ? el("p", { class: "wall-kind" }, s.activity.title) : null)));
  tick();
}

const STATES = { paused: "Paused", held: "The class is paused", due: "Time's up — wait for your teacher", done: "" };

// tick redraws the countdowns from the server's clock, so that a wall
// screen whose own clock is wrong still counts right.
function tick() {
  const rot = state && state.rotation;
  if (!rot || rot.ended || !conn) return;
  const now = conn.serverNow();
  for (const t of rot.tracks) {
    const li = $("wall-tracks").querySelector(`[data-track="${t.group}"]`);
    if (!li) continue;
    const l = leg(rot, t, now);
    const cd = li.querySelector(".wall-countdown");
    cd.textContent = l.state === "done" || l.state === "due" ? "" : clock(l.left);
    cd.dataset.state = l.state;
    li.dataset.state = l.state;
    li.classList.toggle("warn", l.warn);
    li.querySelector(".wall-state").textContent = l.warn ? "Almost time: start wrapping up" : STATES[l.state] || `Station ${l.leg + 1} of ${l.legs}`;
  }
}

$("wall-fullscreen").addEventListener("click", () => document.documentElement.requestFullscreen().catch(() => {}));
document.addEventListener("fullscreenchange", () => ($("wall-fullscreen").hidden = !!document.fullscreenElement));

// Opened again from the console into this same window, the page gets
// the new ticket as a change of the fragment alone, which does not load
// it again: it takes the ticket (out of the address bar) and starts over
// with it.
window.addEventListener("hashchange", () => {
  if (!new URLSearchParams(location.hash.slice(1)).get("token")) return;
  ticket();
  location.reload();
});

const t = ticket();
if (t && t.token) start(t);
else show("wall-none");
