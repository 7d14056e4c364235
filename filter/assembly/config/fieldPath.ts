// How configuration errors name a field: `sampling.segments[1].percent`. Keys and values come
// from the operator's text, so they are escaped and shortened: an error is always one short log
// line, whatever the configuration holds (newlines, control characters, megabyte keys).

/** The path of the whole configuration. */
export const ROOT = "configuration";

/** Longest piece of configuration text quoted in an error message. */
const MAX_QUOTED = 64;

export function memberPath(parent: string, key: string): string {
  if (isIdentifier(key)) {
    if (parent == ROOT) return key;
    return parent + "." + key;
  }
  if (parent == ROOT) return "[" + quoted(key) + "]";
  return parent + "[" + quoted(key) + "]";
}

export function itemPath(parent: string, index: i32): string {
  return parent + "[" + index.toString() + "]";
}

/** `text` as a JSON string literal of printable ASCII, cut after MAX_QUOTED characters. */
export function quoted(text: string): string {
  let out = "\"";
  const end = min(text.length, MAX_QUOTED);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else out += "\\u" + hex4(c);
  }
  if (text.length > MAX_QUOTED) out += "...";
  return out + "\"";
}

function hex4(unit: i32): string {
  let out = "";
  for (let shift = 12; shift >= 0; shift -= 4) out += "0123456789abcdef".charAt((unit >> shift) & 0xf);
  return out;
}

function isIdentifier(key: string): bool {
  if (key.length == 0 || key.length > MAX_QUOTED) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f;
    if (!letter && (i == 0 || c < 0x30 || c > 0x39)) return false;
  }
  return true;
}
