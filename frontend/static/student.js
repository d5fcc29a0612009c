// The student device: join with a code and a name, then follow the class:
// their practice, their group and station, the countdown of the leg, the
// teacher's messages and activities, choices, and the group's workspace.
// The token
// is kept so that a reload or a dropped network comes back as the same
// student.
import { ClassConnection } from "./client.js";
import { api, el, show } from "./api.js";
import { KINDS, clock, leg, stationOf, trackOf } from "./orch.js";
import { WorkspaceView, emptyWorkspace } from "./workspace.js";
import { PracticeView } from "./practice.js";
import * as pick from "./join-roster.js";
import * as myProfile from "./me-profile.js";
import { followFocus } from "./focus.js";

followFocus();

const KEY = "classhub.student";
const OUTBOX = "classhub.student.outbox"; // answers waiting to be sent, per class and student
const $ = (id) => document.getElementById(id);
let conn = null;
let state = null; // the student's snapshot, kept current by events
let placement = null; // a station the teacher sent this student to, over their group's
let ws = null; // the workspace view
let practice = null; // the practice view
let ticker = null;

function saved() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY));
    return s && s.expires > Date.now() ? s : null;
  } catch {
    return null;
  }
}

$("join-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("join-error").textContent = "";
  $("join-submit").disabled = true;
  try {
    // A class with a roster is joined by picking a name from it.
    if (await pick.lookup($("join-code").value)) return;
    const name = $("join-name").value.trim();
    if (!name) {
      $("join-error").textContent = "Type your name.";
      $("join-name").focus();
      return;
    }
    joined(await api("POST", "/api/v1/join", { code: $("join-code").value, name }));
  } catch (err) {
    $("join-error").textContent = err.code === "not_found" ? "No open class has that code. Check it with your teacher." : err.message;
  } finally {
    $("join-submit").disabled = false;
  }
});

function joined(r) {
  localStorage.setItem(KEY, JSON.stringify(r));
  start(r);
}
pick.setup(joined);

$("leave").addEventListener("click", (e) => {
  e.preventDefault();
  leave();
});
$("join-another").addEventListener("click", leave);

function leave() {
  $("placement-notice").hidden = true;
  if (conn) {
    conn.close();
    localStorage.removeItem(conn.keep);
  }
  conn = null;
  state = null;
  clearInterval(ticker);
  paused(false);
  localStorage.removeItem(KEY);
  PracticeView.forget();
  pick.reset();
  show("join");
}

const STATUS = { connecting: "connecting…", reconnecting: "reconnecting…", connected: "connected", closed: "disconnected" };

function start(s) {
  show("class");
  $("class-title").textContent = s.room.title;
  $("me").textContent = `You are ${s.name}`;
  myProfile.show(s.token);
  ws = new WorkspaceView({
    root: $("workspace"),
    edit: true,
    send: (op) => conn.send("edit_workspace", { group: state.group.id, op }),
    onReload: () => conn.resync(),
  });
  practice = new PracticeView({ send: (type, data, opts) => conn.send(type, data, opts), online: () => !!conn && conn.ready });
  conn = new ClassConnection({
    token: s.token,
    keep: `${OUTBOX}.${s.room.id}.${s.student}`,
    onToken: (token, expires) => {
      const cur = saved();
      if (cur) localStorage.setItem(KEY, JSON.stringify({ ...cur, token, expires }));
    },
    onStatus: (st) => {
      $("status").textContent = STATUS[st] || st;
      $("status").dataset.state = st;
      if (practice.p) practice.render();
    },
    onWelcome: (w) => {
      if (!w.resumed) {
        state = w.snapshot;
        const track = trackOf(state.rotation, state.group && state.group.id);
        placement = state.station && !(track && !track.done && track.station === state.station) ? state.station : null;
        if (state.group && state.workspace) ws.load(state.workspace, state.group);
        practice.load(state.practice, state.room, state.me.id);
      }
      render();
    },
    onEvent: (type, data, f) => {
      if (apply(type, data, f) !== false) render();
    },
    onClosed: (code) => {
      if (code === 4003) {
        localStorage.removeItem(KEY);
        PracticeView.forget();
        paused(false);
        show("ended");
      } else if (code === 4002 || code === 4004) {
        localStorage.removeItem(KEY);
        PracticeView.forget();
        $("join-error").textContent = code === 4004 ? "Your teacher removed you from the class." : "Please join again.";
        paused(false);
        show("join");
      }
    },
  });
  // Until the class answers (the page may have been loaded offline), the
  // practice kept on the device shows, with an answer waiting to be sent.
  practice.restore(s.room.id, s.student, conn.keptCommands().find((k) => k.type === "answer"));
  clearInterval(ticker);
  ticker = setInterval(renderClock, 250);
}

