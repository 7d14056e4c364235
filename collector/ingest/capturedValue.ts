// Captured leaf values (the filter's `digest.capture`, wire format 2's `values`): the kinds, each
// defined once, and the one spelling they travel and are kept in, `<tag><text>` — the tag of the
// leaf's canonical bytes and the canonical text itself (a number as the digest canonicalises it:
// 8.50 arrives as `n8.5`). `display` is how the report, the CLI and the web UI show one. The
// schema is in capturedValueSchema.ts, so that the web UI's bundle needs no TypeBox.

/** Value kinds and their wire tags: `string_prefix` is a string the filter cut to its first maxStringBytes bytes. */
export const CAPTURED_KINDS = ['number', 'string', 'string_prefix', 'true', 'false', 'null'] as const;
export type CapturedKind = (typeof CAPTURED_KINDS)[number];

const TAGS = { n: 'number', s: 'string', p: 'string_prefix', t: 'true', f: 'false', z: 'null' } as const satisfies Record<
  string,
  CapturedKind
>;

export function capturedKind(value: string): CapturedKind {
  return TAGS[value[0] as keyof typeof TAGS];
}

/** The numeric value of a captured number, or null for any other kind. */
export function capturedNumberText(value: string): string | null {
  return value[0] === 'n' ? value.slice(1) : null;
}

/** How a value reads in a report: numbers as they are, strings quoted (`…` after a cut one), literals by name. */
export function display(value: string): string {
  switch (capturedKind(value)) {
    case 'number':
      return value.slice(1);
    case 'string':
      return JSON.stringify(value.slice(1));
    case 'string_prefix':
      return `${JSON.stringify(value.slice(1))}…`;
    default:
      return capturedKind(value);
  }
}
