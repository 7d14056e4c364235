// Validates Kubernetes resources against the Istio CRDs in ../shared/istio/crds.yaml: the CRD
// is chosen by the resource's group and kind, the schema by its apiVersion, which the CRD must
// serve. Each problem names the resource, where it came from, and the failing field path.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { isRecord } from './jsonValues.js';
import { LIST_MAP_KEYS_KEYWORD, toJsonSchema, type SchemaNode } from './structuralSchema.js';

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, whose `default` is the plugin.
const addFormats = ajvFormats.default;

/** Read where it lives, beside the project: `../shared/istio/crds.yaml` from the repository root. */
const ISTIO_CRDS_FILE = fileURLToPath(new URL('../../../shared/istio/crds.yaml', import.meta.url));

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: SchemaNode };
}

interface Crd {
  group: string;
  kind: string;
  versions: CrdVersion[];
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?';

/**
 * The part of ObjectMeta a manifest author writes. The API server checks metadata itself (the
 * CRD schema does not cover it); this is the same check for the fields we use, and refuses the
 * rest so that a misspelled `namespace` is not silently dropped.
 */
const OBJECT_META: SchemaNode = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 253, pattern: `^${DNS_LABEL}(\\.${DNS_LABEL})*$` },
    namespace: { type: 'string', maxLength: 63, pattern: `^${DNS_LABEL}$` },
    labels: {
      type: 'object',
      propertyNames: { pattern: `^(${DNS_LABEL}(\\.${DNS_LABEL})*/)?${QUALIFIED_NAME}$` },
      additionalProperties: { type: 'string', maxLength: 63, pattern: `^(${QUALIFIED_NAME})?$` },
    },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

export interface ResourceIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

let shared: CrdValidator | undefined;

export class CrdValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(private readonly crds: readonly Crd[]) {
    this.ajv = new Ajv({
      // Unknown keywords and formats are errors: every CRD keyword must be understood, not skipped.
      strictSchema: true,
      // Structural schemas put `type` and `properties` on the node and constraints (`required`,
      // `oneOf`) in value validations beside it, which these two checks would reject.
      strictTypes: false,
      strictRequired: false,
      allowUnionTypes: true,
      allErrors: true,
      // Puts each failing keyword's schema in its error, for the messages below.
      verbose: true,
    });
    addFormats(this.ajv);
    this.ajv.addKeyword({
      keyword: LIST_MAP_KEYS_KEYWORD,
      type: 'array',
      schemaType: 'array',
      // x-kubernetes-list-type: map: no two items may share their key fields' values.
      validate: (keys: string[], items: unknown[]) => {
        const seen = items.map((item) => JSON.stringify(keys.map((key) => (isRecord(item) ? item[key] : undefined))));
        return new Set(seen).size === seen.length;
      },
    });
  }

  /** One validator over ISTIO_CRDS_FILE per test file: reading the CRDs and compiling their schemas takes seconds. */
  static shared(): CrdValidator {
    shared ??= CrdValidator.fromFile(ISTIO_CRDS_FILE);
    return shared;
  }

  static fromFile(path: string): CrdValidator {
    const crds = parseAllDocuments(readFileSync(path, 'utf8')).flatMap((document) => {
      const crd: unknown = document.toJS();
      return isRecord(crd) && crd['kind'] === 'CustomResourceDefinition' ? [readCrd(crd)] : [];
    });
    if (crds.length === 0) throw new Error(`${path} holds no CustomResourceDefinition`);
    return new CrdValidator(crds);
  }

  /** Versions of group/kind the CRDs serve, e.g. ['v1', 'v1alpha3', 'v1beta1']. */
  servedVersions(group: string, kind: string): string[] {
    const crd = this.crds.find((candidate) => candidate.group === group && candidate.kind === kind);
    return crd === undefined ? [] : crd.versions.filter((version) => version.served).map((version) => version.name);
  }

  /** Problems with `resource`, each a line naming it and `source` (e.g. `file.yaml#2`); [] when valid. */
  validate(resource: unknown, source: string): string[] {
    const identity = identify(resource);
    if (identity === null) return [`${source}: not a Kubernetes resource (apiVersion, kind and metadata.name are required)`];
    const where = `${identity.kind} ${identity.namespace}/${identity.name} (${identity.apiVersion}, ${source})`;
    const [group, version] = splitApiVersion(identity.apiVersion);
    const crd = this.crds.find((candidate) => candidate.group === group && candidate.kind === identity.kind);
    if (crd === undefined) return [`${where}: no CRD in ${ISTIO_CRDS_FILE} defines kind ${identity.kind} in group ${group}`];
    const served = crd.versions.find((candidate) => candidate.name === version && candidate.served);
    const openApiSchema = served?.schema?.openAPIV3Schema;
    if (openApiSchema === undefined) {
      return [`${where}: version ${version} is not served by the CRD (served: ${this.servedVersions(group, identity.kind).join(', ')})`];
    }
    const validate = this.validatorFor(`${group}/${version}/${identity.kind}`, openApiSchema);
    if (validate(resource)) return [];
    return (validate.errors ?? []).map((error) => `${where}: ${fieldPath(error)}: ${describe(error)}`);
  }

  private validatorFor(key: string, openApiSchema: SchemaNode): ValidateFunction {
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(resourceSchema(openApiSchema));
      this.compiled.set(key, validate);
    }
    return validate;
  }
}

