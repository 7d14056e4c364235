// A small JSON DOM parser for the plugin configuration (not for bodies: those are
// digested by the streaming parser). It never throws: errors come back as a message naming
// where the parser stopped (`digest.headers[2]`, offset). Depth and members per container are
// capped, so no configuration text can exhaust the stack, the memory or the time of configure.
import { ROOT, itemPath, memberPath } from "./fieldPath";

export const enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  number: f64 = 0;
  string: string = "";
  items: Array<JsonValue> = new Array<JsonValue>();
  keys: Array<string> = new Array<string>();

  /** The member named `key`, or null. */
  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    }
    return null;
  }

  kindName(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return "a boolean";
      case JsonKind.Number: return "a number";
      case JsonKind.String: return "a string";
      case JsonKind.Array: return "an array";
      default: return "an object";
    }
  }
}

const MAX_DEPTH = 32;
/** Far above any list or object the configuration has (the largest allows 64), and keeps the duplicate check cheap. */
const MAX_MEMBERS = 256;
/** Longest path quoted in a syntax error. */
const MAX_ERROR_PATH = 200;

export class JsonParser {
  error: string = "";
  private pos: i32 = 0;
  /** Path of the value being parsed, for errors. */
  private path: string = ROOT;

  constructor(private text: string) {}

  /** The parsed document, or null with `error` set. */
  parse(): JsonValue | null {
    const value = this.value(0);
    if (value === null) return null;
    this.skipWhitespace();
    if (this.pos < this.text.length) return this.failAt("unexpected text after the JSON value");
    return value;
  }

  private failAt(message: string): JsonValue | null {
    if (this.error.length > 0) return null;
    if (this.path == ROOT) {
      this.error = message + " at offset " + this.pos.toString();
      return null;
    }
    let path = this.path;
    if (path.length > MAX_ERROR_PATH) path = path.substring(0, MAX_ERROR_PATH) + "...";
    this.error = message + " at " + path + " (offset " + this.pos.toString() + ")";
    return null;
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  private value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.failAt("nested too deeply");
    this.skipWhitespace();
    if (this.pos >= this.text.length) return this.failAt("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const text = this.stringLiteral();
      if (text === null) return null;
      const value = new JsonValue();
      value.kind = JsonKind.String;
      value.string = text;
      return value;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.numberLiteral();
    if (this.consume("true")) return boolValue(true);
    if (this.consume("false")) return boolValue(false);
    if (this.consume("null")) return new JsonValue();
    return this.failAt("unexpected character");
  }

  private consume(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  private object(depth: i32): JsonValue | null {
    const result = new JsonValue();
    result.kind = JsonKind.Object;
    this.pos++;
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return result;
    }
    const parent = this.path;
    while (true) {
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.failAt("expected a member name");
      const key = this.stringLiteral();
      if (key === null) return null;
      this.path = memberPath(parent, key);
      if (result.get(key) !== null) return this.failAt("duplicate member");
      if (result.keys.length == MAX_MEMBERS) return this.failAt("more than " + MAX_MEMBERS.toString() + " members in one object");
      this.skipWhitespace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.failAt("expected ':'");
      this.pos++;
      const member = this.value(depth + 1);
      if (member === null) return null;
      result.keys.push(key);
      result.items.push(member);
      this.path = parent;
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.failAt("unexpected end of input");
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x7d) return result;
      if (c != 0x2c) return this.failAt("expected ',' or '}'");
    }
  }

  private array(depth: i32): JsonValue | null {
    const result = new JsonValue();
    result.kind = JsonKind.Array;
    this.pos++;
    this.skipWhitespace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return result;
    }
    const parent = this.path;
    while (true) {
      this.path = itemPath(parent, result.items.length);
      if (result.items.length == MAX_MEMBERS) return this.failAt("more than " + MAX_MEMBERS.toString() + " items in one array");
      const item = this.value(depth + 1);
      if (item === null) return null;
      result.items.push(item);
      this.path = parent;
      this.skipWhitespace();
      if (this.pos >= this.text.length) return this.failAt("unexpected end of input");
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x5d) return result;
      if (c != 0x2c) return this.failAt("expected ',' or ']'");
    }
  }

  private stringLiteral(): string | null {
    this.pos++;
    let out = "";
    let runStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.failAt("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.substring(runStart, this.pos);
      this.pos++;
      if (this.pos >= this.text.length) break;
      const e = this.text.charCodeAt(this.pos);
      this.pos++;
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75 && this.pos + 4 <= this.text.length) {
        const unit = parseHex4(this.text, this.pos);
        if (unit < 0) {
          this.failAt("bad \\u escape");
          return null;
        }
        out += String.fromCharCode(unit);
        this.pos += 4;
      } else {
        this.failAt("bad escape");
        return null;
      }
      runStart = this.pos;
    }
    this.failAt("unterminated string");
    return null;
  }

  private numberLiteral(): JsonValue | null {
    const start = this.pos;
    if (this.text.charCodeAt(this.pos) == 0x2d) this.pos++;
    const digitsStart = this.pos;
    while (this.pos < this.text.length && isAsciiDigit(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos == digitsStart) return this.failAt("bad number");
    if (this.text.charCodeAt(digitsStart) == 0x30 && this.pos - digitsStart > 1) return this.failAt("bad number (leading zero)");
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      const fracStart = this.pos;
      while (this.pos < this.text.length && isAsciiDigit(this.text.charCodeAt(this.pos))) this.pos++;
      if (this.pos == fracStart) return this.failAt("bad number");
    }
    if (this.pos < this.text.length && (this.text.charCodeAt(this.pos) | 0x20) == 0x65) {
      this.pos++;
      const sign = this.pos < this.text.length ? this.text.charCodeAt(this.pos) : 0;
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      const expStart = this.pos;
      while (this.pos < this.text.length && isAsciiDigit(this.text.charCodeAt(this.pos))) this.pos++;
      if (this.pos == expStart) return this.failAt("bad number");
    }
    const value = new JsonValue();
    value.kind = JsonKind.Number;
    value.number = parseFloat(this.text.substring(start, this.pos));
    return value;
  }
}

function boolValue(flag: bool): JsonValue {
  const value = new JsonValue();
  value.kind = JsonKind.Bool;
  value.bool = flag;
  return value;
}

function isAsciiDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function parseHex4(text: string, at: i32): i32 {
  let unit = 0;
  for (let i = 0; i < 4; i++) {
    const c = text.charCodeAt(at + i);
    let digit = -1;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) digit = (c | 0x20) - 0x61 + 10;
    if (digit < 0) return -1;
    unit = (unit << 4) | digit;
  }
  return unit;
}
