// A group's workspace — tasks, roles, shared notes and comments — as
// every app keeps and shows it. Students edit it; teachers and coaches
// follow it and comment.
import { el } from "./api.js";
import { apply as applyText, fromEdits, NotesSync } from "./notes.js";

export function emptyWorkspace(group) {
  return { group, rev: 0, tasks: [], notes: "", notes_rev: 0, comments: [] };
}

function sortRoles(roles) {
  const lc = (s) => s.toLowerCase();
  roles.sort((a, b) =>
    lc(a.role) < lc(b.role) ? -1 : lc(a.role) > lc(b.role) ? 1 : a.role < b.role ? -1 : a.role > b.role ? 1 : a.student < b.student ? -1 : a.student > b.student ? 1 : 0,
  );
}

// applyWorkspaceEvent folds one `workspace` event into ws (and the roles of
// group, which is where a group's roles live). Notes are left to a
// NotesSync when sync is given. It returns false when the event does not
// follow the workspace this device has: the caller reloads.
export function applyWorkspaceEvent(ws, group, d, time, sync) {
  if (!ws || d.rev !== ws.rev + 1) return false;
  const op = d.op;
  const task = ws.tasks.find((t) => t.id === op.task);
  switch (op.kind) {
    case "add_task":
      ws.tasks.push({ id: op.task, title: op.title || "", assignee: op.assignee || "", due: op.due || 0, done: false, vers: { title: 1, assignee: 1, due: 1, done: 1 } });
      break;
    case "edit_task":
      if (!task) return false;
      if (op.title !== undefined) (task.title = op.title), task.vers.title++;
      if (op.assignee !== undefined) (task.assignee = op.assignee), task.vers.assignee++;
      if (op.due !== undefined) (task.due = op.due), task.vers.due++;
      if (op.done !== undefined) (task.done = op.done), task.vers.done++;
      break;
    case "remove_task":
      ws.tasks = ws.tasks.filter((t) => t.id !== op.task);
      break;
    case "set_role":
      if (group) {
        const roles = (group.roles || []).filter((r) => r.student !== op.student);
        if (op.role) roles.push({ student: op.student, role: op.role });
        sortRoles(roles);
        group.roles = roles;
      }
      break;
    case "edit_notes":
      if (sync) {
        if (!sync.remote(op)) return false;
      } else {
        if ((op.notes_base || 0) !== ws.notes_rev) return false;
        try {
          ws.notes = applyText(fromEdits(op.edits), Array.from(ws.notes)).join("");
        } catch {
          return false;
        }
        ws.notes_rev++;
      }
      break;
    case "comment":
      ws.comments.push({ by: d.by.name, role: d.by.role, text: op.text, time });
      if (ws.comments.length > 100) ws.comments.splice(0, ws.comments.length - 100);
      break;
    default:
      return false;
  }
  ws.rev = d.rev;
  return true;
}

// sameChildren makes list's children nodes, touching the DOM only when
// they differ, so that a field being typed in keeps its focus.
function sameChildren(list, nodes) {
  const cur = list.children;
  if (cur.length === nodes.length && nodes.every((n, i) => n === cur[i])) return;
  list.replaceChildren(...nodes);
}

const when = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

export function renderComments(list, comments) {
  list.replaceChildren(
    ...(comments.length
      ? comments.slice().reverse().map((c) =>
          el("li", { class: "comment" }, el("span", { class: "tag" }, `${c.by} (${c.role === "coach" ? "coach" : "teacher"})`), el("span", { class: "muted" }, when(c.time)), el("div", {}, c.text)))
      : [el("li", { class: "muted empty" }, "No comments yet.")]),
  );
}

