// Header names a server may read as the same header. Envoy folds case (one lower-case name covers
// `X-ShadowDiff-Shadow`), but `_` and `-` are different characters to it, while CGI-style servers
// (and many frameworks after them) map both to `_`. A removal that must hold for such a primary
// lists every spelling.

/** `name` with each `-` or `_` spelled either way: 2^n names for n separators, `name` first. */
export function separatorSpellings(name: string): string[] {
  const parts = name.split(/[-_]/);
  let spellings = [parts[0] ?? ''];
  for (const part of parts.slice(1)) spellings = spellings.flatMap((prefix) => [`${prefix}-${part}`, `${prefix}_${part}`]);
  return spellings;
}
