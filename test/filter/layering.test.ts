// The filter's source layering (filter/README.md, "Layers"): a folder may import
// from its own folder and from the layers below it, never from a layer above it
// nor from another folder of its own layer. The runtime package is reached only
// through the host-call layer (and the entry's runtime/allocator re-exports), so
// the project's own ABI layer stays the one place that talks to the host.
// Reads the sources, not the build: it runs in milliseconds.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ASSEMBLY = fileURLToPath(new URL('../../filter/assembly', import.meta.url));

/** Lowest first. `.` is filter/assembly itself: the entry and the ABI entry points. */
const LAYERS: readonly (readonly string[])[] = [['lib'], ['host'], ['config'], ['digest', 'sampling'], ['outbox'], ['plugin'], ['.']];

/** Folders that may import the AssemblyScript proxy-wasm runtime directly. */
const RUNTIME_PACKAGE = '@solo-io/proxy-runtime';
const RUNTIME_IMPORTERS: ReadonlySet<string> = new Set(['host', '.']);

interface ImportEdge {
  /** Path under filter/assembly, `/`-separated. */
  readonly file: string;
  readonly specifier: string;
}

function rankOf(folder: string): number | undefined {
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  return rank === -1 ? undefined : rank;
}

function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? '.' : file.slice(0, slash);
}

/** What is wrong with one import, or null when the layering allows it. */
function layeringViolation({ file, specifier }: ImportEdge): string | null {
  const from = folderOf(file);
  const fromRank = rankOf(from);
  if (fromRank === undefined) {
    return `${file}: folder "${from}" is in no layer; add it to the layers here and in filter/README.md`;
  }
  if (!specifier.startsWith('.')) {
    if (specifier.startsWith(RUNTIME_PACKAGE) && !RUNTIME_IMPORTERS.has(from)) {
      return `${file}: imports "${specifier}"; only ${[...RUNTIME_IMPORTERS].join(', ')} may use the runtime package`;
    }
    return null;
  }
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (target.startsWith('../')) {
    return `${file}: imports "${specifier}", outside filter/assembly`;
  }
  const to = folderOf(target);
  const toRank = rankOf(to);
  if (toRank === undefined) {
    return `${file}: imports "${specifier}" from folder "${to}", which is in no layer`;
  }
  if (to === from || toRank < fromRank) {
    return null;
  }
  const relation = toRank === fromRank ? 'a folder of its own layer' : 'a layer above it';
  return `${file} (${from}) imports "${specifier}" from ${relation} (${to})`;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      return sourceFiles(path);
    }
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every `import … from`, `import "…"` and `export … from` of every filter source file. */
function importEdges(): ImportEdge[] {
  return sourceFiles(ASSEMBLY).flatMap((path) => {
    const file = relative(ASSEMBLY, path).split(sep).join('/');
    const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    return importedFiles.map(({ fileName }) => ({ file, specifier: fileName }));
  });
}

describe('filter source layering', () => {
  const edges = importEdges();

  it('finds the imports of every layer', () => {
    const folders = new Set(edges.map((edge) => folderOf(edge.file)));
    // `lib` imports nothing; every other layer imports something.
    for (const folder of LAYERS.flat().filter((name) => name !== 'lib')) {
      expect(folders, folder).toContain(folder);
    }
    expect(sourceFiles(join(ASSEMBLY, 'lib')).length).toBeGreaterThan(0);
  });

  it('has no folder import from a layer above it or from a peer of its layer', () => {
    const violations = edges.map(layeringViolation).filter((problem) => problem !== null);
    expect(violations).toEqual([]);
  });

  it('every folder under filter/assembly is in a layer', () => {
    const folders = readdirSync(ASSEMBLY, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.filter((folder) => rankOf(folder) === undefined)).toEqual([]);
  });
});

describe('layeringViolation', () => {
  it('allows imports from the own folder and from lower layers', () => {
    expect(layeringViolation({ file: 'digest/responseDigest.ts', specifier: './jsonStructuralDigest' })).toBeNull();
    expect(layeringViolation({ file: 'digest/responseDigest.ts', specifier: '../lib/fnv' })).toBeNull();
    expect(layeringViolation({ file: 'plugin/rootContext.ts', specifier: '../outbox/recordQueue' })).toBeNull();
    expect(layeringViolation({ file: 'entryPoints.ts', specifier: './plugin/rootContext' })).toBeNull();
    expect(layeringViolation({ file: 'host/hostcalls.ts', specifier: '@solo-io/proxy-runtime/imports' })).toBeNull();
  });

  it('refuses an upward import', () => {
    expect(layeringViolation({ file: 'lib/byteWriter.ts', specifier: '../host/hostcalls' })).toBe(
      'lib/byteWriter.ts (lib) imports "../host/hostcalls" from a layer above it (host)',
    );
    expect(layeringViolation({ file: 'outbox/recordQueue.ts', specifier: '../plugin/rootContext' })).toContain('a layer above it (plugin)');
    expect(layeringViolation({ file: 'plugin/streamContext.ts', specifier: '../entryPoints' })).toContain('a layer above it (.)');
  });

  it('refuses an import between two folders of one layer', () => {
    expect(layeringViolation({ file: 'digest/responseDigest.ts', specifier: '../sampling/segmentSampler' })).toBe(
      'digest/responseDigest.ts (digest) imports "../sampling/segmentSampler" from a folder of its own layer (sampling)',
    );
  });

  it('refuses the runtime package outside the host-call layer and the entry', () => {
    expect(layeringViolation({ file: 'plugin/rootContext.ts', specifier: '@solo-io/proxy-runtime/imports' })).toContain(
      'only host, . may use the runtime package',
    );
  });

  it('refuses folders in no layer and imports that leave filter/assembly', () => {
    expect(layeringViolation({ file: 'misc/helpers.ts', specifier: '../lib/fnv' })).toContain('folder "misc" is in no layer');
    expect(layeringViolation({ file: 'plugin/rootContext.ts', specifier: '../misc/helpers' })).toContain('which is in no layer');
    expect(layeringViolation({ file: 'plugin/rootContext.ts', specifier: '../../emulator/index' })).toContain('outside filter/assembly');
  });
});