// WorkspaceView shows one group's workspace. With edit it is the group's
// own, editable view (a student's); without it a teacher's or coach's,
// read-only but for comments. send(op) runs edit_workspace for this group
// and resolves with its result; it rejects with an error carrying .code.
export class WorkspaceView {
  constructor({ root, edit, comment, send, onReload, prefix = "ws" }) {
    this.edit = edit;
    this.send = send;
    this.onReload = onReload || (() => {});
    this.ws = null;
    this.group = null;
    this.prefix = prefix;
    this.editing = null; // the task whose title is being edited
    this.conflicts = new Map(); // task ID → {field, value, message}
    const id = (s) => `${prefix}-${s}`;
    this.error = el("p", { class: "error", role: "alert", id: id("error") });
    this.tasks = el("ul", { class: "tasks", id: id("tasks") });
    this.roles = el("ul", { class: "roles", id: id("roles") });
    this.notes = el("textarea", { id: id("notes"), rows: 6, readonly: !edit, "aria-label": "Shared notes", placeholder: edit ? "Notes everyone in the group can write in at once" : "" });
    this.comments = el("ul", { class: "comments announcements", id: id("comments") });
    const parts = [el("h3", {}, "Tasks"), this.tasks];
    if (edit) {
      this.newTask = el("input", { id: id("new-task"), maxlength: 200, placeholder: "A new task", "aria-label": "New task" });
      this.newAssignee = el("select", { id: id("new-assignee"), "aria-label": "Who does it" });
      parts.push(
        el("form", { class: "row", id: id("add-task"), onsubmit: (e) => (e.preventDefault(), this.addTask()) },
          this.newTask, this.newAssignee, el("button", { type: "submit" }, "Add task")),
      );
    }
    parts.push(el("h3", {}, "Roles"), this.roles, el("h3", {}, el("label", { for: id("notes") }, "Shared notes")), this.notes);
    if (edit) parts.push(el("p", { class: "hint" }, "Everyone in the group can type here at the same time."));
    parts.push(el("h3", {}, "Comments"), this.comments);
    if (comment) {
      this.commentText = el("textarea", { id: id("comment-text"), rows: 2, maxlength: 500, "aria-label": "Comment" });
      parts.push(
        el("form", { id: id("comment-form"), onsubmit: (e) => (e.preventDefault(), this.comment()) },
          this.commentText, (this.commentSend = el("button", { type: "submit", id: id("comment-send") }, "Comment"))),
      );
    }
    parts.push(this.error);
    root.replaceChildren(...parts);
    if (edit) {
      this.sync = new NotesSync({
        textarea: this.notes,
        send: (base, edits) => this.send({ kind: "edit_notes", notes_base: base, edits }),
        onError: (err) => {
          if (err.code === "resync") {
            this.error.textContent = "The notes are being reloaded.";
            this.onReload();
          } else {
            this.error.textContent = `Your last change to the notes could not be saved: ${err.message}`;
          }
        },
      });
    }
  }

  // load shows a workspace from a snapshot.
  load(ws, group) {
    this.ws = ws;
    this.group = group;
    if (this.sync) this.sync.reset(ws.notes, ws.notes_rev);
    else this.notes.value = ws.notes;
    this.render();
  }

  // event folds a `workspace` event; false means reload.
  event(d, time) {
    const ok = applyWorkspaceEvent(this.ws, this.group, d, time, this.sync);
    if (ok) {
      if (!this.sync) this.notes.value = this.ws.notes;
      this.render();
    }
    return ok;
  }

  names() {
    return Object.fromEntries(((this.group && this.group.members) || []).map((m) => [m.id, m.name]));
  }

  render() {
    if (!this.ws) return;
    const names = this.names();
    const members = (this.group && this.group.members) || [];
    // A console shows the workspaces of several groups: each button says
    // whose it is.
    if (this.commentSend && this.group) this.commentSend.setAttribute("aria-label", `Comment on ${this.group.name}`);
    if (this.edit) {
      const keep = this.newAssignee.value;
      this.newAssignee.replaceChildren(el("option", { value: "" }, "Anyone"), ...members.map((m) => el("option", { value: m.id }, m.name)));
      this.newAssignee.value = members.some((m) => m.id === keep) ? keep : "";
    }
    this.renderTasks(names, members);
    const roles = (this.group && this.group.roles) || [];
    const rows = new Map([...this.roles.children].map((li) => [li.dataset.member, li]));
    sameChildren(this.roles, members.map((m) => {
      const r = roles.find((x) => x.student === m.id);
      let li = rows.get(m.id);
      if (!this.edit) return el("li", { "data-member": m.id }, m.name, " ", r ? el("span", { class: "tag role" }, r.role) : el("span", { class: "muted" }, "no role"));
      if (!li) {
        const input = el("input", { maxlength: 40, placeholder: "e.g. recorder", "aria-label": `Role of ${m.name}`, "data-role-of": m.id });
        li = el("li", { class: "row", "data-member": m.id }, el("span", { class: "who" }, m.name),
          input, el("button", { class: "secondary", type: "button", "aria-label": `Set role for ${m.name}`, onclick: () => this.op({ kind: "set_role", student: m.id, role: input.value.trim() }) }, "Set role"));
        li.input = input;
      }
      if (document.activeElement !== li.input) li.input.value = r ? r.role : "";
      return li;
    }));
    renderComments(this.comments, this.ws.comments);
  }

  renderTasks(names, members) {
    const rows = new Map([...this.tasks.children].map((li) => [li.dataset.task, li]));
    const order = [];
    for (const t of this.ws.tasks) {
      let li = rows.get(t.id);
      rows.delete(t.id);
      if (!li || li.dataset.editing !== String(this.editing === t.id)) li = this.taskRow(t);
      this.fillTask(li, t, names, members);
      order.push(li);
    }
    if (!order.length) order.push(el("li", { class: "muted empty" }, "No tasks yet."));
    sameChildren(this.tasks, order);
  }

