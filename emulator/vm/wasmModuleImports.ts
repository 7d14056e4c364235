// What a wasm module imports, with function signatures.
//
// WebAssembly.Module.imports() names imports but (without V8's type-reflection
// flag) not their types, and a JS host function accepts any signature. Envoy
// does check signatures when it links a module ("import type mismatch"), so
// the emulator reads the type and import sections itself to refuse what Envoy
// refuses.

import { Buffer } from 'node:buffer';

export type WasmValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FunctionSignature {
  readonly params: readonly WasmValueType[];
  readonly results: readonly WasmValueType[];
}

export type WasmImport =
  | { readonly module: string; readonly name: string; readonly kind: 'function'; readonly signature: FunctionSignature }
  | { readonly module: string; readonly name: string; readonly kind: 'table' | 'memory' | 'global' | 'tag' };

/** "(i32, i64) -> i32", for messages and comparison. */
export function formatSignature(signature: FunctionSignature): string {
  const results = signature.results.length === 0 ? '()' : signature.results.join(', ');
  return `(${signature.params.join(', ')}) -> ${results}`;
}

/**
 * The names of everything the module imports (functions, memories, ...),
 * without the module part: e.g. `proxy_log`, `proc_exit`. Tests use it to
 * assert what a build does or does not import.
 */
export function listWasmImports(bytes: Uint8Array | ArrayBuffer): string[] {
  // The copy gives WebAssembly.Module the ArrayBuffer-backed view it requires
  // (a Node Buffer may sit on a SharedArrayBuffer-typed pool).
  return WebAssembly.Module.imports(new WebAssembly.Module(new Uint8Array(bytes))).map((entry) => entry.name);
}

const VALUE_TYPES: ReadonlyMap<number, WasmValueType> = new Map([
  [0x7f, 'i32'],
  [0x7e, 'i64'],
  [0x7d, 'f32'],
  [0x7c, 'f64'],
  [0x7b, 'v128'],
  [0x70, 'funcref'],
  [0x6f, 'externref'],
]);

const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;

/** Reads the imports of a module that WebAssembly.compile already validated. */
export function readWasmImports(module: Uint8Array): WasmImport[] {
  const reader = new WasmReader(module);
  reader.skip(8); // magic and version
  let signatures: FunctionSignature[] = [];
  while (!reader.atEnd()) {
    const sectionId = reader.byte();
    const sectionSize = reader.u32();
    const sectionEnd = reader.position + sectionSize;
    if (sectionId === SECTION_TYPE) {
      signatures = readTypeSection(reader);
    } else if (sectionId === SECTION_IMPORT) {
      return readImportSection(reader, signatures);
    }
    reader.seek(sectionEnd);
  }
  return [];
}

function readTypeSection(reader: WasmReader): FunctionSignature[] {
  const count = reader.u32();
  const signatures: FunctionSignature[] = [];
  for (let index = 0; index < count; index++) {
    reader.byte(); // 0x60, the function type form
    const params = reader.valueTypes();
    const results = reader.valueTypes();
    signatures.push({ params, results });
  }
  return signatures;
}

function readImportSection(reader: WasmReader, signatures: readonly FunctionSignature[]): WasmImport[] {
  const count = reader.u32();
  const imports: WasmImport[] = [];
  for (let index = 0; index < count; index++) {
    const module = reader.name();
    const name = reader.name();
    const kind = reader.byte();
    switch (kind) {
      case 0: {
        const typeIndex = reader.u32();
        imports.push({ module, name, kind: 'function', signature: signatures[typeIndex] ?? { params: [], results: [] } });
        break;
      }
      case 1:
        reader.byte(); // element type
        reader.limits();
        imports.push({ module, name, kind: 'table' });
        break;
      case 2:
        reader.limits();
        imports.push({ module, name, kind: 'memory' });
        break;
      case 3:
        reader.byte(); // value type
        reader.byte(); // mutability
        imports.push({ module, name, kind: 'global' });
        break;
      default:
        reader.byte(); // tag attribute
        reader.u32(); // tag type index
        imports.push({ module, name, kind: 'tag' });
    }
  }
  return imports;
}

class WasmReader {
  position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  atEnd(): boolean {
    return this.position >= this.bytes.byteLength;
  }

  skip(count: number): void {
    this.position += count;
  }

  seek(position: number): void {
    this.position = position;
  }

  byte(): number {
    const value = this.bytes[this.position];
    this.position++;
    return value ?? 0;
  }

  /** Unsigned LEB128; also used to skip u64 limits, whose exact value is irrelevant here. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const value = this.byte();
      result += (value & 0x7f) * 2 ** shift;
      shift += 7;
      if ((value & 0x80) === 0) {
        return result;
      }
    }
  }

  name(): string {
    const length = this.u32();
    const start = this.position;
    this.position += length;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, length).toString('utf8');
  }

  valueTypes(): WasmValueType[] {
    const count = this.u32();
    const types: WasmValueType[] = [];
    for (let index = 0; index < count; index++) {
      types.push(VALUE_TYPES.get(this.byte()) ?? 'externref');
    }
    return types;
  }

  limits(): void {
    const flags = this.byte();
    this.u32();
    if ((flags & 1) !== 0) {
      this.u32();
    }
  }
}
