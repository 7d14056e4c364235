// vitest setup file: every fast-check property runs from one fixed seed, so a run is repeatable
// and a failure's report ("{ seed: N, path: ... }") names the seed that reproduces it. Another
// seed: SHADOWDIFF_FC_SEED=<int32> npx vitest run <file>.
import fc from 'fast-check';

const DEFAULT_SEED = 20_240_611;
const VARIABLE = 'SHADOWDIFF_FC_SEED';

function propertySeed(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SEED;
  const seed = /^-?\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seed >= -(2 ** 31) && seed < 2 ** 31))
    throw new Error(`${VARIABLE} must be a 32-bit integer (as fast-check prints seeds), got ${JSON.stringify(value)}`);
  return seed;
}

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: propertySeed(process.env[VARIABLE]) });
