// Every shipped Istio manifest against the CRDs the cluster would check it with, and proof that
// the check bites: broken copies of the same manifests are refused with the resource and the
// failing field named.

import { describe, expect, it } from 'vitest';
import { CrdValidator, identify } from './crdValidator.js';
import { isRecord } from './jsonValues.js';
import { loadShippedManifests, parseManifest, type ManifestDocument } from './manifests.js';

const validator = CrdValidator.shared();
const shipped = loadShippedManifests();

function shippedResource(source: string): Record<string, unknown> {
  const document = shipped.find((candidate) => candidate.source === source);
  if (document === undefined || !isRecord(document.resource)) throw new Error(`no shipped resource ${source}`);
  return structuredClone(document.resource);
}

/** The object at a path of keys and indexes inside a resource. */
function at(resource: unknown, ...path: Array<string | number>): Record<string, unknown> {
  const found = path.reduce<unknown>(
    (node, key) => (isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined),
    resource,
  );
  if (!isRecord(found)) throw new Error(`nothing at ${path.join('.')}`);
  return found;
}

describe('the CRDs in ../shared/istio/crds.yaml', () => {
  it('serve the versions the manifests use', () => {
    expect(validator.servedVersions('networking.istio.io', 'VirtualService')).toEqual(['v1', 'v1alpha3', 'v1beta1']);
    expect(validator.servedVersions('networking.istio.io', 'DestinationRule')).toEqual(['v1', 'v1alpha3', 'v1beta1']);
    expect(validator.servedVersions('networking.istio.io', 'EnvoyFilter')).toEqual(['v1alpha3']);
    expect(validator.servedVersions('extensions.istio.io', 'WasmPlugin')).toEqual(['v1alpha1']);
  });
});

describe('the shipped manifests (envoy/istio/*.yaml)', () => {
  it('are the resources the README describes', () => {
    const inventory = shipped.map(({ source, resource }) => {
      const identity = identify(resource);
      return `${source} ${identity?.apiVersion} ${identity?.kind} ${identity?.namespace}/${identity?.name}`;
    });
    expect(inventory).toEqual([
      'envoy/istio/destinationrule.yaml#1 networking.istio.io/v1 DestinationRule shop/orders',
      'envoy/istio/envoyfilter-edge.yaml#1 networking.istio.io/v1alpha3 EnvoyFilter istio-system/shadowdiff-edge',
      'envoy/istio/envoyfilter-identity.yaml#1 networking.istio.io/v1alpha3 EnvoyFilter istio-system/shadowdiff-identity',
      'envoy/istio/envoyfilter-secondary.yaml#1 networking.istio.io/v1alpha3 EnvoyFilter shop/shadowdiff-secondary',
      'envoy/istio/envoyfilter-shadow.yaml#1 networking.istio.io/v1alpha3 EnvoyFilter shop/shadowdiff-shadow',
      'envoy/istio/virtualservice-ingress.yaml#1 networking.istio.io/v1 VirtualService shop/orders-ingress',
      'envoy/istio/virtualservice-mesh.yaml#1 networking.istio.io/v1 VirtualService shop/orders',
      'envoy/istio/wasmplugin-edge.yaml#1 extensions.istio.io/v1alpha1 WasmPlugin istio-system/shadowdiff-edge',
      'envoy/istio/wasmplugin-secondary.yaml#1 extensions.istio.io/v1alpha1 WasmPlugin shop/shadowdiff-secondary',
      'envoy/istio/wasmplugin-shadow.yaml#1 extensions.istio.io/v1alpha1 WasmPlugin shop/shadowdiff-shadow',
    ]);
  });

  it.each(shipped.map((document): [string, ManifestDocument] => [document.source, document]))(
    '%s validates against its CRD',
    (_, document) => {
      expect(validator.validate(document.resource, document.source)).toEqual([]);
    },
  );
});

