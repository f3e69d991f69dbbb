import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The files under root that a package.json `main` pattern names: a path, or a glob with `*`, `?` and
 * `**` (any depth), as the Functions host accepts (`dist/src/functions/*.js`). Sorted, so load order is stable.
 */
export function matchFiles(root: string, pattern: string): string[] {
  const segments = pattern.replace(/\\/g, "/").replace(/^\.\//, "").split("/").filter((s) => s !== "");
  const found = new Set<string>();
  const walk = (dir: string, index: number): void => {
    if (index === segments.length) {
      if (isFile(dir)) found.add(dir);
      return;
    }
    const segment = segments[index] as string;
    if (segment === "**") {
      walk(dir, index + 1);
      for (const entry of entries(dir)) if (entry.isDirectory() && entry.name !== "node_modules") walk(path.join(dir, entry.name), index);
      return;
    }
    if (!/[*?]/.test(segment)) return walk(path.join(dir, segment), index + 1);
    const regex = new RegExp(`^${segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
    for (const entry of entries(dir)) if (regex.test(entry.name)) walk(path.join(dir, entry.name), index + 1);
  };
  walk(path.resolve(root), 0);
  return [...found].sort();
}

function entries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
