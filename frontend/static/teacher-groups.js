// Grouping and groups: ask for a proposal, edit it, apply it; then move
// students between groups or to a station, give groups coaches, and set
// where late joiners go.
import { el } from "./api.js";
import { $, ctx, command, send, keyed, station, studentName, whenIdle } from "./console.js";

let call = null;
let sets = []; // [{kind: "apart"|"together", students: [ids]}]
let draft = null; // the proposal being edited: {id, groups: [{name, members, reason}], edited}
let coaches = null; // the teacher's coaches, or null when the server has none to offer

const HINTS = {
  random: "Random groups; press Propose again for another draw.",
  level: "Students of about the same level together (set levels in the roster).",
  mixed: "Each group gets a spread of levels (set levels in the roster).",
  interest: "Students who named the same interest together.",
  choice: "Students who picked the same option together (offer a choice in the roster first).",
  jigsaw: "Home groups, and expert groups that mix them: one member of each home group per expert group.",
};

export function setup(opts) {
  call = opts.call;
  $("grouping-method").addEventListener("change", hint);
  $("grouping-skill").addEventListener("focus", skills);
  hint();
  $("grouping-add-apart").addEventListener("click", () => addSet("apart"));
  $("grouping-add-together").addEventListener("click", () => addSet("together"));
  $("grouping-form").addEventListener("submit", (e) => {
    e.preventDefault();
    propose();
  });
  $("grouping-apply").addEventListener("click", applyGroups);
  $("grouping-reset").addEventListener("click", () => {
    draft = fromProposal(ctx.state.proposal);
    renderProposal();
  });
  $("late-rule").addEventListener("change", () => command("set_late_rule", { rule: $("late-rule").value }, null, $("groups-error")));
  $("coach-invite-form").addEventListener("submit", invite);
  // Coaches accept their invitations meanwhile: look again when the
  // teacher turns to the groups.
  $("tab-groups").addEventListener("click", () => ctx.room && loadCoaches());
  $("coach-refresh").addEventListener("click", loadCoaches);
}

export function opened() {
  sets = [];
  draft = null;
  coaches = null;
  $("grouping-error").textContent = "";
  $("apply-error").textContent = "";
  loadCoaches();
}

export function loaded() {
  draft = fromProposal(ctx.state.proposal);
}

function hint() {
  const m = $("grouping-method").value;
  $("grouping-method-hint").textContent = HINTS[m] || "";
  $("grouping-skill-row").hidden = !(m === "level" || m === "mixed" || m === "jigsaw");
  skills();
}

// skills offers the skills the class has practised: grouping by level
// can use their current mastery instead of the levels typed in.
function skills() {
  const sel = $("grouping-skill");
  const names = new Map();
  for (const l of (ctx.state && ctx.state.learning) || []) for (const m of l.mastery || []) names.set(m.skill, m.name || m.skill);
  const want = ["", ...names.keys()];
  const have = [...sel.options].map((o) => o.value);
  if (want.join("\n") === have.join("\n")) return;
  const keep = sel.value;
  sel.replaceChildren(el("option", { value: "" }, "the levels I set"), ...[...names].map(([id, n]) => el("option", { value: id }, `mastery of ${n}`)));
  sel.value = want.includes(keep) ? keep : "";
}

async function loadCoaches() {
  try {
    const r = await call("GET", "/api/v1/coaches");
    coaches = r.coaches || [];
    renderCoaches(r.invites || []);
  } catch {
    coaches = null; // this server has no coaches
  }
  render();
}

// Keep-apart and keep-together sets.

function picked() {
  return [...$("grouping-pick").querySelectorAll("input:checked")].map((i) => i.value);
}

function addSet(kind) {
  const students = picked();
  if (students.length < 2) {
    $("grouping-error").textContent = "Tick at least two students first.";
    return;
  }
  $("grouping-error").textContent = "";
  sets.push({ kind, students });
  for (const i of $("grouping-pick").querySelectorAll("input:checked")) i.checked = false;
  renderSets();
}

