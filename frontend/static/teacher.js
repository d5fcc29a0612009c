// The teacher console: sign in, open a class, watch the roster live, and
// orchestrate the class: stations, groups, rotation, messages, the
// groups' workspaces, practice and the help queue (in the teacher-*.js
// modules).
import { ClassConnection } from "./client.js";
import { api, el, show } from "./api.js";
import { $, ctx, command, keyed, idle, group } from "./console.js";
import { applyWorkspaceEvent, emptyWorkspace } from "./workspace.js";
import * as groups from "./teacher-groups.js";
import * as rotation from "./teacher-rotation.js";
import * as messages from "./teacher-messages.js";
import * as flags from "./teacher-flags.js";
import * as practice from "./teacher-practice.js";
import * as projector from "./teacher-projector.js";
import * as glance from "./teacher-glance.js";
import * as share from "./teacher-share.js";
import { followFocus } from "./focus.js";

followFocus();

const KEY = "classhub.teacher";
const parts = [groups, rotation, messages, flags, practice, projector, glance, share];

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() && s.teacher ? s : null;
  } catch {
    return null;
  }
}

export async function call(method, path, body) {
  try {
    return await api(method, path, body, ctx.session && ctx.session.token);
  } catch (err) {
    if (err.code === "unauthorized") signout("Please sign in again.");
    throw err;
  }
}

$("signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("signin-error").textContent = "";
  try {
    const s = await api("POST", "/api/v1/login", { email: $("signin-email").value, password: $("signin-password").value });
    if (s.role === "coach") {
      $("signin-error").textContent = "This is a coach's account: coaches sign in on the coach page.";
      $("signin-error").append(" ", el("a", { href: "/coach" }, "Go to the coach page"));
      return;
    }
    ctx.session = s;
    localStorage.setItem(KEY, JSON.stringify(s));
    $("signin-password").value = "";
    resume();
  } catch (err) {
    $("signin-error").textContent = err.message;
  }
});

function signout(msg) {
  if (ctx.conn) ctx.conn.close();
  ctx.conn = null;
  ctx.session = null;
  localStorage.removeItem(KEY);
  $("signin-error").textContent = msg || "";
  show("signin");
}
$("signout").addEventListener("click", (e) => {
  e.preventDefault();
  signout();
});

async function classes() {
  if (ctx.conn) ctx.conn.close();
  ctx.conn = null;
  if (location.hash) history.replaceState(null, "", location.pathname);
  show("classes");
  $("teacher-name").textContent = ctx.session.teacher.name;
  $("classes-error").textContent = "";
  try {
    const { rooms } = await call("GET", "/api/v1/rooms");
    $("class-list").replaceChildren(
      ...rooms.map((r) =>
        el("li", {}, el("a", { href: "#", onclick: (e) => (e.preventDefault(), open(r)) }, r.title),
          " ", el("span", { class: "muted" }, r.status === "open" ? `open · code ${r.code}` : "ended", " · ", new Date(r.created).toLocaleString(),
            r.role && r.role !== "owner" ? ` · shared by ${r.owner_name || "another teacher"}, you are ${r.role === "assistant" ? "teaching assistant" : "co-teacher"}` : ""),
          " · ", el("a", { href: `/report?room=${encodeURIComponent(r.id)}`, class: "report-link", "aria-label": `Report of ${r.title}` }, "Report"))),
    );
  } catch (err) {
    $("classes-error").textContent = err.message;
  }
  rosterChoice();
}

// rosterChoice offers the teacher's rosters for a new class: a class with
// one is joined by picking a name.
async function rosterChoice() {
  const sel = $("new-class-roster");
  try {
    const { rosters } = await call("GET", "/api/v1/rosters");
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "No roster: students type their names"),
      ...rosters.map((r) => el("option", { value: r.id }, `Roster: ${r.name} (${r.students.length})`)));
    sel.value = rosters.some((r) => r.id === keep) ? keep : "";
  } catch {
    // Without the list a class is still started without a roster.
  }
}

$("new-class-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await call("POST", "/api/v1/rooms", { title: $("new-class-title").value.trim(), roster: $("new-class-roster").value || undefined });
    $("new-class-title").value = "";
    open(r);
  } catch (err) {
    $("classes-error").textContent = err.message;
  }
});

