// The help queue of the console: always on screen above the tabs, the
// students who need the teacher, most need first, with one-click actions.
import { $, ctx, command } from "./console.js";
import { FlagBook, renderQueue } from "./flags.js";

export const book = new FlagBook();
let ticker = null;

export function setup() {}

export function opened() {
  book.load([]);
  $("help-queue").replaceChildren();
  $("help-error").textContent = "";
  clearInterval(ticker);
  ticker = setInterval(render, 1000);
}

export function loaded() {
  book.load(ctx.state.flags);
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
  return book.names.get(skill) || skill;
}

export function render() {
  const state = ctx.state;
  if (!state || !ctx.conn) return;
  const now = ctx.conn.serverNow();
  const list = book.queue(now);
  const open = state.status === "open";
  const canPull = state.stations.some((s) => s.kind === "teacher_led");
  renderQueue($("help-queue"), list, { now, actions: open ? act : null, canPull, skillName });
  const urgent = list.filter((f) => f.level === "act_now").length;
  $("help-count").textContent = list.length ? `${list.length}${urgent ? ` · ${urgent} to act on now` : ""}` : "";
  $("help-empty").hidden = list.length > 0;
  $("help-queue-box").dataset.urgent = String(urgent > 0);
}
