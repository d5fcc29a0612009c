// Charts drawn as plain SVG: the report's heatmap of mastery and its
// bars, and a profile's mastery over time. Every mark carries its number
// as text or as a <title>, so that colour is never all there is.

const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const title = (text) => svg("title", {}, text);

// shade is the colour of a mastery from 0 to 1: light blue to dark blue,
// with the colour of text that reads on it (contrast over 4.5:1).
export function shade(p) {
  const lo = [239, 243, 255];
  const hi = [8, 69, 148];
  const c = lo.map((v, i) => Math.round(v + (hi[i] - v) * p));
  return { fill: `rgb(${c.join(",")})`, text: p > 0.5 ? "#fff" : "#1b1f24" };
}

// Okabe and Ito's colours, told apart with every common colour blindness.
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];

// wrap cuts a label into lines of at most n characters, at most max lines.
export function wrap(text, n, max) {
  const lines = [];
  let cur = "";
  for (const w of String(text).split(/\s+/)) {
    if (cur && (cur + " " + w).length > n) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  if (lines.length > max) {
    lines.length = max;
    lines[max - 1] = lines[max - 1].slice(0, n - 1) + "…";
  }
  return lines.map((l) => (l.length > n ? l.slice(0, n - 1) + "…" : l));
}

const pct = (p) => `${Math.round(p * 100)}%`;

// heatmap draws students (rows) by skills (columns), each cell in two:
// the mastery before the class and after it. cell(row, col) is
// {before, after} (before null: the class brought the first evidence),
// or null when the student did not answer on the skill.
export function heatmap({ rows, cols, cell, label }) {
  const nameW = 170, cellW = 60, cellH = 34, gap = 12, lineH = 17;
  const headLines = Math.max(1, ...cols.map((c) => wrap(c.name, 15, 3).length));
  const top = headLines * lineH + 26;
  const width = nameW + cols.length * (2 * cellW + gap);
  const height = top + rows.length * (cellH + 4) + 4;
  const root = svg("svg", { class: "heatmap", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  cols.forEach((c, j) => {
    const x = nameW + j * (2 * cellW + gap);
    const head = svg("text", { x: x + cellW, y: lineH - 3, "text-anchor": "middle", class: "hm-skill", "data-skill": c.id }, title(c.name));
    wrap(c.name, 15, 3).forEach((line, i) => head.append(svg("tspan", { x: x + cellW, dy: i ? lineH : 0 }, line)));
    root.append(head,
      svg("text", { x: x + cellW / 2, y: top - 6, "text-anchor": "middle", class: "hm-sub" }, "before"),
      svg("text", { x: x + cellW * 1.5, y: top - 6, "text-anchor": "middle", class: "hm-sub" }, "after"));
  });
  rows.forEach((r, i) => {
    const y = top + i * (cellH + 4);
    const g = svg("g", { class: "hm-row", "data-student": r.id });
    g.append(svg("text", { x: nameW - 10, y: y + cellH / 2 + 6, "text-anchor": "end", class: "hm-name" }, wrap(r.name, 18, 1)[0], title(r.name)));
    cols.forEach((c, j) => {
      const x = nameW + j * (2 * cellW + gap);
      const v = cell(r, c);
      if (!v) {
        g.append(svg("rect", { x, y, width: 2 * cellW - 2, height: cellH, rx: 4, class: "hm-none" },
          title(`${r.name}, ${c.name}: not practised in this class`)),
        svg("text", { x: x + cellW, y: y + cellH / 2 + 6, "text-anchor": "middle", class: "hm-none-text" }, "—"));
        return;
      }
      const cellG = svg("g", { class: "hm-cell", "data-student": r.id, "data-skill": c.id, "data-after": v.after.toFixed(3), "data-before": v.before === null ? "" : v.before.toFixed(3) });
      const b = v.before === null ? null : shade(v.before);
      cellG.append(
        svg("rect", { x, y, width: cellW - 2, height: cellH, rx: 4, fill: b ? b.fill : "#f4f5f7", class: b ? "" : "hm-new" },
          title(`${r.name}, ${c.name}, before: ${v.before === null ? "no evidence yet" : pct(v.before)}`)),
        svg("text", { x: x + cellW / 2 - 1, y: y + cellH / 2 + 6, "text-anchor": "middle", fill: b ? b.text : "#5b6470", class: "hm-val" }, v.before === null ? "new" : pct(v.before)),
      );
      const a = shade(v.after);
      cellG.append(
        svg("rect", { x: x + cellW, y, width: cellW - 2, height: cellH, rx: 4, fill: a.fill },
          title(`${r.name}, ${c.name}, after: ${pct(v.after)} (${v.correct} of ${v.attempts} right)`)),
        svg("text", { x: x + cellW * 1.5 - 1, y: y + cellH / 2 + 6, "text-anchor": "middle", fill: a.text, class: "hm-val" }, pct(v.after)),
      );
      g.append(cellG);
    });
    root.append(g);
  });
  return root;
}

// legend is the colour scale of mastery, from 0% to 100%.
export function legend() {
  const w = 240, h = 14, tw = 420;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((p) => svg("stop", { offset: pct(p), "stop-color": shade(p).fill }));
  return svg("svg", { class: "hm-legend", width: tw, height: h + 24, viewBox: `0 0 ${tw} ${h + 24}`, "aria-hidden": "true" },
    svg("defs", {}, svg("linearGradient", { id: "hm-scale" }, stops)),
    svg("text", { x: 0, y: h - 1, class: "hm-sub" }, "0%"),
    svg("rect", { x: 30, y: 0, width: w, height: h, rx: 3, fill: "url(#hm-scale)", stroke: "#d9dde3" }),
    svg("text", { x: w + 36, y: h - 1, class: "hm-sub" }, "100%"),
    svg("text", { x: 30, y: h + 18, class: "hm-sub" }, "mastery: the chance the student knows the skill"));
}

// stacked draws one bar per row made of parts, each part {key, name, value,
// text}, against a shared scale; colours come from keys.
export function stacked({ rows, colour, label, unit }) {
  const nameW = 170, barW = 620, rowH = 30;
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const height = rows.length * (rowH + 6) + 6;
  const root = svg("svg", { class: "stacked", width: nameW + barW + 110, height, viewBox: `0 0 ${nameW + barW + 110} ${height}`, role: "img", "aria-label": label });
  rows.forEach((r, i) => {
    const y = 4 + i * (rowH + 6);
    const g = svg("g", { "data-student": r.id });
    g.append(svg("text", { x: nameW - 10, y: y + rowH / 2 + 6, "text-anchor": "end", class: "hm-name" }, wrap(r.name, 18, 1)[0], title(r.name)));
    let x = nameW;
    let total = 0;
    for (const p of r.parts) {
      const w = (p.value / max) * barW;
      g.append(svg("rect", { x, y, width: Math.max(w - 1, 1), height: rowH, fill: colour(p.key), "data-station": p.key }, title(`${r.name} at ${p.name}: ${p.text}`)));
      if (w > 64) g.append(svg("text", { x: x + 6, y: y + rowH / 2 + 5, class: "bar-in", fill: inkOn(colour(p.key)) }, p.text));
      x += w;
      total += p.value;
    }
    g.append(svg("text", { x: x + 8, y: y + rowH / 2 + 5, class: "hm-sub" }, r.parts.length ? unit(total) : "none"));
    root.append(g);
  });
  return root;
}

// inkOn is black or white, whichever reads on the colour hex.
export function inkOn(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#000" : "#fff";
}

// bars draws one labelled horizontal bar per row {id, label, value, text};
// a row without a value shows its text alone.
export function bars({ rows, label }) {
  const labelW = 330, barW = 420, rowH = 26;
  const max = Math.max(1, ...rows.map((r) => r.value || 0));
  const height = rows.length * (rowH + 6) + 6;
  const root = svg("svg", { class: "bars", width: labelW + barW + 120, height, viewBox: `0 0 ${labelW + barW + 120} ${height}`, role: "img", "aria-label": label });
  rows.forEach((r, i) => {
    const y = 4 + i * (rowH + 6);
    const g = svg("g", { "data-row": r.id });
    g.append(svg("text", { x: labelW - 10, y: y + rowH / 2 + 6, "text-anchor": "end", class: "hm-name" }, wrap(r.label, 40, 1)[0], title(r.label)));
    const w = r.value ? Math.max((r.value / max) * barW, 2) : 0;
    if (w) g.append(svg("rect", { x: labelW, y, width: w, height: rowH, rx: 3, fill: r.colour || PALETTE[0] }, title(`${r.label}: ${r.text}`)));
    g.append(svg("text", { x: labelW + w + 8, y: y + rowH / 2 + 5, class: r.value ? "hm-sub" : "hm-sub none" }, r.text));
    root.append(g);
  });
  return root;
}

// line draws a skill's mastery over time: points {at, p}, oldest first.
export function line({ points, label, width = 260, height = 56 }) {
  const pad = 6;
  const t0 = points[0].at, t1 = points[points.length - 1].at;
  const x = (at) => (t1 === t0 ? width / 2 : pad + ((at - t0) / (t1 - t0)) * (width - 2 * pad));
  const y = (p) => height - pad - p * (height - 2 * pad);
  const root = svg("svg", { class: "spark", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  root.append(svg("line", { x1: 0, x2: width, y1: y(0.5), y2: y(0.5), class: "spark-mid" }));
  if (points.length > 1) root.append(svg("polyline", { points: points.map((q) => `${x(q.at).toFixed(1)},${y(q.p).toFixed(1)}`).join(" "), class: "spark-line" }));
  for (const q of points) root.append(svg("circle", { cx: x(q.at), cy: y(q.p), r: 3.5, class: "spark-dot" }, title(`${new Date(q.at).toLocaleDateString()}: ${pct(q.p)}`)));
  return root;
}
