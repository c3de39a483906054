#!/usr/bin/env bash
# Rebuild the committed browser modules in minato_lite/site/web/vendor/ from the exact npm
# packages pinned in scripts/vendor/package.json and package-lock.json:
#
#   editor.js     CodeMirror 6 + Python, bundled by esbuild from editor-entry.js
#   purify.js     dompurify's dist/purify.es.mjs, as published
#   marked.js     marked's lib/marked.esm.js, as published
#   LICENSES.txt  the licence files of every package in the three
#   MANIFEST.json each file's packages and versions, sha256 and size
#
# Users never run this: the built files are committed and shipped in the wheel. Needs Node and
# npm, and the npm registry. The output is byte-for-byte reproducible (run it twice, or --check).
#
#   scripts/vendor/build.sh                 rebuild into minato_lite/site/web/vendor/
#   scripts/vendor/build.sh --check         rebuild in a temporary folder; fail if it differs
#   scripts/vendor/build.sh --update-lock   after editing package.json: `npm install` instead of
#                                           `npm ci`, write the new package-lock.json, rebuild
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="$repo/minato_lite/site/web/vendor"
mode="${1:-build}"
case "$mode" in
  build | --check | --update-lock) ;;
  *) echo "usage: $0 [--check | --update-lock]" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/.npmrc" "$here/editor-entry.js" "$here/manifest.mjs" "$work/"
cd "$work"

# --ignore-scripts: no install script runs (esbuild's only checks its binary, which comes
# from the @esbuild/<platform> package; the wrapper in node_modules/.bin finds it without it)
if [ "$mode" = --update-lock ]; then
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json "$here/package-lock.json"
else
  cp "$here/package-lock.json" .
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

mkdir out
./node_modules/.bin/esbuild editor-entry.js \
  --bundle --format=esm --platform=browser --target=es2020 \
  --minify --legal-comments=eof --charset=ascii \
  --metafile=meta.json --log-level=warning --outfile=out/editor.js
cp node_modules/dompurify/dist/purify.es.mjs out/purify.js
cp node_modules/marked/lib/marked.esm.js out/marked.js
node manifest.mjs out meta.json

if [ "$mode" = --check ]; then
  if diff -r "$dest" out >/dev/null; then
    echo "vendor: $dest is up to date"
  else
    diff -rq "$dest" out >&2 || true
    echo "vendor: $dest differs from a fresh build of scripts/vendor" >&2
    exit 1
  fi
else
  mkdir -p "$dest"
  rm -f "$dest"/editor.js "$dest"/purify.js "$dest"/marked.js "$dest"/LICENSES.txt "$dest"/MANIFEST.json
  cp out/* "$dest/"
  (cd "$dest" && sha256sum editor.js purify.js marked.js LICENSES.txt MANIFEST.json && wc -c editor.js purify.js marked.js)
fi
