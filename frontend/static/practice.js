// A student's practice: the problem in front of them, hints, what a wrong
// answer teaches, the choice board, the challenge offered to a student who
// has mastered the set, and the help their teacher sends. The server
// chooses and marks every problem; this module shows what it says.
import { el } from "./api.js";

const $ = (id) => document.getElementById(id);

const KINDS = {
  practice: "Practice",
  playlist: "Practice",
  check: "Quick check: just to see where you are, no pressure",
  enrichment: "Challenge",
  choice_board: "Your choice",
};

const REASONS = {
  "a similar problem": "A similar problem: have a go at this one",
  "checking that it stuck": "A quick look back: checking that it stuck",
  "sent by your teacher": "From the lesson your teacher sent",
};

// forMe reports whether an event of practice for a target concerns this
// student: an event for the whole class lists nobody (it is everyone);
// one for a group, a station or a student lists whom it was for.
function forMe(d, me) {
  const to = d.to || {};
  if (!d.students) return !to.student && !to.group && !to.station;
  return d.students.includes(me);
}

// saidAs is an answer as the student gave it: a choice by its text.
function saidAs(item, response) {
  return item.kind === "choice" ? (item.choices || [])[Number(response)] || response : response;
}

// The practice state kept on the device over a reload: what the server's
// snapshot does not repeat (the choice board's labels, the lesson the
// teacher sent), and the practice itself, to show the problem and the
// answers waiting to be sent when the page is loaded again offline.
const KEPT = "classhub.student.practice";

export class PracticeView {
  // send(type, data, opts) runs a command and resolves with its result;
  // online() says whether the device is connected now.
  constructor({ send, online }) {
    this.send = send;
    this.online = online || (() => true);
    this.p = null; // the practice: set, title, kind, item, hints, options, pick, offer, closed
    this.room = "";
    this.me = "";
    this.seq = 0; // answers marked on this device, for redrawing
    this.reset();
    $("practice-error").textContent = "";
  }

  reset() {
    this.feedback = null; // the last answer marked: {item, correct, response, explanation}
    this.done = false; // the set is finished
    this.help = null; // the lesson the teacher sent: {title, text, items}
    this.labels = {}; // choice board: item → label
    this.picked = [];
    this.asking = false;
    this.pending = false;
    this.answers = 0;
    this.built = null; // the item the answer form was built for
    this.review = null; // a check handed in: each problem with the answer and its explanation
    this.saving = null; // the answer sent and not answered yet: {item, response}
  }

  // load takes the practice of a fresh snapshot.
  load(practice, room, me) {
    this.room = room;
    this.me = me;
    this.reset();
    const kept = this.kept();
    if (kept) {
      this.labels = kept.labels || {};
      this.help = kept.help || null;
    }
    this.p = practice ? { ...practice, hints: practice.hints || [], options: practice.options || [] } : null;
    if (this.p) {
      this.p.options = this.p.options.map((o) => ({ item: o.item, label: o.label || this.labels[o.item] || "" }));
      if (this.wantsItem()) this.next();
    }
  }

  kept() {
    try {
      const k = JSON.parse(localStorage.getItem(KEPT));
      return k && k.room === this.room && k.me === this.me ? k : null;
    } catch {
      return null;
    }
  }

  keep() {
    try {
      localStorage.setItem(KEPT, JSON.stringify({ room: this.room, me: this.me, labels: this.labels, help: this.help, p: this.p }));
    } catch {
      // private browsing: the lesson is shown until the page reloads
    }
  }

  // restore shows the practice kept on the device before the class's
  // snapshot arrives (the page was loaded again, maybe offline), with the
  // answer still waiting to be sent: sent is the connection's kept
  // command of it, if any.
  restore(room, me, sent) {
    this.room = room;
    this.me = me;
    const kept = this.kept();
    if (!kept || !kept.p || this.p) return;
    this.labels = kept.labels || {};
    this.help = kept.help || null;
    this.p = kept.p;
    if (sent && sent.data && this.p.item && sent.data.item === this.p.item.id) {
      this.saving = { item: sent.data.item, response: sent.data.response, shown: saidAs(this.p.item, sent.data.response) };
      this.pending = true;
      if (sent.done) this.settle(sent.done);
    }
    this.render();
  }

  static forget() {
    localStorage.removeItem(KEPT);
  }

  wantsItem() {
    const p = this.p;
    return p && !p.closed && !p.item && !(p.options && p.options.length) && !this.done && !this.goesOn();
  }

