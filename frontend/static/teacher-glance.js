// The class at a glance, the console's home: a tile per student with
// whether they are here, their group and station, what they are working
// on, their mastery of each skill and any flag, and how long it has
// stood. Tiles keep their place (by name) so that a teacher learns where
// to look; the filter narrows them. Arrow keys move between tiles, Enter
// or Space opens one for its details and actions.
import { el } from "./api.js";
import { $, ctx, command, group, station } from "./console.js";
import { book, skillName } from "./teacher-flags.js";
import { learnerOf } from "./teacher-practice.js";
import { RULES, LEVELS, age } from "./flags.js";
import { setOptions } from "./orch.js";

let ticker = null;
let open = new Set(); // students whose tile shows its details
let focusID = ""; // the tile that takes Tab (roving tabindex)

const RANK = { act_now: 3, watch: 2, info: 1 };

export function setup() {
  $("glance-search").addEventListener("input", render);
  $("glance-filter").addEventListener("change", render);
  $("glance").addEventListener("keydown", keys);
}

export function opened() {
  open = new Set();
  focusID = "";
  $("glance-search").value = "";
  $("glance-filter").value = "";
  clearInterval(ticker);
  ticker = setInterval(render, 1000);
}

// where is the station a student is at now: where the teacher sent them,
// or their group's in the running rotation.
function where(s) {
  const p = (ctx.state.placements || []).find((x) => x.student === s.id);
  if (p) return station(p.station);
  const rot = ctx.state.rotation;
  if (!rot || rot.ended || !s.group) return null;
  const t = rot.tracks.find((x) => x.group === s.group);
  return t && !t.done ? station(t.station) : null;
}

// topFlag is the student's flag that needs the teacher most.
function topFlag(sid, now) {
  const live = book.of(sid).filter((f) => f.status === "open" || f.status === "acked" || (f.status === "snoozed" && now >= (f.snooze || 0)));
  live.sort((a, b) => (RANK[b.level] || 0) - (RANK[a.level] || 0) || a.opened - b.opened);
  return live[0] || null;
}

function matches(s, f, filter, text) {
  if (text && !s.name.toLowerCase().includes(text)) return false;
  switch (filter) {
    case "":
      return true;
    case "need":
      return s.hand || (f && f.level === "act_now");
    case "flagged":
      return !!f;
    case "hands":
      return s.hand;
    case "online":
      return s.online;
    case "offline":
      return !s.online;
  }
  if (filter.startsWith("group:")) return (s.group || "") === filter.slice(6);
  return true;
}

export function render() {
  const state = ctx.state;
  if (!state || !ctx.conn) return;
  const now = ctx.conn.serverNow();
  const groups = state.groups.map((g) => el("option", { value: `group:${g.id}` }, g.name));
  setOptions($("glance-filter"), [
    el("option", { value: "" }, "Everyone"),
    el("option", { value: "need" }, "Needs me now"),
    el("option", { value: "flagged" }, "In the help queue"),
    el("option", { value: "hands" }, "Hands up"),
    el("option", { value: "online" }, "Online"),
    el("option", { value: "offline" }, "Offline"),
    ...(groups.length ? [el("optgroup", { label: "A group" }, ...groups)] : []),
  ]);
  const text = $("glance-search").value.trim().toLowerCase();
  const filter = $("glance-filter").value;
  const all = state.students.slice().sort((a, b) => a.name.localeCompare(b.name));
  const shown = all.filter((s) => matches(s, topFlag(s.id, now), filter, text));
  $("glance-count").textContent = shown.length === all.length
    ? `${all.length} student${all.length === 1 ? "" : "s"} · ${all.filter((s) => s.online).length} online`
    : `Showing ${shown.length} of ${all.length}`;
  $("glance-empty").hidden = shown.length > 0;
  $("glance-empty").textContent = all.length ? "No student matches." : "No student has joined yet. They join with the code above.";
  if (!shown.some((s) => s.id === focusID)) focusID = shown.length ? shown[0].id : "";
  const list = $("glance");
  const old = new Map([...list.children].map((n) => [n.dataset.student, n]));
  const nodes = shown.map((s) => {
    const li = old.get(s.id) || tile(s);
    fill(li, s, now);
    return li;
  });
  if (list.children.length !== nodes.length || nodes.some((n, i) => n !== list.children[i])) list.replaceChildren(...nodes);
}

