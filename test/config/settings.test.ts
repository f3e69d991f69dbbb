import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../shared/config/settings";
import { TENANT_QUEUE_CONNECTION } from "../../shared/domain/tenantPoll";

const root = path.resolve(__dirname, "../..");

describe("every setting the code reads is documented", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const example = JSON.parse(readFileSync(path.join(root, "local.settings.json.example"), "utf8")) as { Values: Record<string, string> };

  it.each(SETTINGS.map((s) => [s.name, s] as const))("%s is in the README settings table and local.settings.json.example", (name, setting) => {
    const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\``));
    expect(row, `README row for ${name}`).toBeDefined();
    if (setting.defaultValue !== undefined) expect(row).toContain(`\`${setting.defaultValue}\``);
    if (setting.processOnly) {
      // Read from the process environment only: a settings file must not be where it is set.
      expect(Object.keys(example.Values)).not.toContain(name);
      return;
    }
    expect(Object.keys(example.Values)).toContain(name);
    if (setting.defaultValue !== undefined && example.Values[name] !== "") expect(example.Values[name]).toBe(name === "ALERT_OUTBOX_DIR" ? ".local/outbox" : setting.defaultValue);
  });

  it("the example holds nothing the code does not read (besides the Functions runtime and the fan-out queue's binding connection)", () => {
    const known = new Set([...SETTINGS.map((s) => s.name), "FUNCTIONS_WORKER_RUNTIME", TENANT_QUEUE_CONNECTION]);
    expect(Object.keys(example.Values).filter((k) => !known.has(k))).toEqual([]);
  });
});
