// Route keys: method + path template. Configured templates win (first match); otherwise numeric,
// UUID and long hex segments collapse to {id}. The number of distinct routes is capped so that
// metric labels and report size stay bounded; routes past the cap share the `other` route.

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

export interface RouteResolverSnapshot {
  known: string[];
  overflows: number;
}

export class RouteResolver {
  private readonly templates: CompiledTemplate[];
  private readonly known = new Set<string>();
  /** resolutions that fell into `other` because the cap was reached */
  overflows = 0;

  constructor(templates: readonly string[], private readonly maxRoutes: number) {
    this.templates = templates.map((template) => {
      const problem = templateProblem(template);
      if (problem !== null) throw new Error(`route template "${template}": ${problem}`);
      return compileTemplate(template);
    });
  }

  get size(): number {
    return this.known.size;
  }

  /** Routes seen, in first-seen order, so the cap keeps meaning the same routes after a restore. */
  snapshot(): RouteResolverSnapshot {
    return { known: [...this.known], overflows: this.overflows };
  }

  restore(snapshot: RouteResolverSnapshot): void {
    this.known.clear();
    for (const route of snapshot.known) this.known.add(route);
    this.overflows = snapshot.overflows;
  }

  resolve(method: string, path: string): string {
    const key = `${method} ${this.templateOf(path)}`;
    if (this.known.has(key)) return key;
    if (this.known.size >= this.maxRoutes) {
      this.overflows++;
      return OTHER_ROUTE;
    }
    this.known.add(key);
    return key;
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
    if (i > start && isIdSegment(path, start, i)) {
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

function isIdSegment(path: string, start: number, end: number): boolean {
  const length = end - start;
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
