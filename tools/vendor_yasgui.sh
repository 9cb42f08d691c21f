#!/usr/bin/env bash
# Bundles YASGUI (the SPARQL editor and results table of the query page) into the package's static folder, so the
# page works with no internet: the built files of @zazuko/yasgui from the npm registry, its licence, and the
# licences of what its bundle contains. Run it by hand when upgrading YASGUI (needs node and npm), then commit
# src/kgbuild/static/vendor/yasgui/; `pip install` never runs npm.
#   tools/vendor_yasgui.sh [VERSION]     (default: the version pinned below)
set -euo pipefail
VERSION="${1:-4.6.2}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/kgbuild/static/vendor/yasgui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm install --silent --no-audit --no-fund --ignore-scripts --no-save --prefix "$WORK" "@zazuko/yasgui@$VERSION" >/dev/null
PKG="$WORK/node_modules/@zazuko/yasgui"
mkdir -p "$DEST"
rm -f "$DEST"/*
cp "$PKG/build/yasgui.min.js" "$PKG/build/yasgui.min.css" "$DEST/"
# The bundle carries no source-map comment target here: drop the reference so browsers do not ask for a .map.
sed -i 's|//# sourceMappingURL=.*$||' "$DEST/yasgui.min.js"
sed -i 's|/\*# sourceMappingURL=.*\*/||' "$DEST/yasgui.min.css"
node - "$WORK/node_modules" "$DEST" "$VERSION" <<'JS'
// LICENSE: YASGUI's own (MIT, per its package.json; the npm package ships no licence file), then every package
// in its dependency tree with its licence, name and version, and the licence texts the packages ship.
const fs = require("fs"), path = require("path");
const [modules, dest, version] = process.argv.slice(2);
const pkgs = [];
(function walk(dir) {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(".")) continue;
    const p = path.join(dir, name);
    if (name.startsWith("@")) { walk(p); continue; }
    const file = path.join(p, "package.json");
    if (fs.existsSync(file)) {
      const j = JSON.parse(fs.readFileSync(file, "utf8"));
      const lic = fs.readdirSync(p).find((f) => /^(licen[cs]e|copying)/i.test(f));
      pkgs.push({ name: j.name, version: j.version, license: j.license || "see its files", text: lic ? fs.readFileSync(path.join(p, lic), "utf8") : null });
      if (fs.existsSync(path.join(p, "node_modules"))) walk(path.join(p, "node_modules"));
    }
  }
})(modules);
pkgs.sort((a, b) => a.name.localeCompare(b.name));
let out = `@zazuko/yasgui ${version} (https://github.com/rdfjs/Yasgui), licence: MIT

Copyright (c) Triply B.V. and Zazuko GmbH (the authors named in the package's package.json)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

The bundle (yasgui.min.js, yasgui.min.css) also contains code of the packages below, installed with it from the npm
registry; each is listed with its licence, followed by the licence texts they ship.

`;
for (const p of pkgs) out += `- ${p.name} ${p.version}: ${p.license}\n`;
for (const p of pkgs) if (p.text) out += `\n==== ${p.name} ${p.version} ====\n${p.text.trim()}\n`;
fs.writeFileSync(path.join(dest, "LICENSE"), out);
JS
echo "$VERSION" > "$DEST/VERSION"
ls -l "$DEST"
