// Joining a class opened with a roster: the student picks their name from
// the class's list, then their picture word, instead of typing a name.
import { api, el } from "./api.js";

const $ = (id) => document.getElementById(id);
let onJoined = null;
let info = null; // the class of the code looked up, if it has a roster
let code = ""; // the code it was looked up with
let picked = null; // the name picked
let plain = ""; // a code looked up whose class has no roster: joined by typing a name
let asking = null; // the look-up under way: {code, answer}, so that a code is looked up once

const normal = (c) => String(c || "").toUpperCase().replace(/[^A-Z0-9]/g, "");

export function setup(joined) {
  onJoined = joined;
  // The names show as soon as a whole code is typed.
  $("join-code").addEventListener("input", () => {
    const c = normal($("join-code").value);
    if (c === code || c === plain) return;
    reset();
    if (c.length === 6) lookup(c).catch(() => {});
  });
  $("pick-back").addEventListener("click", () => {
    const was = picked;
    picked = null;
    renderNames();
    const b = was && $("pick-names").querySelector(`[data-student="${was.id}"]`);
    (b || $("pick-title")).focus();
  });
}

// reset goes back to typing a name.
export function reset() {
  info = null;
  code = "";
  plain = "";
  picked = null;
  $("pick").hidden = true;
  $("join-name-box").hidden = false;
  $("join-submit").hidden = false;
  $("pick-error").textContent = "";
}

// lookup asks what the code is. For a class with a roster it shows the
// names to pick from and answers true; otherwise false, to type a name.
export async function lookup(typed) {
  const c = normal(typed);
  if (c.length !== 6) return false;
  if (c === code && info) return true;
  if (c === plain) return false;
  // One look-up per code: the page's own look-up as the code is typed and
  // the one of the join button share it, and a code known to have no
  // roster is not asked again.
  if (!asking || asking.code !== c) {
    const answer = api("GET", `/api/v1/join/${encodeURIComponent(c)}`);
    asking = { code: c, answer };
    answer.catch(() => {}).finally(() => { if (asking && asking.answer === answer) asking = null; });
  }
  const res = await asking.answer;
  if (normal($("join-code").value) !== c) return false; // typed on meanwhile
  if (!res.rostered) {
    reset();
    plain = c;
    return false;
  }
  info = res;
  code = c;
  picked = null;
  $("join-name-box").hidden = true;
  $("join-submit").hidden = true;
  $("join-error").textContent = "";
  $("pick").hidden = false;
  renderNames();
  $("pick-title").focus();
  return true;
}

function renderNames() {
  $("pick-error").textContent = "";
  $("pick-title").textContent = info.students.length ? `Pick your name · ${info.room.title}` : "Your teacher's list has no names yet: ask your teacher.";
  $("pick-names").hidden = !!picked;
  $("pick-names").replaceChildren(...info.students.map((s) => el("li", {},
    el("button", { type: "button", "data-student": s.id, onclick: () => pickName(s) }, s.name))));
  $("pick-word-box").hidden = !picked;
}

function pickName(s) {
  picked = s;
  renderNames();
  $("pick-word-title").textContent = `Hi ${s.name}! Now pick your picture.`;
  $("pick-words").replaceChildren(...info.words.map((w) => el("li", {},
    el("button", { type: "button", "data-word": w.word, "aria-label": w.word, onclick: (e) => join(w, e.currentTarget) },
      el("span", { class: "pic", "aria-hidden": "true" }, w.picture), w.word))));
  $("pick-word-title").focus();
}

async function join(w, button) {
  $("pick-error").textContent = "";
  for (const b of $("pick-words").querySelectorAll("button")) b.disabled = true;
  try {
    const r = await api("POST", "/api/v1/join", { code, student: picked.id, word: w.word });
    onJoined(r);
    reset();
  } catch (err) {
    $("pick-error").textContent = {
      unauthorized: `That is not ${picked.name}'s picture. Try again, or ask your teacher for your card.`,
      rate_limited: "Too many tries. Wait a minute, then try again.",
      not_found: err.message.includes("list") ? "Your name is no longer on this class's list. Ask your teacher." : "This class has ended or its code changed. Check the code with your teacher.",
      offline: err.message,
    }[err.code] || err.message;
  } finally {
    for (const b of $("pick-words").querySelectorAll("button")) b.disabled = false;
    if ($("pick-error").textContent && button.isConnected) button.focus();
  }
}
