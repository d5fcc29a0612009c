// REST calls. Every error body is {"error":{"code","message"}}; it is
// thrown as an Error with .code and .status.
export async function api(method, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

// el creates an element: el("li", {class: "x"}, "text", child).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function show(id) {
  for (const s of document.querySelectorAll("[data-screen]")) s.hidden = s.id !== id;
}
