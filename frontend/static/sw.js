// The student page's service worker: it lets the page load again while
// the device is offline, so that answers kept on the device are shown and
// sent once the network is back. Always network first: online, every
// file comes from the server as if there were no worker (a new version
// reaches the device at once); offline, the copy from the last load is
// used. Only the student page and the files it loaded are answered from
// the copy; nothing of the API, the WebSocket or another page is touched.
const CACHE = "classhub-student";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

// The page lists the files it loaded; they are copied now, so that the
// first offline reload already finds them.
self.addEventListener("message", (e) => {
  const d = e.data;
  if (!d || d.type !== "keep" || !Array.isArray(d.urls)) return;
  const urls = d.urls.filter((u) => kept(new URL(u, self.location.origin)));
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(urls)).then(
    () => e.source && e.source.postMessage({ type: "kept", count: urls.length }),
    () => {}, // offline already: the next load tries again
  ));
});

// kept: the student page and its own files (scripts, styles), nothing else.
function kept(url) {
  if (url.origin !== self.location.origin) return false;
  const p = url.pathname;
  return p === "/" || p === "/index.html" || /^\/[a-z0-9-]+\.(js|css)$/.test(p);
}

self.addEventListener("fetch", (e) => {
  const r = e.request;
  const url = new URL(r.url);
  if (r.method !== "GET" || !kept(url) || url.pathname === "/sw.js") return;
  e.respondWith(fetch(r).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      e.waitUntil(caches.open(CACHE).then((c) => c.put(r, copy)));
    }
    return res;
  }, () => caches.open(CACHE).then((c) => c.match(r, { ignoreSearch: true })).then((m) => m || Response.error())));
});
