// The help queue of the console: always on screen above the tabs, the
// students who need the teacher, most need first, with one-click actions.
// A flag that arrives out of view (the queue or the page scrolled past
// it) is pointed to, and every new flag is announced to screen readers,
// without moving the teacher's focus or scroll.
import { $, ctx, command, skillNames, student } from "./console.js";
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
  renderQueue($("help-queue"), list, { now, actions: open ? act : null, canPull, skillName, noteOf });
  const urgent = list.filter((f) => f.level === "act_now").length;
  $("help-count").textContent = list.length ? `${list.length}${urgent ? ` · ${urgent} to act on now` : ""}` : "";
  $("help-empty").hidden = list.length > 0;
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
