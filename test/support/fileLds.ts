import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject, JsonValue } from '../../envoy/json.js';

const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';

/**
 * Serves a bootstrap's listeners to Envoy from a watched file (LDS from the filesystem), so a test
 * can push a listener update the way a control plane would and see Envoy accept or reject it.
 */
export interface FileLds {
  /** The bootstrap to start Envoy with: its clusters, and its listeners from the file. */
  bootstrap: JsonObject;
  /** Replaces the served listeners with those of `bootstrap`. */
  pushListenersOf(bootstrap: JsonObject): Promise<void>;
  remove(): Promise<void>;
}

export async function serveListenersFromFile(bootstrap: JsonObject): Promise<FileLds> {
  const dir = await mkdtemp(join(tmpdir(), 'shadowdiff-lds-'));
  const ldsPath = join(dir, 'listeners.json');
  const pushListenersOf = async (source: JsonObject): Promise<void> => {
    const resources = staticListeners(source).map((listener) => ({ '@type': LISTENER_TYPE, ...asObject(listener) }));
    // Envoy watches the directory for a move onto the file: write aside, then rename.
    await writeFile(`${ldsPath}.next`, JSON.stringify({ resources }));
    await rename(`${ldsPath}.next`, ldsPath);
  };
  await pushListenersOf(bootstrap);
  return {
    bootstrap: {
      ...bootstrap,
      static_resources: { ...asObject(bootstrap['static_resources']), listeners: [] },
      dynamic_resources: {
        lds_config: { path_config_source: { path: ldsPath, watched_directory: { path: dir } }, resource_api_version: 'V3' },
      },
    },
    pushListenersOf,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function staticListeners(bootstrap: JsonObject): JsonValue[] {
  const listeners = asObject(bootstrap['static_resources'])['listeners'];
  if (!Array.isArray(listeners)) throw new Error('the bootstrap has no static listeners');
  return listeners;
}

function asObject(value: JsonValue | undefined): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  return value;
}
