// The teacher's rosters: type or paste one, import them from a OneRoster
// export, edit one (names, picture words), hand out the words, and start
// a class with one.
import { el } from "./api.js";
import { busy, call, capital, plain, send, session, signInFirst } from "./session.js";

const $ = (id) => document.getElementById(id);
let rosters = [];
let current = null; // the roster being shown
let removed = new Set(); // students of current marked to be removed on saving

// parseStudents reads a typed or pasted list: a student a line, as
// "Given Family", "Family, Given" or "Given<tab>Family".
export function parseStudents(text) {
  const out = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let given, family;
    if (raw.includes("\t")) [given, family] = raw.split("\t").map((s) => s.trim());
    else if (line.includes(",")) [family, given] = line.split(",", 2).map((s) => s.trim());
    else [given, family] = [line.split(/\s+/)[0], line.split(/\s+/).slice(1).join(" ")];
    out.push({ given_name: given || "", family_name: family || "", line: i + 1, text: line });
  });
  return out;
}

// studentError finds the student a refusal is about ("students[3].given_name
// must ..."), and says it in words.
function studentError(err) {
  const m = /^students\[(\d+)\](?:\.(given_name|family_name|id))?:?\s*(.*)$/.exec(err.message || "");
  if (!m) return null;
  const field = { given_name: "the first name", family_name: "the family name", id: "the student" }[m[2]] || "the student";
  const what = m[3].replace(/^(students\[\d+\]\.)?(given_name|family_name)\s*/, "");
  return { index: Number(m[1]), text: `${capital(field)} ${what}`.replace(/ 1 characters/, " 1 character") };
}

// nameError says a refusal of the roster's name.
function nameError(err) {
  const m = /^name (.*)$/.exec(err.message || "");
  return m ? `The name ${m[1]}`.replace(/ 1 characters/, " 1 character") : null;
}

async function load(select) {
  $("rosters-load").hidden = true;
  try {
    ({ rosters } = await call("GET", "/api/v1/rosters"));
  } catch (err) {
    if (err.code === "unauthorized") return signInFirst("Your sign-in has expired. Sign in again, then come back to this page.");
    $("rosters-error").textContent = `Your rosters could not be loaded. ${plain(err, "load your rosters")}`;
    $("rosters-load").hidden = false;
    return;
  }
  renderList();
  const id = select || new URLSearchParams(location.search).get("roster");
  const r = rosters.find((x) => x.id === id);
  if (r) show(r);
  else if (current && !rosters.some((x) => x.id === current.id)) hide();
}

function renderList() {
  $("rosters-none").hidden = rosters.length > 0;
  $("roster-list").replaceChildren(...rosters.map((r) => el("li", { class: "card", "data-roster": r.id },
    el("h3", {}, r.name),
    el("p", { class: "muted" }, `${r.students.length} student${r.students.length === 1 ? "" : "s"}${r.sourced_id ? " · imported" : ""}`),
    el("button", { type: "button", class: "secondary small", "aria-label": `Open the roster ${r.name}`, onclick: () => show(r, true) }, "Open"))));
}

function hide() {
  current = null;
  $("roster").hidden = true;
  history.replaceState(null, "", location.pathname);
}

function show(r, focus) {
  const same = current && current.id === r.id;
  current = r;
  if (!same) removed = new Set();
  history.replaceState(null, "", `${location.pathname}?roster=${encodeURIComponent(r.id)}`);
  $("roster").hidden = false;
  $("roster-name-title").textContent = r.name;
  if (!same) {
    $("edit-name").value = r.name;
    $("edit-add").value = "";
    $("start-title").value = `${r.name}, ${new Date().toLocaleDateString([], { weekday: "long", day: "numeric", month: "short" })}`;
    for (const id of ["start-error", "edit-error", "edit-name-error", "edit-add-error"]) $(id).textContent = "";
  }
  renderStudents();
  if (focus) $("roster-name-title").scrollIntoView({ block: "start" });
}