function open(r) {
  ctx.room = r;
  ctx.state = null;
  // The address names the class, so that a reload comes back to it.
  history.replaceState(null, "", `#class=${encodeURIComponent(r.id)}`);
  show("live");
  tab("glance");
  $("live-title").textContent = r.title;
  $("join-url").textContent = location.host;
  $("join-code-show").textContent = r.status === "open" ? pretty(r.code) : "ended";
  $("live-error").textContent = "";
  $("class-report").href = `/report?room=${encodeURIComponent(r.id)}`;
  ended(r.status === "ended");
  for (const p of parts) p.opened && p.opened();
  ctx.conn = new ClassConnection({
    token: ctx.session.token,
    room: r.id,
    onToken: (token, expires) => {
      if (!ctx.session) return;
      ctx.session = { ...ctx.session, token, expires };
      localStorage.setItem(KEY, JSON.stringify(ctx.session));
    },
    onStatus: (st, err) => {
      $("live-status").textContent = st === "refused" ? err.message : st;
      $("live-status").dataset.state = st;
    },
    onWelcome: (w) => {
      if (!w.resumed) {
        ctx.state = w.snapshot;
        for (const p of parts) p.loaded && p.loaded();
      }
      render();
    },
    onEvent: (type, data, f) => {
      if (apply(type, data, f)) render();
    },
    onClosed: (code) => {
      if (code === 4002) signout("Please sign in again.");
      if (code === 4007) {
        classes();
        $("classes-error").textContent = `“${r.title}” is no longer shared with you.`;
      }
      if (code === 4003) {
        $("live-status").textContent = "class ended";
        if (ctx.state) {
          over(ctx.state);
          render();
        } else ended(true);
      }
    },
  });
}

// over marks the class ended as the server's view of an ended class
// shows it: nobody is here now (students or teachers) and no hand is up,
// so that the console a teacher kept open says what a reload would.
function over(state) {
  state.status = "ended";
  for (const s of state.students) Object.assign(s, { online: false, hand: false, note: "" });
  for (const t of state.teachers || []) t.online = false;
}

const pretty = (code) => (code ? `${code.slice(0, 3)}-${code.slice(3)}` : "");

// apply folds one event into the state; false means a fresh snapshot was
// asked for instead.
function apply(type, d, f) {
  const state = ctx.state;
  if (!state) return false;
  const s = state.students.find((x) => x.id === d.student);
  for (const p of parts) if (p.apply) p.apply(type, d, f);
  switch (type) {
    case "student_joined":
      if (!s) state.students.push({ id: d.student, name: d.name, online: false, hand: false, joined: f.time });
      break;
    case "presence":
      if (s) s.online = d.online;
      break;
    case "hand":
      if (s) Object.assign(s, { hand: d.raised, note: d.note || "" });
      break;
    case "announcement":
      state.announcements.push(d);
      break;
    case "class_ended":
      over(state);
      break;
    case "stations":
      state.stations = d.stations;
      state.placements = state.placements.filter((p) => state.stations.some((x) => x.id === p.station));
      break;
    case "group": {
      const g = d.group;
      let cur = group(g.id);
      if (cur) Object.assign(cur, { name: g.name, members: g.members, coaches: g.coaches || [] });
      else {
        cur = { id: g.id, name: g.name, members: g.members, coaches: g.coaches || [], roles: g.roles || [] };
        state.groups.push(cur);
        if (!state.workspaces.some((w) => w.group === g.id)) state.workspaces.push(emptyWorkspace(g.id));
      }
      for (const st of state.students) {
        if (g.members.some((m) => m.id === st.id)) st.group = g.id;
        else if (st.group === g.id) st.group = "";
      }
      break;
    }
    case "groups": {
      const keep = d.groups.map((x) => group(x.id)).filter(Boolean);
      const gone = state.groups.filter((g) => !keep.includes(g));
      state.groups = keep;
      state.workspaces = state.workspaces.filter((w) => keep.some((g) => g.id === w.group));
      for (const st of state.students) if (gone.some((g) => g.id === st.group)) st.group = "";
      state.proposal = null;
      if (d.proposal && state.regroup && state.regroup.id === d.proposal) state.regroup = null;
      break;
    }
    case "proposal":
      // Applied during a rotation: it waits for the next leg.
      if (d.scheduled) {
        state.regroup = d;
        if (state.proposal && state.proposal.id === d.id) state.proposal = null;
      } else state.proposal = d;
      break;
    case "placement":
      state.placements = state.placements.filter((p) => p.student !== d.student);
      if (d.station) state.placements.push(d);
      break;
    case "rotation":
      state.rotation = d.rotation;
      for (const a of d.actions) {
        if (a.kind !== "advance" && a.kind !== "done" && a.kind !== "end") continue;
        state.placements = state.placements.filter((p) => {
          const st = state.students.find((x) => x.id === p.student);
          return !(st && (a.kind === "end" || (st.group || "") === (a.group || "")));
        });
      }
      break;
    case "class_paused":
      state.paused = d.paused;
      break;
    case "activity":
      state.activities.push(d);
      break;
    case "level":
      if (s) s.level = d.level;
      break;
    case "choices":
      state.choices = d.options && d.options.length ? d : null;
      for (const st of state.students) st.choice = "";
      break;
    case "choice":
      if (s) {
        if (d.option !== undefined) s.choice = d.option;
        if (d.interest !== undefined) s.interest = d.interest;
      }
      break;
    case "workspace": {
      const w = state.workspaces.find((x) => x.group === d.group);
      if (!applyWorkspaceEvent(w, group(d.group), d, f.time)) {
        ctx.conn.resync();
        return false;
      }
      break;
    }
    case "late_rule":
      state.late_rule = d.rule;
      break;
  }
  return true;
}

