// A learner's profile, for their teacher: strengths, challenges,
// interests and goals to edit, and their mastery across sessions.
import { el } from "./api.js";
import { line } from "./charts.js";
import { busy, call, pct, plain, session, signInFirst, skillNames } from "./session.js";

const $ = (id) => document.getElementById(id);
const student = new URLSearchParams(location.search).get("student") || "";
const LISTS = ["strengths", "challenges", "interests", "goals"];
const WORDS = { strengths: "a strength", challenges: "a challenge", interests: "an interest", goals: "a goal" };
let names = new Map();

const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);

async function load() {
  $("profile-load").hidden = true;
  let p;
  try {
    [p, names] = await Promise.all([call("GET", `/api/v1/profiles/${encodeURIComponent(student)}`), names.size ? names : skillNames()]);
  } catch (err) {
    if (err.code === "unauthorized") return signInFirst("Your sign-in has expired. Sign in again, then come back to this page.");
    $("profile-error").textContent = err.code === "not_found" || err.code === "invalid"
      ? "None of your rosters has this student. Open a profile from a roster or a class report."
      : `The profile could not be loaded. ${plain(err, "load the profile")}`;
    $("profile-retry").hidden = err.code === "not_found" || err.code === "invalid";
    $("profile-load").hidden = false;
    return;
  }
  render(p, true);
}

function render(p, fill) {
  document.title = `classhub — ${p.name}'s profile`;
  $("profile-title").textContent = `${p.name}'s profile`;
  $("back-roster").href = `/rosters?roster=${encodeURIComponent(p.roster)}`;
  $("profile-body").hidden = false;
  if (fill) for (const k of LISTS) $(`p-${k}`).value = (p[k] || []).join("\n");
  renderMastery(p);
}

function renderMastery(p) {
  const skills = Object.entries(p.mastery || {}).map(([id, e]) => ({ id, name: names.get(id) || id, ...e }))
    .sort((a, b) => a.name.localeCompare(b.name));
  $("mastery-none").hidden = skills.length > 0;
  $("mastery").replaceChildren(...skills.map((s) => {
    const hist = (p.history || []).filter((h) => h.skill === s.id);
    const sessions = new Set(hist.map((h) => h.room)).size;
    return el("li", { "data-skill": s.id },
      el("span", {}, s.name),
      el("span", { class: "meter", role: "img", "aria-label": `${s.name}: ${pct(s.p)}` }, el("span", { style: `width:${Math.round(s.p * 100)}%` })),
      el("strong", {}, pct(s.p)),
      hist.length > 1 ? el("span", { class: "row tight" }, line({ points: hist, label: `${s.name} over ${sessions} session${sessions === 1 ? "" : "s"}` }),
        el("span", { class: "muted" }, `${sessions} session${sessions === 1 ? "" : "s"}`)) : el("span", { class: "muted" }, "1 session so far"));
  }));
}

$("profile-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $("profile-saved").textContent = "";
  for (const k of LISTS) {
    $(`p-${k}-error`).textContent = "";
    $(`p-${k}`).classList.remove("field-error");
  }
  const body = Object.fromEntries(LISTS.map((k) => [k, lines($(`p-${k}`).value)]));
  // The limits, said next to the list before the server is asked.
  for (const k of LISTS) {
    const long = body[k].findIndex((s) => s.length > 100);
    const msg = body[k].length > 12 ? `At most 12 entries: this list has ${body[k].length}.`
      : long >= 0 ? `Line ${long + 1} is ${body[k][long].length} characters long: ${WORDS[k]} is at most 100.` : "";
    if (msg) {
      $(`p-${k}-error`).textContent = msg;
      $(`p-${k}`).classList.add("field-error");
      $(`p-${k}`).focus();
      return;
    }
  }
  busy($("profile-save"), $("profile-save-error"), "save the profile", async () => {
    try {
      const p = await call("PUT", `/api/v1/profiles/${encodeURIComponent(student)}`, body);
      render(p, false);
      $("profile-saved").textContent = "Saved.";
    } catch (err) {
      const k = LISTS.find((x) => (err.message || "").startsWith(x));
      if (err.code === "invalid" && k) {
        const m = /^\w+\[(\d+)\] (.*)$/.exec(err.message);
        $(`p-${k}-error`).textContent = m ? `Line ${Number(m[1]) + 1} ${m[2]}.` : plain(err, "save the profile");
        $(`p-${k}`).classList.add("field-error");
        return;
      }
      throw err;
    }
  });
});

$("profile-retry").addEventListener("click", () => busy($("profile-retry"), null, "", load));

if (!session()) signInFirst();
else if (!student) {
  $("profile-error").textContent = "This page needs a student. Open a profile from a roster or a class report.";
  $("profile-retry").hidden = true;
  $("profile-load").hidden = false;
} else load();
