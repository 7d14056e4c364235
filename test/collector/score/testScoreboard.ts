// The scoreboard the score tests count into: small tables, no byte budget to speak of, nothing ignored.
import { ByteBudget } from '../../../collector/budget/byteBudget.js';
import { FieldRows } from '../../../collector/compare/fieldRows.js';
import { defaultConfig } from '../../../collector/config.js';
import { Scoreboard, type ScoreboardSettings } from '../../../collector/score/scoreboard.js';

export const NOTHING_IGNORED = { field: () => false, header: () => false, subtree: () => 'none' as const };

export function testScoreboard(overrides: Partial<ScoreboardSettings> = {}): Scoreboard {
  return new Scoreboard({
    examplesPerField: 3,
    maxRoutes: 200,
    maxFieldsPerRoute: 100,
    noise: { threshold: 0.9, minPairs: 20 },
    rows: FieldRows.INDICES_ONLY,
    budget: new ByteBudget(Number.MAX_SAFE_INTEGER),
    latency: defaultConfig().score.latency,
    ...overrides,
  });
}
