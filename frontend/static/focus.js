// Focus that follows the person's own actions. When the control that has
// the keyboard focus goes away because of what it did — disabled while
// its command runs, hidden for its counterpart (Raise hand, Lower hand),
// replaced by what comes next (Check my answer, then Next problem) — the
// focus does not fall back to the start of the page: it returns to the
// control when it is enabled again, or else goes to the nearest control
// that is still there, preferring one marked data-autofocus (or, with no
// control left, an element marked data-focus-fallback, such as a
// heading). It waits while a region says it is busy (aria-busy). The
// focus is only ever moved when it has been lost, never taken from where
// the person put it: live changes are announced by the page's live
// regions instead. An action that opens another screen puts the focus on
// that screen's field marked data-screen-focus, or its title.

const FOCUSABLE = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
const WAIT_MS = 15000;

function shown(e) {
  return e.isConnected && e.getClientRects().length > 0 && !e.closest("[hidden], [inert]");
}

function usable(e) {
  return shown(e) && !e.disabled;
}

function lost() {
  const a = document.activeElement;
  return !a || a === document.body || a === document.documentElement;
}

let pointer = false; // a click elsewhere moves the focus on purpose

export function followFocus() {
  document.addEventListener("pointerdown", () => {
    pointer = true;
    setTimeout(() => (pointer = false), 0);
  }, true);
  document.addEventListener("focusout", (e) => {
    if (e.relatedTarget || pointer) return;
    const from = e.target;
    if (!(from instanceof Element)) return;
    const chain = [];
    for (let p = from.parentElement; p && p !== document.body; p = p.parentElement) chain.push(p);
    const until = performance.now() + WAIT_MS;
    // The control that takes the focus is next to where the person was
    // working: the page is not scrolled under their eyes.
    const opts = { preventScroll: true };
    const look = () => {
      if (!lost() || document.hidden) return;
      if (usable(from)) return from.focus(opts);
      const busy = chain.some((p) => p.isConnected && p.getAttribute("aria-busy") === "true");
      if ((busy || (from.isConnected && from.disabled && shown(from))) && performance.now() < until) {
        requestAnimationFrame(look);
        return;
      }
      // The action opened another screen: its first field, or its title.
      const screen = chain.find((p) => p.hasAttribute("data-screen"));
      if (screen && !shown(screen)) {
        const now = [...document.querySelectorAll("[data-screen]")].find(shown);
        const t = now && ([...now.querySelectorAll("[data-screen-focus]")].find(usable) || now.querySelector("h1"));
        if (t) {
          if (!t.matches(FOCUSABLE) && !t.hasAttribute("tabindex")) t.tabIndex = -1;
          return t.focus(opts);
        }
      }
      for (const p of chain) {
        if (!shown(p)) continue;
        const t = [...p.querySelectorAll("[data-autofocus]")].find(usable) || [...p.querySelectorAll(FOCUSABLE)].find(usable) ||
          [...p.querySelectorAll("[data-focus-fallback]")].find(shown);
        if (t) return t.focus(opts);
      }
    };
    requestAnimationFrame(look);
  });
}
