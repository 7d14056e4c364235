// The allocator the host calls to hand data into the VM (the exported `malloc`), and `free`,
// which gives such memory back. Every host read (a header map, a body chunk, a property, a
// shared-data value) arrives in memory the host asks for through malloc, so rather than a heap
// allocation and a free per read, a few buffers are lent out and given back: a request's reads
// allocate nothing once the buffers have grown to its sizes. A read larger than MAX_SLOT_BYTES,
// or one made while every slot is lent, gets its own ArrayBuffer, as the runtime's malloc gives.
import { __retain, __release } from "rt/index-full";

/** Reads held at once on the request path: the request's map and one shared-data value. Two spare. */
const SLOTS: i32 = 4;
/** A slot grows to the largest read it served up to this; larger reads are not kept. */
const MAX_SLOT_BYTES: i32 = 64 * 1024;
/** A new slot's smallest size: a header map of a dozen headers fits. */
const MIN_SLOT_BYTES: i32 = 1024;

// Per slot: the buffer's address (an ArrayBuffer this module holds one reference to; 0: none
// yet), its size, and whether it is lent.
const SLOT_BYTES: usize = 12;
const TABLE = new ArrayBuffer(<i32>(<usize>SLOTS * SLOT_BYTES));
const TABLE_PTR: usize = changetype<usize>(TABLE);

/** Memory for `size` bytes the host writes; valid until free(). */
export function malloc(size: i32): usize {
  // A negative size fails as it always did (ArrayBuffer refuses it).
  if (size < 0) return __retain(changetype<usize>(new ArrayBuffer(size)));
  let spare: usize = 0;
  for (let i = 0; i < SLOTS; i++) {
    const slot = TABLE_PTR + <usize>i * SLOT_BYTES;
    if (load<u32>(slot, 8) != 0) continue;
    if (load<u32>(slot) != 0 && load<i32>(slot, 4) >= size) {
      store<u32>(slot, 1, 8);
      return <usize>load<u32>(slot);
    }
    if (spare == 0) spare = slot;
  }
  if (spare != 0 && size <= MAX_SLOT_BYTES) {
    // The free slot is too small (or empty): it grows, to the next power of two.
    const old = <usize>load<u32>(spare);
    if (old != 0) __release(old);
    const capacity = max(MIN_SLOT_BYTES, <i32>nextPowerOfTwo(<u32>size));
    const grown = __retain(changetype<usize>(new ArrayBuffer(capacity)));
    store<u32>(spare, <u32>grown);
    store<i32>(spare, capacity, 4);
    store<u32>(spare, 1, 8);
    return grown;
  }
  return __retain(changetype<usize>(new ArrayBuffer(size)));
}

/** Gives back memory malloc handed out. */
export function free(ptr: usize): void {
  if (ptr == 0) return;
  for (let i = 0; i < SLOTS; i++) {
    const slot = TABLE_PTR + <usize>i * SLOT_BYTES;
    if (<usize>load<u32>(slot) == ptr) {
      store<u32>(slot, 0, 8);
      return;
    }
  }
  __release(ptr);
}

function nextPowerOfTwo(value: u32): u32 {
  if (value <= 1) return 1;
  return <u32>1 << (32 - clz<u32>(value - 1));
}