/** The CRD's schema plus what every resource has besides it: apiVersion, kind, metadata. */
function resourceSchema(openApiSchema: SchemaNode): SchemaNode {
  const schema = toJsonSchema(openApiSchema);
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  return {
    ...schema,
    required: ['apiVersion', 'kind', 'metadata', ...required],
    properties: {
      ...(isRecord(schema['properties']) ? schema['properties'] : {}),
      // Both chose this schema, so they match it by construction.
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: OBJECT_META,
    },
  };
}

function readCrd(document: Record<string, unknown>): Crd {
  const spec = document['spec'];
  if (!isRecord(spec) || !isRecord(spec['names']) || typeof spec['group'] !== 'string' || !Array.isArray(spec['versions'])) {
    throw new Error('a CustomResourceDefinition without spec.group, spec.names and spec.versions');
  }
  const kind = spec['names']['kind'];
  if (typeof kind !== 'string') throw new Error(`CRD in group ${spec['group']} has no spec.names.kind`);
  return { group: spec['group'], kind, versions: spec['versions'] as CrdVersion[] };
}

export function identify(resource: unknown): ResourceIdentity | null {
  if (!isRecord(resource) || !isRecord(resource['metadata'])) return null;
  const { apiVersion, kind } = resource;
  const { name, namespace } = resource['metadata'];
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') return null;
  return { apiVersion, kind, name, namespace: typeof namespace === 'string' ? namespace : '(no namespace)' };
}

function splitApiVersion(apiVersion: string): [string, string] {
  const slash = apiVersion.lastIndexOf('/');
  // Core resources (`v1`) have no group; no Istio CRD is one of them.
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

/** `spec.http[0].mirror`, with the offending field appended for unknown and missing fields. */
function fieldPath(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params['additionalProperty']));
  if (error.keyword === 'required') segments.push(String(error.params['missingProperty']));
  return segments.reduce(
    (path, segment) =>
      /^[0-9]+$/.test(segment)
        ? `${path}[${segment}]`
        : /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)
          ? `${path}.${segment}`
          : `${path}[${JSON.stringify(segment)}]`,
    '$',
  );
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties':
      return 'unknown field (not in the CRD schema)';
    case 'required':
      return 'required field missing';
    case 'enum':
      return `must be one of ${(error.params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case LIST_MAP_KEYS_KEYWORD:
      return `items must be unique by ${JSON.stringify(error.schema)}`;
    default:
      return error.message ?? error.keyword;
  }
}