// paused covers the page while the class is paused: the page under the
// cover is inert (no focus, no clicks, out of the screen reader's
// reach), the focus is on the cover's message, and it goes back where it
// was when the class resumes.
let focusBeforePause = null;
function paused(on) {
  const cover = $("pause-overlay");
  if (on === !cover.hidden) return;
  cover.hidden = !on;
  $("class").inert = on;
  if (on) {
    focusBeforePause = document.activeElement;
    $("pause-title").focus();
  } else if (focusBeforePause && focusBeforePause.isConnected && focusBeforePause !== document.body) {
    focusBeforePause.focus({ preventScroll: true });
    focusBeforePause = null;
  }
}

// apply folds one event into the state. It returns false when the device
// has to reload its state (it asked for a fresh snapshot).
function apply(type, d, f) {
  if (!state) return false;
  const me = state.me;
  if (practice.event(type, d)) return true;
  switch (type) {
    case "announcement":
      state.announcements.push(d);
      break;
    case "hand":
      if (d.student === me.id) Object.assign(me, { hand: d.raised, note: d.note || "" });
      break;
    case "class_ended":
      state.status = "ended";
      break;
    case "stations":
      state.stations = d.stations;
      if (placement && !stationOf(state.stations, placement)) placement = null;
      break;
    case "group": {
      const g = d.group;
      const prev = state.group;
      if (g.members.some((m) => m.id === me.id)) {
        if (prev && prev.id === g.id) {
          g.roles = g.roles || prev.roles;
          state.group = g;
          ws.group = g;
        } else {
          // A group that existed before has a workspace this device has
          // not seen: a fresh snapshot brings it.
          if (state.groups.some((x) => x.id === g.id)) {
            conn.resync();
            return false;
          }
          state.group = g;
          me.group = g.id;
          state.workspace = emptyWorkspace(g.id);
          ws.load(state.workspace, g);
        }
      } else if (prev && prev.id === g.id) {
        state.group = null;
        me.group = "";
      }
      break;
    }
    case "groups":
      state.groups = d.groups;
      if (state.group && !d.groups.some((g) => g.id === state.group.id)) {
        state.group = null;
        state.workspace = null;
        me.group = "";
      }
      break;
    case "placement":
      if (d.student === me.id) {
        placement = d.station || null;
        tell(placement);
      }
      break;
    case "rotation":
      state.rotation = d.rotation;
      for (const a of d.actions) {
        if (a.kind === "end" || ((a.kind === "advance" || a.kind === "done") && (a.group || "") === (me.group || ""))) {
          // The next leg takes the student on with their group.
          if (placement) $("placement-notice").hidden = true;
          placement = null;
        }
      }
      break;
    case "class_paused":
      state.paused = d.paused;
      break;
    case "activity":
      state.activities.push(d);
      break;
    case "choices":
      state.choices = d.options && d.options.length ? d : null;
      me.choice = "";
      break;
    case "choice":
      if (d.student === me.id) {
        if (d.option !== undefined) me.choice = d.option;
        if (d.interest !== undefined) me.interest = d.interest;
      }
      break;
    case "workspace":
      if (state.group && d.group === state.group.id && !ws.event(d, f.time)) {
        conn.resync();
        return false;
      }
      break;
  }
  return true;
}