  taskRow(t) {
    const li = el("li", { class: "task", "data-task": t.id, "data-editing": String(this.editing === t.id) });
    li.w = {};
    li.w.check = el("input", { type: "checkbox", disabled: !this.edit, "aria-label": "Done", onchange: () => this.editTask(t.id, "done", li.w.check.checked) });
    if (this.editing === t.id) {
      li.w.title = el("input", { class: "task-title-input", maxlength: 200, value: t.title, "aria-label": "Task" });
      li.w.title.addEventListener("keydown", (e) => {
        if (e.key === "Enter") this.saveTitle(t.id, li.w.title.value);
        if (e.key === "Escape") {
          this.editing = null;
          this.render();
        }
      });
      li.w.title.addEventListener("blur", () => setTimeout(() => this.editing === t.id && this.saveTitle(t.id, li.w.title.value), 150));
      queueMicrotask(() => li.w.title.focus());
    } else {
      li.w.title = el("span", { class: "task-title" });
    }
    li.w.assignee = el("select", { disabled: !this.edit, "aria-label": "Who does it", onchange: () => this.editTask(t.id, "assignee", li.w.assignee.value) });
    li.w.conflict = el("div", { class: "conflict" });
    const buttons = this.edit
      ? [(li.w.edit = el("button", { class: "secondary small", type: "button", onclick: () => this.startEdit(t.id) }, "Edit")),
         (li.w.remove = el("button", { class: "secondary small", type: "button", onclick: () => this.op({ kind: "remove_task", task: t.id }) }, "Remove"))]
      : [];
    li.append(el("label", { class: "task-main" }, li.w.check, li.w.title), li.w.assignee, ...buttons, li.w.conflict);
    return li;
  }

  fillTask(li, t, names, members) {
    li.classList.toggle("done", t.done);
    li.w.check.checked = t.done;
    if (li.w.title.tagName === "SPAN") li.w.title.textContent = t.title;
    if (li.w.edit) li.w.edit.setAttribute("aria-label", `Edit ${t.title}`);
    if (li.w.remove) li.w.remove.setAttribute("aria-label", `Remove ${t.title}`);
    li.w.check.setAttribute("aria-label", `${t.title}: done`);
    const opts = [el("option", { value: "" }, "anyone"), ...members.map((m) => el("option", { value: m.id }, m.name))];
    if (t.assignee && !names[t.assignee]) opts.push(el("option", { value: t.assignee }, "someone who left"));
    li.w.assignee.replaceChildren(...opts);
    li.w.assignee.value = t.assignee || "";
    const c = this.conflicts.get(t.id);
    if (!c) {
      li.w.conflict.replaceChildren();
      return;
    }
    const now = { title: `“${t.title}”`, done: t.done ? "done" : "not done", assignee: t.assignee ? names[t.assignee] || "someone" : "anyone" }[c.field];
    const mine = { title: `“${c.value}”`, done: c.value ? "done" : "not done", assignee: c.value ? names[c.value] || "someone" : "anyone" }[c.field];
    li.w.conflict.replaceChildren(
      el("span", {}, `Someone else changed this first: it is now ${now}. Yours was ${mine}. `),
      el("button", { class: "small", type: "button", onclick: () => (this.conflicts.delete(t.id), this.editTask(t.id, c.field, c.value)) }, "Use mine"),
      el("button", { class: "secondary small", type: "button", onclick: () => (this.conflicts.delete(t.id), this.render()) }, "Keep theirs"),
    );
  }

  // startEdit opens a task's title for editing. The versions seen now are
  // the base of the edit, however long the typing takes.
  startEdit(id) {
    const t = this.ws.tasks.find((x) => x.id === id);
    if (!t) return;
    this.editing = id;
    this.editBase = { ...t.vers };
    this.editFrom = t.title;
    this.render();
  }

  saveTitle(id, value) {
    if (this.editing !== id) return;
    this.editing = null;
    const t = this.ws.tasks.find((x) => x.id === id);
    value = value.trim();
    if (t && value && value !== this.editFrom) this.editTask(id, "title", value, this.editBase);
    else this.render();
  }

  // editTask changes one field of a task against the versions shown, so
  // that a change made meanwhile by someone else is not overwritten
  // unseen: the server refuses it as stale and the row offers a retry.
  async editTask(id, field, value, base) {
    const t = this.ws.tasks.find((x) => x.id === id);
    if (!t) return;
    const op = { kind: "edit_task", task: id, base: base || { ...t.vers } };
    op[field] = value;
    this.error.textContent = "";
    try {
      await this.send(op);
      this.conflicts.delete(id);
    } catch (err) {
      if (err.code === "stale") this.conflicts.set(id, { field, value });
      else this.error.textContent = err.message;
      // A base ahead of the task means this device missed a change.
      if (err.code === "invalid" && /base/.test(err.message)) this.onReload();
    }
    this.render();
  }

  async addTask() {
    const title = this.newTask.value.trim();
    if (!title) return;
    const op = { kind: "add_task", title };
    if (this.newAssignee.value) op.assignee = this.newAssignee.value;
    if (await this.op(op)) this.newTask.value = "";
  }

  async comment() {
    const text = this.commentText.value.trim();
    if (!text) return;
    if (await this.op({ kind: "comment", text })) this.commentText.value = "";
  }

  async op(op) {
    this.error.textContent = "";
    try {
      await this.send(op);
      return true;
    } catch (err) {
      this.error.textContent = err.message;
      return false;
    }
  }
}
