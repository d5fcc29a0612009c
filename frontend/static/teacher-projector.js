// The projector from the console: the wall screen's token goes to the
// projector page in the fragment of its address (never sent to a server,
// so never in a log). The students' first names, when the teacher chose
// to show them, go from this console to projector windows of the same
// browser only, over a BroadcastChannel: a name never travels to a wall
// screen over the network, and a projector opened anywhere else shows
// groups and stations without names.
import { el } from "./api.js";
import { $, ctx } from "./console.js";

const NAMES = "classhub.projector-names";
let call = null;
let channel = null;
let sent = "";

export function setup(deps) {
  call = deps.call;
  $("projector-names").value = localStorage.getItem(NAMES) === "first" ? "first" : "none";
  $("projector-names").addEventListener("change", () => {
    localStorage.setItem(NAMES, $("projector-names").value);
    broadcast(true);
  });
  $("projector-open").addEventListener("click", openProjector);
}

export function opened() {
  if (channel) channel.close();
  sent = "";
  $("projector-error").replaceChildren();
  channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(`classhub-projector-${ctx.room.id}`);
  if (channel) channel.onmessage = (e) => e.data && e.data.type === "hello" && broadcast(true);
}

export function render() {
  $("projector-open").hidden = !ctx.state || ctx.state.status !== "open";
  broadcast(false);
}

async function openProjector() {
  $("projector-error").replaceChildren();
  // Opened now, in the click, so that no popup blocker stops it; it is
  // sent to the projector once the token is here. A window of its own,
  // to drag onto the wall's screen, while the console stays in view.
  const w = window.open("", "classhub-projector", "popup,width=1280,height=720");
  try {
    const r = await call("POST", `/api/v1/rooms/${ctx.room.id}/projector`);
    const url = `/projector#${new URLSearchParams({ token: r.token, code: ctx.room.code || "" })}`;
    if (w && !w.closed) {
      w.opener = null;
      w.location.href = url;
    } else {
      $("projector-error").replaceChildren("This browser blocked the new window. ",
        el("a", { href: url, target: "_blank", rel: "noopener" }, "Open the projector here"), ".");
    }
  } catch (err) {
    if (w) w.close();
    $("projector-error").textContent = `The projector could not be opened: ${err.message}`;
  }
}

// firstNames gives each student the name the wall shows: the first word
// of their name, with the initial of the next word when two students of
// the class share a first name.
export function firstNames(students) {
  const first = (n) => n.trim().split(/\s+/)[0] || n;
  const count = new Map();
  for (const s of students) count.set(first(s.name), (count.get(first(s.name)) || 0) + 1);
  const out = new Map();
  for (const s of students) {
    const words = s.name.trim().split(/\s+/);
    out.set(s.id, count.get(words[0]) > 1 && words[1] ? `${words[0]} ${words[1][0]}.` : words[0]);
  }
  return out;
}

// broadcast sends the names the wall may show, or none, when they changed
// (or a projector asked).
function broadcast(force) {
  if (!channel || !ctx.state) return;
  let msg = { type: "names", groups: null, stations: null };
  if ($("projector-names").value === "first") {
    const names = firstNames(ctx.state.students);
    const list = (ids) => ids.map((id) => names.get(id)).filter(Boolean).sort((a, b) => a.localeCompare(b));
    const groups = {};
    for (const g of ctx.state.groups) groups[g.id] = list(g.members.map((m) => m.id));
    const stations = {};
    for (const p of ctx.state.placements) (stations[p.station] ||= []).push(p.student);
    for (const id of Object.keys(stations)) stations[id] = list(stations[id]);
    msg = { type: "names", groups, stations };
  }
  const text = JSON.stringify(msg);
  if (!force && text === sent) return;
  sent = text;
  channel.postMessage(msg);
}
