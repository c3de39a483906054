// minato-lite: the report's code cells, edited and run in place (progressive enhancement).
//
// Without this script the report reads the same. With it, each code cell the build
// marked (`data-cell`) becomes an editor (CodeMirror, vendored) with a "Run" button, its
// outputs in a region that screen readers follow (aria-live="polite"), and one status line
// for the page: "starting Python…", "ready", "running", "stopped".
//
// Python runs in a Pyodide worker of this page (minato-live-worker.js), started on intent:
// focus on a cell, the pointer resting on one, or "Run". On a device with room (4 or more
// cores, no Save-Data, not a phone) it may also start when the browser is idle after
// paint. A reader who runs nothing on a smaller device starts no worker.
//
// Cells share one namespace. Running a cell first runs the cells above it, in the same
// notebook and in page order, that have not run in this worker (so an analysis step finds
// its imports and parameters). "Stop" ends the worker; the next run starts a fresh one.
// Outputs follow the report's rules: its MIME priority, and HTML through DOMPurify with
// the allow-list the build's sanitizer uses (sent in minato-live.json).

const root = new URL(".", document.baseURI);
const INTENT_MS = 350;
let configPromise = null;
let vendorPromise = null;
let python = null; // {worker, ready, ran: Set, pending: Map}
let queue = Promise.resolve();
let statusLine = null;
let stopButton = null;
let runCounter = 0;
const cells = [];

function loadConfig() {
  if (configPromise === null) {
    configPromise = fetch(new URL("minato-live.json", root)).then((answer) => {
      if (!answer.ok) throw new Error(`minato-live.json: HTTP ${answer.status}`);
      return answer.json();
    });
  }
  return configPromise;
}

function loadVendor(config) {
  if (vendorPromise === null) {
    const load = (name) => import(new URL(config.vendor[name], root).href);
    vendorPromise = Promise.all([load("editor"), load("purify"), load("marked")]).then(
      ([editor, purify, marked]) => ({
        createEditor: editor.createEditor,
        purify: purify.default,
        marked: marked.marked,
      }),
    );
  }
  return vendorPromise;
}

function setStatus(text, state) {
  // minato-warmup.js pauses its downloads for JupyterLab while Python starts here
  document.dispatchEvent(new CustomEvent("minato:live", { detail: state }));
  if (statusLine === null) return;
  statusLine.textContent = text;
  statusLine.dataset.state = state;
  if (stopButton !== null) stopButton.hidden = !(state === "starting" || state === "running");
}

// -- the worker ---------------------------------------------------------------------------

function startPython() {
  if (python !== null) return python;
  setStatus("starting Python…", "starting");
  const worker = new Worker(new URL("minato-live-worker.js", root), { type: "module" });
  const state = { worker, ran: new Set(), pending: new Map(), ready: null };
  state.ready = loadConfig().then(
    (config) =>
      new Promise((resolve, reject) => {
        state.fail = reject;
        worker.onmessage = (event) => {
          const message = event.data;
          if (message.type === "ready") {
            resolve(message);
          } else if (message.type === "result" || message.type === "failed") {
            const waiter = state.pending.get(message.id);
            if (waiter) {
              state.pending.delete(message.id);
              if (message.type === "result") waiter.resolve(message.result);
              else waiter.reject(new Error(message.error));
            } else if (message.type === "failed") {
              reject(new Error(message.error));
            }
          }
        };
        worker.onerror = (event) => reject(new Error(event.message || "the Python worker failed"));
        const pyodideUrl = new URL(config.pyodide.url, root);
        worker.postMessage({
          type: "boot",
          config: {
            pyodideUrl: pyodideUrl.href,
            indexURL: new URL(".", pyodideUrl).href,
            packages: config.pyodide.packages,
            files: config.files.map((path) => ({ path, url: new URL(`files/${path}`, root).href })),
            shellUrl: new URL(config.shell, root).href,
            startup: config.startup,
            maxOutput: config.limits.output_bytes,
          },
        });
      }),
  );
  state.ready.then(
    () => {
      if (python === state) setStatus("ready", "ready");
    },
    (error) => {
      if (python === state) stopPython(`stopped: Python could not start (${error.message})`);
    },
  );
  python = state;
  return state;
}

function stopPython(why) {
  if (python === null) return;
  const state = python;
  python = null;
  state.worker.terminate();
  for (const waiter of state.pending.values()) waiter.reject(new Error(why));
  state.pending.clear();
  if (state.fail) state.fail(new Error(why));
  for (const cell of cells) cell.ran = false;
  setStatus(why, "stopped");
}

function runInWorker(state, cell, seconds) {
  const id = ++runCounter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (python === state) stopPython(`stopped: the cell ran longer than ${seconds} s`);
    }, seconds * 1000);
    state.pending.set(id, {
      resolve: (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    state.worker.postMessage({ type: "run", id, source: cell.source(), count: cell.count });
  });
}

