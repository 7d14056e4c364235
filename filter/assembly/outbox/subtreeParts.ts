// The subtree hashes of one queued record (digest/subtreeDigest.ts), in the parts wire format 2
// sends them as: entry names for the batch's path table and their hashes. Version 1 has no
// place for them and leaves them out.
import { SubtreeDigest } from "../digest/subtreeDigest";
import { ByteWriter } from "../lib/byteWriter";

export class SubtreeParts {
  constructor(
    /** The entry names, each a JSON string literal followed by `,`, in document order. */
    public paths: ArrayBuffer,
    /** The entries' 32-bit hashes in the same order, 8 lower-case hex digits each. */
    public hashes: ArrayBuffer,
    public count: i32,
    /** Entries were dropped at the bound (`digest.maxSubtrees`). */
    public truncated: bool,
  ) {}
}

const paths = new ByteWriter(4096);
const hashes = new ByteWriter(1024);

export function encodeSubtrees(subtrees: SubtreeDigest): SubtreeParts {
  paths.reset();
  hashes.reset();
  subtrees.write(paths, hashes);
  return new SubtreeParts(paths.toArrayBuffer(), hashes.toArrayBuffer(), subtrees.count, subtrees.truncated);
}
