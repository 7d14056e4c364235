// A deterministic plan of mixed traffic for the order service: who sends what, in which order.
// Pure (no I/O, no clock): the same seed always gives the same requests, so a demo driving them
// through Envoy shows the same divergences every run.
//
// Users fall in the three segments the edge filter samples by: employees (group `employee`, always
// mirrored by the shipped edge config), beta users (group `beta`) and everyone else. A user is who
// their token says (`sub`, `group`), which the edge verifies: the plan names the user, and whoever
// sends it signs the token. Each of v2's regressions is sent at least once by an employee, so each
// is mirrored whatever the sampling of the other segments decides.

import { CATALOG, HOT_SKUS } from './orders/catalog.js';
import { CURRENCIES } from './orders/currencies.js';
import {
  CACHE_MISS_ORDER_IDS,
  CACHED_ORDER_IDS,
  isRoundingTie,
  LISTED_BUNDLE_SIZES,
  ROUNDING_TIES,
  UNLISTED_BUNDLE_SIZES,
} from './orders/regressionInputs.js';
import { DOMESTIC_COUNTRY } from './orders/shippingTariff.js';
import { SeededRandom } from './seededRandom.js';

export type Segment = 'employee' | 'beta' | 'public';

/** What a request exercises; the regression scenarios are the ones v2 answers differently. */
export type Scenario =
  | 'quote'
  | 'quote-rounding-tie'
  | 'quote-redeem-points'
  | 'quote-cache-misses'
  | 'shipping-domestic'
  | 'shipping-international'
  | 'catalog-item'
  | 'catalog-bundle-unlisted'
  | 'create-order';

export const REGRESSION_SCENARIOS: readonly Scenario[] = [
  'quote-rounding-tie',
  'quote-redeem-points',
  'quote-cache-misses',
  'shipping-international',
  'catalog-bundle-unlisted',
];

export interface CreateOrderRequestBody {
  clientOrderRef: string;
  items: Array<{ sku: string; quantity: number }>;
}

/** Who sends a request: the claims of the token it carries. */
export interface PlanUser {
  /** The token's `sub`: the edge's sticky sampling key. */
  id: string;
  /** The token's `group`, which the edge's segments match; none for the public. */
  group?: string;
}

export interface PlannedRequest {
  method: 'GET' | 'POST';
  /** Path and query string. */
  path: string;
  /** Headers besides the token. */
  headers: Record<string, string>;
  user: PlanUser;
  /** JSON body of a POST. */
  body?: CreateOrderRequestBody;
  segment: Segment;
  scenario: Scenario;
}

export interface TrafficPlanOptions {
  seed: number;
  /** At least MIN_PLAN_REQUESTS: one of each regression from an employee, one beta, one public. */
  requests: number;
}

/** How often each scenario is drawn; a multi-pack size without a discount is rare, as it should be. */
const SCENARIO_WEIGHTS: Readonly<Record<Scenario, number>> = {
  quote: 30,
  'catalog-item': 15,
  'create-order': 10,
  'shipping-domestic': 8,
  'shipping-international': 8,
  'quote-rounding-tie': 8,
  'quote-redeem-points': 8,
  'quote-cache-misses': 8,
  'catalog-bundle-unlisted': 2,
};

const SEGMENT_WEIGHTS: Readonly<Record<Segment, number>> = { employee: 15, beta: 25, public: 60 };

const USERS: Readonly<Record<Segment, readonly string[]>> = {
  employee: numbered('emp', 5),
  beta: numbered('beta', 20),
  public: numbered('user', 200),
};

/** The token `group` of each segment's users. */
export const SEGMENT_GROUPS: Readonly<Record<Segment, string | undefined>> = { employee: 'employee', beta: 'beta', public: undefined };

const INTERNATIONAL_COUNTRIES = ['FR', 'NL', 'AT', 'PL', 'GB', 'CH', 'US', 'JP'];

