// The help queue: the flags that tell a teacher (and a group's coach) that
// a student needs a person, in the order to attend to them, with their
// evidence. Only the teacher console and the coach page import this
// module: flags never reach a student's device.
import { el } from "./api.js";

// What each rule means, in plain words.
export const RULES = {
  help: "Asked for help",
  struggle: "Struggling",
  stuck: "Stuck on one skill",
  prereq_gap: "Missing an earlier skill",
  gaming: "Rushing or guessing",
  idle: "Not working for a while",
  doing_well: "Doing well: offer enrichment",
};

export const LEVELS = {
  act_now: "Act now",
  watch: "Watch",
  info: "Info",
};

const RANK = { act_now: 3, watch: 2, info: 1 };

// How the queue weighs waiting, as the server does: a flag gains up to
// half a point of need over its first ten minutes.
const WAIT_WEIGHT = 0.5;
const WAIT_CAP = 10 * 60 * 1000;

const closedStatus = (s) => s === "resolved" || s === "cleared";

// FlagBook keeps the live flags of a class from the snapshot and the flag
// events, and orders them as the server's help queue does.
export class FlagBook {
  constructor() {
    this.flags = new Map();
    this.names = new Map(); // skill ID → name, learnt from evidence
  }

  load(list) {
    this.flags = new Map();
    for (const f of list || []) this.put(f);
  }

  // event folds the data of a flag event: open, update and escalate add or
  // replace a flag; clear and resolve remove it; ack and snooze change it.
  event(d) {
    if (!d || !d.flag) return;
    if (closedStatus(d.flag.status)) this.flags.delete(d.flag.id);
    else this.put(d.flag);
  }

  put(f) {
    this.flags.set(f.id, f);
    for (const s of (f.evidence && f.evidence.low_skills) || []) if (s.name) this.names.set(s.skill, s.name);
  }

