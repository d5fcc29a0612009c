// Stations and the rotation: make the stations, plan the order and the
// legs, start the rotation and steer it while it runs, with a live
// countdown per group from the server's clock.
import { el } from "./api.js";
import { $, ctx, command, keyed, group, station, whenIdle } from "./console.js";
import { KINDS, clock, duration, leg } from "./orch.js";

let order = []; // station IDs in the order of the plan being made
let chosen = new Set(); // stations that take part
let legsTouched = false; // the teacher typed leg lengths: stop filling them in
let ticker = null;

export function setup() {
  $("station-form").addEventListener("submit", saveStation);
  $("station-cancel").addEventListener("click", () => editStation(null));
  $("rotation-form").addEventListener("submit", start);
  $("rotation-legs").addEventListener("input", () => (legsTouched = $("rotation-legs").value.trim() !== ""));
  const rot = (action, extra = {}) => (e) => command("rotate", { action, ...extra }, e.currentTarget, $("rotation-live-error"));
  $("rotation-pause-all").addEventListener("click", rot("pause"));
  $("rotation-resume-all").addEventListener("click", rot("resume"));
  $("rotation-extend1-all").addEventListener("click", rot("extend", { ms: 60000 }));
  $("rotation-extend5-all").addEventListener("click", rot("extend", { ms: 300000 }));
  $("rotation-advance-all").addEventListener("click", rot("advance"));
  $("rotation-end").addEventListener("click", (e) => {
    if (confirm("End the rotation for every group?")) rot("end")(e);
  });
}

export function opened() {
  order = [];
  chosen = new Set();
  legsTouched = false;
  editStation(null);
  clearInterval(ticker);
  ticker = setInterval(tick, 250);
}

// Stations.

function editStation(s) {
  $("station-id").value = s ? s.id : "";
  $("station-name").value = s ? s.name : "";
  $("station-kind").value = s ? s.kind : "teacher_led";
  $("station-capacity").value = s ? String(s.capacity || 0) : "0";
  const a = (s && s.activity) || {};
  $("station-activity-title").value = a.title || "";
  $("station-activity-text").value = a.text || "";
  $("station-activity-url").value = a.url || "";
  $("station-form-title").textContent = s ? `Edit ${s.name}` : "Add a station";
  $("station-save").textContent = s ? "Save station" : "Add station";
  $("station-cancel").hidden = !s;
  $("station-error").textContent = "";
  if (s) $("station-name").focus();
}

async function saveStation(e) {
  e.preventDefault();
  const st = {
    name: $("station-name").value.trim(),
    kind: $("station-kind").value,
    capacity: Math.max(0, Math.round(Number($("station-capacity").value) || 0)),
  };
  const id = $("station-id").value;
  if (id) st.id = id;
  const title = $("station-activity-title").value.trim();
  const text = $("station-activity-text").value.trim();
  const url = $("station-activity-url").value.trim();
  if (title || text || url) {
    if (!title) {
      $("station-error").textContent = "Give the activity a title, or leave all its fields empty.";
      return;
    }
    st.activity = { title };
    if (text) st.activity.text = text;
    if (url) st.activity.url = url;
  }
  const r = await command("put_station", { station: st }, $("station-save"), $("station-error"));
  if (r) editStation(null);
}

function renderStations() {
  const list = ctx.state.stations;
  keyed($("station-list"), list.length ? list : [null], (s) => (s ? s.id : "none"),
    (s) => (s ? el("li", { class: "card station" }) : el("li", { class: "muted" }, "No stations yet.")),
    (li, s) => {
      if (!s) return;
      li.dataset.station = s.id;
      const a = s.activity;
      li.replaceChildren(...[
        el("h3", {}, s.name),
        el("p", { class: "muted" }, KINDS[s.kind] || s.kind, " · ", s.capacity ? `up to ${s.capacity} students` : "no limit"),
        a ? el("p", {}, el("strong", {}, a.title), a.text ? ` — ${a.text}` : "", a.url ? el("span", { class: "muted" }, ` (${a.url})`) : "") : null,
        el("div", { class: "row" },
          el("button", { type: "button", class: "secondary small", "aria-label": `Edit ${s.name}`, onclick: () => editStation(s) }, "Edit"),
          el("button", { type: "button", class: "secondary small", "aria-label": `Remove ${s.name}`, onclick: (e) => confirm(`Remove ${s.name}?`) && command("remove_station", { station: s.id }, e.target, $("station-error")) }, "Remove")),
      ].filter(Boolean));
    });
}

