// The stream contexts of observed legs, kept for reuse: one pool per root context and
// configuration. A context and what it holds (its LegInfo, its ResponseDigest and that digest's
// structural digest, with their buffers) then outlive the stream: proxy_on_delete hands the
// context back instead of freeing a graph of objects, and the next observed leg starts it over
// (ShadowdiffStream#observe resets every piece). Bounded: at most MAX_IDLE_STREAMS wait here;
// more are freed as before. A reconfigured root starts a new pool, so a context never serves a
// leg under another configuration than it was made for.
import { PluginConfig } from "../config/pluginConfig";
import { ShadowdiffRoot } from "./rootContext";
import { ShadowdiffStream } from "./streamContext";

/**
 * Idle contexts kept per worker. Enough for the sampled streams that end close together on one
 * worker; each holds a few kilobytes (its buffers keep at most what the digest bounds allow).
 */
const MAX_IDLE_STREAMS: i32 = 8;

export class StreamPool {
  private idle: Array<ShadowdiffStream> = new Array<ShadowdiffStream>();

  constructor(readonly config: PluginConfig) {}

  /** A context for the next observed leg of `root`: an idle one, or a new one. Its caller starts it (observe). */
  take(root: ShadowdiffRoot): ShadowdiffStream {
    if (this.idle.length > 0) return this.idle.pop();
    return new ShadowdiffStream(root, this.config);
  }

  /** Keeps `stream` for a later leg, if it was made for this pool's configuration and there is room. */
  give(stream: ShadowdiffStream): void {
    if (stream.config !== this.config || this.idle.length >= MAX_IDLE_STREAMS) return;
    this.idle.push(stream);
  }
}