  // goesOn: the last answer left no problem in front of the student (it
  // was right, or the problem was set aside after its last hint), and the
  // next waits for their "Next problem".
  goesOn() {
    const f = this.feedback;
    return !!f && !f.check && (f.correct || f.movedOn);
  }

  // event folds one event of the class; it returns whether it was about
  // practice.
  event(type, d) {
    const me = this.me;
    switch (type) {
      case "practice": {
        if (!forMe(d, me)) return false;
        const mine = d.to && d.to.student === me && this.p && d.set.bank === this.p.set.bank;
        const keepHelp = mine && d.kind === "playlist"; // the student's own pick from a board
        const help = keepHelp ? this.help : null;
        const labels = this.labels;
        this.reset();
        this.help = help;
        this.labels = labels;
        this.p = { set: d.set, title: d.title, kind: d.kind, item: null, hints: [], options: [], pick: d.pick || 0, offer: null, closed: false, check: !!d.check };
        if (d.kind === "choice_board") {
          this.p.options = (d.options || []).map((o) => ({ item: o.item, label: o.label }));
          for (const o of this.p.options) this.labels[o.item] = o.label;
        }
        this.keep();
        $("practice-error").textContent = "";
        if (this.wantsItem()) this.next();
        return true;
      }
      case "item":
        if (d.student !== me || !this.p) return false;
        this.setItem(d.item);
        return true;
      case "attempt":
        if (d.student !== me || !this.p) return false;
        this.answers++;
        this.seq++;
        // In a check the answer is only saved, as far as the student is
        // told, until they hand it in.
        this.feedback = this.p.check
          ? { item: d.item, check: true }
          : { item: d.item, correct: d.correct, response: d.response, explanation: d.explanation || "", movedOn: !!d.moved_on };
        if ((d.correct || d.moved_on) && this.p.item && this.p.item.id === d.item) this.p.item = null;
        if (!d.correct) this.clearAnswer();
        return true;
      case "hint":
        if (d.student !== me || !this.p || !this.p.item || this.p.item.id !== d.item) return false;
        this.p.hints[d.index] = d.text;
        return true;
      case "offer":
        // Offered as soon as the set's skills are mastered: the student
        // may take it now or go on with the set.
        if (d.student !== me || !this.p) return false;
        this.p.offer = { set: d.set, title: d.title };
        return true;
      case "help_sent":
        if (d.student !== me || !this.p) return false;
        this.help = { title: d.help.title || "", text: d.text || "", items: d.help.items || [] };
        this.keep();
        // The lesson's problems come next, before the rest of the set.
        Object.assign(this.p, { item: null, hints: [], closed: false });
        this.feedback = null;
        this.done = false;
        this.next();
        return true;
      case "practice_closed":
        if (!forMe(d, me) || !this.p) return false;
        Object.assign(this.p, { closed: true, item: null });
        return true;
    }
    return false;
  }

  setItem(item) {
    const p = this.p;
    if (p.item && p.item.id === item.id) return;
    p.item = item;
    p.hints = [];
    this.done = false;
    this.keep();
    if (item.reason !== "a similar problem" && !p.check) this.feedback = null;
  }

  clearAnswer() {
    const form = $("practice-item").querySelector("form");
    if (!form) return;
    const input = form.querySelector(".answer-input");
    if (input) input.value = "";
    for (const b of form.querySelectorAll(".choice-btn")) b.setAttribute("aria-pressed", "false");
    form.dataset.choice = "";
  }

  async next() {
    if (this.asking || !this.p) return;
    this.asking = true;
    this.render();
    try {
      const r = await this.send("next_item", {});
      if (r && r.item) this.setItem(r.item);
      else if (r && r.done) {
        this.done = true;
        this.feedback = null;
        if (r.review) this.review = r.review;
        if (r.offer) this.p.offer = { set: r.offer.set, title: r.offer.title };
      }
    } catch (err) {
      if (err.code === "closed") this.p.closed = true;
      else if (err.code !== "wrong_state") $("practice-error").textContent = err.message;
    } finally {
      this.asking = false;
      this.render();
    }
  }

