// Ignore rules: field path globs and header names, global and per route. They are applied when a
// pair is compared (not in the filter), so changing them needs no filter rollout; the server
// reloads them on SIGHUP.
//
// Field globs: `*` matches within one key, `[*]` any array index, `**` anything. A glob also
// covers everything below what it matches: `$.meta` ignores `$.meta.timestamp`.

import type { IgnoreConfig, RouteIgnoreConfig } from '../types.js';

export interface RouteIgnore {
  field(path: string): boolean;
  header(name: string): boolean;
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
      out += '\\[\\d+\\]';
      i += 2;
    } else if (glob[i] === '*') {
      out += '[^.[]*';
    } else {
      out += escapeRegExp(glob[i] ?? '');
    }
  }
  return out;
}

function fieldMatcher(globs: readonly string[]): RegExp | null {
  if (globs.length === 0) return null;
  return new RegExp(`^(?:${globs.map(fieldGlobSource).join('|')})(?=$|[.[])`);
}

function headerMatcher(globs: readonly string[]): RegExp | null {
  if (globs.length === 0) return null;
  return new RegExp(`^(?:${globs.map((g) => g.split('*').map(escapeRegExp).join('.*')).join('|')})$`);
}

class CompiledIgnore implements RouteIgnore {
  constructor(
    private readonly fields: RegExp | null,
    private readonly headers: RegExp | null,
  ) {}

  field(path: string): boolean {
    return this.fields?.test(path) ?? false;
  }

  header(name: string): boolean {
    return this.headers?.test(name) ?? false;
  }
}

export class IgnoreRules {
  /** One compiled matcher per route; the route set is capped, so this is too. */
  private readonly perRoute = new Map<string, RouteIgnore>();

  /** `config` is expected to have passed config validation (fieldGlobProblem, headerGlobProblem). */
  constructor(private readonly config: IgnoreConfig) {}

  forRoute(route: string): RouteIgnore {
    let compiled = this.perRoute.get(route);
    if (compiled === undefined) {
      const rules = this.rulesFor(route);
      compiled = new CompiledIgnore(fieldMatcher(rules.fields), headerMatcher(rules.headers));
      this.perRoute.set(route, compiled);
    }
    return compiled;
  }

  /** Global rules plus those keyed by the exact route (`GET /a/{id}`) or its template (`/a/{id}`). */
  private rulesFor(route: string): RouteIgnoreConfig {
    const fields = [...this.config.fields];
    const headers = [...this.config.headers];
    const space = route.indexOf(' ');
    const template = space < 0 ? route : route.slice(space + 1);
    for (const key of new Set([route, template])) {
      const specific = Object.hasOwn(this.config.routes, key) ? this.config.routes[key] : undefined;
      if (specific !== undefined) {
        fields.push(...specific.fields);
        headers.push(...specific.headers);
      }
    }
    return { fields, headers };
  }
}