function renderStudents() {
  const r = current;
  $("edit-students").replaceChildren(...r.students.map((s) => {
    const gone = removed.has(s.id);
    const err = el("p", { class: "error", role: "alert" });
    const word = el("span", { class: "word" }, el("span", { class: "pic", "aria-hidden": "true" }, s.picture), s.code);
    const reissue = el("button", { type: "button", class: "secondary small", "aria-label": `New word for ${s.name}` }, "New word");
    reissue.addEventListener("click", () => busy(reissue, err, `give ${s.name} a new word`, async () => {
      const { student } = await call("POST", `/api/v1/rosters/${encodeURIComponent(r.id)}/students/${encodeURIComponent(s.id)}/code`);
      Object.assign(s, student);
      word.replaceChildren(el("span", { class: "pic", "aria-hidden": "true" }, s.picture), s.code);
      renderCards();
    }));
    const remove = el("button", { type: "button", class: "secondary small", "aria-label": `${gone ? "Keep" : "Remove"} ${s.name}` }, gone ? "Keep" : "Remove");
    remove.addEventListener("click", () => {
      if (removed.has(s.id)) removed.delete(s.id);
      else removed.add(s.id);
      renderStudents();
      $("edit-students").querySelector(`tr[data-id="${s.id}"] button[aria-label^="${removed.has(s.id) ? "Keep" : "Remove"}"]`).focus();
    });
    const tr = el("tr", { "data-id": s.id, class: gone ? "removed" : "" },
      el("td", {}, el("input", { class: "given", value: s.given_name, maxlength: 40, "aria-label": `First name of ${s.name}`, disabled: gone })),
      el("td", {}, el("input", { class: "family", value: s.family_name, maxlength: 40, "aria-label": `Family name of ${s.name}`, disabled: gone })),
      el("td", {}, gone ? el("span", { class: "muted" }, "removed when you save, with their profile") : s.name),
      el("td", {}, word),
      el("td", {}, el("div", { class: "row tight" }, reissue, remove,
        el("a", { href: `/profile?student=${encodeURIComponent(s.id)}`, "aria-label": `Profile of ${s.name}` }, "Profile")), err));
    return tr;
  }));
  renderCards();
}

function renderCards() {
  $("cards").replaceChildren(...current.students.map((s) => el("li", {},
    el("strong", {}, s.name), el("span", { class: "pic", "aria-hidden": "true" }, s.picture), el("span", {}, s.code))));
}

// A new roster, typed or pasted.
$("new-form").addEventListener("submit", (e) => {
  e.preventDefault();
  for (const id of ["new-name-error", "new-students-error"]) $(id).textContent = "";
  $("new-students").classList.remove("field-error");
  const list = parseStudents($("new-students").value);
  if (!list.length) {
    $("new-students-error").textContent = "Write at least one student, one a line.";
    $("new-students").classList.add("field-error");
    $("new-students").focus();
    return;
  }
  busy($("new-submit"), $("new-error"), "save the roster", async () => {
    try {
      const r = await call("POST", "/api/v1/rosters", { name: $("new-name").value.trim(), students: list.map(({ given_name, family_name }) => ({ given_name, family_name })) });
      $("new-form").reset();
      $("rosters-status").textContent = "";
      await load(r.id);
      $("rosters-status").textContent = `Saved the roster “${r.name}” with ${r.students.length} student${r.students.length === 1 ? "" : "s"}.`;
      $("roster-name-title").focus();
    } catch (err) {
      const se = studentError(err);
      const ne = nameError(err);
      if (se && list[se.index]) {
        const s = list[se.index];
        $("new-students-error").textContent = `Line ${s.line} (“${s.text}”): ${se.text}.`;
        $("new-students").classList.add("field-error");
        return;
      }
      if (ne) {
        $("new-name-error").textContent = ne + ".";
        return;
      }
      throw err;
    }
  });
});

// Saving changes: the students listed keep their IDs; the lines typed
// below are added; those marked are removed.
$("edit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const r = current;
  for (const id of ["edit-name-error", "edit-add-error"]) $(id).textContent = "";
  for (const x of $("edit-form").querySelectorAll(".field-error")) x.classList.remove("field-error");
  for (const p of $("edit-students").querySelectorAll("p.error")) p.textContent = "";
  const rows = [...$("edit-students").children].filter((tr) => !removed.has(tr.dataset.id));
  const kept = rows.map((tr) => ({ id: tr.dataset.id, given_name: tr.querySelector(".given").value.trim(), family_name: tr.querySelector(".family").value.trim() }));
  const added = parseStudents($("edit-add").value);
  busy($("edit-save"), $("edit-error"), "save the roster", async () => {
    try {
      const next = await call("PUT", `/api/v1/rosters/${encodeURIComponent(r.id)}`, {
        name: $("edit-name").value.trim(),
        students: [...kept, ...added.map(({ given_name, family_name }) => ({ given_name, family_name }))],
      });
      removed = new Set();
      $("edit-add").value = "";
      current = null;
      $("rosters-status").textContent = "";
      await load(next.id);
      $("rosters-status").textContent = `Saved “${next.name}”: ${next.students.length} student${next.students.length === 1 ? "" : "s"}.`;
    } catch (err) {
      const se = studentError(err);
      const ne = nameError(err);
      if (se && se.index < kept.length) {
        const tr = rows[se.index];
        tr.querySelector("p.error").textContent = `${se.text}.`;
        tr.querySelector(/family/.test(se.text) ? ".family" : ".given").classList.add("field-error");
        return;
      }
      if (se && added[se.index - kept.length]) {
        const s = added[se.index - kept.length];
        $("edit-add-error").textContent = `Line ${s.line} (“${s.text}”): ${se.text}.`;
        $("edit-add").classList.add("field-error");
        return;
      }
      if (ne) {
        $("edit-name-error").textContent = ne + ".";
        return;
      }
      throw err;
    }
  });
});

