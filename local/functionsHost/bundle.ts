import path from "node:path";
import { build } from "esbuild";

/**
 * The emulated host as one plain JavaScript file, run with `node` as the real worker is. Run through
 * tsx instead, the host would compile the app's JavaScript too and drop its source map, so what the app
 * does (stack traces, start-up) would not be what it does in Azure.
 */
export async function buildFunctionsHostBundle(outFile: string): Promise<string> {
  await build({
    entryPoints: [path.join(__dirname, "main.ts")],
    outfile: outFile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    sourcemap: "inline",
    logLevel: "silent",
  });
  return outFile;
}