  // queue is the flags a teacher should see at server time now: snoozed
  // ones only once their snooze is over; act now first, then watch, then
  // info; within a level those waiting for act now, then those rising,
  // then the unacknowledged first; then by need and wait.
  queue(now) {
    const score = (f) => (f.need || 0) + (WAIT_WEIGHT * Math.min(Math.max(now - f.opened, 0), WAIT_CAP)) / WAIT_CAP;
    const acked = (f) => (f.status === "acked" ? 1 : 0);
    // Within a level: waiting for an act-now slot, then rising (calling
    // for act now, not yet for long enough), then the rest.
    const waiting = (f) => (f.waiting ? 0 : f.rising ? 1 : 2);
    return [...this.flags.values()]
      .filter((f) => f.status === "open" || f.status === "acked" || (f.status === "snoozed" && now >= (f.snooze || 0)))
      .sort((a, b) =>
        (RANK[b.level] || 0) - (RANK[a.level] || 0) ||
        waiting(a) - waiting(b) ||
        acked(a) - acked(b) ||
        score(b) - score(a) ||
        a.opened - b.opened ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  // of returns the live flags of one student.
  of(student) {
    return [...this.flags.values()].filter((f) => f.student === student);
  }
}

// age words how long something has lasted: "under a minute", "4 min",
// "1 h 5 min".
export function age(ms) {
  const m = Math.floor(Math.max(0, ms) / 60000);
  if (m < 1) return "under a minute";
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function seconds(ms) {
  if (!ms || ms < 0) return "";
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

const pct = (p) => `${Math.round((p || 0) * 100)}%`;

// renderQueue shows flags in list, one item per flag, keeping the item
// (and whether its evidence is open) from one call to the next. opts:
// now (server time), actions (a function (flag, action, minutes, button),
// or none for a read-only queue), canPull (a teacher-led station exists),
// skillName (a function from a skill ID to its name), noteOf (a function
// from a flag to the note of the student's raised hand, if any).
export function renderQueue(list, flags, opts) {
  const old = new Map([...list.children].map((n) => [n.dataset.flag, n]));
  const nodes = flags.map((f) => {
    let li = old.get(f.id);
    if (!li) li = flagItem(f);
    fillFlag(li, f, opts);
    return li;
  });
  // Only what moved is moved: an item that keeps its place keeps the
  // keyboard focus and the list its scroll position.
  const keep = new Set(nodes);
  for (const n of [...list.children]) if (!keep.has(n)) n.remove();
  nodes.forEach((n, i) => list.children[i] !== n && list.insertBefore(n, list.children[i] || null));
}

function flagItem(f) {
  // tabindex: the console moves the focus to a new flag the teacher asks
  // to see.
  const li = el("li", { class: "flag", "data-flag": f.id, tabindex: "-1" });
  li.c = {
    level: el("span", { class: "level" }),
    name: el("strong", { class: "flag-name" }),
    rule: el("span", { class: "flag-rule" }),
    age: el("span", { class: "flag-age muted" }),
    status: el("span", { class: "flag-status" }),
    summary: el("p", { class: "flag-summary" }),
    note: el("p", { class: "flag-note", hidden: true }),
    evidence: el("details", { class: "evidence" }, el("summary", {}, "Evidence")),
    body: el("div", { class: "evidence-body" }),
    actions: el("div", { class: "flag-actions" }),
  };
  li.c.evidence.append(li.c.body);
  li.append(
    el("div", { class: "flag-head" }, li.c.level, li.c.name, li.c.rule, li.c.age, li.c.status),
    li.c.summary,
    li.c.note,
    li.c.evidence,
    li.c.actions,
  );
  return li;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function fillFlag(li, f, opts) {
  const c = li.c;
  li.dataset.student = f.student;
  li.dataset.level = f.level;
  li.dataset.rule = f.rule;
  li.dataset.status = f.status;
  c.level.className = `level level-${f.level}`;
  setText(c.level, LEVELS[f.level] || f.level);
  setText(c.name, f.name || "A student");
  setText(c.rule, RULES[f.rule] || f.rule);
  const since = (f.evidence && f.evidence.since) || f.opened;
  setText(c.age, since ? `for ${age(opts.now - since)}` : "");
  setText(c.status, f.status === "acked" ? "seen" : f.status === "snoozed" ? "back from snooze" : f.waiting ? "next for act now" : f.rising ? "act now if it goes on" : "");
  setText(c.summary, (f.evidence && f.evidence.summary) || "");
  // What the student wrote when raising their hand, where the teacher
  // decides whom to go to first.
  const note = opts.noteOf ? opts.noteOf(f) : "";
  setText(c.note, note ? `“${note}”` : "");
  c.note.hidden = !note;
  const key = `${f.updated}|${f.status}`;
  if (c.body.dataset.key !== key) {
    c.body.dataset.key = key;
    c.body.replaceChildren(...evidence(f, opts.skillName || ((s) => s)));
  }
  const acts = opts.actions ? actionList(f, opts) : [];
  const sig = acts.map((a) => a.label).join("|");
  if (c.actions.dataset.sig !== sig) {
    c.actions.dataset.sig = sig;
    c.actions.replaceChildren(
      ...acts.map((a) =>
        el("button", {
          type: "button",
          class: `small ${a.primary ? "" : "secondary"}`,
          "data-action": a.action,
          "data-minutes": a.minutes,
          onclick: (e) => opts.actions(li.flag, a.action, a.minutes, e.currentTarget),
        }, a.label)),
    );
  }
  c.actions.hidden = acts.length === 0;
  li.flag = f;
}

function actionList(f, opts) {
  const out = [];
  const help = f.help;
  if (help && help.items && help.items.length) {
    out.push({ action: "send_help", label: help.title ? `Send help: ${help.title}` : "Send help", primary: true });
  }
  // A class-level notice (no student) cannot be brought to a table.
  if (opts.canPull && f.student) out.push({ action: "pull", label: "Bring to my table" });
  if (f.status !== "acked") out.push({ action: "ack", label: "Acknowledge" });
  out.push({ action: "resolve", label: "Resolve" });
  for (const m of [5, 10, 15]) out.push({ action: "snooze", minutes: m, label: `Snooze ${m} min` });
  return out;
}

function evidence(f, skillName) {
  const ev = f.evidence || {};
  const parts = [];
  const attempts = (ev.attempts || []).slice().reverse();
  if (attempts.length) {
    parts.push(
      el("h4", {}, "Recent answers, newest first"),
      el("ol", { class: "attempts" }, ...attempts.map((a) =>
        el("li", { class: `attempt ${a.correct ? "right" : "wrong"}` },
          el("span", { class: "mark", "aria-label": a.correct ? "right" : "wrong" }, a.correct ? "✓" : "✗"),
          " ",
          el("span", { class: "response" }, a.hint ? "(asked for a hint first)" : a.response === "" ? "(empty)" : a.response),
          el("span", { class: "muted" },
            ` · ${a.item}`,
            a.hints ? ` · ${a.hints} hint${a.hints === 1 ? "" : "s"}` : "",
            a.ms ? ` · ${seconds(a.ms)}` : "")))),
    );
  }
  const low = ev.low_skills || [];
  if (low.length) {
    parts.push(
      el("h4", {}, "Skills, lowest mastery first"),
      el("ul", { class: "low-skills" }, ...low.map((s) =>
        el("li", {}, `${s.name || skillName(s.skill)}: ${pct(s.p)}`, s.mastered ? el("span", { class: "tag" }, " mastered") : null))),
    );
  }
  const help = f.help;
  if (help && help.title) {
    const n = (help.items || []).length;
    parts.push(el("p", {}, el("strong", {}, "Lesson to send: "), help.title, n ? ` (${n} problem${n === 1 ? "" : "s"})` : ""));
  }
  if (help && help.advice) parts.push(el("p", { class: "advice" }, el("strong", {}, "Suggested: "), help.advice));
  if (!parts.length) parts.push(el("p", { class: "muted" }, "No more detail than the summary."));
  return parts;
}