function tile(s) {
  const li = el("li", { class: "tile", "data-student": s.id });
  const id = `tile-${s.id}`;
  li.c = {
    open: el("button", { type: "button", class: "tile-open", "aria-expanded": "false", "aria-controls": `${id}-more`, id: `${id}-name` }),
    dot: el("span", { class: "dot" }),
    presence: el("span", { class: "sr-only" }),
    hand: el("span", { class: "tile-hand" }),
    where: el("p", { class: "tile-where" }),
    flag: el("p", { class: "tile-flag" }),
    set: el("p", { class: "tile-set" }),
    doing: el("p", { class: "tile-doing" }),
    bars: el("ul", { class: "tile-bars", "aria-label": `Mastery of ${s.name}` }),
    more: el("div", { class: "tile-more", id: `${id}-more`, hidden: true }),
  };
  li.c.open.addEventListener("click", () => {
    focusID = s.id;
    if (open.has(s.id)) open.delete(s.id);
    else open.add(s.id);
    render();
  });
  li.c.open.addEventListener("focus", () => (focusID = s.id));
  li.append(el("div", { class: "tile-head" }, li.c.dot, li.c.presence, li.c.open, li.c.hand), li.c.where, li.c.flag, li.c.set, li.c.doing, li.c.bars, li.c.more);
  return li;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function pct(p) {
  return `${Math.round((p || 0) * 100)}%`;
}

function fill(li, s, now) {
  const c = li.c;
  const f = topFlag(s.id, now);
  const l = learnerOf(s.id);
  li.dataset.online = String(s.online);
  li.dataset.hand = String(!!s.hand);
  li.dataset.level = f ? f.level : "";
  c.open.tabIndex = s.id === focusID ? 0 : -1;
  setText(c.open, s.name);
  // A long name is cut with an ellipsis on the tile; the whole of it on hover.
  if (c.open.title !== s.name) c.open.title = s.name;
  c.open.setAttribute("aria-expanded", String(open.has(s.id)));
  c.dot.className = `dot ${s.online ? "on" : "off"}`;
  setText(c.presence, s.online ? "online" : "offline");
  setText(c.hand, s.hand ? "Hand up" : "");
  const g = group(s.group);
  const st = where(s);
  setText(c.where, [g ? g.name : "No group", st ? st.name : ""].filter(Boolean).join(" · ") + (s.online ? "" : " · offline"));
  if (f) {
    const since = (f.evidence && f.evidence.since) || f.opened;
    setText(c.flag, `${LEVELS[f.level] || f.level} · ${RULES[f.rule] || f.rule} · for ${age(now - since)}`);
    c.flag.className = `tile-flag level-${f.level}`;
  } else {
    setText(c.flag, "");
    c.flag.className = "tile-flag";
  }
  c.flag.hidden = !f;
  // The set on one line, the problem in front of them below it.
  let doing = "Not practising";
  if (l) doing = l.closed ? "Closed" : l.item ? l.item.prompt : l.answers ? "Between problems" : "Not started";
  setText(c.set, l ? l.title : "");
  c.set.hidden = !l;
  c.set.title = l ? l.title : "";
  setText(c.doing, doing);
  c.doing.title = doing;
  const skills = l ? l.mastery : [];
  const key = skills.map((m) => `${m.skill}:${Math.round(m.p * 100)}:${m.mastered}:${skillName(m.skill)}`).join("|");
  if (c.bars.dataset.key !== key) {
    c.bars.dataset.key = key;
    // By skill name, so that each bar keeps its place as mastery changes.
    const sorted = skills.slice().sort((a, b) => skillName(a.skill).localeCompare(skillName(b.skill)));
    c.bars.replaceChildren(...sorted.map((m) =>
      el("li", { class: "mbar-row", "data-skill": m.skill },
        el("span", { class: "mbar-name" }, skillName(m.skill)),
        el("span", { class: "mbar", role: "img", "aria-label": `${skillName(m.skill)}: ${pct(m.p)}` },
          el("span", { class: `mbar-fill${m.mastered ? " mastered" : m.p < 0.4 ? " low" : ""}`, style: `width: ${pct(m.p)}` })),
        el("span", { class: "mbar-pct" }, pct(m.p)))));
  }
  c.bars.hidden = skills.length === 0;
  c.more.hidden = !open.has(s.id);
  if (open.has(s.id)) more(c.more, s, l, now);
  else if (c.more.firstChild) c.more.replaceChildren();
}

// more is an open tile's details: the hand's note, every flag with its
// summary, and what the teacher can do from here.
function more(box, s, l, now) {
  const flags = book.of(s.id).filter((f) => f.status === "open" || f.status === "acked" || (f.status === "snoozed" && now >= (f.snooze || 0)));
  const live = ctx.state.status === "open";
  const sig = JSON.stringify([s.hand, s.note, flags.map((f) => [f.id, f.status, f.updated]), live]);
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  const parts = [];
  if (s.hand) {
    parts.push(el("p", {}, el("strong", {}, "Hand up"), s.note ? `: “${s.note}”` : ""));
    if (live) parts.push(el("button", { type: "button", class: "secondary small", onclick: (e) => command("lower_hand", { student: s.id }, e.currentTarget) }, `Lower ${s.name}'s hand`));
  }
  for (const f of flags) {
    parts.push(el("div", { class: "tile-flag-detail", "data-flag": f.id },
      el("p", {}, el("span", { class: `level level-${f.level}` }, LEVELS[f.level] || f.level), " ", el("strong", {}, RULES[f.rule] || f.rule)),
      el("p", { class: "flag-summary" }, (f.evidence && f.evidence.summary) || ""),
      live ? el("div", { class: "row" },
        f.help && f.help.items && f.help.items.length ? el("button", { type: "button", class: "small", onclick: (e) => command("flag_action", { flag: f.id, action: "send_help" }, e.currentTarget) }, f.help.title ? `Send ${s.name} help: ${f.help.title}` : `Send ${s.name} help`) : null,
        f.status !== "acked" ? el("button", { type: "button", class: "secondary small", onclick: (e) => command("flag_action", { flag: f.id, action: "ack" }, e.currentTarget) }, `Acknowledge ${s.name}`) : null,
        el("button", { type: "button", class: "secondary small", onclick: (e) => command("flag_action", { flag: f.id, action: "resolve" }, e.currentTarget) }, `Resolve ${s.name}'s flag`)) : null));
  }
  if (!parts.length) parts.push(el("p", { class: "muted" }, l ? "Nothing needs you here." : "Not practising yet: give a set under Practice."));
  box.replaceChildren(...parts);
}

// keys moves between tiles with the arrow keys, as in a grid: left and
// right by one, up and down by a row; Home and End to the ends.
function keys(e) {
  const btn = e.target.closest(".tile-open");
  if (!btn) return;
  const buttons = [...$("glance").querySelectorAll(".tile-open")];
  const i = buttons.indexOf(btn);
  const top = (b) => b.closest(".tile").offsetTop;
  const perRow = Math.max(1, buttons.filter((b) => top(b) === top(buttons[0])).length);
  let j = i;
  switch (e.key) {
    case "ArrowRight":
      j = i + 1;
      break;
    case "ArrowLeft":
      j = i - 1;
      break;
    case "ArrowDown":
      j = i + perRow;
      break;
    case "ArrowUp":
      j = i - perRow;
      break;
    case "Home":
      j = 0;
      break;
    case "End":
      j = buttons.length - 1;
      break;
    default:
      return;
  }
  e.preventDefault();
  j = Math.max(0, Math.min(buttons.length - 1, j));
  for (const b of buttons) b.tabIndex = -1;
  buttons[j].tabIndex = 0;
  buttons[j].focus();
}
