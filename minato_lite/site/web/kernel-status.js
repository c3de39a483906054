// minato-lite: tell the visitor what the in-browser Python kernel is doing.
// JupyterLab shows "[*]" while a cell runs and a small status word at the bottom;
// a visitor waiting for Pyodide to boot, or looking at a cell that never finishes,
// deserves a plain sentence and, when something looks stuck, what to do about it.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  // a cell busy this long (seconds) gets the restart hint; tests shorten it
  var STUCK_AFTER = Number(params.get("minato-stuck-after")) || 90;
  var box = document.createElement("div");
  box.id = "minato-kernel-status";
  box.setAttribute("role", "status");
  box.setAttribute("aria-live", "polite");
  var message = document.createElement("span");
  var clock = document.createElement("span");  // ticking seconds: not read out
  clock.setAttribute("aria-hidden", "true");
  box.appendChild(message);
  box.appendChild(clock);
  box.style.cssText =
    "position:fixed;right:16px;bottom:34px;z-index:10000;max-width:420px;" +
    "padding:8px 12px;border-radius:6px;font:13px/1.4 system-ui,sans-serif;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.25);display:none";
  var state = { status: "", since: Date.now(), ready: false, hideAt: 0 };

  function show(kind, text, seconds) {
    box.dataset.kind = kind;
    if (message.textContent !== text) message.textContent = text;
    clock.textContent = seconds === undefined ? "" : " (" + seconds + " s)";
    var colours = {
      progress: "background:#e8f0fe;color:#1a3d7c",
      ready: "background:#e6f4ea;color:#1e4620",
      stuck: "background:#fdecea;color:#611a15",
    };
    box.style.cssText = box.style.cssText.replace(/background:[^;]*;color:[^;]*/, "") +
      ";" + colours[kind];
    box.style.display = "block";
  }

  function hide() {
    box.style.display = "none";
    box.dataset.kind = "";
  }

  function currentStatus(app) {
    var widget = app.shell && app.shell.currentWidget;
    var context = widget && widget.sessionContext;
    if (!context || context.hasNoKernel) return "";
    if (!context.session || !context.session.kernel) return "starting";
    return context.kernelDisplayStatus || context.session.kernel.status || "";
  }

  function tick() {
    var app = window.jupyterapp;
    if (!app) return;
    if (!box.isConnected && document.body) document.body.appendChild(box);
    var status = currentStatus(app);
    if (status !== state.status) {
      state.status = status;
      state.since = Date.now();
    }
    var seconds = Math.round((Date.now() - state.since) / 1000);
    if (!status) {
      hide();
    } else if (["starting", "initializing", "unknown", "restarting", "autorestarting",
      "connecting"]
      .indexOf(status) >= 0) {
      state.ready = false;
      show("progress", "Starting Python in your browser: loading Pyodide, then pandas " +
        "and this site's data…", seconds);
    } else if (status === "busy" && seconds >= STUCK_AFTER) {
      show("stuck", "A cell has been running for more than " + STUCK_AFTER + " s. If it " +
        "should be quick, the kernel may be stuck: use Kernel › Restart Kernel and Run All " +
        "Cells… (the data loads again on restart).", seconds);
    } else if (status === "idle" && !state.ready) {
      state.ready = true;
      state.hideAt = Date.now() + 5000;
      show("ready", "Python is ready: running a cell computes it here, in your browser.");
    } else if (["dead", "terminating", "disconnected"].indexOf(status) >= 0) {
      show("stuck", "The kernel stopped. Use Kernel › Restart Kernel to start it again.");
    } else if (box.dataset.kind === "stuck" && status !== "busy") {
      hide();
    } else if (box.dataset.kind === "ready" && Date.now() > state.hideAt) {
      hide();
    }
  }

  setInterval(tick, 500);
})();
