/**
 * services/request is split into feature modules (requests, access, operations, console, edge) over
 * a small http kernel. A folder that imports a sibling which imports it back ties the two into one
 * module in all but name, so this reads the code (relative imports included) and refuses such pairs,
 * and refuses any import from the http kernel into the rest of the service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = join(__dirname, '..', '..', 'services', 'request', 'src');

/** First-level folders whose subfolders are modules' parts, each a node of the graph of its own. */
const GROUPS = new Set(['access', 'operations', 'edge']);

/** Every non-spec TypeScript file under src/, as a path relative to it. */
function sources(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.int-spec.ts'))
    .map((f) => f.split(sep).join('/'));
}

/**
 * The folder a file belongs to: its first-level folder, or `group/part` under access/, operations/
 * and edge/; null for the files at the root of src/ (main.ts, app.module.ts, config.ts), which
 * compose the modules and may import any of them.
 */
function folderOf(file: string, parts = true): string | null {
  const segments = file.split('/');
  if (segments.length < 2) return null;
  if (parts && GROUPS.has(segments[0]) && segments.length > 2) return `${segments[0]}/${segments[1]}`;
  return segments[0];
}

/** The relative imports of a file (`from './x'`, `import('./x')`, `require('./x')`), resolved under src/. */
function importsOf(file: string): string[] {
  const code = readFileSync(join(SRC, file), 'utf8');
  const specifiers = [...code.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]*)['"]/g)].map((m) => m[1]);
  return specifiers.map((s) => relative(SRC, resolve(SRC, dirname(file), s)).split(sep).join('/'));
}

/**
 * folder → the other folders it imports, with one example file for each edge; `parts` false reads
 * access/, operations/ and edge/ as one folder each (the modules themselves).
 */
function folderGraph(parts = true): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources()) {
    const from = folderOf(file, parts);
    if (from === null) continue;
    for (const target of importsOf(file)) {
      // A target at the root of src/ (config.ts) is a file, not a folder.
      const to = target.includes('/') ? folderOf(target, parts) : `(root) ${target}`;
      if (to === null || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${file} → ${target}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Every pair of folders that import each other, with an example import each way. */
function mutualPairs(graph: Map<string, Map<string, string>>): string[] {
  const pairs: string[] = [];
  for (const [a, edges] of graph) {
    for (const [b, example] of edges) {
      const back = graph.get(b)?.get(a);
      if (back && a < b) pairs.push(`${a} ↔ ${b} (${example}; ${back})`);
    }
  }
  return pairs;
}

describe('the folders of services/request', () => {
  const graph = folderGraph();

  it('reads the service (a test that sees no imports proves nothing)', () => {
    expect(graph.get('console')?.size ?? 0).toBeGreaterThan(0);
  });

  it('have no pair that imports each other', () => {
    expect(mutualPairs(graph)).toEqual([]);
  });

  it('have no pair of modules (access, operations, edge taken whole) that import each other', () => {
    expect(mutualPairs(folderGraph(false))).toEqual([]);
  });

  it('leave the http kernel importing nothing of the service', () => {
    expect([...(graph.get('http')?.values() ?? [])]).toEqual([]);
  });
});
