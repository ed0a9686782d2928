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
};

// Reload links of the reconnect dialog (no inline handlers: the content security policy forbids them).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-reload]")) {
    event.preventDefault();
    location.reload();
  }
});
