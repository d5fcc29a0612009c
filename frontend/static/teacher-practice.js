// Practice: the content banks and their sets, given to the class, a
// station, a group or one student; closing practice; adding a bank from a
// file; and each student's practice as the roster shows it.
import { el } from "./api.js";
import { $, ctx, command, skillNames, whenIdle } from "./console.js";
import { parseTarget, setOptions, targetOptions } from "./orch.js";
import { skillName } from "./teacher-flags.js";

let call = null;
let banks = null; // the banks as the server lists them, or null before loading
const learners = new Map(); // student ID → their practice

// How many recent answers the server keeps to count the right ones.
const RECENT = 20;

export const SET_KINDS = {
  practice: "Adaptive practice",
  playlist: "Playlist, in order",
  choice_board: "Choice board",
  check: "Quick check",
  enrichment: "Enrichment",
};

export function setup(opts) {
  call = opts.call;
  $("tab-practice").addEventListener("click", () => ctx.room && loadBanks());
  $("banks-refresh").addEventListener("click", loadBanks);
  $("practice-close").addEventListener("click", closePractice);
  $("bank-upload-form").addEventListener("submit", (e) => {
    e.preventDefault();
    upload();
  });
}

export function opened() {
  learners.clear();
  banks = null;
  delete $("banks").dataset.key;
  $("practice-status").textContent = "";
  $("practice-tab-error").textContent = "";
  $("bank-upload-result").replaceChildren();
  loadBanks();
}

export function loaded() {
  learners.clear();
  for (const s of ctx.state.learning || []) {
    learners.set(s.student, {
      set: s.set, title: s.title, kind: s.kind, item: s.item || null,
      answers: s.answers, correct: s.correct, recent: null,
      mastery: (s.mastery || []).map((m) => ({ skill: m.skill, p: m.p, mastered: !!m.mastered })),
      offered: !!s.offered, closed: false,
    });
  }
}

function learner(sid) {
  let l = learners.get(sid);
  if (!l) {
    l = { set: null, title: "", kind: "", item: null, answers: 0, correct: 0, recent: [], mastery: [], offered: false, closed: false };
    learners.set(sid, l);
  }
  return l;
}

// concerned are the students an event of practice is for: those it lists,
// or, for the whole class, every student in it at the time.
function concerned(d) {
  if (d.students) return d.students;
  const to = d.to || {};
  if (to.student || to.group || to.station) return [];
  return ctx.state.students.map((s) => s.id);
}

// apply folds the events of practice into each student's summary, as the
// server keeps it.
export function apply(type, d) {
  switch (type) {
    case "practice":
      for (const sid of concerned(d)) {
        Object.assign(learner(sid), { set: d.set, title: d.title, kind: d.kind, item: null, offered: false, closed: false });
      }
      break;
    case "item":
      learner(d.student).item = d.item;
      break;
    case "attempt": {
      const l = learner(d.student);
      if (l.recent === null) {
        // The snapshot gives only how many of the kept answers were
        // right, not their order: assume the right ones were the latest.
        const n = Math.min(l.answers, RECENT);
        l.recent = Array.from({ length: n }, (_, i) => i >= n - l.correct);
      }
      l.answers++;
      l.recent.push(!!d.correct);
      if (l.recent.length > RECENT) l.recent.splice(0, l.recent.length - RECENT);
      l.correct = l.recent.filter(Boolean).length;
      setMastery(l, d.skill, d.p, d.mastered);
      if (d.correct || d.moved_on) l.item = null;
      break;
    }
    case "hint": {
      // A hint before the first answer counts as a wrong one.
      const l = learner(d.student);
      setMastery(l, d.skill, d.p);
      break;
    }
    case "offer":
      learner(d.student).offered = true;
      break;
    case "help_sent":
      learner(d.student).item = null;
      break;
    case "practice_closed":
      for (const sid of concerned(d)) {
        const l = learners.get(sid);
        if (l) Object.assign(l, { closed: true, item: null });
      }
      break;
  }
}

function setMastery(l, skill, p, mastered) {
  if (typeof p !== "number" || !skill) return;
  const m = l.mastery.find((x) => x.skill === skill);
  if (m) Object.assign(m, { p, mastered: !!mastered });
  else l.mastery.push({ skill, p, mastered: !!mastered });
  l.mastery.sort((a, b) => a.p - b.p || (a.skill < b.skill ? -1 : 1));
}

// learnerOf is a student's practice as the console keeps it, or null.
export function learnerOf(sid) {
  const l = learners.get(sid);
  return l && l.set ? l : null;
}

// practiceCell is what the roster shows of a student's practice.
export function practiceCell(sid) {
  const l = learners.get(sid);
  if (!l || !l.set) return [el("span", { class: "muted" }, "—")];
  const shown = Math.min(l.answers, RECENT);
  const low = l.mastery[0];
  const facts = [`${l.answers} answer${l.answers === 1 ? "" : "s"}`];
  if (shown) facts.push(`${l.correct} of the last ${shown} right`);
  if (low) facts.push(`lowest: ${skillName(low.skill)} ${Math.round(low.p * 100)}%`);
  return [
    el("span", { class: "practice-set" }, l.title || l.set.set, l.closed ? " (closed)" : "", l.offered ? " · offered a challenge" : ""),
    el("br"),
    el("span", { class: "muted practice-facts" }, facts.join(" · ")),
  ];
}

async function loadBanks() {
  if (!call) return;
  try {
    const r = await call("GET", "/api/v1/banks");
    banks = r.banks || [];
    for (const b of banks) for (const [id, name] of Object.entries(b.skill_names || {})) skillNames.set(id, name);
    $("practice-tab-error").textContent = "";
  } catch (err) {
    banks = banks || [];
    $("practice-tab-error").textContent = `The content banks could not be loaded: ${err.message}`;
  }
  renderBanks();
}

