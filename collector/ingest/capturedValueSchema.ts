// The schema of a captured value (capturedValue.ts says what its spelling means).

import { Type } from '@sinclair/typebox';
import { RECORD_LIMITS } from './recordLimits.js';

/** A captured value as sent and kept: tag, then canonical text (empty for true, false, null). */
export const CapturedValueSchema = Type.String({
  minLength: 1,
  maxLength: RECORD_LIMITS.maxCapturedValueLength,
  pattern: '^(?:n-?[0-9]+(?:\\.[0-9]+)?(?:e-?[0-9]+)?|[sp][\\s\\S]*|[tfz])$',
  description:
    'A captured leaf value: its tag, then its canonical text. n: a number as the digest canonicalises it ([-]int[.frac][e[-]exp], 8.50 as 8.5); s: a string (decoded); p: the first digest.capture.maxStringBytes bytes of a longer string; t, f, z: true, false, null.',
});