// -- running cells ------------------------------------------------------------------------

function run(target) {
  queue = queue
    .then(() => runWithAbove(target))
    .catch(() => {})
    .then(() => {
      // runs answered so far: what a test (or a script of the page) can wait on
      const done = Number(document.documentElement.dataset.minatoRuns || 0) + 1;
      document.documentElement.dataset.minatoRuns = String(done);
    });
  return queue;
}

async function runWithAbove(target) {
  const config = await loadConfig();
  const state = startPython();
  const chain = cells.filter(
    (cell) => cell.group === target.group && cell.order < target.order && !cell.ran,
  );
  chain.push(target);
  for (const cell of chain) cell.showWaiting();
  try {
    await state.ready;
  } catch (error) {
    for (const cell of chain) cell.showError("Stopped", error.message);
    return;
  }
  for (const cell of chain) {
    if (python !== state) return;
    setStatus("running", "running");
    let result;
    try {
      result = await runInWorker(state, cell, config.limits.seconds);
    } catch (error) {
      cell.showError("Stopped", error.message);
      for (const later of chain.slice(chain.indexOf(cell) + 1)) later.clearWaiting();
      return;
    }
    cell.ran = true;
    cell.show(result.outputs, config);
    if (result.error && cell !== target) {
      for (const later of chain.slice(chain.indexOf(cell) + 1)) later.clearWaiting();
      break;
    }
  }
  if (python === state) setStatus("ready", "ready");
}

// -- outputs, by the report's rules -------------------------------------------------------

