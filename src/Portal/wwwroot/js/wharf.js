// Small helpers the portal calls from Blazor.
window.wharf = {
  async copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Clipboard access needs a secure context; fall back to a selection copy.
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      const done = document.execCommand("copy");
      area.remove();
      return done;
    }
  },
  // The theme chosen with the toggle, kept in this browser ("dark", "light" or nothing: follow the browser).
  theme: {
    get() {
      try { return localStorage.getItem("wharf.theme"); } catch { return null; }
    },
    set(value) {
      try { localStorage.setItem("wharf.theme", value); } catch { /* storage off: the choice lasts this page */ }
    },
  },
};