// tell says so when the teacher sends this student to a station ("bring
// to my table"), or back to their group: a change of where to be is
// something to see, not only a different name on the station card.
function tell(station) {
  const st = stationOf(state.stations, station);
  $("placement-text").textContent = !st
    ? "Your teacher sent you back to your group."
    : st.kind === "teacher_led"
      ? `Your teacher asked you to come to their table: ${st.name}.`
      : `Your teacher asked you to go to ${st.name}.`;
  $("placement-notice").hidden = false;
}
$("placement-ok").addEventListener("click", () => ($("placement-notice").hidden = true));

function tagFor(a) {
  if (a.to) return "to you";
  if (a.group) return "to your group";
  if (a.station) return "to your station";
  return null;
}

function render() {
  if (!state) return;
  $("class-title").textContent = state.title;
  const me = state.me;
  const up = me.hand;
  $("raise-hand").hidden = up;
  $("lower-hand").hidden = !up;
  $("hand-state").textContent = up ? `Your hand is up${me.note ? `: “${me.note}”` : ""}. Your teacher can see it.` : "";
  $("announcements").replaceChildren(
    ...state.announcements
      .slice()
      .reverse()
      .map((a) => {
        const tag = tagFor(a);
        return el("li", { class: tag ? "private" : "" }, tag ? el("span", { class: "tag" }, tag) : null, a.text);
      }),
  );
  paused(state.paused && state.status !== "ended");
  practice.render();

  // Group.
  const g = state.group;
  $("my-group-name").textContent = g ? g.name : "No group yet";
  const roles = (g && g.roles) || [];
  $("my-group-members").replaceChildren(
    ...(g ? g.members : []).map((m) => {
      const r = roles.find((x) => x.student === m.id);
      return el("li", {}, m.id === me.id ? `${m.name} (you)` : m.name, r ? el("span", { class: "tag role" }, r.role) : null);
    }),
  );

  // Station and its activity.
  const sid = currentStation();
  const st = stationOf(state.stations, sid);
  $("my-station-name").textContent = st ? st.name : "—";
  $("my-station-kind").textContent = st ? KINDS[st.kind] || "" : "";
  const act = st && st.activity;
  $("station-activity").hidden = !act;
  $("station-activity").replaceChildren(...(act ? activityParts(act) : []));

  // Choices and interest.
  const ch = state.choices;
  $("choices-box").hidden = !ch;
  if (ch) {
    $("choices-prompt").textContent = ch.prompt || "Choose one";
    $("choices").replaceChildren(
      ...ch.options.map((o) =>
        el("button", { type: "button", class: o === me.choice ? "choice chosen" : "choice secondary", "aria-pressed": String(o === me.choice), onclick: (e) => command("choose", { option: o }, e.currentTarget) }, o)),
    );
    $("choice-state").textContent = me.choice ? `You chose ${me.choice}. You can still change your mind.` : "Tap the one you want.";
  }
  if (document.activeElement !== $("interest")) $("interest").value = me.interest || "";
  $("interest-state").textContent = me.interest ? `Your teacher sees: ${me.interest}` : "";

  // Activities meant for this student, newest first.
  const acts = state.activities || [];
  $("activities-box").hidden = acts.length === 0;
  $("activities").replaceChildren(
    ...acts.slice().reverse().map((p) => {
      const tag = p.to.student ? "for you" : p.to.group ? "for your group" : p.to.station ? "for your station" : "for everyone";
      return el("li", { class: "activity" }, el("span", { class: "tag" }, tag), ...activityParts(p.activity));
    }),
  );

  // Workspace.
  $("workspace-box").hidden = !(g && state.workspace);
  if (g && state.workspace) {
    ws.group = g;
    ws.render();
  }
  renderClock();
}

