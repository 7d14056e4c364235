// The layering devkit/README.md states, checked on every tracked TypeScript file: what ships never
// reaches into development tooling, and nothing outside test/ depends on test code.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../devkit/paths.js';

const run = promisify(execFile);

/** Module specifiers of static imports, re-exports and dynamic imports. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'([^']+)'/g;

interface Edge {
  file: string;
  /** A repository path for a relative import, else the package name as written. */
  target: string;
}

async function importEdges(): Promise<Edge[]> {
  const { stdout } = await run('git', ['ls-files', '-z', '--', '*.ts', '*.js'], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });
  const edges: Edge[] = [];
  for (const file of stdout.split('\0')) {
    if (file === '' || file.includes('/fixtures/')) continue;
    let source: string;
    try {
      source = await readFile(join(PROJECT_ROOT, file), 'utf8');
    } catch {
      continue; // deleted in the working tree, not yet committed
    }
    for (const [, specifier = ''] of source.matchAll(IMPORT)) {
      const target = specifier.startsWith('.')
        ? relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(file), specifier))
            .split(sep)
            .join('/')
        : specifier;
      edges.push({ file, target });
    }
  }
  return edges;
}

const under = (path: string, folder: string): boolean => path.startsWith(`${folder}/`);

describe('import boundaries', () => {
  it('sees the imports it checks (the scan is not vacuous)', async () => {
    const edges = await importEdges();
    expect(edges.some((edge) => under(edge.file, 'bench') && under(edge.target, 'devkit'))).toBe(true);
    expect(edges.some((edge) => under(edge.file, 'test') && under(edge.target, 'test/support'))).toBe(true);
    expect(edges.some((edge) => under(edge.file, 'test') && edge.target === 'vitest')).toBe(true);
  });

  it('nothing outside test/ imports from test/', async () => {
    const offending = (await importEdges()).filter((edge) => !under(edge.file, 'test') && under(edge.target, 'test'));
    expect(offending).toEqual([]);
  });

  it('the collector imports no development tooling (devkit/, bench/, scripts/, test/)', async () => {
    const offending = (await importEdges()).filter(
      (edge) => under(edge.file, 'collector') && ['devkit', 'bench', 'scripts', 'test'].some((folder) => under(edge.target, folder)),
    );
    expect(offending).toEqual([]);
  });

  it('devkit/ depends on neither its callers (bench/, scripts/, test/) nor a test framework', async () => {
    const offending = (await importEdges()).filter(
      (edge) =>
        under(edge.file, 'devkit') &&
        (['bench', 'scripts', 'test'].some((folder) => under(edge.target, folder)) || edge.target === 'vitest'),
    );
    expect(offending).toEqual([]);
  });
});