function render() {
  const state = ctx.state;
  if (!state) return;
  const list = state.students.slice().sort((a, b) => (b.hand - a.hand) || a.name.localeCompare(b.name));
  const online = list.filter((s) => s.online).length;
  const hands = list.filter((s) => s.hand).length;
  $("counts").textContent = `${list.length} joined · ${online} online · ${hands} hand${hands === 1 ? "" : "s"} up`;
  const open = state.status === "open";
  keyed($("roster"), list, (s) => s.id, rosterRow, (tr, s) => fillRow(tr, s, open));

  $("class-state").textContent = state.status === "ended" ? "Class ended" : state.paused ? "Class paused: students see the pause screen" : "Class running";
  // An ended class has no code to join with, nor a projector to open.
  document.querySelector("#live .code-panel").hidden = state.status === "ended";
  document.querySelector("#live .class-controls .muted").hidden = state.status === "ended";
  $("class-state").dataset.paused = String(state.paused);
  $("class-state").dataset.ended = String(state.status === "ended");
  $("pause-class").hidden = state.paused || !open;
  $("resume-class").hidden = !state.paused || !open;
  renderChoices();

  ended(state.status === "ended");
  for (const p of parts) p.render();
}

// ended shows a class that is over as such, with the way to its report.
function ended(over) {
  $("end-class").hidden = over;
  $("class-report").hidden = !over;
  // An ended class has no code to join with.
  $("pause-hint").hidden = $("join-code-show").closest(".row").hidden = over;
  if (!over) return;
  $("join-code-show").textContent = "ended";
  $("class-state").textContent = "Class ended";
  $("class-state").dataset.ended = "true";
  $("pause-class").hidden = $("resume-class").hidden = true;
}

function rosterRow(s) {
  const tr = el("tr", { "data-student": s.id });
  tr.c = {
    name: el("td", { class: "name" }),
    online: el("td", {}),
    hand: el("td", {}),
    group: el("td", { class: "group" }),
    level: el("input", { type: "number", min: 0, max: 100, step: 5, class: "level", "aria-label": `Level of ${s.name} in percent`, "data-level-of": s.id }),
    interest: el("td", { class: "muted" }),
    practice: el("td", { class: "practice" }),
    act: el("td", {}),
  };
  tr.c.level.addEventListener("change", () => {
    const v = tr.c.level.value.trim();
    if (v === "") return;
    const pct = Math.min(100, Math.max(0, Number(v)));
    if (Number.isFinite(pct)) command("set_level", { student: s.id, level: pct / 100 }, null);
  });
  tr.append(tr.c.name, tr.c.online, tr.c.hand, tr.c.group, el("td", {}, tr.c.level, "%"), tr.c.interest, tr.c.practice, tr.c.act);
  return tr;
}

function fillRow(tr, s, open) {
  tr.className = s.hand ? "hand-up" : "";
  tr.c.name.textContent = s.name;
  tr.c.online.replaceChildren(el("span", { class: `dot ${s.online ? "on" : "off"}`, title: s.online ? "online" : "offline" }), s.online ? " online" : " offline");
  tr.c.hand.textContent = s.hand ? `Hand up${s.note ? `: ${s.note}` : ""}` : "";
  const g = group(s.group);
  tr.c.group.textContent = g ? g.name : "—";
  if (idle(tr.c.level)) tr.c.level.value = typeof s.level === "number" ? String(Math.round(s.level * 100)) : "";
  tr.c.interest.textContent = [s.interest, s.choice && `chose ${s.choice}`].filter(Boolean).join(" · ");
  tr.c.practice.replaceChildren(...practice.practiceCell(s.id));
  tr.c.act.replaceChildren(s.hand && open ? el("button", { class: "secondary lower-hand", onclick: (e) => command("lower_hand", { student: s.id }, e.target) }, "Lower hand") : "");
}

