// A rostered student's own profile on their device: their strengths (the
// teacher's words), the interests and goals they keep themselves, and
// what they have practised. Students who typed their name have none.
import { api, el } from "./api.js";

const $ = (id) => document.getElementById(id);
let token = "";

const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean);
const pct = (p) => `${Math.round(p * 100)}%`;

export async function show(tok) {
  token = tok;
  $("me-profile").hidden = true;
  $("me-interests").value = $("me-goals").value = filled.interests = filled.goals = "";
  let p;
  try {
    p = await api("GET", "/api/v1/me/profile", undefined, token);
  } catch {
    return; // no profile (a typed name), or the server is away: nothing to show
  }
  render(p, true);
}

// What the fields were last filled with: a refresh leaves a field the
// student has changed since, or is typing in, as it is.
const filled = { interests: "", goals: "" };

function fillField(k, list) {
  const f = $(`me-${k}`);
  if (document.activeElement === f || f.value !== filled[k]) return;
  f.value = filled[k] = list.join("\n");
}

// The teacher may write in the profile during the class: coming back to
// the page brings it up to date.
document.addEventListener("visibilitychange", async () => {
  if (document.hidden || !token || $("me-profile").hidden) return;
  try {
    render(await api("GET", "/api/v1/me/profile", undefined, token), true);
  } catch {
    // Kept as it was; the next visit tries again.
  }
});

function render(p, fill) {
  $("me-profile").hidden = false;
  const strengths = p.strengths || [];
  $("me-strengths-box").hidden = strengths.length === 0;
  $("me-strengths").replaceChildren(...strengths.map((s) => el("li", {}, s)));
  if (fill) {
    fillField("interests", p.interests || []);
    fillField("goals", p.goals || []);
  }
  const skills = Object.entries(p.mastery || {}).map(([id, e]) => ({ id, p: e.p, name: (p.skill_names && p.skill_names[id]) || id }));
  $("me-mastery-box").hidden = skills.length === 0;
  $("me-mastery").replaceChildren(...skills.map((s) => el("li", {}, el("span", {}, s.name),
    el("span", { class: "meter", role: "img", "aria-label": `${s.name}: ${pct(s.p)}` }, el("span", { style: `width:${Math.round(s.p * 100)}%` })),
    el("strong", {}, pct(s.p)))));
}

$("me-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("me-error").textContent = "";
  $("me-saved").textContent = "";
  $("me-save").disabled = true;
  try {
    const p = await api("PUT", "/api/v1/me/profile", { interests: lines($("me-interests").value), goals: lines($("me-goals").value) }, token);
    filled.interests = $("me-interests").value;
    filled.goals = $("me-goals").value;
    render(p, false);
    $("me-saved").textContent = "Saved: your teacher can see it.";
  } catch (err) {
    const m = /^(interests|goals)(?:\[(\d+)\])? (.*)$/.exec(err.message || "");
    $("me-error").textContent = m
      ? `${m[1] === "goals" ? "Goals" : "Interests"}${m[2] ? `, line ${Number(m[2]) + 1}` : ""}: ${m[3]}.`
      : err.message;
  } finally {
    $("me-save").disabled = false;
  }
});
