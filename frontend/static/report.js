// The report of a class, after it (or while it runs): mastery before and
// after as a heatmap of students by skills, the time from a flag to a
// teacher's help, the time at each station and the activities completed;
// the report as CSV; and each student's data, to export or erase.
import { el } from "./api.js";
import { RULES, LEVELS } from "./flags.js";
import { PALETTE, heatmap, legend, stacked, bars } from "./charts.js";
import { busy, call, download, duration, pct, plain, session, signInFirst, skillNames } from "./session.js";

const $ = (id) => document.getElementById(id);
const room = new URLSearchParams(location.search).get("room") || "";
let rep = null;
let names = new Map();
let erasing = null; // the student the erase dialog is about

const skillName = (id) => names.get(id) || id;
const when = (ms) => new Date(ms).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
const fileSafe = (s) => s.replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "").toLowerCase() || "class";

async function load() {
  $("report-load").hidden = true;
  try {
    const [r, n] = await Promise.all([call("GET", `/api/v1/rooms/${encodeURIComponent(room)}/report`), names.size ? names : skillNames()]);
    rep = r;
    names = n;
  } catch (err) {
    if (err.code === "unauthorized") return signInFirst("Your sign-in has expired. Sign in again, then come back to this page.");
    $("report-error").textContent = err.code === "not_found"
      ? "There is no such class among yours. Open its report from your list of classes."
      : `The report could not be loaded. ${plain(err, "load the report")}`;
    $("report-load").hidden = false;
    $("report-retry").hidden = err.code === "not_found" || err.code === "invalid";
    return;
  }
  render();
}

function render() {
  document.title = `classhub — report: ${rep.title}`;
  $("report-title").textContent = `Report: ${rep.title}`;
  $("report-when").textContent = rep.ended
    ? `Opened ${when(rep.opened)} · ended ${when(rep.ended)} (${duration(rep.ended - rep.opened)})`
    : `Opened ${when(rep.opened)} · the class is still running: this is the report so far.`;
  $("report-body").hidden = false;
  renderSummary();
  renderHeatmap();
  renderFlags();
  renderStations();
  renderActivities();
  renderStudents();
}

// answeredFlag says a teacher acted on the flag (respond_ms is there, 0
// when in the same millisecond it opened).
const answeredFlag = (f) => f.respond_ms !== undefined && f.respond_ms !== null;
// needsHelp leaves out the flags that only say a student is doing well,
// unless a teacher acted on them.
const needsHelp = (f) => f.rule !== "doing_well" || answeredFlag(f);

function renderSummary() {
  const students = rep.students;
  const flags = students.flatMap((s) => s.flags).filter(needsHelp);
  const answered = flags.filter(answeredFlag).map((f) => f.respond_ms).sort((a, b) => a - b);
  const acts = students.flatMap((s) => s.activities);
  const done = acts.filter((a) => a.complete).length;
  const gains = students.flatMap((s) => s.skills.filter((k) => k.before !== null).map((k) => k.after - k.before));
  const item = (n, what) => el("li", {}, el("strong", {}, n), " ", what);
  $("summary").replaceChildren(
    item(String(students.length), students.length === 1 ? "student" : "students"),
    item(String(flags.length), flags.length === 1 ? "flag raised" : "flags raised"),
    item(answered.length ? duration(answered[Math.floor(answered.length / 2)]) : "—", "median time from flag to help"),
    item(`${done} of ${acts.length}`, "sets completed"),
    item(gains.length ? `${gains.reduce((a, b) => a + b, 0) / gains.length >= 0 ? "+" : ""}${Math.round((gains.reduce((a, b) => a + b, 0) / gains.length) * 100)} points` : "—", "average change in mastery"),
  );
}

