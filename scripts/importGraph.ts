import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * The import graph of the repository's own TypeScript (test files left out), from the compiler's own
 * reading of each file's imports (static, dynamic and `export ... from`), for the structure checks in
 * test/structure: cycles between files, cycles between folders, and which folders import which.
 */
const ROOT = path.resolve(__dirname, "..");
const SOURCE_FOLDERS = ["functions", "shared", "local", "perf", "scripts"];

export interface ImportGraph {
  /** Repository-relative file → the repository-relative files it imports. */
  readonly files: ReadonlyMap<string, ReadonlySet<string>>;
}

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : listSources(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier.replace(/\.js$/, ""));
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export function readImportGraph(folders: readonly string[] = SOURCE_FOLDERS): ImportGraph {
  const files = new Map<string, Set<string>>();
  for (const file of folders.flatMap((folder) => listSources(path.join(ROOT, folder)))) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = new Set<string>();
    for (const imported of info.importedFiles) {
      const target = resolveImport(file, imported.fileName);
      if (target) targets.add(path.relative(ROOT, target));
    }
    files.set(path.relative(ROOT, file), targets);
  }
  return { files };
}

/** The folder a file belongs to for layering: its directory (`shared/pipeline`, `functions`). */
export function folderOf(file: string): string {
  return path.dirname(file);
}

/** Folder → the folders its files import (other than itself). */
export function folderGraph(graph: ImportGraph): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph.files) {
    const from = folderOf(file);
    const set = folders.get(from) ?? new Set<string>();
    for (const target of targets) if (folderOf(target) !== from) set.add(folderOf(target));
    folders.set(from, set);
  }
  return folders;
}

/** Every cycle of a graph, each as the list of its nodes (Tarjan's strongly connected components of more than one node, or a self-loop). */
export function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indexOf.get(next) as number));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || edges.get(node)?.has(node)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!indexOf.has(node)) visit(node);
  return found;
}

if (require.main === module) {
  const graph = readImportGraph();
  const fileCycles = cycles(graph.files);
  const folderCycles = cycles(folderGraph(graph));
  console.log(`${graph.files.size} files; ${fileCycles.length} file cycle(s); ${folderCycles.length} folder cycle(s)`);
  for (const cycle of fileCycles) console.log(`  files: ${cycle.join(" ↔ ")}`);
  for (const cycle of folderCycles) console.log(`  folders: ${cycle.join(" ↔ ")}`);
  for (const [folder, targets] of [...folderGraph(graph)].sort()) console.log(`${folder} → ${[...targets].sort().join(", ") || "(nothing)"}`);
}
