// The host's window on the module's linear memory: bounds-checked reads and
// writes, and allocation through the module's exported `malloc`, which is how a
// proxy-wasm host hands data to the module.
//
// The views are cached and only rebuilt when the memory grew: growing detaches
// the old ArrayBuffer, which turns every view on it into a zero-length one, so
// a zero length is the (cheap) signal to rebuild.

import { Buffer } from 'node:buffer';

export type VmAllocator = (size: number) => number;

export class WasmMemory {
  private memory: WebAssembly.Memory | null = null;
  private allocator: VmAllocator | null = null;
  private bytesView: Buffer = Buffer.alloc(0);
  private dataView: DataView = new DataView(new ArrayBuffer(0));

  /** Before this, the module is still instantiating and its memory is unreachable. */
  attach(memory: WebAssembly.Memory, allocator: VmAllocator): void {
    this.memory = memory;
    this.allocator = allocator;
    this.refreshViews();
  }

  get attached(): boolean {
    return this.memory !== null;
  }

  get byteLength(): number {
    return this.memory === null ? 0 : this.memory.buffer.byteLength;
  }

  /**
   * The whole memory as a Buffer. Valid until the module runs again (an
   * allocation may grow the memory), so never keep it across a VM call.
   */
  bytes(): Buffer {
    if (this.bytesView.byteLength === 0) {
      this.refreshViews();
    }
    return this.bytesView;
  }

  private view(): DataView {
    if (this.dataView.byteLength === 0) {
      this.refreshViews();
    }
    return this.dataView;
  }

  private refreshViews(): void {
    if (this.memory === null) {
      return;
    }
    const buffer = this.memory.buffer;
    this.bytesView = Buffer.from(buffer);
    this.dataView = new DataView(buffer);
  }

  /** ptr and size are u32 values (already `>>> 0`). */
  inBounds(ptr: number, size: number): boolean {
    return this.memory !== null && ptr + size <= this.bytes().byteLength;
  }

  /** A copy of [ptr, ptr + size), or null when out of bounds. */
  readBytes(ptr: number, size: number): Uint8Array | null {
    if (!this.inBounds(ptr, size)) {
      return null;
    }
    // A copy: the caller keeps it across VM calls, which may grow (detach) the memory.
    return new Uint8Array(this.bytes().subarray(ptr, ptr + size));
  }

  /** [ptr, ptr + size) decoded as UTF-8, or null when out of bounds. */
  readString(ptr: number, size: number): string | null {
    if (!this.inBounds(ptr, size)) {
      return null;
    }
    return this.bytes().toString('utf8', ptr, ptr + size);
  }

  readU32(ptr: number): number | null {
    if (!this.inBounds(ptr, 4)) {
      return null;
    }
    return this.view().getUint32(ptr, true);
  }

  writeU32(ptr: number, value: number): boolean {
    if (!this.inBounds(ptr, 4)) {
      return false;
    }
    this.view().setUint32(ptr, value, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    if (!this.inBounds(ptr, 8)) {
      return false;
    }
    this.view().setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  writeBytes(ptr: number, data: Uint8Array): boolean {
    if (!this.inBounds(ptr, data.byteLength)) {
      return false;
    }
    this.bytes().set(data, ptr);
    return true;
  }

  /**
   * Allocates `size` bytes inside the VM. Returns the address, or null when the
   * module's malloc failed. May run the module (and grow its memory); a trap in
   * malloc propagates as the exception it is.
   */
  allocate(size: number): number | null {
    if (this.allocator === null) {
      return null;
    }
    const ptr = this.allocator(size) >>> 0;
    if (ptr === 0 || !this.inBounds(ptr, size)) {
      return null;
    }
    return ptr;
  }

  /**
   * Envoy's copyToPointerSize: allocate, copy, then store address and size
   * (u32 little-endian) at the module's out-pointers. Empty data allocates
   * nothing and stores 0/0. False means InvalidMemoryAccess.
   */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.byteLength > 0) {
      const allocated = this.allocate(data.byteLength);
      if (allocated === null) {
        return false;
      }
      ptr = allocated;
      this.bytes().set(data, ptr);
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.byteLength);
  }

  /** copyToPointerSize of a string's UTF-8 bytes, without an intermediate copy. */
  copyStringToPointerSize(value: string, ptrPtr: number, sizePtr: number): boolean {
    const size = Buffer.byteLength(value, 'utf8');
    let ptr = 0;
    if (size > 0) {
      const allocated = this.allocate(size);
      if (allocated === null) {
        return false;
      }
      ptr = allocated;
      this.bytes().write(value, ptr, size, 'utf8');
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, size);
  }
}
