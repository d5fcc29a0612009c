// Co-teachers on the console: who teaches the class, and the "Share this
// class" dialog. The owner shares the class by e-mail with a co-teacher or
// a teaching assistant and ends shares; a teacher it is shared with sees
// who else teaches it and may leave it. Each share is a `share` event, so
// every teacher's console follows it at once.
import { el } from "./api.js";
import { $, ctx } from "./console.js";

const ROLE = { owner: "owner", co_teacher: "co-teacher", assistant: "teaching assistant" };
let call = null;
let opener = null;

export function setup(deps) {
  call = deps.call;
  $("share-open").addEventListener("click", () => openDialog($("share-open")));
  $("share-close").addEventListener("click", closeDialog);
  $("share-form").addEventListener("submit", share);
  $("share-email").addEventListener("input", () => setError(""));
  // On the document, not the dialog: a button that was disabled while its
  // request ran has lost the focus, and Escape must still close.
  document.addEventListener("keydown", (e) => {
    if ($("share-dialog").hidden) return;
    if (e.key === "Escape") {
      e.preventDefault();
      closeDialog();
    } else if (e.key === "Tab") trapTab(e);
  });
}

export function opened() {
  closeDialog(false);
  delete document.body.dataset.you;
}

// apply follows the share and teacher presence events into the state.
export function apply(type, d) {
  if (!ctx.state) return;
  if (type === "teacher_presence") {
    const t = (ctx.state.teachers || []).find((x) => x.id === d.teacher);
    if (t) t.online = d.online;
    return;
  }
  if (type !== "share") return;
  const list = (ctx.state.teachers ||= []).filter((t) => t.id !== d.teacher);
  const was = (ctx.state.teachers || []).find((t) => t.id === d.teacher);
  if (!d.revoked) list.push({ id: d.teacher, name: d.name, email: d.email, role: d.role, since: Date.now(), online: !!(was && was.online) });
  const [owner, ...rest] = list.sort((a, b) => (b.role === "owner") - (a.role === "owner"));
  rest.sort((a, b) => a.name.localeCompare(b.name));
  ctx.state.teachers = owner ? [owner, ...rest] : rest;
  if (d.teacher === ctx.session.teacher.id) ctx.state.you = d.revoked ? "" : d.role;
}

const you = () => (ctx.state && ctx.state.you) || "";

export function render() {
  const teachers = (ctx.state && ctx.state.teachers) || [];
  $("teachers-line").textContent = teachers.length > 1 || you() !== "owner"
    ? `Taught by ${teachers.map((t) => `${t.name || "a teacher"} (${ROLE[t.role] || t.role}${t.online && t.id !== ctx.session.teacher.id ? ", here now" : ""})`).join(", ")}`
    : "";
  $("share-open").textContent = you() === "owner" ? "Share this class" : "Teachers of this class";
  // Whatever the class's state: an ended class is shared for its report,
  // and left by a teacher who no longer wants it in their list.
  $("share-open").hidden = !ctx.state;
  // An assistant does not end the class or set it up (app.css hides
  // those forms); the server would refuse it.
  document.body.dataset.you = you();
  if (you() === "assistant") {
    $("end-class").hidden = true;
    $("teachers-line").textContent += ". As teaching assistant you steer the lesson; the stations, groups and rotation plan are set by the owner and co-teachers.";
  }
  if (!$("share-dialog").hidden) renderList();
}

function renderList() {
  const owner = you() === "owner";
  // Shared whatever its state: an ended class for its report.
  $("share-form").hidden = !owner;
  $("share-intro").textContent = owner
    ? "A co-teacher can do everything you can except share the class and export or erase a student. A teaching assistant steers the live lesson but does not set it up, end it or read its report."
    : `You are a ${ROLE[you()] || "teacher"} of this class.`;
  const teachers = (ctx.state && ctx.state.teachers) || [];
  $("share-list").replaceChildren(...teachers.map((t) => {
    const me = t.id === ctx.session.teacher.id;
    let button = null;
    if (t.role !== "owner" && (owner || me)) {
      const label = me ? "Leave this class" : `Stop sharing with ${t.name}`;
      button = el("button", { type: "button", class: "secondary", "data-unshare": t.id, onclick: (e) => unshare(t, e.target) }, label);
    }
    return el("li", { "data-teacher": t.id }, el("strong", {}, t.name || "a teacher"), ` · ${ROLE[t.role] || t.role}`, t.online ? " · here now" : "",
      t.email ? el("span", { class: "muted" }, ` · ${t.email}`) : null, me ? el("span", { class: "muted" }, " (you)") : null, " ", button);
  }));
}

function openDialog(from) {
  opener = from;
  setError("");
  $("share-status").textContent = "";
  renderList();
  $("share-dialog").hidden = false;
  const first = you() === "owner" && !$("share-form").hidden ? $("share-email") : $("share-close");
  first.focus();
}

function closeDialog(restore = true) {
  if ($("share-dialog").hidden) return;
  $("share-dialog").hidden = true;
  if (restore && opener && document.contains(opener) && !opener.hidden) opener.focus();
}

// trapTab keeps the focus in the dialog while it is open.
function trapTab(e) {
  const items = [...$("share-dialog").querySelectorAll("button, input, select, a[href]")]
    .filter((x) => !x.disabled && x.offsetParent !== null);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  } else if (!$("share-dialog").contains(document.activeElement)) {
    e.preventDefault();
    first.focus();
  }
}

function setError(msg) {
  $("share-error").textContent = msg;
  $("share-email").setAttribute("aria-invalid", msg ? "true" : "false");
}

async function share(e) {
  e.preventDefault();
  const email = $("share-email").value.trim();
  if (!email) {
    setError("Type the e-mail address your colleague signs in with.");
    $("share-email").focus();
    return;
  }
  const button = $("share-submit");
  button.disabled = true;
  setError("");
  try {
    const r = await call("POST", `/api/v1/rooms/${encodeURIComponent(ctx.room.id)}/teachers`, { email, role: $("share-role").value });
    if (ctx.state) ctx.state.teachers = r.teachers;
    const added = r.teachers.find((t) => t.email === email.toLowerCase());
    $("share-email").value = "";
    $("share-status").textContent = added ? `Shared with ${added.name} as ${ROLE[added.role]}.` : "Shared.";
    renderList();
    $("share-email").focus(); // ready for the next colleague
  } catch (err) {
    // The e-mail stays as typed, next to what went wrong, to be corrected.
    setError(err.message);
    $("share-email").focus();
  } finally {
    button.disabled = false;
  }
}

async function unshare(t, button) {
  const me = t.id === ctx.session.teacher.id;
  if (!me && !confirm(`Stop sharing this class with ${t.name}? Their console closes at once.`)) return;
  button.disabled = true;
  $("share-status").textContent = "";
  setError("");
  try {
    const r = await call("DELETE", `/api/v1/rooms/${encodeURIComponent(ctx.room.id)}/teachers/${encodeURIComponent(t.id)}`);
    if (ctx.state) ctx.state.teachers = r.teachers;
    $("share-status").textContent = me ? "You left the class." : `${t.name} no longer teaches this class.`;
    renderList();
    $("share-close").focus();
  } catch (err) {
    $("share-status").textContent = err.message;
    button.disabled = false;
  }
}
