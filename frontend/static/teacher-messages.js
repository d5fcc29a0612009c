// Messages and workspaces: announce and push activities to the class, a
// station, a group or one student; follow each group's workspace and
// comment on it.
import { el } from "./api.js";
import { $, ctx, command, group, station, studentName, whenIdle } from "./console.js";
import { parseTarget, setOptions, targetOptions } from "./orch.js";
import { WorkspaceView } from "./workspace.js";

const views = new Map(); // group ID → WorkspaceView

export function setup() {
  $("announce-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = { text: $("announce-text").value.trim(), ...to($("announce-to").value) };
    // Sent, the form is ready for the next message, to everyone: a "To"
    // left on one student sends the next one to them by mistake.
    if (await command("announce", data, $("announce-submit"), $("messages-error"))) {
      $("announce-text").value = "";
      $("announce-to").value = "";
    }
  });
  $("activity-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const activity = { title: $("activity-title").value.trim() };
    const text = $("activity-text").value.trim();
    const url = $("activity-url").value.trim();
    if (text) activity.text = text;
    if (url) activity.url = url;
    const r = await command("push_activity", { activity, to: parseTarget($("activity-to").value) }, $("activity-push"), $("messages-error"));
    if (r) for (const id of ["activity-title", "activity-text", "activity-url", "activity-to"]) $(id).value = "";
  });
}

// to turns a target into the fields of announce: its student is "to".
function to(value) {
  const t = parseTarget(value);
  if (t.student) return { to: t.student };
  return t;
}

export function opened() {
  views.clear();
  $("workspaces").replaceChildren();
}

export function loaded() {
  views.clear();
  $("workspaces").replaceChildren();
}

function describe(t) {
  if (t.to || t.student) return `to ${studentName(t.to || t.student)}`;
  if (t.group) return `to ${(group(t.group) || { name: "a former group" }).name}`;
  if (t.station) return `to ${(station(t.station) || { name: "a former station" }).name}`;
  return null;
}

function renderMessages() {
  const state = ctx.state;
  const opts = () => targetOptions(el, { groups: state.groups, stations: state.stations, students: state.students.slice().sort((a, b) => a.name.localeCompare(b.name)) });
  whenIdle($("announce-to"), () => setOptions($("announce-to"), opts()));
  whenIdle($("activity-to"), () => setOptions($("activity-to"), opts()));
  $("sent").replaceChildren(...state.announcements.slice().reverse().map((a) => {
    const d = describe(a);
    return el("li", {}, d ? el("span", { class: "tag" }, d) : null, a.text);
  }));
  $("pushed").replaceChildren(...state.activities.slice().reverse().map((p) => {
    const d = describe(p.to);
    return el("li", {}, el("span", { class: "tag" }, d || "to everyone"), el("strong", {}, p.activity.title), p.activity.text ? ` — ${p.activity.text}` : "",
      p.activity.url ? el("span", { class: "muted" }, ` (${p.activity.url})`) : "");
  }));
  const ended = state.status === "ended";
  $("announce-form").hidden = ended;
  $("activity-form").hidden = ended;
}

// Workspaces: one view per group, kept across renders.

function renderWorkspaces() {
  const state = ctx.state;
  $("no-workspaces").hidden = state.groups.length > 0;
  for (const [id, v] of views) {
    if (!group(id)) {
      v.card.remove();
      views.delete(id);
    }
  }
  const cards = [];
  for (const g of state.groups) {
    let v = views.get(g.id);
    const ws = state.workspaces.find((w) => w.group === g.id);
    if (!ws) continue;
    if (!v) {
      const body = el("div", {});
      const card = el("section", { class: "card workspace", "data-workspace": g.id }, el("h3", {}), body);
      v = new WorkspaceView({
        root: body,
        edit: false,
        comment: state.status === "open",
        prefix: `ws-${g.id}`,
        send: (op) => ctx.conn.send("edit_workspace", { group: g.id, op }),
        onReload: () => ctx.conn.resync(),
      });
      v.card = card;
      v.load(ws, g);
      views.set(g.id, v);
    }
    v.ws = ws;
    v.group = g;
    v.notes.value = ws.notes;
    v.card.querySelector("h3").textContent = `${g.name} · ${g.members.map((m) => m.name).join(", ") || "no members"}`;
    v.render();
    cards.push(v.card);
  }
  const box = $("workspaces");
  if (box.children.length !== cards.length || cards.some((c, i) => c !== box.children[i])) box.replaceChildren(...cards);
}

export function render() {
  if (!ctx.state) return;
  renderMessages();
  renderWorkspaces();
}
