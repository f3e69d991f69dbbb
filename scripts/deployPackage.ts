import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { zipFiles } from "./zipFiles";

/**
 * `npm run package`: the one deploy artifact. Bundles the function app (functions/index.ts and all it
 * imports, dependencies included) with esbuild into a folder that holds nothing else the app needs:
 *
 *   index.js     enables source maps, then loads app.js (so stack traces name the TypeScript source)
 *   app.js       the bundle (CommonJS, Node 22); the SDKs are compiled on the first invocation
 *   app.js.map   its source map (paths relative to the repository, no sources content)
 *   host.json    the Functions host configuration, as in the repository
 *   package.json name, version and "main": "index.js"; no dependencies, no node_modules
 *
 * and the zip of that folder, which a Flex Consumption one-deploy (`azd deploy`, the `/api/publish`
 * endpoint) or `az functionapp deployment source config-zip` takes. The zip is reproducible.
 */

const ROOT = path.resolve(__dirname, "..");
export const DEFAULT_DEPLOY_DIR = path.join(ROOT, ".deploy");
export const PACKAGE_FILES = ["index.js", "app.js", "app.js.map", "host.json", "package.json"] as const;

export interface DeployPackage {
  /** The folder with the package's files (azure.yaml's `dist`). */
  readonly appDir: string;
  readonly zipPath: string;
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  readonly totalBytes: number;
  readonly zipBytes: number;
}

/**
 * The worker loads package.json `main`. Source maps must be on before app.js is compiled for its own
 * frames to be mapped, which app.js cannot do for itself. NODE_OPTIONS=--enable-source-maps (set by
 * infra/) does the same where the host passes it to the worker; this works either way.
 */
const LOADER = `"use strict";
// restorewatch deploy package: source-mapped stack traces, then the app (see scripts/deployPackage.ts).
process.setSourceMapsEnabled(true);
module.exports = require("./app.js");
`;

/** Where the map's sources appear in a stack trace: restorewatch:///shared/config/config.ts:120:11. */
const SOURCE_ROOT = "restorewatch:///";

export async function buildDeployPackage(outDir: string = DEFAULT_DEPLOY_DIR): Promise<DeployPackage> {
  const appDir = path.join(outDir, "app");
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });

  const bundle = path.join(appDir, "app.js");
  const result = await build({
    entryPoints: [path.join(ROOT, "functions/index.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // Provided by the Node worker at run time through its require hook; not on npm.
    external: ["@azure/functions-core"],
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "silent",
    metafile: false,
  });
  if (result.errors.length > 0) throw new Error(`esbuild: ${result.errors.map((e) => e.text).join("; ")}`);
  rewriteSourceMap(`${bundle}.map`, appDir);

  writeFileSync(path.join(appDir, "index.js"), LOADER);
  writeFileSync(path.join(appDir, "host.json"), readFileSync(path.join(ROOT, "host.json")));
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string; description?: string };
  const deployed = { name: manifest.name, version: manifest.version, description: manifest.description, private: true, main: "index.js", engines: { node: ">=22" } };
  writeFileSync(path.join(appDir, "package.json"), `${JSON.stringify(deployed, null, 2)}\n`);

  const files = PACKAGE_FILES.map((name) => ({ name, bytes: statSync(path.join(appDir, name)).size }));
  const zipPath = path.join(outDir, `${manifest.name}.zip`);
  writeFileSync(zipPath, zipFiles(PACKAGE_FILES.map((name) => ({ name, data: readFileSync(path.join(appDir, name)) }))));
  return { appDir, zipPath, files, totalBytes: files.reduce((sum, f) => sum + f.bytes, 0), zipBytes: statSync(zipPath).size };
}

/** Sources relative to the repository under SOURCE_ROOT, the same wherever the package is unpacked. */
function rewriteSourceMap(mapPath: string, appDir: string): void {
  const map = JSON.parse(readFileSync(mapPath, "utf8")) as { sources: string[] };
  // Dependencies' own maps may name sources by URL (webpack://...); those stay as they are.
  map.sources = map.sources.map((source) => (/^[a-z][a-z0-9+.-]*:/i.test(source) ? source : SOURCE_ROOT + path.relative(ROOT, path.resolve(appDir, source)).split(path.sep).join("/")));
  writeFileSync(mapPath, JSON.stringify(map));
}

if (require.main === module) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_DEPLOY_DIR;
  buildDeployPackage(outDir).then(
    (pkg) => {
      const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;
      for (const file of pkg.files) console.log(`  ${file.name.padEnd(13)} ${kb(file.bytes).padStart(9)}`);
      console.log(`${path.relative(process.cwd(), pkg.appDir)}: ${pkg.files.length} files, ${kb(pkg.totalBytes)}`);
      console.log(`${path.relative(process.cwd(), pkg.zipPath)}: ${kb(pkg.zipBytes)} (deploy with azd deploy, or az functionapp deployment source config-zip --src ${path.relative(process.cwd(), pkg.zipPath)})`);
    },
    (error: unknown) => {
      console.error(`package: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
