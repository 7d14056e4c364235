import type { Endpoint } from '../envoy/bootstrap.js';
import type { BenchPlan } from './benchPlan.js';
import type { CutDocument, CutName } from './corpusCuts.js';
import type { CoreLayout } from './cpuPinning.js';
import type { NginxUpstream } from './nginxUpstream.js';

/** What every measured line shares for a whole run: started once by run.ts, stopped once at the end. */
export interface BenchContext {
  plan: BenchPlan;
  layout: CoreLayout;
  documents: readonly CutDocument[];
  upstream: NginxUpstream;
  /** Answers every export batch with 200 at once. */
  acceptingCollector: Endpoint;
  /** Reads export batches and never answers. */
  holdingCollector: Endpoint;
  /** The shadow service answering 200 ms late. */
  delayedShadow: Endpoint;
  /** A port nothing listens on: a stopped shadow service. */
  stoppedShadow: Endpoint;
  /** No-filter saturation throughput per document, measured first; latency runs use half of it (line 4 uses half of its own baseline's). */
  saturationPerSecond: Map<CutName, number>;
  log(line: string): void;
}

export function documentPath(name: CutName): string {
  return `/${name}.json`;
}

/** The same document gzip-encoded by the upstream (bench/nginxUpstream.ts). */
export function gzipDocumentPath(name: CutName): string {
  return `/gz/${name}.json`;
}
