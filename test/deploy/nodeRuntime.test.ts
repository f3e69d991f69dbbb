import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

describe("runtime", () => {
  it("runs the suite on Node 22, the runtime infra/ deploys", () => {
    expect(process.versions.node.split(".")[0]).toBe("22");
    const bicep = readFileSync(path.join(root, "infra/modules/functionApp.bicep"), "utf8");
    expect(bicep).toMatch(/name: 'node'\s+version: '22'/);
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string }; devDependencies: Record<string, string> };
    expect(pkg.engines.node).toBe(">=22");
    expect(pkg.devDependencies["node"]).toMatch(/^22\./);
  });
});