function activityParts(a) {
  const parts = [
    el("strong", { class: "activity-title" }, a.title),
    a.text ? el("p", { class: "activity-text" }, a.text) : null,
    a.url ? el("a", { class: "button-link", href: a.url, target: "_blank", rel: "noopener noreferrer" }, "Open") : null,
  ];
  return parts.filter(Boolean);
}

function currentStation() {
  if (placement) return placement;
  const t = trackOf(state.rotation, state.group && state.group.id);
  if (!t || t.done || state.rotation.ended) return "";
  return t.station || "";
}

const STATE = {
  paused: "Paused by your teacher",
  held: "The class is paused",
  due: "Time's up — wait for your teacher to move you on",
  done: "The rotation is over",
};

// renderClock updates the countdown from the server's clock, four times a
// second: a device whose own clock is wrong still counts right.
function renderClock() {
  if (!state || !conn) return;
  const t = trackOf(state.rotation, state.group && state.group.id);
  const l = leg(state.rotation, t, conn.serverNow());
  const cd = $("countdown");
  if (!l) {
    cd.textContent = "";
    cd.dataset.state = "none";
    $("rotation-state").textContent = state.rotation && !state.rotation.ended ? "Your group is not in this rotation." : "";
    $("rotation-warning").hidden = true;
    return;
  }
  cd.dataset.state = l.state;
  cd.textContent = l.state === "done" ? "" : l.state === "due" ? "Time's up" : clock(l.left);
  const where = l.state === "done" ? "" : `Station ${l.leg + 1} of ${l.legs}. `;
  $("rotation-state").textContent = where + (STATE[l.state] || (placement ? "Your teacher sent you here for now." : ""));
  $("rotation-warning").hidden = !l.warn;
  if (l.warn) $("rotation-warning").textContent = `Almost time: ${clock(l.left)} left. Start wrapping up.`;
}

async function command(type, data, button) {
  $("class-error").textContent = "";
  if (button) {
    button.disabled = true;
    button.dataset.pending = "true";
  }
  try {
    return await conn.send(type, data);
  } catch (err) {
    $("class-error").textContent = err.message;
  } finally {
    if (button) {
      button.disabled = false;
      delete button.dataset.pending;
    }
  }
}

$("raise-hand").addEventListener("click", () => command("raise_hand", { note: $("hand-note").value.trim() }, $("raise-hand")));
$("lower-hand").addEventListener("click", () => command("lower_hand", {}, $("lower-hand")));
$("interest-form").addEventListener("submit", (e) => {
  e.preventDefault();
  command("set_interest", { interest: $("interest").value.trim() }, $("interest-save"));
});

// A join link (from the projector's QR code) carries the class code: it
// fills the field, and leaves the address so that a reload or a later
// class does not bring it back.
const linked = new URLSearchParams(location.search).get("code");
if (linked) {
  $("join-code").value = linked.toUpperCase().slice(0, 9);
  history.replaceState(null, "", location.pathname);
}

// The service worker lets this page load again offline (see sw.js): it
// is given the files the page loaded to keep a copy of. The page says
// when the copy is made (data-offline="ready" on the document).
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.addEventListener("message", (e) => {
    if (e.data && e.data.type === "kept") document.documentElement.dataset.offline = "ready";
  });
  navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready).then((reg) => {
    const urls = [location.pathname, ...performance.getEntriesByType("resource").map((r) => r.name)];
    if (reg.active) reg.active.postMessage({ type: "keep", urls });
  }).catch(() => {
    // no worker (a private window, an old browser): the page works online
  });
}

const s = saved();
if (s) start(s);
else {
  show("join");
  if (linked) {
    $("join-name").focus();
    pick.lookup(linked).catch(() => {});
  }
}
