// The control headers' names under the configured prefix and the shadow host suffix, in
// UTF-8, built once per configuration: the request path compares and writes them as bytes.
import { HeaderPairsView } from "../host/headerPairsView";

export class ControlHeaders {
  private prefix: ArrayBuffer;
  // The prefix's bytes as plain numbers: isControl runs for every request header, and reading
  // the ArrayBuffer field there would cost a retain and a release each time.
  private prefixStart: usize;
  private prefixLength: i32;
  readonly sampled: ArrayBuffer;
  readonly id: ArrayBuffer;
  readonly segment: ArrayBuffer;
  readonly reason: ArrayBuffer;
  /** The routing header of a sampled request that is mirrored to the secondary too. */
  readonly secondary: ArrayBuffer;
  /** The shadow marker. */
  readonly shadow: ArrayBuffer;
  /** `shadowHostSuffix`: an authority ending with it is a shadow copy (primary role). */
  readonly hostSuffix: ArrayBuffer;

  constructor(prefix: string, hostSuffix: string) {
    this.hostSuffix = String.UTF8.encode(hostSuffix);
    this.prefix = String.UTF8.encode(prefix);
    this.prefixStart = changetype<usize>(this.prefix);
    this.prefixLength = this.prefix.byteLength;
    this.sampled = String.UTF8.encode(prefix + "sampled");
    this.id = String.UTF8.encode(prefix + "id");
    this.segment = String.UTF8.encode(prefix + "segment");
    this.reason = String.UTF8.encode(prefix + "reason");
    this.secondary = String.UTF8.encode(prefix + "secondary");
    this.shadow = String.UTF8.encode(prefix + "shadow");
  }

  /**
   * Entry `i`'s name starts with the prefix, reading `_` as `-`: servers that expose headers as
   * CGI-style variables (HTTP_X_SHADOWDIFF_SHADOW) cannot tell `x_shadowdiff_shadow` from the
   * marker, and Envoy passes underscored names on by default.
   */
  isControl(headers: HeaderPairsView, i: i32): bool {
    const length = this.prefixLength;
    if (headers.nameLength(i) < length) return false;
    const name = headers.nameStart(i);
    const prefix = this.prefixStart;
    for (let j = 0; j < length; j++) {
      if (dashForUnderscore(load<u8>(name + j)) != dashForUnderscore(load<u8>(prefix + j))) return false;
    }
    return true;
  }
}

// @ts-ignore: decorator
@inline
function dashForUnderscore(c: u32): u32 {
  return c == 0x5f ? 0x2d : c;
}
