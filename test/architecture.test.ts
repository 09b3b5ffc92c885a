/**
 * The code's structure, checked on every `npm test`: a module of `src/server/modules/` is used by
 * other code only through its `index.ts`; only `src/server/integrations/microsoft/` imports the raw
 * Graph client; no import cycle between files; the shared contracts import nothing of the server
 * or the browser; the gateway (`src/gateway/`) imports only `src/shared/`. Tests and their support
 * files may reach inside what they test.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const src = join(root, "src");

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !name.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

const isTestCode = (file: string) =>
  /\.(test|test-support|e2e)\.tsx?$/.test(file) || file.includes(`${sep}testing.ts`);

/** Relative imports and re-exports of a file (type-only ones included), resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => resolve(dirname(file), s))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    });
}

const files = sourceFiles(src);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const rel = (file: string) => relative(root, file).split(sep).join("/");

const microsoftIntegration = "src/server/integrations/microsoft/";
/** The raw Graph client: production code elsewhere asks the Microsoft port (`port.ts`). */
const graphClient = `${microsoftIntegration}graph.ts`;

/** `src/server/modules/<name>/…` → `<name>`. */
function moduleOf(file: string): string | null {
  return /^src\/server\/modules\/([^/]+)\//.exec(rel(file))?.[1] ?? null;
}

describe("Module boundaries", () => {
  it("reaches into another module only through its index.ts", () => {
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      if (isTestCode(file)) continue;
      const from = moduleOf(file);
      for (const target of imports) {
        const to = moduleOf(target);
        if (!to || to === from) continue;
        if (rel(target) !== `src/server/modules/${to}/index.ts`)
          violations.push(`${rel(file)} → ${rel(target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("leaves Graph to the Microsoft port: only integrations/microsoft imports its client", () => {
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      const path = rel(file);
      if (isTestCode(file) || !path.startsWith("src/server/")) continue;
      if (path.startsWith(microsoftIntegration)) continue;
      for (const target of imports.map(rel))
        if (target === graphClient) violations.push(`${path} → ${target}`);
    }
    expect(violations).toEqual([]);
  });

  it("keeps src/shared free of the server and the browser, and the gateway on src/shared only", () => {
    const violations: string[] = [];
    for (const [file, imports] of graph) {
      const path = rel(file);
      for (const target of imports.map(rel)) {
        if (path.startsWith("src/shared/") && !target.startsWith("src/shared/"))
          violations.push(`${path} → ${target}`);
        if (path.startsWith("src/gateway/") && !isTestCode(file)) {
          if (!target.startsWith("src/gateway/") && !target.startsWith("src/shared/"))
            violations.push(`${path} → ${target}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});

describe("Import cycles", () => {
  it("has none between source files", () => {
    // Tarjan's strongly connected components over the non-test files.
    const nodes = files.filter((f) => !isTestCode(f));
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (v: string) => {
      index.set(v, counter);
      low.set(v, counter);
      counter++;
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (isTestCode(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(rel(w));
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const v of nodes) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });

  it("would see a cycle and a deep import (the checks are not vacuous)", () => {
    const imports = graph.get(join(src, "server/main.ts")) ?? [];
    expect(imports.length).toBeGreaterThan(3);
    expect(files.some((f) => moduleOf(f) === "enterprises")).toBe(true);
    expect(files.map(rel)).toContain(graphClient);
  });
});
