// The open containers of the document being digested, innermost last: for each its kind, the
// length of its path, and the index its next array item gets. Plain memory rather than three
// Arrays, because every container pushes and pops a frame and every value reads one.

/** A container's kind, as frames here and in subtreeDigest.ts keep it. */
export const KIND_OBJECT: u8 = 1;
export const KIND_ARRAY: u8 = 2;

const FRAME_BYTES: usize = 12;
const KIND_AT: usize = 0;
const PATH_LENGTH_AT: usize = 4;
const NEXT_INDEX_AT: usize = 8;

export class ContainerFrames {
  private buffer: ArrayBuffer = new ArrayBuffer(<i32>(8 * FRAME_BYTES));
  depth: i32 = 0;

  push(kind: u8, pathLength: i32): void {
    const needed = <i32>((<usize>this.depth + 1) * FRAME_BYTES);
    if (needed > this.buffer.byteLength) this.grow(needed);
    const frame = this.frameAt(this.depth);
    store<u32>(frame, <u32>kind, KIND_AT);
    store<i32>(frame, pathLength, PATH_LENGTH_AT);
    store<u32>(frame, 0, NEXT_INDEX_AT);
    this.depth++;
  }

  /** Drops the innermost frame; the caller knows there is one. */
  // @ts-ignore: decorator
  @inline
  pop(): void {
    this.depth--;
  }

  /** The innermost container's kind; the caller knows there is one. */
  // @ts-ignore: decorator
  @inline
  get kind(): u8 {
    return <u8>load<u32>(this.frameAt(this.depth - 1), KIND_AT);
  }

  /** The innermost container's path length. */
  // @ts-ignore: decorator
  @inline
  get pathLength(): i32 {
    return load<i32>(this.frameAt(this.depth - 1), PATH_LENGTH_AT);
  }

  /** The innermost array's index for the item that starts now. */
  nextIndex(): u32 {
    const frame = this.frameAt(this.depth - 1);
    const index = load<u32>(frame, NEXT_INDEX_AT);
    store<u32>(frame, index + 1, NEXT_INDEX_AT);
    return index;
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
    memory.copy(changetype<usize>(grown), changetype<usize>(this.buffer), <usize>this.depth * FRAME_BYTES);
    this.buffer = grown;
  }
}