// The plan.

// parseLength reads one leg length: minutes ("10", "1.5"), "90s", or
// "1:30". It returns milliseconds, or NaN.
export function parseLength(text) {
  const t = text.trim().toLowerCase();
  let m;
  if ((m = /^(\d+):([0-5]\d)$/.exec(t))) return (Number(m[1]) * 60 + Number(m[2])) * 1000;
  if ((m = /^(\d+(?:\.\d+)?)\s*s(ec(onds?)?)?$/.exec(t))) return Math.round(Number(m[1]) * 1000);
  if ((m = /^(\d+(?:\.\d+)?)\s*(m(in(utes?)?)?)?$/.exec(t))) return Math.round(Number(m[1]) * 60000);
  return NaN;
}

function renderPlan() {
  const list = ctx.state.stations;
  const ids = list.map((s) => s.id);
  order = order.filter((id) => ids.includes(id));
  for (const id of ids) {
    if (!order.includes(id)) {
      order.push(id);
      chosen.add(id);
    }
  }
  $("rotation-no-stations").hidden = list.length > 0;
  const move = (id, by) => {
    const i = order.indexOf(id);
    const j = i + by;
    if (j < 0 || j >= order.length) return;
    [order[i], order[j]] = [order[j], order[i]];
    renderPlan();
  };
  keyed($("rotation-stations"), order, (id) => id,
    (id) => {
      const box = el("input", { type: "checkbox", "data-plan-station": id, onchange: (e) => (e.target.checked ? chosen.add(id) : chosen.delete(id), fillLegs()) });
      const up = el("button", { type: "button", class: "secondary small", onclick: () => move(id, -1) }, "↑");
      const down = el("button", { type: "button", class: "secondary small", onclick: () => move(id, 1) }, "↓");
      const li = el("li", { class: "row" }, el("label", { class: "check" }, box, el("span", {})), up, down);
      Object.assign(li, { box, up, down });
      return li;
    },
    (li, id) => {
      li.box.checked = chosen.has(id);
      const name = station(id).name;
      li.querySelector("span").textContent = ` ${name}`;
      li.up.setAttribute("aria-label", `Move ${name} earlier`);
      li.down.setAttribute("aria-label", `Move ${name} later`);
    });
  fillLegs();
}

function fillLegs() {
  if (legsTouched) return;
  const n = order.filter((id) => chosen.has(id)).length;
  $("rotation-legs").value = n ? Array(n).fill("10").join(", ") : "";
}

async function start(e) {
  e.preventDefault();
  const stations = order.filter((id) => chosen.has(id));
  const err = (m) => ($("rotation-error").textContent = m);
  if (!stations.length) return err("Choose at least one station.");
  const legs = $("rotation-legs").value.split(",").map((x) => x.trim()).filter(Boolean).map(parseLength);
  if (!legs.length || legs.some((l) => !Number.isFinite(l))) return err("Write the length of each leg, for example 10, 10, 10 (minutes) or 45s.");
  const warnText = $("rotation-warn").value.trim() || "0";
  const warn = parseLength(warnText);
  if (!Number.isFinite(warn)) return err("Write the warning in minutes, for example 1, or 0 for none.");
  // The server picks a warning of its own for 0; a negative one is none.
  const plan = { stations, legs, warn_ms: warn > 0 ? warn : -1, auto: $("rotation-auto").checked };
  const r = await command("start_rotation", { plan }, $("rotation-start"), $("rotation-error"));
  if (r) legsTouched = false;
}

// The running rotation.

const STATES = { running: "running", paused: "paused", held: "class paused", due: "time's up — waiting", done: "done" };

