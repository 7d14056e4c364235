// Ignore rules: field path globs and header names, global and per route. They are applied when a
// pair is compared (not in the filter), so changing them needs no filter rollout; the server
// reloads them on SIGHUP (with compare.tolerances).
//
// Field globs: `*` matches within one key, `[*]` any array index, `**` anything. A glob also
// covers everything below what it matches: `$.meta` ignores `$.meta.timestamp`. A path is
// ignored when the glob matches it as the filter wrote it or as its report row
// (compare/fieldRows.ts), so `$.prices[{key}].amount` ignores `$.prices["sku-1"].amount`.

import { FieldRows } from './fieldRows.js';
import { globReach, globTokens, keyRowSpelling, type GlobReach } from './subtreeIgnore.js';
import type { IgnoreConfig, RouteIgnoreConfig } from '../types.js';

export interface RouteIgnore {
  field(path: string): boolean;
  header(name: string): boolean;
  /** What the field globs say about a subtree entry (subtreeIgnore.ts), whose hash covers many leaves. */
  subtree(name: string): GlobReach;
}

const HEADER_GLOB = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

export function fieldGlobProblem(glob: string): string | null {
  if (!glob.startsWith('$')) return 'must start with "$" (a JSON path such as $.meta.timestamp)';
  if (glob.length > 1024) return 'must be at most 1024 characters';
  return null;
}

export function headerGlobProblem(glob: string): string | null {
  return HEADER_GLOB.test(glob) ? null : 'must be a lower-case header name (`*` allowed as a wildcard)';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fieldGlobSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**', i)) {
      out += '.*';
      i++;
    } else if (glob.startsWith('[*]', i)) {
      // an index as written, or the [*] of a report row
      out += '\\[(?:\\d+|\\*)\\]';
      i += 2;
    } else if (glob[i] === '*') {
      out += '[^.[]*';
    } else {
      out += escapeRegExp(glob[i] ?? '');
    }
  }
  return out;
}

/** One matcher of field paths for all of `globs` (at least one), each covering what lies below it. */
export function fieldGlobRegExp(globs: readonly string[]): RegExp {
  return new RegExp(`^(?:${globs.map(fieldGlobSource).join('|')})(?=$|[.[])`);
}

function fieldMatcher(globs: readonly string[]): RegExp | null {
  if (globs.length === 0) return null;
  return fieldGlobRegExp(globs);
}

function headerMatcher(globs: readonly string[]): RegExp | null {
  if (globs.length === 0) return null;
  return new RegExp(`^(?:${globs.map((g) => g.split('*').map(escapeRegExp).join('.*')).join('|')})$`);
}

class CompiledIgnore implements RouteIgnore {
  private readonly fieldTokens: ReturnType<typeof globTokens>[];

  constructor(
    private readonly fields: RegExp | null,
    private readonly headers: RegExp | null,
    private readonly rows: FieldRows,
    fieldGlobs: readonly string[],
  ) {
    this.fieldTokens = fieldGlobs.map(globTokens);
  }

  subtree(name: string): GlobReach {
    if (this.fieldTokens.length === 0) return 'none';
    const row = keyRowSpelling(name, this.rows.row(name));
    return globReach(this.fieldTokens, row === null || row === name ? [name] : [name, row]);
  }

  field(path: string): boolean {
    if (this.fields === null) return false;
    if (this.fields.test(path)) return true;
    const row = this.rows.row(path);
    return row !== path && this.fields.test(row);
  }

  header(name: string): boolean {
    return this.headers?.test(name) ?? false;
  }
}

export class IgnoreRules {
  /**
   * One compiled matcher per route with rules of its own; every other route shares the global
   * one. Routes come from clients, so caching one matcher per route seen would grow without bound.
   */
  private readonly perRoute = new Map<string, RouteIgnore>();
  private readonly global: RouteIgnore;

  /** `config` is expected to have passed config validation (fieldGlobProblem, headerGlobProblem). */
  constructor(
    private readonly config: IgnoreConfig,
    private readonly rows: FieldRows = FieldRows.INDICES_ONLY,
  ) {
    this.global = this.compile(config);
  }

  forRoute(route: string): RouteIgnore {
    const cached = this.perRoute.get(route);
    if (cached !== undefined) return cached;
    const specific = this.specificRules(route);
    if (specific.length === 0) return this.global;
    const compiled = this.compile({
      fields: [...this.config.fields, ...specific.flatMap((rules) => rules.fields)],
      headers: [...this.config.headers, ...specific.flatMap((rules) => rules.headers)],
    });
    this.perRoute.set(route, compiled);
    return compiled;
  }

  private compile(rules: RouteIgnoreConfig): RouteIgnore {
    return new CompiledIgnore(fieldMatcher(rules.fields), headerMatcher(rules.headers), this.rows, rules.fields);
  }

  /** The rules keyed by the exact route (`GET /a/{id}`) or its template (`/a/{id}`). */
  private specificRules(route: string): RouteIgnoreConfig[] {
    const space = route.indexOf(' ');
    const template = space < 0 ? route : route.slice(space + 1);
    const found: RouteIgnoreConfig[] = [];
    for (const key of new Set([route, template])) {
      const specific = Object.hasOwn(this.config.routes, key) ? this.config.routes[key] : undefined;
      if (specific !== undefined) found.push(specific);
    }
    return found;
  }
}
