// Writes filter/wire-format.schema.json and filter/wire-format-v2.schema.json from the
// collector's TypeBox definitions (collector/ingest/wireSchema.ts, wireSchemaV2.ts), the one
// source of each wire format version.
// Run after changing a definition: npm run gen:wire-schema

import { writeFileSync } from 'node:fs';
import { WIRE_SCHEMA_URL, wireSchemaJson } from '../collector/ingest/wireSchema.js';
import { WIRE_SCHEMA_V2_URL, wireSchemaV2Json } from '../collector/ingest/wireSchemaV2.js';

for (const [url, json] of [
  [WIRE_SCHEMA_URL, wireSchemaJson()],
  [WIRE_SCHEMA_V2_URL, wireSchemaV2Json()],
] as const) {
  writeFileSync(url, json);
  console.log(`wrote ${url.pathname}`);
}
