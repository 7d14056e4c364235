// The stream contexts of observed legs, kept for reuse: one pool per root context and
// configuration. A context and what it holds (its LegInfo, its ResponseDigest and that digest's
// structural digest, with their buffers) then outlive the stream: proxy_on_delete hands the
// context back instead of freeing a graph of objects, and the next observed leg starts it over
// (ShadowdiffStream#observe resets every piece). Bounded: at most MAX_IDLE_STREAMS wait here;
// more are freed as before. A reconfigured root starts a new pool, so a context never serves a
// leg under another configuration than it was made for.
//
// The pools are kept here, by root context id, not by the root: a context holds its root, so a
// root holding its pool would make ShadowdiffStream a cyclic type, and AssemblyScript 0.17 then
// leaves any context whose count once dropped to a non-zero value to the cycle collector
// (__collect), which nothing runs: one dropped after that would never be freed. The idle
// contexts sit in an IdleStack, not an Array (lib/idleStack.ts says why: Array#pop leaked every
// reused context in Envoy). test/filter/poolMemory.test.ts guards both.
import { PluginConfig } from "../config/pluginConfig";
import { ShadowdiffRoot } from "./rootContext";
import { IdleStack } from "../lib/idleStack";
import { ShadowdiffStream } from "./streamContext";

/**
 * Idle contexts kept per worker. Enough for the sampled streams that end close together on one
 * worker; each holds a few kilobytes (its buffers keep at most what the digest bounds allow).
 */
const MAX_IDLE_STREAMS: i32 = 8;

class StreamPool {
  readonly idle: IdleStack<ShadowdiffStream> = new IdleStack<ShadowdiffStream>(MAX_IDLE_STREAMS);

  constructor(readonly config: PluginConfig) {}
}

/** Root context id -> the idle contexts of its current configuration. */
const pools = new Map<u32, StreamPool>();

/** A context for the next observed leg of `root` (configured): an idle one, or a new one. Its caller starts it (observe). */
export function takeStream(root: ShadowdiffRoot): ShadowdiffStream {
  const config = root.config!;
  const id = root.contextId;
  if (pools.has(id) && pools.get(id).config === config) {
    const idle = pools.get(id).idle.take();
    if (idle !== null) return idle;
  } else pools.set(id, new StreamPool(config));
  return new ShadowdiffStream(root, config);
}

/** Keeps the context of a finished stream of root `rootId` for a later leg, if it fits the root's configuration and there is room. */
export function recycleStream(rootId: u32, stream: ShadowdiffStream): void {
  if (!pools.has(rootId)) return;
  const pool = pools.get(rootId);
  if (stream.config === pool.config) pool.idle.give(stream);
}

/** The root context `rootId` is deleted: its idle contexts are freed. */
export function dropStreamPool(rootId: u32): void {
  if (pools.has(rootId)) pools.delete(rootId);
}