function renderChoices() {
  const ch = ctx.state.choices;
  $("choices-withdraw").hidden = !ch;
  if (!ch) {
    $("choices-current").replaceChildren();
    return;
  }
  const counts = ch.options.map((o) => [o, ctx.state.students.filter((s) => s.choice === o).map((s) => s.name)]);
  const none = ctx.state.students.filter((s) => s.online && !s.choice).length;
  $("choices-current").replaceChildren(
    el("p", {}, el("strong", {}, "Offered: "), ch.prompt || "(no question)"),
    el("ul", { class: "choice-counts" }, ...counts.map(([o, names]) => el("li", {}, `${o}: ${names.length}`, names.length ? el("span", { class: "muted" }, ` (${names.join(", ")})`) : null))),
    el("p", { class: "muted" }, `${none} online student${none === 1 ? " has" : "s have"} not chosen yet.`),
  );
}

$("choices-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const options = $("choices-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
  if (!options.length) {
    $("choices-error").textContent = "Write at least one option.";
    return;
  }
  await command("offer_choices", { prompt: $("choices-prompt").value.trim(), options }, $("choices-offer"), $("choices-error"));
});
$("choices-withdraw").addEventListener("click", () => command("offer_choices", { prompt: "", options: [] }, $("choices-withdraw"), $("choices-error")));

$("pause-class").addEventListener("click", () => command("pause_class", {}, $("pause-class")));
$("resume-class").addEventListener("click", () => command("resume_class", {}, $("resume-class")));

// Tabs as the WAI-ARIA pattern has them: one tab stop, the arrow keys
// (and Home, End) move between tabs and show each.
function tab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) {
    const on = b.dataset.tab === name;
    b.setAttribute("aria-selected", String(on));
    b.setAttribute("aria-controls", `panel-${b.dataset.tab}`);
    b.tabIndex = on ? 0 : -1;
  }
  for (const p of document.querySelectorAll("[data-panel]")) p.hidden = p.dataset.panel !== name;
}
for (const b of document.querySelectorAll("[data-tab]")) {
  b.addEventListener("click", () => tab(b.dataset.tab));
  b.addEventListener("keydown", (e) => {
    const tabs = [...document.querySelectorAll("[data-tab]")];
    const i = tabs.indexOf(b);
    const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (j === undefined) return;
    e.preventDefault();
    const next = tabs[(j + tabs.length) % tabs.length];
    tab(next.dataset.tab);
    next.focus();
  });
}

$("end-class").addEventListener("click", () => {
  if (confirm("End this class? Students are disconnected and the code stops working.")) command("end_class", {}, $("end-class"));
});

$("back").addEventListener("click", (e) => {
  e.preventDefault();
  classes();
});

// The code full screen: one line at any width, with the link and its QR
// code; Escape, the button or a click anywhere closes it, and the focus
// goes back to where it was.
$("fullscreen-code").addEventListener("click", () => {
  const link = `${location.origin}/?code=${encodeURIComponent(ctx.room.code)}`;
  $("code-overlay-url").textContent = location.host;
  $("code-overlay-text").textContent = pretty(ctx.room.code);
  $("code-overlay-qr").src = `/qr.svg?text=${encodeURIComponent(link)}`;
  $("code-overlay-qr").alt = `QR code of the link ${link}`;
  $("code-overlay").hidden = false;
  $("code-overlay-close").focus();
});
function closeCode() {
  if ($("code-overlay").hidden) return;
  $("code-overlay").hidden = true;
  $("fullscreen-code").focus();
}
$("code-overlay").addEventListener("click", closeCode);
document.addEventListener("keydown", (e) => {
  if ($("code-overlay").hidden) return;
  if (e.key === "Escape") {
    e.preventDefault();
    closeCode();
  } else if (e.key === "Tab") {
    // The close button is all there is to reach while it is open.
    e.preventDefault();
    $("code-overlay-close").focus();
  }
});

for (const p of parts) p.setup({ call });

// resume opens the class the address names, after a reload; any other
// page goes to the list of classes.
async function resume() {
  const id = new URLSearchParams(location.hash.slice(1)).get("class");
  if (!id) return classes();
  try {
    open(await call("GET", `/api/v1/rooms/${encodeURIComponent(id)}`));
  } catch {
    classes();
  }
}

ctx.session = load();
if (ctx.session) resume();
else show("signin");
