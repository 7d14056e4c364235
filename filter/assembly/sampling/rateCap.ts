// A per-segment cap on mirrored requests per second, shared by all workers of one Envoy
// through proxy-wasm shared data (a compare-and-swap counter per one-second window).
import { SharedValue, WasmResult, getSharedData, setSharedData } from "../host/hostcalls";

const SLOT = new ArrayBuffer(8);
const SLOT_PTR = changetype<usize>(SLOT);
const ATTEMPTS = 4;
const current = new SharedValue();

/** The count to store for `second`, or -1 when the cap is reached. Pure. */
export function nextCount(storedSecond: u32, storedCount: u32, second: u32, cap: u32): i64 {
  const count: u32 = storedSecond == second ? storedCount : 0;
  if (count >= cap) return -1;
  return <i64>count + 1;
}

/**
 * Takes one slot of this second's budget; false when the cap is reached or under heavy
 * contention (refusing is the safe side: fewer mirrors, never a blocked request). `key`: the
 * shared-data key in UTF-8.
 */
export function takeSlot(key: ArrayBuffer, cap: u32, second: u32): bool {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    getSharedData(key, current);
    let storedSecond: u32 = 0;
    let storedCount: u32 = 0;
    if (current.found && current.bytes.length == 8) {
      storedSecond = load<u32>(current.bytes.ptr);
      storedCount = load<u32>(current.bytes.ptr + 4);
    }
    current.bytes.release();
    const next = nextCount(storedSecond, storedCount, second, cap);
    if (next < 0) return false;
    store<u32>(SLOT_PTR, second);
    store<u32>(SLOT_PTR + 4, <u32>next);
    const result = setSharedData(key, SLOT_PTR, 8, current.cas);
    if (result == WasmResult.Ok) return true;
    if (result != WasmResult.CasMismatch) return false;
  }
  return false;
}
