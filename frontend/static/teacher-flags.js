// The help queue of the console: always on screen above the tabs, the
// students who need the teacher, most need first, with one-click actions.
// A flag that arrives out of view (the queue or the page scrolled past
// it) is pointed to, and every new flag is announced to screen readers,
// without moving the teacher's focus or scroll.
import { el } from "./api.js";
import { $, ctx, command, skillNames, student, studentName } from "./console.js";
import { FlagBook, RULES, renderQueue } from "./flags.js";

export const book = new FlagBook();
let ticker = null;
let seen = null; // flags shown before; null until the first render of a class
let fresh = new Set(); // new flags the teacher has not had in view yet

export function setup() {
  $("help-new").addEventListener("click", () => {
    const li = firstFresh();
    if (li) {
      li.scrollIntoView({ block: "nearest" });
      li.focus({ preventScroll: true });
    }
    notice();
  });
  $("help-queue-box").addEventListener("scroll", notice, { passive: true });
  window.addEventListener("scroll", notice, { passive: true });
}

export function opened() {
  book.load([]);
  seen = null;
  fresh = new Set();
  $("help-queue").replaceChildren();
  $("help-error").textContent = "";
  $("help-new").hidden = true;
  clearInterval(ticker);
  ticker = setInterval(render, 1000);
}

export function loaded() {
  book.load(ctx.state.flags);
  seen = null;
}

export function apply(type, d) {
  if (type === "flag") book.event(d);
  if (type === "small_group" && ctx.state) {
    // Only those waiting for the teacher or for the next leg are shown.
    const g = d.small_group;
    const rest = (ctx.state.small_groups || []).filter((x) => x.id !== g.id);
    if (g.status === "proposed" || g.status === "scheduled") rest.push(g);
    ctx.state.small_groups = rest;
  }
}

async function act(flag, action, minutes, button) {
  const data = { flag: flag.id, action };
  if (minutes) data.minutes = minutes;
  await command("flag_action", data, button, $("help-error"));
}

// skillName names a skill from what the flags' evidence told.
export function skillName(skill) {
  return book.names.get(skill) || skillNames.get(skill) || skill;
}

// noteOf is what the student wrote when raising their hand.
function noteOf(f) {
  if (f.rule !== "help") return "";
  const s = student(f.student);
  return (s && s.hand && s.note) || "";
}

export function render() {
  const state = ctx.state;
  if (!state || !ctx.conn) return;
  const now = ctx.conn.serverNow();
  const list = book.queue(now);
  const open = state.status === "open";
  const canPull = state.stations.some((s) => s.kind === "teacher_led");
  renderSmallGroups(open);
  renderQueue($("help-queue"), list, { now, actions: open ? act : null, canPull, skillName, noteOf });
  const urgent = list.filter((f) => f.level === "act_now").length;
  $("help-count").textContent = list.length ? `${list.length}${urgent ? ` · ${urgent} to act on now` : ""}` : "";
  $("help-empty").hidden = list.length > 0 || (state.small_groups || []).length > 0;
  $("help-queue-box").dataset.urgent = String(urgent > 0);

  const ids = new Set(list.map((f) => f.id));
  if (seen === null) seen = new Set(ids);
  const arrived = list.filter((f) => !seen.has(f.id));
  for (const f of arrived) {
    seen.add(f.id);
    fresh.add(f.id);
  }
  for (const id of fresh) if (!ids.has(id)) fresh.delete(id);
  if (arrived.length) {
    $("help-announce").textContent = arrived.map((f) => `${f.name || "A student"}: ${RULES[f.rule] || f.rule}`).join(". ");
  }
  notice();
}

const item = (id) => $("help-queue").querySelector(`li.flag[data-flag="${CSS.escape(id)}"]`);

// inView reports whether the top of a flag shows, inside the queue's box
// and the window.
function inView(li) {
  const box = $("help-queue-box").getBoundingClientRect();
  const r = li.getBoundingClientRect();
  const top = Math.max(box.top, 0);
  const bottom = Math.min(box.bottom, window.innerHeight);
  return r.height > 0 && r.top >= top - 1 && r.top + Math.min(r.height, 40) <= bottom + 1;
}

function firstFresh() {
  return [...$("help-queue").children].find((li) => fresh.has(li.dataset.flag) && !inView(li)) || null;
}

// notice points to the new flags out of view, and forgets those seen.
function notice() {
  for (const id of fresh) {
    const li = item(id);
    if (!li || inView(li)) fresh.delete(id);
  }
  const out = [...$("help-queue").children].filter((li) => fresh.has(li.dataset.flag));
  const b = $("help-new");
  b.hidden = out.length === 0;
  if (!out.length) return;
  const f = out[0].flag;
  const text = out.length === 1 ? `↑ New in the help queue: ${f.name || "a student"} · ${RULES[f.rule] || f.rule}` : `↑ ${out.length} new in the help queue`;
  if (b.textContent !== text) b.textContent = text;
}

// Small groups the help queue proposes: several students flagged on one
// skill, or missing one prerequisite, taught together at the teacher's
// table with the skill's lesson. The teacher may untick a student before
// forming it, or say not now.
function renderSmallGroups(open) {
  const list = $("help-small-groups");
  const groups = (ctx.state.small_groups || []).slice().sort((a, b) => a.made - b.made);
  const old = new Map([...list.children].map((n) => [n.dataset.smallGroup, n]));
  const nodes = groups.map((g) => {
    let li = old.get(g.id);
    const key = `${g.status}/${g.updated}/${open}`;
    if (!li || li.dataset.key !== key) li = smallGroupItem(g, open);
    li.dataset.key = key;
    return li;
  });
  const cur = list.children;
  if (cur.length !== nodes.length || nodes.some((n, i) => n !== cur[i])) list.replaceChildren(...nodes);
}

function smallGroupItem(g, open) {
  const li = el("li", { class: "flag small-group", "data-small-group": g.id, "data-level": "watch", tabindex: "-1" });
  const name = g.skill_name || skillName(g.skill);
  li.append(
    el("div", { class: "flag-head" }, el("strong", { class: "flag-rule" }, `Small group: ${name}`),
      el("span", { class: "flag-status" }, g.status === "scheduled" ? "forms at the next leg" : "")),
    el("p", { class: "flag-summary" }, g.reason || ""),
  );
  if (g.lesson && g.lesson.title) li.append(el("p", { class: "muted" }, `Lesson: ${g.lesson.title}`));
  if (g.status !== "proposed" || !open) {
    li.append(el("p", { class: "muted" }, g.students.map((m) => m.name || studentName(m.id)).join(", ")));
    return li;
  }
  const boxes = g.students.map((m) =>
    el("label", { class: "check" }, el("input", { type: "checkbox", checked: true, value: m.id }), ` ${m.name || studentName(m.id)}`),
  );
  const form = el("button", { type: "button" }, "Form the group at my table");
  const no = el("button", { type: "button", class: "secondary" }, "Not now");
  form.addEventListener("click", () => {
    const students = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    const data = { small_group: g.id, action: "accept" };
    if (students.length !== g.students.length) data.students = students;
    command("small_group_action", data, form, $("help-error"));
  });
  no.addEventListener("click", () => command("small_group_action", { small_group: g.id, action: "dismiss" }, no, $("help-error")));
  li.append(el("div", { class: "pick" }, ...boxes), el("div", { class: "flag-actions" }, form, no));
  return li;
}
