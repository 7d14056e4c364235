// Route keys: method + path template. Configured templates win (first match); otherwise numeric,
// UUID and long hex segments collapse to {id}. How many routes are tracked apart is the
// scoreboard's business (score/scoreboard.ts): the heaviest are kept, the rest fold into `other`.

export const OTHER_ROUTE = 'other';
export const ID_PLACEHOLDER = '{id}';

const PARAM = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;
/** Shortest all-hex segment treated as an identifier (Mongo ObjectIds are 24, SHA-1 is 40). */
const MIN_HEX_ID_LENGTH = 16;

/** Why `template` is not a valid route template, or null when it is. */
export function templateProblem(template: string): string | null {
  if (!template.startsWith('/')) return 'must start with "/"';
  for (const segment of template.split('/').slice(1)) {
    if ((segment.includes('{') || segment.includes('}')) && !PARAM.test(segment)) {
      return `segment "${segment}" must be a literal or a whole {name} parameter`;
    }
  }
  return null;
}

interface CompiledTemplate {
  template: string;
  pattern: RegExp;
}

function compileTemplate(template: string): CompiledTemplate {
  const body = template
    .split('/')
    .map((segment) => (PARAM.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { template, pattern: new RegExp(`^${body.replace(/\/$/, '')}/?$`) };
}

/** `METHOD /template` for a request: the report's and the metrics' route key. */
export class RouteResolver {
  private readonly templates: CompiledTemplate[];

  constructor(templates: readonly string[]) {
    this.templates = templates.map((template) => {
      const problem = templateProblem(template);
      if (problem !== null) throw new Error(`route template "${template}": ${problem}`);
      return compileTemplate(template);
    });
  }

  resolve(method: string, path: string): string {
    return `${method} ${this.templateOf(path)}`;
  }

  private templateOf(path: string): string {
    for (const compiled of this.templates) {
      if (compiled.pattern.test(path)) return compiled.template;
    }
    return collapseIdSegments(path);
  }
}

/** `/orders/123/items/9f1c…` -> `/orders/{id}/items/{id}`; allocates only when something collapses. */
export function collapseIdSegments(path: string): string {
  let out: string | null = null;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== 47 /* / */) continue;
    if (i > start && isIdLike(path, start, i)) {
      if (out === null) out = path.slice(0, start);
      out += ID_PLACEHOLDER;
    } else if (out !== null) {
      out += path.slice(start, i);
    }
    if (out !== null && i < path.length) out += '/';
    start = i + 1;
  }
  return out ?? path;
}

/**
 * Whether `text[start, end)` looks like an identifier rather than a name: all digits, a UUID, or
 * 16+ hex digits. The one classifier for route segments and for field-path map keys
 * (compare/fieldRows.ts), so both collapse the same things.
 */
export function isIdLike(path: string, start = 0, end = path.length): boolean {
  const length = end - start;
  if (length === 0) return false;
  let digitsOnly = true;
  let hexOnly = true;
  for (let i = start; i < end; i++) {
    const c = path.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (!digit) digitsOnly = false;
    if (!digit && !((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) hexOnly = false;
  }
  if (digitsOnly) return true;
  if (hexOnly) return length >= MIN_HEX_ID_LENGTH;
  return length === 36 && isUuid(path, start);
}

/** 8-4-4-4-12 hex digits. */
function isUuid(path: string, start: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = path.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45 /* - */) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) {
      return false;
    }
  }
  return true;
}