function renderHeatmap() {
  const skills = [...new Set(rep.students.flatMap((s) => s.skills.map((k) => k.skill)))]
    .map((id) => ({ id, name: skillName(id) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const rows = rep.students.filter((s) => s.skills.length);
  $("hm-empty").hidden = rows.length > 0;
  $("hm-legend").replaceChildren(rows.length ? legend() : "");
  const lookup = (r, c) => r.skills.find((k) => k.skill === c.id) || null;
  $("heatmap").replaceChildren(rows.length
    ? heatmap({ rows, cols: skills, cell: lookup, label: `Mastery of ${skills.length} skills by ${rows.length} students, before and after the class` })
    : "");
  $("hm-table").replaceChildren(rows.length ? el("table", { class: "roster" },
    el("thead", {}, el("tr", {}, el("th", {}, "Student"), el("th", {}, "Skill"), el("th", {}, "Before"), el("th", {}, "After"), el("th", {}, "Right"))),
    el("tbody", {}, ...rows.flatMap((r) => r.skills.map((k) => el("tr", {},
      el("td", {}, r.name), el("td", {}, skillName(k.skill)), el("td", {}, k.before === null ? "new" : pct(k.before)), el("td", {}, pct(k.after)), el("td", {}, `${k.correct} of ${k.attempts}`)))))) : "");
}

function renderFlags() {
  const flags = rep.students.flatMap((s) => s.flags.map((f) => ({ ...f, student: s })))
    .filter(needsHelp)
    .sort((a, b) => a.opened - b.opened);
  const open = flags.filter((f) => !answeredFlag(f));
  const answered = flags.length - open.length;
  $("flags-summary").textContent = !flags.length
    ? "No student was flagged as needing help."
    : `${answered} of ${flags.length} flag${flags.length === 1 ? " was" : "s were"} answered by a teacher${open.length ? `; ${open.length} had no answer (they closed by themselves or were still open)` : ""}.`;
  const colour = { act_now: "#b3261e", watch: "#8a5a00", info: "#1f5fbf" };
  $("flag-chart").replaceChildren(flags.length ? bars({
    label: "Time from each flag to a teacher's first action",
    rows: flags.map((f, i) => ({
      id: String(i),
      label: `${f.student.name} · ${RULES[f.rule] || f.rule} (${LEVELS[f.level] || f.level})`,
      value: f.respond_ms || 0,
      text: answeredFlag(f) ? duration(f.respond_ms) : f.status === "cleared" ? "closed by itself" : "no answer",
      colour: colour[f.level],
    })),
  }) : "");
}

function renderStations() {
  const stations = new Map();
  for (const s of rep.students) for (const st of s.stations) if (!stations.has(st.station)) stations.set(st.station, st.name || "a removed station");
  const keys = [...stations.keys()];
  const colour = (k) => PALETTE[keys.indexOf(k) % PALETTE.length];
  $("stations-empty").hidden = keys.length > 0;
  $("station-legend").replaceChildren(...keys.map((k) => el("li", {}, el("span", { class: "swatch", style: `background:${colour(k)}` }), stations.get(k))));
  $("station-chart").replaceChildren(keys.length ? stacked({
    label: "Minutes each student spent at each station",
    colour,
    unit: duration,
    rows: rep.students.map((s) => ({
      id: s.id,
      name: s.name,
      parts: s.stations.filter((st) => st.ms > 0).map((st) => ({ key: st.station, name: stations.get(st.station), value: st.ms, text: duration(st.ms) })),
    })),
  }) : "");
}

function renderActivities() {
  $("acts").tBodies[0].replaceChildren(...rep.students.map((s) => {
    const done = s.activities.filter((a) => a.complete).length;
    return el("tr", { "data-student": s.id },
      el("td", {}, s.name),
      el("td", { class: "acts-done" }, s.activities.length ? `${done} of ${s.activities.length}` : "—"),
      el("td", {}, s.activities.length ? el("ul", { class: "acts" }, ...s.activities.map((a) =>
        el("li", {}, el("span", { class: a.complete ? "done" : "" }, a.complete ? "✓ " : ""), `${a.title || a.set.set}: ${a.solved} of ${a.items} solved`))) : el("span", { class: "muted" }, "none")));
  }));
}

function renderStudents() {
  $("students").tBodies[0].replaceChildren(...rep.students.map((s) => {
    const err = el("p", { class: "error", role: "alert" });
    const exp = el("button", { type: "button", class: "secondary small", "data-export": s.id, "aria-label": `Export ${s.name}'s data` }, "Export");
    exp.addEventListener("click", () => busy(exp, err, `export ${s.name}'s data`, () =>
      download(`/api/v1/rooms/${encodeURIComponent(room)}/students/${encodeURIComponent(s.id)}/export`, `classhub-${fileSafe(s.name)}-${fileSafe(rep.title)}.json`)));
    const erase = el("button", { type: "button", class: "danger small", "data-erase": s.id, "aria-label": `Erase ${s.name} from this class` }, "Erase…");
    erase.addEventListener("click", () => askErase(s, erase));
    return el("tr", { "data-student": s.id },
      el("td", {}, s.name),
      el("td", {}, new Date(s.joined).toLocaleTimeString([], { timeStyle: "short" })),
      el("td", { class: "acted-by" }, (s.acted_by || []).length ? s.acted_by.map((b) => b.name || "a teacher").join(", ") : el("span", { class: "muted" }, "none")),
      el("td", {}, s.roster ? el("a", { href: `/profile?student=${encodeURIComponent(s.roster)}`, "aria-label": `Profile of ${s.name}` }, "Profile") : el("span", { class: "muted" }, "typed their name")),
      el("td", {}, el("div", { class: "row tight" }, exp, erase), err));
  }));
}

function askErase(s, opener) {
  erasing = { s, opener };
  $("erase-title").textContent = `Erase ${s.name} from “${rep.title}”?`;
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  $("erase-what").replaceChildren(
    el("p", {}, "This deletes, from this class, for good:"),
    el("ul", {},
      el("li", {}, `${s.name}'s place in the class: their name, group and station`),
      el("li", {}, `their practice: ${n(s.activities.length, "set", "sets")} given, ${n(s.skills.reduce((a, k) => a + k.attempts, 0), "answer", "answers")} and their mastery in this class`),
      el("li", {}, `${n(s.flags.length, "flag", "flags")} raised on them, their raised hands and the messages sent to them`),
      el("li", {}, "their edits in group workspaces stay, signed “(erased)”")),
    el("p", {}, `Every device in the class reloads, and ${s.name} cannot come back into it. This cannot be undone.`),
    s.roster ? el("p", { class: "hint" }, "Their learner profile is kept: it belongs to your roster, not to this class.") : null,
  );
  $("erase-confirm").textContent = `Erase ${s.name}`;
  $("erase-error").textContent = "";
  $("erase-dialog").showModal();
  $("erase-cancel").focus();
}

$("erase-cancel").addEventListener("click", () => $("erase-dialog").close());
$("erase-dialog").addEventListener("close", () => {
  if (erasing && erasing.opener.isConnected) erasing.opener.focus();
});
$("erase-confirm").addEventListener("click", () => {
  const { s } = erasing;
  busy($("erase-confirm"), $("erase-error"), `erase ${s.name}`, async () => {
    const res = await call("POST", `/api/v1/rooms/${encodeURIComponent(room)}/students/${encodeURIComponent(s.id)}/erase`);
    erasing.opener = $("students-title");
    $("erase-dialog").close();
    $("report-status").textContent = `${s.name} was erased from this class: ${res.removed} record${res.removed === 1 ? "" : "s"} about them removed.`;
    await load();
    $("report-status").focus();
  });
});

$("csv").addEventListener("click", () => busy($("csv"), $("csv-error"), "download the report", () =>
  download(`/api/v1/rooms/${encodeURIComponent(room)}/report?format=csv`, `classhub-report-${fileSafe(rep.title)}.csv`)));
$("report-retry").addEventListener("click", () => busy($("report-retry"), null, "", load));

if (!session()) signInFirst();
else if (!room) {
  $("report-error").textContent = "This page needs a class. Open a report from your list of classes.";
  $("report-load").hidden = false;
  $("report-retry").hidden = true;
} else load();