function renderLive() {
  const rot = ctx.state.rotation;
  const running = rot && !rot.ended;
  $("rotation-form").hidden = !!running;
  $("rotation-live").hidden = !running;
  if (!running) return;
  const plan = rot.plan;
  $("rotation-summary").textContent =
    `${plan.stations.length} station${plan.stations.length === 1 ? "" : "s"}, ${plan.legs.length} leg${plan.legs.length === 1 ? "" : "s"} · ` +
    `${plan.auto ? "groups move on by themselves" : "waits for you at the end of each leg"}` +
    (plan.warn_ms ? ` · warning ${duration(plan.warn_ms)} before the end` : " · no warning");
  const open = ctx.state.status === "open";
  keyed($("rotation-tracks"), rot.tracks, (t) => t.group,
    (t) => {
      const tr = el("tr", { "data-track": t.group });
      const act = (action, extra = {}) => (e) => command("rotate", { action, group: t.group, ...extra }, e.currentTarget, $("rotation-live-error"));
      tr.c = {
        group: el("td", {}),
        station: el("td", {}),
        leg: el("td", {}),
        left: el("td", { class: "countdown-cell" }, el("span", { class: "countdown" }), el("span", { class: "track-state muted" })),
        pause: el("button", { type: "button", class: "secondary small", onclick: act("pause") }, "Pause"),
        resume: el("button", { type: "button", class: "secondary small", onclick: act("resume") }, "Resume"),
        ext1: el("button", { type: "button", class: "secondary small", onclick: act("extend", { ms: 60000 }) }, "+1 min"),
        ext5: el("button", { type: "button", class: "secondary small", onclick: act("extend", { ms: 300000 }) }, "+5 min"),
        adv: el("button", { type: "button", class: "secondary small", onclick: act("advance") }, "Move on"),
      };
      tr.append(tr.c.group, tr.c.station, tr.c.leg, tr.c.left, el("td", { class: "row" }, tr.c.pause, tr.c.resume, tr.c.ext1, tr.c.ext5, tr.c.adv));
      return tr;
    },
    (tr, t) => {
      const g = group(t.group);
      tr.c.group.textContent = g ? g.name : "a group that was removed";
      tr.c.station.textContent = t.done ? "—" : (station(t.station) || { name: "?" }).name;
      tr.c.leg.textContent = t.done ? "finished" : `${t.leg + 1} of ${plan.legs.length}`;
      tr.c.pause.hidden = t.done || t.due || t.paused || !open;
      tr.c.resume.hidden = !t.paused || !open;
      for (const b of [tr.c.ext1, tr.c.ext5]) b.hidden = t.done || !open;
      tr.c.adv.hidden = t.done || !open;
      tr.c.adv.textContent = t.due ? "Move on" : "End leg now";
      // Each group's buttons say which group they act on.
      const name = tr.c.group.textContent;
      for (const [b, what] of [[tr.c.pause, "Pause"], [tr.c.resume, "Resume"], [tr.c.ext1, "+1 min for"], [tr.c.ext5, "+5 min for"], [tr.c.adv, tr.c.adv.textContent + ":"]]) b.setAttribute("aria-label", `${what} ${name}`);
    });
  tick();
}

// tick redraws the countdowns from the server's clock.
function tick() {
  const rot = ctx.state && ctx.state.rotation;
  if (!rot || rot.ended || !ctx.conn) return;
  const now = ctx.conn.serverNow();
  for (const t of rot.tracks) {
    const tr = $("rotation-tracks").querySelector(`tr[data-track="${t.group}"]`);
    if (!tr) continue;
    const l = leg(rot, t, now);
    const cd = tr.querySelector(".countdown");
    cd.textContent = l.state === "done" || l.state === "due" ? "" : clock(l.left);
    cd.dataset.state = l.state;
    tr.dataset.state = l.state;
    tr.classList.toggle("warn", l.warn);
    tr.querySelector(".track-state").textContent = ` ${l.warn ? "ending soon" : STATES[l.state]}`;
  }
}

export function render() {
  if (!ctx.state) return;
  whenIdle($("station-list"), renderStations);
  whenIdle($("rotation-stations"), renderPlan);
  renderLive();
}