function renderSets() {
  $("grouping-sets").replaceChildren(
    ...sets.map((s, i) =>
      el("li", { class: s.kind }, el("strong", {}, s.kind === "apart" ? "Apart: " : "Together: "), s.students.map(studentName).join(", "), " ",
        el("button", { type: "button", class: "secondary small", "aria-label": "Remove this rule", onclick: () => (sets.splice(i, 1), renderSets()) }, "✕"))),
  );
}

// Proposals.

async function propose() {
  const by = $("grouping-by").value;
  const n = Number($("grouping-n").value);
  const req = { method: $("grouping-method").value, [by]: n };
  const min = Number($("grouping-min").value || 0);
  const max = Number($("grouping-max").value || 0);
  if (min) req.min = min;
  if (max) req.max = max;
  if ($("grouping-avoid").checked) req.avoid_recent = true;
  if ($("grouping-absent").checked) req.include_absent = true;
  if (!$("grouping-skill-row").hidden && $("grouping-skill").value) req.skill = $("grouping-skill").value;
  const apart = sets.filter((s) => s.kind === "apart").map((s) => s.students);
  const together = sets.filter((s) => s.kind === "together").map((s) => s.students);
  if (apart.length) req.apart = apart;
  if (together.length) req.together = together;
  $("grouping-error").textContent = "";
  $("apply-error").textContent = "";
  try {
    const p = await send("propose_groups", req, $("grouping-propose"));
    ctx.state.proposal = p;
    draft = fromProposal(p);
    renderProposal();
  } catch (err) {
    $("grouping-error").textContent = explain(err);
  }
}

function explain(err) {
  switch (err.code) {
    case "infeasible":
      return `These groups cannot be made: ${err.message}. Loosen a rule (sizes, apart, together) and propose again.`;
    case "stale":
      return `${err.message}.`;
    case "absent":
      return `${err.message}. Propose again, or tick “Include students who are offline”.`;
  }
  return err.message;
}

function fromProposal(p) {
  if (!p) return null;
  return { id: p.id, groups: p.groups.map((g) => ({ name: g.name, members: g.members.slice(), reason: g.reason })), edited: false };
}

function move(studentID, to) {
  for (const g of draft.groups) g.members = g.members.filter((m) => m !== studentID);
  if (to >= 0) draft.groups[to].members.push(studentID);
  draft.edited = true;
  renderProposal();
}

async function applyGroups() {
  if (!draft) return;
  const data = { proposal: draft.id };
  if (draft.edited) data.groups = draft.groups.filter((g) => g.members.length).map((g) => ({ name: g.name, members: g.members }));
  $("apply-error").textContent = "";
  try {
    const res = await send("apply_groups", data, $("grouping-apply"));
    if (res && res.scheduled) {
      ctx.state.regroup = Object.assign({}, ctx.state.proposal, { scheduled: true });
      ctx.state.proposal = null;
    }
    draft = null;
    renderProposal();
  } catch (err) {
    $("apply-error").textContent =
      err.code === "stale" ? `This proposal is out of date: ${err.message}.` : err.code === "absent" ? `${err.message}. Move them out of the groups, or propose again.` : err.message;
  }
}