const CATALOG_SKUS = [...CATALOG.keys()];
const HOT_SKU_LIST = [...HOT_SKUS];
/** Quotes that meet no regression: best sellers only, in a currency where the rounding agrees. */
const UNTIED_QUOTES = CACHED_ORDER_IDS.flatMap((orderId) =>
  CURRENCIES.filter((currency) => !isRoundingTie(orderId, currency)).map((currency) => ({ orderId, currency })),
);

export const MIN_PLAN_REQUESTS = REGRESSION_SCENARIOS.length + 2;

export function buildTrafficPlan(options: TrafficPlanOptions): PlannedRequest[] {
  const { seed, requests } = options;
  if (!Number.isInteger(requests) || requests < MIN_PLAN_REQUESTS) {
    throw new RangeError(`requests must be an integer of at least ${MIN_PLAN_REQUESTS}, not ${requests}`);
  }
  const random = new SeededRandom(seed);
  const guaranteed: Array<[Segment, Scenario]> = [
    ...REGRESSION_SCENARIOS.map((scenario): [Segment, Scenario] => ['employee', scenario]),
    ['beta', 'quote'],
    ['public', 'quote'],
  ];
  const drawn = Array.from({ length: requests - guaranteed.length }, (): [Segment, Scenario] => [
    random.weighted(SEGMENT_WEIGHTS),
    random.weighted(SCENARIO_WEIGHTS),
  ]);
  return random
    .shuffled([...guaranteed, ...drawn])
    .map(([segment, scenario], index) => planRequest(random, segment, scenario, `plan-${seed}-${index}`));
}

function planRequest(random: SeededRandom, segment: Segment, scenario: Scenario, requestRef: string): PlannedRequest {
  const group = SEGMENT_GROUPS[segment];
  const user: PlanUser = { id: random.pick(USERS[segment]), ...(group === undefined ? {} : { group }) };
  const get = (path: string): PlannedRequest => ({ method: 'GET', path, headers: {}, user, segment, scenario });
  switch (scenario) {
    case 'quote': {
      const { orderId, currency } = random.pick(UNTIED_QUOTES);
      return get(`/orders/${orderId}?currency=${currency}`);
    }
    case 'quote-rounding-tie': {
      const { orderId, currency } = random.pick(ROUNDING_TIES);
      return get(`/orders/${orderId}?currency=${currency}`);
    }
    // In euros: a discount changes the total, and a converted total might become a rounding tie.
    case 'quote-redeem-points':
      return get(`/orders/${random.pick(CACHED_ORDER_IDS)}?currency=EUR&redeemPoints=${50 * random.integer(1, 40)}`);
    case 'quote-cache-misses':
      return get(`/orders/${random.pick(CACHE_MISS_ORDER_IDS)}`);
    case 'shipping-domestic':
      return get(`/orders/${random.pick(CACHED_ORDER_IDS)}/shipping?country=${DOMESTIC_COUNTRY}`);
    case 'shipping-international':
      return get(`/orders/${random.pick(CACHED_ORDER_IDS)}/shipping?country=${random.pick(INTERNATIONAL_COUNTRIES)}`);
    case 'catalog-item': {
      const sku = random.pick(CATALOG_SKUS);
      return get(`/catalog/items/${random.next() < 0.5 ? sku : `${sku}-B${random.pick(LISTED_BUNDLE_SIZES)}`}`);
    }
    case 'catalog-bundle-unlisted':
      return get(`/catalog/items/${random.pick(CATALOG_SKUS)}-B${random.pick(UNLISTED_BUNDLE_SIZES)}`);
    case 'create-order': {
      const items = Array.from({ length: random.integer(1, 3) }, () => ({
        sku: random.pick(HOT_SKU_LIST),
        quantity: random.integer(1, 3),
      }));
      return {
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        user,
        body: { clientOrderRef: requestRef, items },
        segment,
        scenario,
      };
    }
  }
}

function numbered(prefix: string, count: number): string[] {
  const width = String(count).length + 1;
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
}
