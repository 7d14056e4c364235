// The allocator the host calls to hand data into the VM (the module's `malloc` export, then
// our `free`): every header map, body chunk and value the host returns lands in memory it
// allocated here. The filter reads each such buffer and frees it before it asks for the
// next one (HostBytes.release), so one reused block serves nearly every call: a body chunk
// or a header map costs no allocation. A buffer asked for while the block is taken (e.g. a
// shared-data read during the request headers), or larger than the block may grow, is an
// ordinary ArrayBuffer as before.
import { __release, __retain } from "rt/index-full";

const INITIAL_BYTES: i32 = 16 * 1024;
/** The block grows to fit larger chunks up to this, so that one huge read does not pin its size. */
const MAX_BYTES: i32 = 64 * 1024;

let block = new ArrayBuffer(INITIAL_BYTES);
let blockTaken = false;

export function malloc(size: i32): usize {
  if (!blockTaken && size <= MAX_BYTES) {
    if (size > block.byteLength) block = new ArrayBuffer(size);
    blockTaken = true;
    return changetype<usize>(block);
  }
  return __retain(changetype<usize>(new ArrayBuffer(size)));
}

export function free(ptr: usize): void {
  if (ptr == changetype<usize>(block)) {
    blockTaken = false;
    return;
  }
  __release(ptr);
}