const IMAGE_MAGIC = { "image/png": "iVBORw0KGgo", "image/jpeg": "/9j/", "image/gif": "R0lGOD" };
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function joined(value) {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

function sanitizer(vendor, config) {
  const allowed = config.sanitize;
  const purify = vendor.purify;
  if (!purify._minatoHooked) {
    purify.addHook("uponSanitizeAttribute", (node, data) => {
      const tag = node.nodeName.toLowerCase();
      const names = allowed.attributes[tag] || [];
      if (!names.includes(data.attrName)) {
        data.keepAttr = false;
        return;
      }
      const value = data.attrValue.trim();
      if (data.attrName === "style") {
        data.keepAttr = /^text-align\s*:\s*(left|right|center|justify|start|end)$/i.test(value);
      } else if (data.attrName === "href") {
        data.keepAttr = /^(https?:|#|[^:]*$)/i.test(value);
      } else if (data.attrName === "src") {
        const match = /^data:(image\/(?:png|jpeg|gif));base64,/.exec(value);
        data.keepAttr = match !== null && allowed.image_types.includes(match[1]);
      }
    });
    purify.addHook("afterSanitizeAttributes", (node) => {
      if (node.nodeName === "A") node.setAttribute("rel", "noopener noreferrer");
    });
    purify._minatoHooked = true;
  }
  return (html) =>
    purify.sanitize(html, {
      ALLOWED_TAGS: allowed.tags,
      ALLOWED_ATTR: [...new Set(Object.values(allowed.attributes).flat())],
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
    });
}

function renderBundle(data, vendor, config, clean, cellLabel) {
  for (const mime of config.mime_priority) {
    if (!(mime in data)) continue;
    const value = joined(data[mime]);
    if (mime === "text/html" || mime === "text/markdown") {
      const html = clean(mime === "text/markdown" ? vendor.marked.parse(value) : value);
      if (!html.trim()) continue;
      const box = element("div", mime === "text/html" ? "output-html" : "output-markdown");
      box.innerHTML = html; // cleaned by DOMPurify with the report's allow-list
      for (const table of box.querySelectorAll("table")) {
        const scroll = element("div", "table-scroll");
        table.replaceWith(scroll);
        scroll.append(table);
      }
      return box;
    }
    if (mime in IMAGE_MAGIC) {
      const payload = value.replace(/\s+/g, "");
      if (!payload.startsWith(IMAGE_MAGIC[mime]) || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload)) continue;
      const figure = element("div", "output-image");
      const image = element("img");
      image.src = `data:${mime};base64,${payload}`;
      image.alt = `Chart drawn by ${cellLabel}`;
      figure.append(image);
      return figure;
    }
    if (mime === "image/svg+xml") {
      const figure = element("div", "output-image");
      const image = element("img");
      image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(value)))}`;
      image.alt = `Picture drawn by ${cellLabel}`;
      figure.append(image);
      return figure;
    }
    if (mime === "application/json") {
      return element("pre", "output-json", JSON.stringify(data[mime], null, 1));
    }
    return element("pre", "output-text", value.replace(ANSI, ""));
  }
  return element("p", "note", `An output of types ${Object.keys(data).join(", ")} (not shown here).`);
}

function renderOutputs(outputs, vendor, config, cellLabel) {
  const clean = sanitizer(vendor, config);
  const fragment = document.createDocumentFragment();
  for (const output of outputs) {
    if (output.output_type === "stream") {
      fragment.append(element("pre", `stream ${output.name}`, joined(output.text).replace(ANSI, "")));
    } else if (output.output_type === "error") {
      const box = element("div", "output-error");
      box.append(element("p", "", `${output.ename}: ${output.evalue}`));
      const trace = (output.traceback || []).map((line) => String(line).replace(ANSI, ""));
      if (trace.length) box.append(element("pre", "traceback", trace.join("\n")));
      fragment.append(box);
    } else if (output.data) {
      fragment.append(renderBundle(output.data, vendor, config, clean, cellLabel));
    }
  }
  return fragment;
}

// -- the cells ----------------------------------------------------------------------------

function sectionName(node) {
  const section = node.closest("section");
  const heading = section && section.querySelector("h2");
  return heading ? heading.textContent.trim() : "the report";
}

function makeCell(node, order, config, vendor) {
  const [group] = node.dataset.cell.split("-");
  const pre = node.querySelector("pre.source");
  const text = pre.textContent;
  const number = cells.filter((cell) => cell.group === group).length + 1;
  const label = `Cell ${number} of ${sectionName(node)}`;
  const holder = element("div", "live-editor");
  const toolbar = element("div", "live-toolbar");
  const button = element("button", "live-run", `Run cell ${number}`);
  button.type = "button";
  button.setAttribute("aria-label", `Run cell ${number} of ${sectionName(node)}`);
  toolbar.append(button);
  let outputs = node.querySelector(".outputs");
  if (outputs === null) {
    outputs = element("div", "outputs");
    node.append(outputs);
  }
  outputs.setAttribute("aria-live", "polite");
  outputs.setAttribute("aria-label", `Output of ${label.toLowerCase()}`);
  const cell = {
    node, group, order, count: number, ran: false, label,
    source: () => editor.getDoc(),
    showWaiting() {
      outputs.setAttribute("aria-busy", "true");
      node.classList.add("live-waiting");
    },
    clearWaiting() {
      outputs.removeAttribute("aria-busy");
      node.classList.remove("live-waiting");
    },
    show(list, cfg) {
      this.clearWaiting();
      outputs.replaceChildren(renderOutputs(list, vendor, cfg, label.toLowerCase()));
    },
    showError(name, text) {
      this.clearWaiting();
      const box = element("div", "output-error");
      box.append(element("p", "", `${name}: ${text}`));
      outputs.replaceChildren(box);
    },
  };
  pre.replaceWith(holder);
  holder.after(toolbar);
  const editor = vendor.createEditor({
    parent: holder,
    doc: text,
    label,
    onRun: () => run(cell),
  });
  button.addEventListener("click", () => run(cell));
  return cell;
}

function watchIntent(node) {
  let timer = null;
  node.addEventListener("focusin", () => startPython());
  node.addEventListener("pointerenter", () => {
    timer = setTimeout(() => startPython(), INTENT_MS);
  });
  node.addEventListener("pointerleave", () => clearTimeout(timer));
}

function roomy() {
  const connection = navigator.connection || {};
  const phone = matchMedia("(pointer: coarse)").matches && matchMedia("(max-width: 48rem)").matches;
  return (navigator.hardwareConcurrency || 0) >= 4 && !connection.saveData && !phone;
}

function statusBar() {
  const bar = element("div", "live-bar");
  statusLine = element("p", "live-status", "Python not started: edit a cell and run it here.");
  statusLine.setAttribute("role", "status");
  statusLine.dataset.state = "idle";
  stopButton = element("button", "live-stop", "Stop");
  stopButton.type = "button";
  stopButton.hidden = true;
  stopButton.addEventListener("click", () => stopPython("stopped"));
  bar.append(statusLine, stopButton);
  return bar;
}

async function enhance() {
  const nodes = [...document.querySelectorAll("[data-cell]")].filter((node) =>
    node.querySelector("pre.source"),
  );
  if (!nodes.length || typeof Worker === "undefined") return;
  const config = await loadConfig();
  const vendor = await loadVendor(config);
  const main = document.querySelector("main") || document.body;
  main.prepend(statusBar());
  nodes.forEach((node, order) => {
    cells.push(makeCell(node, order, config, vendor));
    watchIntent(node);
  });
  document.documentElement.dataset.minatoLive = "ready";
  if (roomy()) {
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 1000));
    idle(() => startPython(), { timeout: 5000 });
  }
}

enhance().catch((error) => {
  document.documentElement.dataset.minatoLive = "failed";
  console.warn("minato-lite live cells:", error);
});
