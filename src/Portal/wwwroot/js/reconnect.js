// Drives the reconnect dialog (Components/Layout/ReconnectModal.razor) from the states blazor.web.js reports.
// "rejected" means the server no longer knows this circuit (it restarted): reload. After the built-in retries give
// up ("failed"), keep asking the server every few seconds and reconnect, or reload, as soon as it answers.
(() => {
  const modal = document.getElementById("components-reconnect-modal");
  if (!modal) return;
  const states = ["show", "retrying", "failed", "paused", "resume-failed"];
  let polling = null;

  const setState = (state) => {
    for (const s of states) modal.classList.toggle("state-" + s, s === state);
  };

  const retry = async () => {
    try {
      if (await Blazor.reconnect()) return;
      // The server answered but has forgotten this circuit: a fresh page is the only way back.
      if (!(await Blazor.resumeCircuit())) location.reload();
      else modal.close();
    } catch {
      // Still unreachable: the poll below tries again.
    }
  };

  const pollUntilBack = () => {
    if (polling) return;
    polling = setInterval(async () => {
      try {
        const response = await fetch("/healthz", { cache: "no-store" });
        if (response.status < 500) {
          clearInterval(polling);
          polling = null;
          await retry();
        }
      } catch {
        // The server is still down.
      }
    }, 3000);
  };

  modal.addEventListener("components-reconnect-state-changed", (event) => {
    const state = event.detail.state;
    if (state === "show") {
      setState("show");
      if (!modal.open) modal.showModal();
    } else if (state === "hide") {
      if (polling) { clearInterval(polling); polling = null; }
      modal.close();
    } else if (state === "retrying") {
      setState(event.detail.currentAttempt > 1 ? "retrying" : "show");
      const seconds = document.getElementById("components-seconds-to-next-attempt");
      if (seconds) seconds.textContent = event.detail.secondsToNextAttempt ?? "";
    } else if (state === "failed") {
      setState("failed");
      pollUntilBack();
    } else if (state === "paused") {
      setState("paused");
    } else if (state === "resume-failed" || state === "rejected") {
      location.reload();
    }
  });

  document.getElementById("components-reconnect-button")?.addEventListener("click", retry);
  document.getElementById("components-resume-button")?.addEventListener("click", async () => {
    if (!(await Blazor.resumeCircuit())) location.reload();
  });
})();
