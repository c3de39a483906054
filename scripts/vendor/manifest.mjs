// Called by build.sh inside its temporary npm tree, after esbuild has written out/editor.js and
// meta.json and the two published files have been copied to out/. Writes out/LICENSES.txt and
// out/MANIFEST.json. Deterministic: no dates, no absolute paths, sorted keys.
//
//   node manifest.mjs OUT_DIR META_JSON
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [outDir, metaPath] = process.argv.slice(2);
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const pkg = JSON.parse(readFileSync("package.json", "utf8"));

// "node_modules/a/node_modules/@b/c/dist/x.js" -> "node_modules/a/node_modules/@b/c"
function packageDir(path) {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return null;
  const parts = path.slice(at + "node_modules/".length).split("/");
  const n = parts[0].startsWith("@") ? 2 : 1;
  return path.slice(0, at) + "node_modules/" + parts.slice(0, n).join("/");
}

function describe(dir) {
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const locked = lock.packages[dir];
  if (!locked || locked.version !== meta.version) {
    throw new Error(`${dir}: installed ${meta.version}, lock file says ${locked && locked.version}`);
  }
  return { dir, name: meta.name, version: meta.version, license: meta.license };
}

const sortedObject = (entries) =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

// editor.js: the packages esbuild actually put into the output (bytesInOutput > 0)
const meta = JSON.parse(readFileSync(metaPath, "utf8"));
const [output] = Object.values(meta.outputs);
const bundled = new Map();
for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
  const dir = packageDir(input);
  if (dir && bytesInOutput > 0 && !bundled.has(dir)) bundled.set(dir, describe(dir));
}
const esbuild = describe("node_modules/esbuild");

const files = [
  {
    name: "editor.js",
    source: `scripts/vendor/editor-entry.js, bundled by esbuild ${esbuild.version}`,
    packages: [...bundled.values()],
  },
  {
    name: "purify.js",
    source: "dompurify/dist/purify.es.mjs, as published",
    packages: [describe("node_modules/dompurify")],
  },
  {
    name: "marked.js",
    source: "marked/lib/marked.esm.js, as published",
    packages: [describe("node_modules/marked")],
  },
];

// LICENSES.txt: every licence file each shipped package ships, once per package
const shipped = new Map();
for (const file of files) for (const p of file.packages) shipped.set(p.name, p);
const names = [...shipped.keys()].sort();
let licenses =
  "Licences of the third-party code in this folder (see MANIFEST.json for which file holds which\n" +
  "package). Gathered by scripts/vendor/build.sh from the packages as installed by npm.\n";
for (const name of names) {
  const p = shipped.get(name);
  const texts = readdirSync(p.dir)
    .filter((f) => /^(licen[cs]e|copying|notice)/i.test(f))
    .sort();
  if (!texts.length) throw new Error(`${name}: ships no licence file`);
  for (const f of texts) {
    const body = readFileSync(join(p.dir, f), "utf8").replace(/\r\n/g, "\n").trimEnd();
    licenses += `\n${"=".repeat(78)}\n${name} ${p.version} (licence: ${p.license}), its file ${f}\n${"=".repeat(78)}\n\n${body}\n`;
  }
}
writeFileSync(join(outDir, "LICENSES.txt"), licenses);

function digest(name) {
  const data = readFileSync(join(outDir, name));
  return { sha256: createHash("sha256").update(data).digest("hex"), bytes: data.length };
}

const manifest = {
  comment:
    "Built by scripts/vendor/build.sh from scripts/vendor/package.json and package-lock.json; do not edit",
  built_with: { esbuild: esbuild.version },
  direct_dependencies: sortedObject(Object.entries(pkg.dependencies)),
  files: [
    ...files.map((f) => ({
      name: f.name,
      source: f.source,
      packages: sortedObject(f.packages.map((p) => [p.name, p.version])),
      ...digest(f.name),
    })),
    {
      name: "LICENSES.txt",
      source: "the licence files of the packages above",
      packages: sortedObject(names.map((n) => [n, shipped.get(n).version])),
      ...digest("LICENSES.txt"),
    },
  ],
};
for (const f of manifest.files) if (!existsSync(join(outDir, f.name))) throw new Error(f.name);
writeFileSync(join(outDir, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