function renderProposal() {
  const w = ctx.state && ctx.state.regroup;
  $("regroup-waiting").hidden = !w;
  if (w) $("regroup-waiting").textContent = `New groups applied during the rotation: ${w.groups.map((g) => g.name).join(", ")} take over at its next leg.`;
  const p = ctx.state && ctx.state.proposal;
  if (!p) draft = null; // applied, or made stale by new groups
  else if (!draft || draft.id !== p.id) draft = fromProposal(p);
  $("proposal").hidden = !draft;
  if (!draft) return;
  $("grouping-reset").hidden = !draft.edited;
  $("proposal-notes").replaceChildren(...(p.notes || []).map((n) => el("li", {}, n)));
  const placed = new Set(draft.groups.flatMap((g) => g.members));
  const left = ctx.state.students.filter((s) => !placed.has(s.id));
  const names = draft.groups.map((g) => g.name);
  const card = (g, i) => {
    const drop = (e) => {
      e.preventDefault();
      const id = e.dataTransfer.getData("text/plain");
      if (id) move(id, i);
    };
    const header = i >= 0
      ? el("input", { class: "group-name", value: g.name, maxlength: 40, "aria-label": "Group name", onchange: (e) => ((g.name = e.target.value.trim() || g.name), (draft.edited = true), renderProposal()) })
      : el("h4", {}, "Not in a group");
    return el("div", { class: "group-card proposed", "data-proposed": i, ondragover: (e) => e.preventDefault(), ondrop: drop },
      header,
      i >= 0 && g.reason ? el("p", { class: "reason muted", title: g.reason }, reasonWords(g.reason)) : null,
      el("ul", { class: "members" }, ...g.members.map((m) => chip(m, i, names))),
      i >= 0 ? el("p", { class: "muted" }, `${g.members.length} student${g.members.length === 1 ? "" : "s"}`) : null);
  };
  const cards = draft.groups.map((g, i) => card(g, i));
  if (left.length) cards.push(card({ members: left.map((s) => s.id) }, -1));
  $("proposal-groups").replaceChildren(...cards);
  const ex = p.experts || [];
  $("proposal-experts").replaceChildren(
    ...(ex.length ? [el("h4", {}, "Expert groups"), el("ul", {}, ...ex.map((g) => el("li", {}, el("strong", {}, g.name), ": ", g.members.map(studentName).join(", "), g.reason ? el("span", { class: "muted" }, ` — ${g.reason}`) : null)))] : []),
  );
}

function chip(id, from, names) {
  const s = ctx.state.students.find((x) => x.id === id);
  const select = el("select", { class: "move-to", "aria-label": `Move ${studentName(id)} to`, "data-move": id,
    onchange: (e) => move(id, Number(e.target.value)) },
  ...names.map((n, i) => el("option", { value: i, selected: i === from }, n)),
  el("option", { value: -1, selected: from < 0 }, "no group"));
  return el("li", { class: "chip", draggable: "true", "data-student": id, ondragstart: (e) => e.dataTransfer.setData("text/plain", id) },
    el("span", { class: s && !s.online ? "offline" : "" }, studentName(id)), s && typeof s.level === "number" ? el("span", { class: "muted" }, ` ${Math.round(s.level * 100)}%`) : null, " ", select);
}

// Groups.

function renderGroups() {
  const state = ctx.state;
  $("late-rule").value = state.late_rule || "smallest";
  $("no-groups").hidden = state.groups.length > 0;
  const open = state.status === "open";
  const ungrouped = state.students.filter((s) => !s.group);
  const items = state.groups.map((g) => ({ g }));
  if (state.groups.length && ungrouped.length) items.push({ g: { id: "", name: "Not in a group", members: ungrouped.map((s) => ({ id: s.id, name: s.name })), coaches: [] } });
  keyed($("group-list"), items, (it) => it.g.id || "none", () => el("div", { class: "group-card" }), (div, it) => fillGroup(div, it.g, open));
  $("coach-box").hidden = coaches === null;
  $("coach-room-link").textContent = `${location.origin}/coach?room=${ctx.room.id}`;
}

