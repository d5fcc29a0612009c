// What the apps share about stations and the rotation: names, and the
// countdown of a leg computed from the server's clock.

export const KINDS = {
  teacher_led: "With the teacher",
  online: "Online practice",
  collab: "Working together",
  independent: "Independent work",
  custom: "Station",
};

export function stationOf(stations, id) {
  return (stations || []).find((s) => s.id === id) || null;
}

export function stationName(stations, id) {
  const s = stationOf(stations, id);
  return s ? s.name : "";
}

// clock shows milliseconds as m:ss (h:mm:ss past an hour), rounding up so
// that the display reaches 0:00 when the leg ends, not a second early.
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// duration words a length of time for people: "1 minute", "30 seconds".
export function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s % 60 === 0) {
    const m = s / 60;
    return `${m} minute${m === 1 ? "" : "s"}`;
  }
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  return clock(ms);
}

// leg tells where a track stands at server time now: its state (running,
// paused, held, due or done), the milliseconds left, and whether the
// warning before the end of the leg applies.
export function leg(rotation, track, now) {
  if (!rotation || !track) return null;
  const legs = rotation.plan.legs.length;
  if (rotation.ended || track.done) return { state: "done", left: 0, warn: false, leg: legs, legs };
  let state = "running";
  let left = Math.max(0, (track.deadline || 0) - now);
  if (track.due) (state = "due"), (left = 0);
  else if (track.held) (state = "held"), (left = Math.max(0, track.left || 0));
  else if (track.paused) (state = "paused"), (left = Math.max(0, track.left || 0));
  const warnMs = rotation.plan.warn_ms || 0;
  const warn = state === "running" && warnMs > 0 && left > 0 && left <= warnMs;
  return { state, left, warn, leg: track.leg, legs };
}

export function trackOf(rotation, group) {
  if (!rotation || !group) return null;
  return rotation.tracks.find((t) => t.group === group) || null;
}

// Target selects: who an announcement or an activity is for. The value is
// "" (everyone), "group:ID", "station:ID" or "student:ID".
export function targetOptions(el, { groups = [], stations = [], students = [] }) {
  const opts = [el("option", { value: "" }, "Everyone")];
  if (groups.length) opts.push(el("optgroup", { label: "A group" }, ...groups.map((g) => el("option", { value: `group:${g.id}` }, g.name))));
  if (stations.length) opts.push(el("optgroup", { label: "Everyone at a station" }, ...stations.map((s) => el("option", { value: `station:${s.id}` }, s.name))));
  if (students.length) opts.push(el("optgroup", { label: "One student" }, ...students.map((s) => el("option", { value: `student:${s.id}` }, s.name))));
  return opts;
}

export function parseTarget(value) {
  if (!value) return {};
  const i = value.indexOf(":");
  return { [value.slice(0, i)]: value.slice(i + 1) };
}

// setOptions replaces a select's options and keeps the chosen value when
// it is still there.
export function setOptions(select, options) {
  const keep = select.value;
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}