function renderBanks() {
  const list = banks || [];
  // Drawn again only when something changed, so that a button is not
  // replaced under the teacher's finger when the list is reloaded.
  const open = ctx.state ? ctx.state.status === "open" : true;
  const key = JSON.stringify([banks, open]);
  if ($("banks").dataset.key === key) return;
  $("banks").dataset.key = key;
  $("banks-note").textContent = banks === null ? "Loading the content banks…" : list.length ? "" : "There is no content bank yet. Add one below.";
  $("banks").replaceChildren(...list.map((b) =>
    el("li", { class: "card bank", "data-bank": b.id },
      el("h3", {}, b.title || b.id),
      el("p", { class: "muted" }, `${b.id} · ${b.skills} skill${b.skills === 1 ? "" : "s"} · ${b.items} item${b.items === 1 ? "" : "s"}`),
      el("ul", { class: "set-list" }, ...b.sets.map((s) =>
        el("li", { "data-set": s.id },
          el("div", {},
            el("strong", {}, s.title || s.id),
            el("span", { class: "muted" }, ` · ${SET_KINDS[s.kind] || s.kind} · ${s.items} item${s.items === 1 ? "" : "s"}`)),
          open ? el("button", {
            type: "button", class: "small", "data-assign": `${b.id}/${s.id}`, "aria-label": `Assign ${s.title || s.id}`,
            onclick: (e) => assign(b, s, e.currentTarget),
          }, "Assign") : null))))));
}

function describeTarget(value) {
  const sel = $("practice-to");
  const o = [...sel.options].find((x) => x.value === value);
  return value === "" ? "the whole class" : o ? o.textContent : "them";
}

async function assign(b, s, button) {
  $("practice-status").textContent = "";
  const value = $("practice-to").value;
  const data = { set: { bank: b.id, set: s.id }, to: parseTarget(value) };
  if (s.kind === "check" && $("practice-as-check").checked) data.check = true;
  const r = await command("assign_practice", data, button, $("practice-tab-error"));
  if (r) {
    const n = r.students || 0;
    $("practice-status").textContent = `“${s.title || s.id}” given to ${describeTarget(value)} (${n} student${n === 1 ? "" : "s"}).`;
  }
}

async function closePractice() {
  $("practice-status").textContent = "";
  const value = $("practice-close-to").value;
  const r = await command("close_practice", { to: parseTarget(value) }, $("practice-close"), $("practice-tab-error"));
  if (r) {
    const n = r.students || 0;
    $("practice-status").textContent = n ? `Practice closed for ${n} student${n === 1 ? "" : "s"}.` : "Nobody there was practising.";
  }
}

// upload sends a bank file as it is. A refused bank comes back with every
// problem on a line of its own: they are listed as they are.
async function upload() {
  const out = $("bank-upload-result");
  const file = $("bank-file").files[0];
  out.replaceChildren();
  if (!file) {
    out.append(el("p", { class: "error" }, "Choose a bank file (.yaml) first."));
    return;
  }
  $("bank-upload").disabled = true;
  try {
    const text = await file.text();
    let res;
    try {
      res = await fetch(`/api/v1/banks?name=${encodeURIComponent(file.name)}`, {
        method: "POST",
        headers: { "Content-Type": "application/yaml", Authorization: `Bearer ${ctx.session.token}` },
        body: text,
      });
    } catch {
      out.append(el("p", { class: "error" }, "The server cannot be reached. Check the network and try again."));
      return;
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = data.error || { message: `The server answered ${res.status}.` };
      const lines = String(e.message || "").split("\n").filter(Boolean);
      out.append(
        el("p", { class: "error" }, e.code === "bad_content"
          ? `The bank was not saved: ${lines.length} problem${lines.length === 1 ? "" : "s"} to fix. The bank in use, if any, is unchanged.`
          : "The bank was not saved."),
        el("ul", { class: "problems" }, ...lines.map((l) => el("li", {}, l))),
      );
      return;
    }
    out.append(el("p", { class: "ok" }, `Saved “${data.title || data.id}”: ${data.sets.length} set${data.sets.length === 1 ? "" : "s"}, ${data.items} items.`));
    $("bank-file").value = "";
    loadBanks();
  } finally {
    $("bank-upload").disabled = false;
  }
}

// The sets being practised now, for the tab's overview.
function renderNow() {
  const by = new Map();
  for (const [sid, l] of learners) {
    if (!l.set || l.closed) continue;
    const key = `${l.set.bank}/${l.set.set}`;
    if (!by.has(key)) by.set(key, { title: l.title || l.set.set, names: [] });
    const st = ctx.state.students.find((s) => s.id === sid);
    by.get(key).names.push(st ? st.name : "a student who left");
  }
  const rows = [...by.values()].sort((a, b) => a.title.localeCompare(b.title));
  $("practice-now").replaceChildren(...rows.map((r) =>
    el("li", {}, el("strong", {}, r.title), `: ${r.names.length} — `, el("span", { class: "muted" }, r.names.sort().join(", ")))));
  $("practice-none").hidden = rows.length > 0;
}

export function render() {
  const state = ctx.state;
  if (!state) return;
  const opts = () => targetOptions(el, { groups: state.groups, stations: state.stations, students: state.students.slice().sort((a, b) => a.name.localeCompare(b.name)) });
  whenIdle($("practice-to"), () => setOptions($("practice-to"), opts()));
  whenIdle($("practice-close-to"), () => setOptions($("practice-close-to"), opts()));
  const open = state.status === "open";
  $("practice-close-box").hidden = !open;
  $("practice-assign-box").hidden = !open;
  if (banks) renderBanks();
  renderNow();
}
