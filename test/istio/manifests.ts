// The Istio manifests shipped in envoy/istio/, read the way `kubectl apply -f` reads them: every
// YAML document of every file is one resource.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ISTIO_MANIFEST_DIR = join(PROJECT_ROOT, 'envoy', 'istio');

export interface ManifestDocument {
  /** `envoy/istio/virtualservice-ingress.yaml#1`: file and 1-based document number. */
  source: string;
  resource: unknown;
}

/** The documents of one YAML text; `file` only names them. Throws on YAML syntax errors. */
export function parseManifest(text: string, file: string): ManifestDocument[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    const source = `${file}#${index + 1}`;
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors.map((error) => error.message).join('; ')}`);
    const resource: unknown = document.toJS();
    // An empty document (a trailing `---`) is not a resource; kubectl skips it too.
    return resource === null ? [] : [{ source, resource }];
  });
}

/** Every document of every .yaml file in envoy/istio/, files in name order. */
export function loadShippedManifests(): ManifestDocument[] {
  return readdirSync(ISTIO_MANIFEST_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .flatMap((name) => {
      const path = join(ISTIO_MANIFEST_DIR, name);
      return parseManifest(readFileSync(path, 'utf8'), relative(PROJECT_ROOT, path));
    });
}
