// What the teacher's pages outside the console share: the teacher's
// session (signed in on the console, kept in this browser), REST calls
// with it, downloads, and errors shown where they happened.
import { api, el } from "./api.js";

const KEY = "classhub.teacher";

// session is the teacher signed in on this browser, or null.
export function session() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() && s.teacher ? s : null;
  } catch {
    return null;
  }
}

// signInFirst replaces the page's main with a way to sign in, coming
// back to this page afterwards.
export function signInFirst(why) {
  document.querySelector("main").replaceChildren(
    el("h1", {}, "Please sign in"),
    el("p", {}, why || "This page is for teachers. Sign in on the console, then come back."),
    el("a", { class: "button-link", href: "/teacher" }, "Sign in on the console"),
  );
}

export const EXPIRED = "Your sign-in has expired. Sign in again on the console (/teacher) in another tab, then try again here: what you typed is kept.";

// call is a REST call with the teacher's token. An expired sign-in is an
// error like any other (code unauthorized): the page stays as it is, with
// what was typed in it.
export async function call(method, path, body) {
  const s = session();
  if (!s) throw Object.assign(new Error(EXPIRED), { code: "unauthorized", status: 401 });
  return api(method, path, body, s.token);
}

// send is a REST call with a body that is not JSON (a file), answering
// the JSON of the reply; errors are thrown as api's are.
export async function send(method, path, body, type) {
  const s = session();
  let res;
  try {
    res = await fetch(path, { method, headers: { "Content-Type": type, Authorization: `Bearer ${s && s.token}` }, body });
  } catch {
    throw Object.assign(new Error("The server cannot be reached. Check the network and try again."), { code: "offline", status: 0 });
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = data.error || { code: "internal", message: `The server answered ${res.status}.` };
    throw Object.assign(new Error(e.message), { code: e.code, status: res.status });
  }
  return data;
}

// download fetches path with the teacher's token and saves it as a file
// named name: a plain link cannot carry the token.
export async function download(path, name) {
  const s = session();
  let res;
  try {
    res = await fetch(path, { headers: { Authorization: `Bearer ${s && s.token}` } });
  } catch {
    throw Object.assign(new Error("The server cannot be reached. Check the network and try again."), { code: "offline", status: 0 });
  }
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    const e = data.error || { code: "internal", message: `The server answered ${res.status}.` };
    throw Object.assign(new Error(e.message), { code: e.code, status: res.status });
  }
  const url = URL.createObjectURL(await res.blob());
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

// plain turns an error into words for the person who caused it: the
// server's message, with a way forward for the codes a person meets.
export function plain(err, what) {
  switch (err.code) {
    case "offline":
      return err.message;
    case "unauthorized":
      return EXPIRED;
    case "rate_limited":
      return "Too many tries at once. Wait a moment, then try again.";
    case "busy":
    case "unavailable":
      return `The server is busy and could not ${what}. Try again in a moment.`;
    case "internal":
      return `Something went wrong on the server and it could not ${what}. Try again; if it keeps failing, tell whoever runs classhub.`;
    default:
      return capital(err.message);
  }
}

export const capital = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

// busy disables a button while fn runs and shows fn's error in out.
export async function busy(button, out, what, fn) {
  if (out) out.replaceChildren();
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    if (out) out.textContent = plain(err, what);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// skillNames reads the names of skills from the content banks. Without
// them the skills are shown by their IDs.
export async function skillNames() {
  const names = new Map();
  try {
    const { banks } = await call("GET", "/api/v1/banks");
    for (const b of banks) for (const [id, name] of Object.entries(b.skill_names || {})) names.set(id, name);
  } catch {
    // Named by ID: the page is still of use.
  }
  return names;
}

export const pct = (p) => `${Math.round(p * 100)}%`;

// duration says a number of milliseconds the way a teacher reads it.
export function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