describe('a broken manifest is refused, naming the resource and the field', () => {
  const vs = 'envoy/istio/virtualservice-ingress.yaml#1';

  it('a misspelled field', () => {
    const resource = shippedResource(vs);
    const route = at(resource, 'spec', 'http', 0);
    route['mirrorPercent_age'] = route['mirrorPercentage'];
    delete route['mirrorPercentage'];
    expect(validator.validate(resource, vs)).toEqual([
      `VirtualService shop/orders-ingress (networking.istio.io/v1, ${vs}): $.spec.http[0].mirrorPercent_age: unknown field (not in the CRD schema)`,
    ]);
  });

  it('a misspelled field read from YAML text, deep inside a map of header matches', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: typo, namespace: shop }
spec:
  hosts: [orders.shop.svc.cluster.local]
  http:
    - match: [{ headers: { x-shadowdiff-sampled: { exakt: "1" } } }]
      route: [{ destination: { host: orders.shop.svc.cluster.local } }]
`;
    const [document] = parseManifest(text, 'typo.yaml');
    expect(validator.validate(document?.resource, 'typo.yaml#1')).toEqual([
      'VirtualService shop/typo (networking.istio.io/v1, typo.yaml#1): $.spec.http[0].match[0].headers["x-shadowdiff-sampled"].exakt: unknown field (not in the CRD schema)',
    ]);
  });

  it('a value outside an enum', () => {
    const source = 'envoy/istio/wasmplugin-edge.yaml#1';
    const resource = shippedResource(source);
    at(resource, 'spec')['failStrategy'] = 'FAIL_OPN';
    expect(validator.validate(resource, source)).toEqual([
      `WasmPlugin istio-system/shadowdiff-edge (extensions.istio.io/v1alpha1, ${source}): $.spec.failStrategy: must be one of FAIL_CLOSE, FAIL_OPEN, FAIL_RELOAD`,
    ]);
  });

  it('a missing required field and a malformed sha256', () => {
    const source = 'envoy/istio/wasmplugin-shadow.yaml#1';
    const resource = shippedResource(source);
    const spec = at(resource, 'spec');
    delete spec['url'];
    spec['sha256'] = 'not-a-digest';
    const problems = validator.validate(resource, source);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^WasmPlugin shop\/shadowdiff-shadow .*: \$\.spec\.url: required field missing$/);
    expect(problems[1]).toMatch(/: \$\.spec\.sha256: must match pattern/);
  });

  it('a label value of the wrong type (an unquoted YAML number)', () => {
    const source = 'envoy/istio/destinationrule.yaml#1';
    const resource = shippedResource(source);
    at(resource, 'spec', 'subsets', 1, 'labels')['version'] = 2;
    expect(validator.validate(resource, source)).toEqual([
      `DestinationRule shop/orders (networking.istio.io/v1, ${source}): $.spec.subsets[1].labels.version: must be string`,
    ]);
  });

  it('a duplicate key in an x-kubernetes-list-type: map list', () => {
    const source = 'envoy/istio/wasmplugin-shadow.yaml#1';
    const resource = shippedResource(source);
    at(resource, 'spec', 'match', 0)['ports'] = [{ number: 8080 }, { number: 8080 }];
    expect(validator.validate(resource, source)).toEqual([
      `WasmPlugin shop/shadowdiff-shadow (extensions.istio.io/v1alpha1, ${source}): $.spec.match[0].ports: items must be unique by ["number"]`,
    ]);
  });

  it('a misspelled metadata field', () => {
    const source = 'envoy/istio/envoyfilter-shadow.yaml#1';
    const resource = shippedResource(source);
    at(resource, 'metadata')['namspace'] = 'shop';
    expect(validator.validate(resource, source)).toEqual([
      `EnvoyFilter shop/shadowdiff-shadow (networking.istio.io/v1alpha3, ${source}): $.metadata.namspace: unknown field (not in the CRD schema)`,
    ]);
  });

  it('a field misspelled beside the free-form patch value, while anything inside the value passes', () => {
    const source = 'envoy/istio/envoyfilter-edge.yaml#1';
    const resource = shippedResource(source);
    const patch = at(resource, 'spec', 'configPatches', 0, 'patch');
    at(patch, 'value')['not_checked_by_the_crd'] = true;
    expect(validator.validate(resource, source)).toEqual([]);
    patch['operaton'] = 'INSERT_BEFORE';
    expect(validator.validate(resource, source)).toEqual([
      `EnvoyFilter istio-system/shadowdiff-edge (networking.istio.io/v1alpha3, ${source}): $.spec.configPatches[0].patch.operaton: unknown field (not in the CRD schema)`,
    ]);
  });

  it('an apiVersion the CRD does not serve, and a kind no CRD defines', () => {
    const resource = shippedResource(vs);
    resource['apiVersion'] = 'networking.istio.io/v2';
    expect(validator.validate(resource, vs)).toEqual([
      `VirtualService shop/orders-ingress (networking.istio.io/v2, ${vs}): version v2 is not served by the CRD (served: v1, v1alpha3, v1beta1)`,
    ]);
    resource['apiVersion'] = 'networking.istio.io/v1';
    resource['kind'] = 'Gateway';
    expect(validator.validate(resource, vs)[0]).toMatch(
      /^Gateway shop\/orders-ingress .*: no CRD in .*crds\.yaml defines kind Gateway in group networking\.istio\.io$/,
    );
  });

  it('a document that is not a resource at all', () => {
    expect(validator.validate({ spec: {} }, 'x.yaml#1')).toEqual([
      'x.yaml#1: not a Kubernetes resource (apiVersion, kind and metadata.name are required)',
    ]);
  });
});