  async run(type, data, button, opts) {
    $("practice-error").textContent = "";
    if (button) button.disabled = true;
    this.pending = true;
    try {
      return await this.send(type, data, opts);
    } catch (err) {
      if (err.code === "closed") this.p.closed = true;
      else if (err.code === "not_given" || err.code === "duplicate") {
        // The problem changed meanwhile (the teacher sent help): get the
        // one in front of the student now.
        this.p.item = null;
        this.next();
      } else $("practice-error").textContent = err.message;
      return null;
    } finally {
      this.pending = false;
      this.saving = null;
      if (button) button.disabled = false;
      this.render();
    }
  }

  answer(form) {
    const item = this.p && this.p.item;
    if (!item || this.pending) return;
    let response;
    if (item.kind === "choice") {
      response = form.dataset.choice || "";
      if (response === "") {
        $("practice-error").textContent = "Choose an answer first.";
        return;
      }
    } else {
      response = form.querySelector(".answer-input").value.trim();
      if (!response) {
        $("practice-error").textContent = "Write your answer first.";
        return;
      }
    }
    // Kept on the device until the server has it: offline, the student
    // sees it saved, and it is sent once when the device is back, even
    // after a reload.
    this.saving = { item: item.id, response, shown: saidAs(item, response) };
    this.run("answer", { item: item.id, response }, form.querySelector(".check"), { keep: true }).then((r) => this.answered(r));
  }

  answered(r) {
    // The result and the events may come in either order: a similar
    // problem given after a wrong answer is in both.
    if (r && r.next && this.p) {
      this.setItem(r.next);
      this.render();
    }
    // A check goes straight on to its next problem.
    if (r && this.p && this.p.check) this.next();
  }

  // settle waits for an answer sent before the page was loaded again.
  settle(done) {
    done.then((r) => this.answered(r), (err) => {
      if (err.code === "not_given" || err.code === "duplicate") {
        if (this.p) this.p.item = null;
        this.next();
      } else if (err.code !== "closed") $("practice-error").textContent = err.message;
    }).finally(() => {
      this.pending = false;
      this.saving = null;
      this.render();
    });
  }

  async hint(item, button) {
    const r = await this.run("hint", { item: item.id }, button);
    if (r && this.p && this.p.item && this.p.item.id === item.id) {
      this.p.hints[r.index] = r.text;
      this.render();
    }
  }

  render() {
    const box = $("practice-box");
    const p = this.p;
    box.hidden = !p;
    if (!p) return;
    box.dataset.answers = String(this.answers);
    box.dataset.busy = String(this.pending || this.asking);
    box.setAttribute("aria-busy", box.dataset.busy);
    $("practice-title").textContent = p.title || "Practice";
    $("practice-kind").textContent = p.check && !this.review
      ? "Quick check: just to see where you are. Hints and answers come when you hand it in."
      : KINDS[p.kind] || "";
    this.renderHelp();
    this.renderFeedback();
    this.renderItem();
    this.renderOther();
  }

  renderHelp() {
    const h = this.help;
    const box = $("practice-help");
    box.hidden = !h || this.p.closed;
    if (!h) return;
    const key = `${h.title}|${h.text}`;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(
      el("summary", {}, el("span", { class: "tag" }, "From your teacher"), h.title || "A short lesson"),
      // Paragraphs are separated by blank lines; a single line break
      // within one is only where the file was wrapped.
      ...(h.text || "").split(/\n\s*\n/).filter((t) => t.trim()).map((t) => el("p", { class: "lesson-text" }, t.trim().replace(/\s*\n\s*/g, " "))),
      el("p", { class: "muted" }, "The problems that go with it come next."),
    );
    box.open = true;
  }

  renderFeedback() {
    const f = this.feedback;
    const box = $("practice-feedback");
    if (this.saving && !this.online()) {
      box.dataset.result = "queued";
      box.replaceChildren(el("p", { class: "feedback saved" }, el("strong", {}, "Saved — will send"),
        ` Your answer “${this.saving.shown}” is kept on this device and goes to your teacher as soon as you are back online.`));
      delete box.dataset.key;
      return;
    }
    if (!f || this.p.closed) {
      box.replaceChildren();
      delete box.dataset.result;
      return;
    }
    if (f.check) {
      box.dataset.result = "saved";
      box.replaceChildren(el("p", { class: "feedback saved" }, "Answer saved."));
      delete box.dataset.key;
      return;
    }
    box.dataset.result = f.correct ? "right" : "wrong";
    box.dataset.item = f.item;
    const key = String(this.seq);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    if (f.correct) {
      box.replaceChildren(el("p", { class: "feedback right" }, el("strong", {}, "✓ Right!"), ` Your answer: ${f.response}`));
    } else {
      box.replaceChildren(el("div", { class: "feedback wrong" },
        el("p", {}, el("strong", {}, "Not quite."), ` You answered “${f.response}”. Here is how it works:`),
        f.explanation ? el("p", { class: "explanation" }, f.explanation) : null,
        f.movedOn ? el("p", { class: "moved-on" }, "Read it through, then go on to the next problem.") : null));
    }
  }

