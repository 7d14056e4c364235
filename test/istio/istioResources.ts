// The shipped Istio resources as typed values, for tests that check how they fit together. Each
// resource is validated against its CRD before it is typed: a resource the CRD refuses fails
// here, so the types below only ever describe data of the shape the schema guarantees.

import { CrdValidator } from './crdValidator.js';
import { loadShippedManifests } from './manifests.js';

export interface Destination {
  host: string;
  subset?: string;
}

export interface HttpRoute {
  name?: string;
  match?: Array<{ headers?: Record<string, { exact?: string; prefix?: string; regex?: string }>; gateways?: string[] }>;
  route: Array<{ destination: Destination; weight?: number }>;
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  /** Istio 1.28+: several mirrors, each with its own percentage. */
  mirrors?: Array<{ destination: Destination; percentage?: { value: number } }>;
  headers?: { request?: { remove?: string[] } };
}

export interface VirtualServiceSpec {
  hosts: string[];
  gateways?: string[];
  http: HttpRoute[];
}

export interface DestinationRuleSpec {
  host: string;
  subsets: Array<{ name: string; labels: Record<string, string> }>;
}

export interface EnvoyFilterSpec {
  workloadSelector?: { labels: Record<string, string> };
  configPatches: Array<{
    applyTo: string;
    match: {
      context: string;
      listener?: { filterChain?: { filter?: { name?: string; subFilter?: { name?: string } } } };
    };
    /** `value` is free-form in the CRD (preserve-unknown-fields): read it with runtime checks. */
    patch: { operation: string; value?: unknown };
  }>;
}

export interface WasmPluginSpec {
  selector?: { matchLabels: Record<string, string> };
  match?: Array<{ mode?: string }>;
  url: string;
  sha256?: string;
  pluginName?: string;
  phase?: string;
  failStrategy?: string;
  type?: string;
  pluginConfig?: Record<string, unknown>;
}

interface SpecsByKind {
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  EnvoyFilter: EnvoyFilterSpec;
  WasmPlugin: WasmPluginSpec;
}

export interface IstioResource<Spec> {
  source: string;
  apiVersion: string;
  metadata: { name: string; namespace: string };
  spec: Spec;
}

/** The shipped resources of one kind, validated against the CRDs. */
export function shippedResources<Kind extends keyof SpecsByKind>(kind: Kind): Array<IstioResource<SpecsByKind[Kind]>> {
  const validator = CrdValidator.shared();
  return loadShippedManifests().flatMap(({ source, resource }) => {
    const problems = validator.validate(resource, source);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    // Validated above against the CRD's schema, which the Spec types transcribe.
    const typed = resource as { kind: string } & IstioResource<SpecsByKind[Kind]>;
    return typed.kind === kind ? [{ ...typed, source }] : [];
  });
}
