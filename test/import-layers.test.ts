import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The layers of src/, top first: a file may import from its own layer or from a layer below it,
 * never from one above. A name is a folder of src/ or a file directly in it. Within a layer,
 * folders may import one another as long as no two of them import each other (checked below).
 */
const LAYERS: readonly (readonly string[])[] = [
  // entry points: the server, the CLIs, and the configuration only they read
  ['main.ts', 'server.ts', 'config.ts', 'cli'],
  ['http'],
  ['resolvers'],
  // the GraphQL types, the mappers to them and the resolvers' context
  ['schema'],
  // services
  ['conversion', 'preview', 'tiles'],
  ['reading', 'detection', 'geocode', 'writing', 'storage'],
  ['boundaries'],
  ['auth', 'db', 'entities', 'pubsub', 'util', 'types', 'metrics', 'errors.ts', 'logger.ts', 'project-root.ts'],
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

/** The layer name of a path inside src/: its first folder, or the file itself at the top. */
function unitOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0];
}

function layerOf(unit: string): number {
  const index = LAYERS.findIndex((names) => names.includes(unit));
  assert.notEqual(index, -1, `src/${unit} is in no layer: add it to LAYERS in test/import-layers.test.ts`);
  return index;
}

interface Edge {
  from: string;
  to: string;
}

/** Every relative import (static, dynamic, `import type`, `export … from`) between files of src/. */
function importsOfSrc(): Edge[] {
  const edges: Edge[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.m?ts$/.test(entry.name)) {
        const info = ts.preProcessFile(fs.readFileSync(full, 'utf8'), true, true);
        for (const ref of info.importedFiles) {
          if (!ref.fileName.startsWith('.')) continue;
          edges.push({ from: full, to: resolveImport(path.resolve(path.dirname(full), ref.fileName)) });
        }
      }
    }
  };
  walk(SRC);
  return edges;
}

/** The file an extensionless specifier names, as the bundler and tsx find it. */
function resolveImport(target: string): string {
  for (const candidate of [target, `${target}.ts`, path.join(target, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return target;
}

describe('imports run one way', () => {
  const all = importsOfSrc();
  const edges = all.filter((e) => e.to.startsWith(SRC + path.sep));
  const rel = (file: string) => path.relative(ROOT, file);

  test('the import graph was read', () => {
    assert.ok(edges.length > 200, `only ${edges.length} imports found`);
    assert.ok(edges.some((e) => rel(e.from) === 'src/server.ts' && rel(e.to) === 'src/conversion/runner.ts'));
  });

  test('every file of src/ belongs to a layer; nothing imports from outside src/ but db/ its migrations', () => {
    for (const unit of fs.readdirSync(SRC)) layerOf(unit);
    const migrations = path.join(ROOT, 'migrations') + path.sep;
    const outside = all
      .filter((e) => !e.to.startsWith(SRC + path.sep))
      .filter((e) => !(unitOf(e.from) === 'db' && e.to.startsWith(migrations)))
      .map((e) => `${rel(e.from)} → ${rel(e.to)}`);
    assert.deepEqual(outside, []);
  });

  test('no import goes up a layer', () => {
    const upward = edges
      .filter((e) => layerOf(unitOf(e.to)) < layerOf(unitOf(e.from)))
      .map((e) => `${rel(e.from)} → ${rel(e.to)}`);
    assert.deepEqual(upward, []);
  });

  test('no two folders import each other, directly or round a cycle', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) {
      const [from, to] = [unitOf(e.from), unitOf(e.to)];
      if (from !== to) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (unit: string, trail: string[]) => {
      if (state.get(unit) === 'done') return;
      if (state.get(unit) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(unit)), unit].join(' → '));
        return;
      }
      state.set(unit, 'open');
      for (const next of graph.get(unit) ?? []) visit(next, [...trail, unit]);
      state.set(unit, 'done');
    };
    for (const unit of graph.keys()) visit(unit, []);
    assert.deepEqual(cycles, []);
  });
});
