// minato-lite sandbox worker: one Deno process, one Pyodide, exactly one job.
//
// Why one job per process: a fresh process is the only state reset that cannot be
// undone by the code it runs (Python modules, files in the in-memory FS, JavaScript
// globals all die with it). The host boots spares ahead of time to hide the cost.
//
// Protocol: JSON lines. stdin: a boot message, then maybe a "warm" message, then one job
// message. stdout: "ready" (or "boot_error"), "warmed" after a "warm", then one "result"
// carrying the job's nonce. A "warm" imports what a job may need but most do not
// (matplotlib): the host sends it only while no job is waiting for this worker. Nothing else ever
// writes to stdout: console output goes to stderr, Pyodide's low-level output is
// collected into the result. Code and data arrive only as data (JSON, files).

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// bound now: code run later may replace Deno.stdout's methods or JSON, not these
const writeStdout = Deno.stdout.writeSync.bind(Deno.stdout);
const writeStderr = Deno.stderr.writeSync.bind(Deno.stderr);
const stringify = JSON.stringify;
const parse = JSON.parse;

function send(message) {
  const bytes = encoder.encode(stringify(message) + "\n");
  let offset = 0;
  while (offset < bytes.length) offset += writeStdout(bytes.subarray(offset));
}

function log(...parts) {
  try {
    writeStderr(encoder.encode(parts.map(String).join(" ") + "\n"));
  } catch (_) {
    // stderr closed: nothing useful left to do with a log line
  }
}
for (const name of ["log", "info", "debug", "warn", "error", "trace"]) console[name] = log;

const reader = Deno.stdin.readable.getReader();
let pending = "";
async function readMessage() {
  for (;;) {
    const end = pending.indexOf("\n");
    if (end >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      return parse(line);
    }
    const { value, done } = await reader.read();
    if (done) return null;
    pending += decoder.decode(value, { stream: true });
  }
}

function describe(error) {
  const text = error && error.message ? `${error.name || "Error"}: ${error.message}` : String(error);
  return text.split("\n")[0].slice(0, 500);
}

// Low-level output (os.write(1), C extensions) bypasses sys.stdout: keep it, capped.
// Past the cap the write fails (an OSError in Python) and the result says why.
const lowLevel = { collecting: false, size: 0, limit: 0, items: [], overflow: false };
function lowLevelOutput(name) {
  return (text) => {
    if (!lowLevel.collecting) return;
    lowLevel.size += text.length + 1;
    if (lowLevel.size > lowLevel.limit) {
      lowLevel.overflow = true;
      throw new Error("output limit exceeded");
    }
    lowLevel.items.push([name, text + "\n"]);
  };
}

function copyTree(py, from, to) {
  py.FS.mkdirTree(to);
  for (const entry of Deno.readDirSync(from)) {
    if (entry.isSymlink) continue;
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) copyTree(py, source, target);
    else if (entry.isFile) py.FS.writeFile(target, Deno.readFileSync(source));
  }
}

async function boot(config) {
  const started = performance.now();
  const { loadPyodide } = await import(config.module);
  const py = await loadPyodide({
    indexURL: config.index,
    stdout: lowLevelOutput("stdout"),
    stderr: lowLevelOutput("stderr"),
    env: { HOME: "/home/pyodide", MPLBACKEND: config.mplbackend },
  });
  const problems = [];
  if (config.preload.length) {
    await py.loadPackage(config.preload, {
      messageCallback: () => {},
      errorCallback: (message) => problems.push(message),
    });
  }
  const namespace = py.globals.get("dict")();
  py.runPython(config.executor, { globals: namespace, filename: "<minato-sandbox>" });
  namespace.get("prepare")(py.toPy(config.preload), config.fontlist ?? null);
  const seconds = (performance.now() - started) / 1000;
  return { py, runJob: namespace.get("run_job"), warm: namespace.get("warm"), problems, seconds };
}

async function runJob(sandbox, job) {
  const { py, runJob } = sandbox;
  copyTree(py, job.files, job.drive);
  const quiet = { messageCallback: () => {}, errorCallback: () => {} };
  if (job.packages.length) await py.loadPackage(job.packages, quiet);
  for (const cell of job.cells) {
    // magics and shell lines (`%matplotlib inline`) would make the import scan fail
    const code = cell.split("\n").filter((line) => !/^\s*[%!]/.test(line)).join("\n");
    try {
      await py.loadPackagesFromImports(code, quiet);
    } catch (_) {
      // unparsable code or an unknown import: the cell itself reports it, in Python terms
    }
  }
  lowLevel.limit = job.max_output;
  lowLevel.collecting = true;
  const reply = await runJob(
    stringify({ cells: job.cells, max_output: job.max_output, drive: job.drive, startup: job.startup }),
  );
  lowLevel.collecting = false;
  const result = parse(reply);
  for (const [name, text] of lowLevel.items) result.outputs.push({ output_type: "stream", name, text });
  if (lowLevel.overflow) {
    result.error = {
      output_type: "error",
      ename: "OutputLimitExceeded",
      evalue: `the code wrote more than the ${job.max_output.toLocaleString("en-US")} byte output limit; it was stopped`,
      traceback: [],
    };
    result.outputs = result.outputs.filter((output) => output.output_type !== "error");
    result.outputs.push(result.error);
  }
  return result;
}

async function main() {
  const config = await readMessage();
  if (config === null) return;
  let sandbox;
  try {
    sandbox = await boot(config);
  } catch (error) {
    send({ type: "boot_error", message: describe(error) });
    return;
  }
  send({ type: "ready", seconds: sandbox.seconds, problems: sandbox.problems });
  let job = await readMessage();
  if (job !== null && job.type === "warm") {
    let fontlist = null;
    try {
      fontlist = sandbox.warm(sandbox.py.toPy(config.preload)) ?? null;
    } catch (error) {
      log("warming failed:", describe(error));  // the job imports what it needs itself
    }
    send({ type: "warmed", fontlist });
    job = await readMessage();
  }
  if (job === null) return;
  const nonce = job.nonce;
  try {
    const result = await runJob(sandbox, job);
    send({ type: "result", nonce, ...result });
  } catch (error) {
    send({ type: "result", nonce, fatal: describe(error) });
  }
}

try {
  await main();
} catch (error) {
  log("worker failed:", describe(error));
}
Deno.exit(0);
