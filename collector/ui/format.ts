// How the pages write numbers: rates as percentages, intervals, milliseconds, ages. Pure.

import type { WilsonInterval } from '../report/reportSchema.js';

/** Below this a share reads as 0%: an interval's bound of 2.8e-17 is float dust, not a rate. */
const DUST = 1e-9;

/** 0.1234 → "12.3%", tiny non-zero shares keep two significant digits; null → "–". */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined) return '–';
  if (Math.abs(share) < DUST) return '0%';
  const value = share * 100;
  return `${value < 0.1 ? Number(value.toPrecision(2)) : Number(value.toFixed(1))}%`;
}

export function interval(ci: WilsonInterval | null | undefined): string {
  return ci === null || ci === undefined ? '–' : `${percent(ci.low)} – ${percent(ci.high)}`;
}

/** Milliseconds with three significant digits ("0.482 ms", "12.5 ms", "1,230 ms"); null → "–". */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const rounded = Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(3));
  return `${rounded.toLocaleString('en-US')} ms`;
}

/** A signed difference in ms: "+3.2 ms", "−1.1 ms". */
export function signedMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value === 0) return '0 ms';
  return `${value > 0 ? '+' : '−'}${ms(Math.abs(value))}`;
}

/** "updated 4 s ago"-style ages, from the report's generation time. */
export function ago(thenUnixMs: number, nowUnixMs: number): string {
  const seconds = Math.max(0, Math.round((nowUnixMs - thenUnixMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ago` : `${Math.floor(minutes / 60)} h ago`;
}

/** A numeric difference with four significant digits and no float dust: 0.01, not 0.009999999999999787. */
export function difference(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** A count with thousands separators. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** 2026-12-02 18:40:05 UTC: the same reading wherever the browser is. */
export function utcTime(unixMs: number): string {
  return `${new Date(unixMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
