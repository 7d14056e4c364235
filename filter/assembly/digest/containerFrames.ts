// The open containers of the document being digested, innermost last: for each its kind, the
// length of its path, and the index its next array item gets. Every value reads the innermost
// one, so it lives in plain fields (one load each, not three chained ones); the enclosing ones
// wait in plain memory rather than three Arrays, because every container pushes and pops a frame.

/** A container's kind, as frames here and in subtreeDigest.ts keep it. */
export const KIND_OBJECT: u8 = 1;
export const KIND_ARRAY: u8 = 2;

const FRAME_BYTES: usize = 12;
const KIND_AT: usize = 0;
const PATH_LENGTH_AT: usize = 4;
const NEXT_INDEX_AT: usize = 8;

export class ContainerFrames {
  /** The enclosing containers' frames (depth - 1 of them); the innermost is in the fields below. */
  private buffer: ArrayBuffer = new ArrayBuffer(<i32>(8 * FRAME_BYTES));
  depth: i32 = 0;
  /** The innermost container's kind; 0 when none is open. */
  kind: u8 = 0;
  /** The innermost container's path length. */
  pathLength: i32 = 0;
  private index: u32 = 0;

  push(kind: u8, pathLength: i32): void {
    if (this.depth > 0) {
      const needed = <i32>(<usize>this.depth * FRAME_BYTES);
      if (needed > this.buffer.byteLength) this.grow(needed);
      const frame = this.frameAt(this.depth - 1);
      store<u32>(frame, <u32>this.kind, KIND_AT);
      store<i32>(frame, this.pathLength, PATH_LENGTH_AT);
      store<u32>(frame, this.index, NEXT_INDEX_AT);
    }
    this.kind = kind;
    this.pathLength = pathLength;
    this.index = 0;
    this.depth++;
  }

  /** No container open: a stream's next document starts from here. */
  clear(): void {
    this.depth = 0;
    this.kind = 0;
    this.pathLength = 0;
    this.index = 0;
  }

  /** Drops the innermost frame; the caller knows there is one. */
  pop(): void {
    this.depth--;
    if (this.depth == 0) {
      this.kind = 0;
      return;
    }
    const frame = this.frameAt(this.depth - 1);
    this.kind = <u8>load<u32>(frame, KIND_AT);
    this.pathLength = load<i32>(frame, PATH_LENGTH_AT);
    this.index = load<u32>(frame, NEXT_INDEX_AT);
  }

  /** The innermost array's index for the item that starts now. */
  // @ts-ignore: decorator
  @inline
  nextIndex(): u32 {
    return this.index++;
  }

  // @ts-ignore: decorator
  @inline
  private frameAt(depth: i32): usize {
    return changetype<usize>(this.buffer) + <usize>depth * FRAME_BYTES;
  }

  private grow(needed: i32): void {
    let capacity = this.buffer.byteLength;
    while (capacity < needed) capacity = capacity << 1;
    const grown = new ArrayBuffer(capacity);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>(this.depth - 1) * FRAME_BYTES);
    this.buffer = grown;
  }
}
