// Writes filter/wire-format.schema.json from the collector's TypeBox definition
// (collector/ingest/wireSchema.ts), the one source of the wire format.
// Run after changing the definition: npm run gen:wire-schema

import { writeFileSync } from 'node:fs';
import { WIRE_SCHEMA_URL, wireSchemaJson } from '../collector/ingest/wireSchema.js';

writeFileSync(WIRE_SCHEMA_URL, wireSchemaJson());
console.log(`wrote ${WIRE_SCHEMA_URL.pathname}`);