  renderItem() {
    const box = $("practice-item");
    const p = this.p;
    const item = !p.closed && p.item;
    if (!item) {
      if (box.firstChild) box.replaceChildren();
      this.built = null;
      return;
    }
    if (this.built !== item.id || !box.firstChild) {
      this.built = item.id;
      box.replaceChildren(this.itemForm(item));
    }
    const form = box.querySelector("form");
    const saving = !!this.saving && this.saving.item === item.id;
    if (saving) this.showSaved(form, this.saving.response);
    form.querySelector(".check").disabled = saving;
    const label = form.querySelector(".item-label");
    let text = REASONS[item.reason] || "";
    const f = this.feedback;
    if (f && !f.correct && f.item === item.id) text = "Have another go";
    else if (!text && this.help && this.help.items.includes(item.id)) text = "From the lesson your teacher sent";
    label.textContent = text;
    label.hidden = !text;
    form.querySelector(".item-label").dataset.reason = item.reason || "";
    const hints = p.hints.filter((h) => h !== undefined && h !== null);
    const list = form.querySelector(".hints");
    if (list.children.length !== hints.length) {
      list.replaceChildren(...hints.map((h, i) => {
        const last = i === item.hints - 1;
        return el("li", { class: last ? "last" : "" }, h, last ? el("span", { class: "gives-away" }, " This last hint gives the answer away.") : null);
      }));
    }
    list.hidden = hints.length === 0;
    const left = item.hints - hints.length;
    const hb = form.querySelector(".hint-btn");
    hb.hidden = left <= 0 || p.check;
    hb.textContent = left === 1 ? "Last hint (it gives the answer away)" : hints.length ? "Another hint" : "Hint";
  }

  // showSaved puts an answer waiting to be sent back in its form.
  showSaved(form, response) {
    const input = form.querySelector(".answer-input");
    if (input && !input.value) input.value = response;
    const i = form.dataset.kind === "choice" ? Number(response) : -1;
    if (i >= 0 && form.dataset.choice !== String(i)) {
      form.querySelectorAll(".choice-btn").forEach((b, j) => b.setAttribute("aria-pressed", String(j === i)));
      form.dataset.choice = String(i);
    }
  }

  itemForm(item) {
    const id = `answer-${item.id.replace(/[^a-z0-9]/gi, "-")}`;
    const form = el("form", { class: "item", "data-item": item.id, "data-kind": item.kind, autocomplete: "off" },
      el("p", { class: "item-label", hidden: true }),
      el("p", { class: "prompt", id: `${id}-prompt` }, item.prompt));
    if (item.kind === "choice") {
      const group = el("div", { class: "answer-choices", role: "group", "aria-labelledby": `${id}-prompt` });
      (item.choices || []).forEach((c, i) => {
        group.append(el("button", {
          type: "button", class: "choice-btn secondary", "aria-pressed": "false", "data-choice": String(i), "data-autofocus": i === 0,
          onclick: (e) => {
            for (const b of group.children) b.setAttribute("aria-pressed", String(b === e.currentTarget));
            form.dataset.choice = String(i);
            $("practice-error").textContent = "";
          },
        }, c));
      });
      form.append(group);
    } else {
      const input = el("input", { id, class: "answer-input", "data-autofocus": true, maxlength: 200, autocomplete: "off", autocapitalize: "off", spellcheck: "false" });
      // append, unlike el, writes a null as the text "null": only what
      // there is goes in.
      form.append(...[
        el("label", { for: id }, "Your answer"),
        el("div", { class: "answer-row" }, input, item.kind === "numeric" && item.unit ? el("span", { class: "unit" }, item.unit) : null),
        item.kind === "numeric" ? el("p", { class: "hint" }, "Whole numbers, decimals and fractions like 3/4 all work.") : null,
      ].filter(Boolean));
    }
    form.append(
      el("ol", { class: "hints", "aria-live": "polite", hidden: true }),
      el("div", { class: "row item-actions" },
        el("button", { type: "submit", class: "check" }, "Check my answer"),
        el("button", { type: "button", class: "secondary hint-btn", onclick: (e) => this.hint(item, e.currentTarget) }, "Hint")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.answer(form);
    });
    return form;
  }

