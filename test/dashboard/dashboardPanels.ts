// The queries of deploy/grafana/dashboards/shadowdiff.json, panel by panel, and the expression
// Prometheus evaluates for each once Grafana's variables are replaced.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../devkit/paths.js';

export const DASHBOARD_FILE = join(PROJECT_ROOT, 'deploy', 'grafana', 'dashboards', 'shadowdiff.json');

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

export interface DashboardPanel {
  title: string;
  type: string;
  queries: PanelQuery[];
}

interface RawPanel {
  title?: unknown;
  type?: unknown;
  targets?: unknown;
  /** Collapsed rows keep their panels inside. */
  panels?: unknown;
}

/** Every panel that shows data (rows and text panels have no queries and are left out). */
export function dashboardPanels(): DashboardPanel[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels?: unknown; templating?: { list?: unknown[] } };
  if ((dashboard.templating?.list ?? []).length > 0) {
    // Each template variable needs a value chosen here; none exists yet, so none is guessed.
    throw new Error(`${DASHBOARD_FILE}: template variables are not substituted by the dashboard proof yet`);
  }
  return flatten(arrayAt(dashboard.panels, 'panels')).flatMap((raw) => {
    const title = stringAt(raw.title, 'a panel title');
    const type = stringAt(raw.type, `the type of panel "${title}"`);
    if (type === 'row' || type === 'text') return [];
    const queries = arrayAt(raw.targets, `targets of panel "${title}"`).map((target, index) => {
      const { refId, expr } = target as { refId?: unknown; expr?: unknown };
      return {
        panel: title,
        refId: stringAt(refId, `refId of target ${index} of panel "${title}"`),
        expr: stringAt(expr, `expr of target ${index} of panel "${title}"`),
      };
    });
    if (queries.length === 0) throw new Error(`${DASHBOARD_FILE}: panel "${title}" has no query`);
    return [{ title, type, queries }];
  });
}

/** The values Grafana would put in for its built-in variables; all are durations here. */
export interface GrafanaDurations {
  rateInterval: string;
  interval: string;
  range: string;
}

const BUILT_INS: ReadonlyArray<[RegExp, keyof GrafanaDurations]> = [
  [/\$__rate_interval\b|\$\{__rate_interval\}/g, 'rateInterval'],
  [/\$__interval\b|\$\{__interval\}/g, 'interval'],
  [/\$__range\b|\$\{__range\}/g, 'range'],
];

/** `expr` with Grafana's variables replaced; any variable left over is an error naming it. */
export function substituteGrafanaVariables(expr: string, durations: GrafanaDurations): string {
  const substituted = BUILT_INS.reduce((text, [pattern, name]) => text.replace(pattern, durations[name]), expr);
  const left = substituted.match(/\$\{?\w+\}?/);
  if (left !== null) throw new Error(`${expr}: the dashboard proof has no value for ${left[0]}`);
  return substituted;
}

function flatten(panels: readonly unknown[]): RawPanel[] {
  return panels.flatMap((panel) => {
    const raw = panel as RawPanel;
    return [raw, ...(raw.panels === undefined ? [] : flatten(arrayAt(raw.panels, 'row panels')))];
  });
}

function arrayAt(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${DASHBOARD_FILE}: ${what} is not a list`);
  return value;
}

function stringAt(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${DASHBOARD_FILE}: ${what} is not a non-empty string`);
  return value;
}
