// Property paths. The module sends a path as its segments separated by NUL
// bytes ("request\0path"); tests name a path either as its segments
// (['request', 'path']) or, when no segment contains a dot, dotted
// ('request.path').

export type PropertyPath = string | readonly string[];

export function propertyKey(path: PropertyPath): string {
  return (typeof path === 'string' ? path.split('.') : path).join('\u0000');
}