// Confirming what cannot be undone: the dialog says what goes.
let confirmed = null;
function confirmBox(title, what, ok, action, opener) {
  $("confirm-title").textContent = title;
  $("confirm-what").replaceChildren(...what);
  $("confirm-ok").textContent = ok;
  $("confirm-error").textContent = "";
  confirmed = { action, opener };
  $("confirm-dialog").showModal();
  $("confirm-cancel").focus();
}
$("confirm-cancel").addEventListener("click", () => $("confirm-dialog").close());
$("confirm-dialog").addEventListener("close", () => confirmed && confirmed.opener && confirmed.opener.isConnected && confirmed.opener.focus());
$("confirm-ok").addEventListener("click", () => busy($("confirm-ok"), $("confirm-error"), "do it", async () => {
  await confirmed.action();
  $("confirm-dialog").close();
}));

$("roster-delete").addEventListener("click", () => {
  const r = current;
  const n = r.students.length;
  confirmBox(`Delete the roster “${r.name}”?`, [
    el("p", {}, "This deletes, for good:"),
    el("ul", {},
      el("li", {}, `the list of its ${n} student${n === 1 ? "" : "s"} and their picture words`),
      el("li", {}, `the learner profile of each of them: strengths, challenges, interests, goals and their mastery across sessions`)),
    el("p", {}, "The reports of classes already held are kept. A class still open with this roster can no longer be joined by picking a name."),
  ], `Delete “${r.name}”`, async () => {
    await call("DELETE", `/api/v1/rosters/${encodeURIComponent(r.id)}`);
    hide();
    $("rosters-status").textContent = `Deleted the roster “${r.name}” and its students' profiles.`;
    await load();
  }, $("roster-delete"));
});

// Starting a class with the roster opens it on the console.
$("start-form").addEventListener("submit", (e) => {
  e.preventDefault();
  busy($("start-submit"), $("start-error"), "start the class", async () => {
    const room = await call("POST", "/api/v1/rooms", { title: $("start-title").value.trim(), roster: current.id });
    location.href = `/teacher#class=${encodeURIComponent(room.id)}`;
  });
});

// Import: every problem of a refused file at its file and line.
$("import-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const out = $("import-result");
  const file = $("import-file").files[0];
  out.replaceChildren();
  if (!file) {
    out.append(el("p", { class: "error" }, "Choose the .zip file of the export first."));
    return;
  }
  busy($("import-submit"), null, "", async () => {
    try {
      const res = await send("POST", "/api/v1/rosters/import", file, "application/zip");
      out.append(el("p", { class: "ok" }, `Imported ${res.rosters.length} class${res.rosters.length === 1 ? "" : "es"}: ${res.created} new roster${res.created === 1 ? "" : "s"}, ${res.updated} updated.`));
      $("import-file").value = "";
      await load();
    } catch (err) {
      const lines = String(err.message || "").split("\n");
      const problems = lines.slice(1).map((l) => /^([^:\s]+\.csv|[^:]+):(?:(\d+):)?\s*(.*)$/.exec(l)).filter(Boolean);
      if (err.code !== "invalid" || !problems.length) {
        out.append(el("p", { class: "error", role: "alert" }, `Nothing was imported. ${plain(err, "import the file")}`));
        return;
      }
      const more = lines.find((l) => l.startsWith("… and"));
      out.append(
        el("p", { class: "error", role: "alert" }, `Nothing was imported: the file has ${problems.length + (more ? Number(/\d+/.exec(more)[0]) : 0)} problem${problems.length === 1 && !more ? "" : "s"} to fix in your school's system or in the CSV files. Fix them, then import the file again.`),
        el("table", { class: "roster problems-table" },
          el("thead", {}, el("tr", {}, el("th", {}, "File"), el("th", {}, "Line"), el("th", {}, "Problem"))),
          el("tbody", {}, ...problems.map(([, f, line, what]) => el("tr", { class: "problem" }, el("td", {}, f), el("td", {}, line || "—"), el("td", {}, what))))),
      );
      if (more) out.append(el("p", { class: "muted" }, more));
    }
  });
});

$("rosters-retry").addEventListener("click", () => busy($("rosters-retry"), null, "", () => load()));

if (!session()) signInFirst();
else load();