  renderOther() {
    const box = $("practice-other");
    const p = this.p;
    const parts = [];
    let state = "";
    if (p.closed) {
      state = "closed";
      parts.push(el("p", { class: "big-text calm" }, "This activity is closed."), el("p", {}, "Your teacher will tell you what's next."));
    } else if (p.options && p.options.length) {
      state = "board";
      parts.push(...this.board());
    } else if (p.item) {
      state = "item";
    } else if (this.goesOn() && !this.done) {
      state = "next";
      if (p.offer) parts.push(this.offer(p), el("p", { class: "muted" }, "Or keep practising:"));
      parts.push(el("button", { type: "button", class: "next-btn", "data-autofocus": true, onclick: () => this.proceed() }, "Next problem →"));
    } else if (this.done && this.review) {
      state = "done";
      parts.push(...this.reviewParts());
      if (p.offer) parts.push(this.offer(p));
    } else if (this.done) {
      state = "done";
      if (p.offer) {
        parts.push(this.offer(p), el("p", { class: "muted" }, "Or take a break: your teacher will tell you what's next."));
      } else {
        parts.push(el("p", { class: "big-text calm" }, "All done — your teacher will tell you what's next."));
      }
    } else {
      state = "loading";
      parts.push(el("p", { class: "muted" }, "Getting your next problem…"));
    }
    box.dataset.state = state;
    // The board keeps its buttons while the student picks.
    if (state === "board" && box.dataset.built === "board") {
      this.updateBoard(box);
      return;
    }
    box.dataset.built = state;
    box.replaceChildren(...parts);
    if (state === "board") this.updateBoard(box);
  }

  // reviewParts show a check handed in: how many were right, and each
  // problem with the student's answer and how it works.
  reviewParts() {
    const list = this.review;
    const right = list.filter((r) => r.correct).length;
    return [
      el("p", { class: "big-text calm" }, `Handed in: ${right} of ${list.length} right.`),
      el("p", { class: "muted" }, "Here is each problem, your answer and how it works."),
      el("ol", { class: "review" }, ...list.map((r) =>
        el("li", { class: `review-item ${r.correct ? "right" : "wrong"}`, "data-item": r.item },
          el("p", { class: "prompt" }, r.prompt),
          el("p", {}, el("span", { class: "mark", "aria-label": r.correct ? "right" : "wrong" }, r.correct ? "✓" : "✗"), " ",
            r.response ? `Your answer: ${r.response}` : "Not answered"),
          r.correct ? null : el("p", { class: "explanation" }, r.explanation)))),
    ];
  }

  offer(p) {
    return el("div", { class: "offer" },
      el("p", { class: "big-text" }, "You've mastered this — try a challenge?"),
      p.offer.title ? el("p", {}, p.offer.title) : null,
      el("button", { type: "button", class: "accept-offer", onclick: (e) => this.run("accept_offer", {}, e.currentTarget) }, "Yes, try the challenge"));
  }

  proceed() {
    this.feedback = null;
    this.next();
  }

  board() {
    const p = this.p;
    return [
      el("p", { class: "big-text" }, `Pick ${p.pick} of these`),
      el("div", { class: "board" }, ...p.options.map((o, i) =>
        el("button", {
          type: "button", class: "board-option secondary", "data-option": o.item, "aria-pressed": "false",
          onclick: () => {
            const at = this.picked.indexOf(o.item);
            if (at >= 0) this.picked.splice(at, 1);
            else if (this.picked.length < p.pick) this.picked.push(o.item);
            this.updateBoard($("practice-other"));
          },
        }, o.label || `Option ${i + 1}`))),
      el("p", { class: "board-count muted", role: "status" }),
      el("button", { type: "button", class: "board-start", onclick: (e) => this.run("pick_items", { items: this.picked.slice() }, e.currentTarget) }, "Start with these"),
    ];
  }

  updateBoard(box) {
    const p = this.p;
    for (const b of box.querySelectorAll(".board-option")) b.setAttribute("aria-pressed", String(this.picked.includes(b.dataset.option)));
    const count = box.querySelector(".board-count");
    if (count) count.textContent = `${this.picked.length} of ${p.pick} picked`;
    const start = box.querySelector(".board-start");
    if (start) start.disabled = this.picked.length !== p.pick || this.pending;
  }
}
