// minato-lite: the report's live cells run here, in a Pyodide worker of the report page.
//
// It loads what the kernel's startup loads (the page sends minato-live.json, resolved):
// the site's Pyodide with the startup's packages, the site's data/ and minato/ files under
// /drive, the cell runner the build-time sandbox also uses (minato-shell.py), and then the
// site's one startup module, so `df`, `frames`, `data` and `minato` exist before a cell runs.
// No JupyterLab, no IPython, no service worker. Cells share one namespace; the page sends
// them one at a time, in page order, and ends the worker to stop a runaway one.

const DRIVE = "/drive";
let session = null;

function post(message) {
  self.postMessage(message);
}

function dirname(path) {
  return path.slice(0, path.lastIndexOf("/"));
}

async function fetchBytes(url) {
  const answer = await fetch(url, { credentials: "same-origin" });
  if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
  return new Uint8Array(await answer.arrayBuffer());
}

async function boot(config) {
  const started = performance.now();
  const { loadPyodide } = await import(config.pyodideUrl);
  const [pyodide, files, shell] = await Promise.all([
    loadPyodide({
      indexURL: config.indexURL,
      packages: config.packages,
      stdout: () => {},
      stderr: () => {},
    }),
    Promise.all(config.files.map(async (file) => [file.path, await fetchBytes(file.url)])),
    fetchBytes(config.shellUrl),
  ]);
  for (const [path, bytes] of files) {
    pyodide.FS.mkdirTree(dirname(`${DRIVE}/${path}`));
    pyodide.FS.writeFile(`${DRIVE}/${path}`, bytes);
  }
  pyodide.FS.mkdirTree("/home/pyodide/minato_live");
  pyodide.FS.writeFile("/home/pyodide/minato_live/minato_shell.py", shell);
  // imported from its path: no folder of ours on sys.path for the user's imports to search
  const load = pyodide.runPython(`
import importlib.util as _u
_spec = _u.spec_from_file_location("minato_shell", "/home/pyodide/minato_live/minato_shell.py")
_shell = _u.module_from_spec(_spec)
_spec.loader.exec_module(_shell)
_shell
`);
  load.prepare([]);
  session = { pyodide, shell: load, namespace: load.Session(config.maxOutput, DRIVE) };
  const startup = JSON.parse(await session.namespace.start(`${DRIVE}/${config.startup}`));
  return { startup, seconds: (performance.now() - started) / 1000 };
}

async function run(cell) {
  const { pyodide, namespace } = session;
  // the packages a cell imports, as the kernel does; drawing code gets matplotlib too
  await pyodide.loadPackagesFromImports(cell.source);
  if (/\b(plt|plot|matplotlib|hist|figure)\b/.test(cell.source)) {
    await pyodide.loadPackage("matplotlib");
  }
  return JSON.parse(await namespace.run_cell(cell.source, cell.count));
}

self.onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "boot") {
      post({ type: "ready", ...(await boot(message.config)) });
    } else if (message.type === "run") {
      if (session === null) throw new Error("Python is not started");
      post({ type: "result", id: message.id, result: await run(message) });
    }
  } catch (error) {
    post({ type: "failed", id: message.id, error: String(error && error.message ? error.message : error) });
  }
};
