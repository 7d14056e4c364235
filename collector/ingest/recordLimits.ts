// Per-record limits of the wire format, shared by every wire version (v1 today; v2 must adopt the
// same constants, not copies). They are the filter's own bounds, so legitimate filter output is
// never refused: `digest.maxFields` is at most 4096 (filter/assembly/config/pluginConfig.ts), a
// field path ends the list past 1024 bytes (MAX_PATH_BYTES, jsonStructuralDigest.ts) and the
// request path is clipped to 2048 characters (MAX_PATH_CHARS, recordEncoder.ts); a test reads
// those sources and fails when they drift apart. What a record costs the collector in memory is
// bounded by the byte budget (collector/budget/), not by these limits alone.

export const RECORD_LIMITS = {
  /** leaf paths in `fields` */
  maxFields: 4096,
  /** subtree entries of a version 2 record (`digest.maxSubtrees`) */
  maxSubtrees: 4096,
  /** characters of one field path (the filter's limit is in UTF-8 bytes, so never more characters) */
  maxFieldPathLength: 1024,
  /** characters of the request path */
  maxPathLength: 2048,
  maxAuthorityLength: 256,
  maxMethodLength: 16,
  /** digested response headers */
  maxHeaders: 64,
  maxHeaderNameLength: 128,
  maxRequestIdLength: 128,
  maxSegmentLength: 64,
  /** records in one batch */
  maxRecordsPerBatch: 1024,
  /** characters of one captured value: a tag and at most 256 string bytes (digest.capture.maxStringBytes) or a 64-byte number */
  maxCapturedValueLength: 257,
  /** captured values of one record: digest.capture.maxBytes is at most 16384, and an entry takes at least 6 */
  maxCapturedValues: 2731,
} as const;
