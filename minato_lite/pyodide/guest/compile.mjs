// minato-lite bytecode compiler: the distribution's own Pyodide, in Deno, compiles its
// standard library zip and wheels (see minato_lite/pyodide/bytecode.py).
//
// stdin: one JSON message {module, index, guest, jobs: [{input, output, install_dir,
// wheel, retag}]}; paths are absolute, inside the distribution folder, the only place
// this process may read or write. Each job reads `input` and, when anything compiles,
// writes `output` (a new file: never an existing one, which may be a hard link into a
// cache). stdout: one JSON line, {identity, results} or {error}; the rest goes to stderr.

const encoder = new TextEncoder();
const log = (...parts) => Deno.stderr.writeSync(encoder.encode(parts.map(String).join(" ") + "\n"));

function describe(error) {
  // a Python exception's message is its traceback: its last line names it
  const lines = String(error?.message ?? error).split("\n").filter((line) => line.trim());
  const text = error?.name === "PythonError" ? lines.at(-1) : `${error?.name ?? "Error"}: ${lines[0]}`;
  return (text ?? String(error)).slice(0, 300);
}

function reply(message) {
  const bytes = encoder.encode(JSON.stringify(message) + "\n");
  for (let offset = 0; offset < bytes.length; ) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

async function main() {
  const config = JSON.parse(await new Response(Deno.stdin.readable).text());
  const { loadPyodide } = await import(config.module);
  const py = await loadPyodide({
    indexURL: config.index,
    // a fixed hash seed: set and dict orders inside the compiler never vary between runs
    env: { HOME: "/home/pyodide", PYTHONHASHSEED: "0" },
    stdout: log,
    stderr: log,
  });
  const guest = py.globals.get("dict")();
  py.runPython(config.guest, { globals: guest, filename: "compile_guest.py" });
  const identity = JSON.parse(guest.get("identity")());
  const compileArchive = guest.get("compile_archive");
  const installDir = guest.get("install_dir");

  const results = [];
  for (const job of config.jobs) {
    const started = performance.now();
    py.FS.writeFile("/tmp/input", Deno.readFileSync(job.input));
    const prefix = job.wheel ? installDir(job.install_dir ?? null) + "/" : identity.stdlib_zip + "/";
    const summary = JSON.parse(compileArchive("/tmp/input", "/tmp/output", prefix, job.wheel, job.retag));
    if (summary.written) {
      Deno.writeFileSync(job.output, py.FS.readFile("/tmp/output"), { createNew: true });
      py.FS.unlink("/tmp/output");
    }
    py.FS.unlink("/tmp/input");
    const seconds = (performance.now() - started) / 1000;
    log(`${job.input.split("/").pop()}: ${summary.compiled} modules in ${seconds.toFixed(1)} s`);
    results.push({ input: job.input, ...summary, seconds });
  }
  return { identity, results };
}

try {
  reply(await main());
  Deno.exit(0);
} catch (error) {
  reply({ error: describe(error) });
  Deno.exit(1);
}