function fillGroup(div, g, open) {
  const state = ctx.state;
  const placedAt = (id) => (state.placements.find((p) => p.student === id) || {}).station;
  const trk = state.rotation && !state.rotation.ended ? state.rotation.tracks.find((t) => t.group === g.id && !t.done) : null;
  const here = trk && station(trk.station);
  div.dataset.group = g.id;
  const roles = g.roles || [];
  const members = g.members.map((m) => {
    const at = placedAt(m.id);
    const role = roles.find((r) => r.student === m.id);
    const toGroup = el("select", { "aria-label": `Move ${m.name} to another group`, "data-move-group": m.id, disabled: !open,
      onchange: (e) => e.target.value && command("move_student", { student: m.id, group: e.target.value }, e.target, $("groups-error")) },
    el("option", { value: "" }, "Move to group…"), ...state.groups.filter((x) => x.id !== g.id).map((x) => el("option", { value: x.id }, x.name)));
    const toStation = el("select", { "aria-label": `Send ${m.name} to a station`, "data-move-station": m.id, disabled: !open || !state.stations.length,
      onchange: (e) => e.target.value && command("move_student", { student: m.id, station: e.target.value }, e.target, $("groups-error")) },
    el("option", { value: "" }, "Send to station…"), ...state.stations.filter((s) => s.id !== at).map((s) => el("option", { value: s.id }, s.name)));
    return el("li", { "data-student": m.id },
      el("span", { class: "who" }, m.name), role ? el("span", { class: "tag role" }, role.role) : null,
      at ? el("span", { class: "tag" }, `at ${(station(at) || { name: "a station" }).name}`) : null,
      at ? el("button", { type: "button", class: "secondary small", onclick: (e) => command("move_student", { student: m.id, clear: true }, e.target, $("groups-error")) }, "Back with group") : null,
      toGroup, toStation);
  });
  const parts = [
    el("h3", {}, g.name, g.id ? el("span", { class: "muted" }, ` · ${g.members.length}`) : null),
    here ? el("p", { class: "muted" }, `Now at ${here.name}`) : null,
    el("ul", { class: "members" }, ...members),
  ];
  if (g.id && coaches !== null) {
    const mine = g.coaches || [];
    const coachName = (id) => (coaches.find((c) => c.id === id) || { name: "a coach" }).name;
    const pick = el("select", { "aria-label": `Coach for ${g.name}`, "data-coach-for": g.id }, el("option", { value: "" }, "Add a coach…"),
      ...coaches.filter((c) => !mine.includes(c.id)).map((c) => el("option", { value: c.id }, c.name)));
    pick.addEventListener("change", () => pick.value && command("assign_coach", { group: g.id, coach: pick.value, assigned: true }, pick, $("groups-error")));
    parts.push(el("p", { class: "coaches" }, el("strong", {}, "Coaches: "), mine.length ? "" : el("span", { class: "muted" }, "none "),
      ...mine.map((c) => el("span", { class: "tag" }, coachName(c), " ",
        el("button", { type: "button", class: "link", "aria-label": `Take ${coachName(c)} off ${g.name}`, onclick: (e) => command("assign_coach", { group: g.id, coach: c, assigned: false }, e.target, $("groups-error")) }, "✕"))),
      coaches.length > mine.length ? pick : null));
  }
  div.replaceChildren(...parts.filter(Boolean));
}

function renderCoaches(invites) {
  $("coach-list").replaceChildren(
    ...(coaches || []).map((c) => el("li", {}, `${c.name} (${c.email})`)),
    ...invites.map((i) => el("li", { class: "muted" }, `${i.name} (${i.email}): invited, not yet accepted`)),
  );
}

async function invite(e) {
  e.preventDefault();
  $("coach-invite-link").textContent = "";
  try {
    const r = await call("POST", "/api/v1/coaches", { email: $("coach-email").value.trim(), name: $("coach-name").value.trim() });
    const link = `${location.origin}${r.link}`;
    $("coach-invite-link").replaceChildren("Send this link to the coach (it is shown only once): ", el("code", { class: "invite-link" }, link));
    $("coach-email").value = "";
    $("coach-name").value = "";
    loadCoaches();
  } catch (err) {
    $("coach-invite-link").textContent = err.message;
  }
}

export function render() {
  const state = ctx.state;
  if (!state) return;
  // The student picker of keep-apart and keep-together sets.
  keyed($("grouping-pick"), state.students, (s) => s.id,
    (s) => {
      const box = el("input", { type: "checkbox", value: s.id });
      const label = el("label", { class: "check pick-item" }, box, el("span", {}));
      return label;
    },
    (label, s) => (label.querySelector("span").textContent = ` ${s.name}${s.online ? "" : " (offline)"}`));
  renderSets();
  whenIdle($("proposal-groups"), renderProposal);
  whenIdle($("group-list"), renderGroups);
}

// reasonWords says a grouping reason as a teacher reads it: the seed of a
// random grouping is for repeating it, not for reading, and mastery reads
// as a percentage. The server's words stay in the tooltip.
export function reasonWords(reason) {
  const r = reason
    .replace(/^random \(seed -?\d+\)/, "chosen at random")
    .replace(/\b[01]\.\d+\b/g, (p) => `${Math.round(Number(p) * 100)}%`)
    .replace(/\bmean\b/g, "average");
  return r.charAt(0).toUpperCase() + r.slice(1);
}
