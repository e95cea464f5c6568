import { egressIps } from '../../lambdas/functions/api/routes/egress-ips';
import { BINARY_MEDIA_TYPES, FUNCTIONS } from '../../lib/topology';
import { synthesize, type Synthesized, type TemplateResource } from './support/synth';

/**
 * Issue 19, item 6: the proxy runs as its own function in the private subnets, whose only way to
 * the internet is a NAT gateway (one Elastic IP each), so every proxied call leaves from the
 * addresses `GET /meta/egress-ips` lists: four in the production profile.
 */

let prod: Synthesized;
let nonprod: Synthesized;
beforeAll(() => {
  prod = synthesize();
  nonprod = synthesize({ 'latchkey:profile': 'nonproduction', 'latchkey:stage': 'dev' });
});

const ref = (value: unknown): string => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']![0];
};

function fn(s: Synthesized, name: string): TemplateResource {
  const found = s.ofType('AWS::Lambda::Function').filter(([id]) => new RegExp(`^LatchkeyFunctions${name[0].toUpperCase()}${name.slice(1)}[0-9A-F]{8}$`).test(id));
  expect(found).toHaveLength(1);
  return found[0][1];
}

/** The routes of the route table each of `subnetIds` is associated with. */
function routesOf(s: Synthesized, subnetIds: string[]): Map<string, TemplateResource[]> {
  const tableOf = new Map(s.ofType('AWS::EC2::SubnetRouteTableAssociation').map(([, a]) => [ref(a.Properties!.SubnetId), ref(a.Properties!.RouteTableId)]));
  const routes = s.ofType('AWS::EC2::Route').map(([, r]) => r);
  return new Map(subnetIds.map((subnet) => [subnet, routes.filter((r) => ref(r.Properties!.RouteTableId) === tableOf.get(subnet))]));
}

test('the proxy is a function of its own, served at ANY /proxy/{proxy+}', () => {
  expect(FUNCTIONS.map((f) => f.name)).toContain('proxy');
  const methods = prod.ofType('AWS::ApiGateway::Method').map(([, m]) => m.Properties!);
  const resources = prod.ofType('AWS::ApiGateway::Resource');
  const proxyResource = resources.find(([, r]) => r.Properties!.PathPart === '{proxy+}' && resources.some(([id, parent]) => id === ref(r.Properties!.ParentId) && parent.Properties!.PathPart === 'proxy'));
  expect(proxyResource).toBeDefined();
  const method = methods.find((m) => ref(m.ResourceId) === proxyResource![0]);
  expect(method).toMatchObject({ HttpMethod: 'ANY' });
  expect(JSON.stringify(method!.Integration.Uri)).toContain(Object.entries(prod.resources).find(([, r]) => r === fn(prod, 'proxy'))![0]);
});

test.each([
  ['production', () => prod, 4],
  ['nonproduction', () => nonprod, 1],
])('%s: in the private subnets, whose only default route is a NAT gateway (no internet gateway)', (_profile, s, nats) => {
  const proxy = fn(s(), 'proxy');
  const subnets = (proxy.Properties!.VpcConfig.SubnetIds as unknown[]).map(ref);
  expect(subnets).toHaveLength(4);
  for (const subnet of subnets) {
    expect(s().resources[subnet].Properties!.Tags).toEqual(expect.arrayContaining([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]));
  }
  const natIds = new Set(s().ofType('AWS::EC2::NatGateway').map(([id]) => id));
  expect(natIds.size).toBe(nats);
  for (const [, routes] of routesOf(s(), subnets)) {
    const defaults = routes.filter((r) => r.Properties!.DestinationCidrBlock === '0.0.0.0/0' || r.Properties!.DestinationIpv6CidrBlock === '::/0');
    expect(defaults).toHaveLength(1);
    expect(natIds.has(ref(defaults[0].Properties!.NatGatewayId))).toBe(true);
    expect(defaults[0].Properties!.GatewayId).toBeUndefined();
    // No other route leaves the VPC (an internet or egress-only gateway, a peering).
    expect(routes.filter((r) => r.Properties!.GatewayId || r.Properties!.EgressOnlyInternetGatewayId || r.Properties!.VpcPeeringConnectionId)).toEqual([]);
  }
  // Each NAT gateway has its own Elastic IP: the addresses the calls leave from.
  const eips = new Set(s().ofType('AWS::EC2::NatGateway').map(([, n]) => ref(n.Properties!.AllocationId)));
  expect(eips.size).toBe(nats);
});

test('production: GET /meta/egress-ips lists the four NAT gateways\' Elastic IPs', () => {
  const api = fn(prod, 'api');
  const [separator, parts] = api.Properties!.Environment.Variables.LATCHKEY_EGRESS_IPS['Fn::Join'] as [string, unknown[]];
  const natEips = prod.ofType('AWS::EC2::NatGateway').map(([, n]) => ref(n.Properties!.AllocationId)).sort();
  expect(parts.map(ref).sort()).toEqual(natEips);
  expect(parts).toHaveLength(4);
  // The route answers whatever the stack resolves them to, one per address.
  expect(egressIps(['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'].join(separator))).toHaveLength(4);
  // The proxy knows them too (for its log lines and the dashboard), through the same variable.
  expect(fn(prod, 'proxy').Properties!.Environment.Variables.LATCHKEY_EGRESS_IPS).toEqual(api.Properties!.Environment.Variables.LATCHKEY_EGRESS_IPS);
});

test('the REST API passes bodies of every media type as bytes', () => {
  const [[, api]] = prod.ofType('AWS::ApiGateway::RestApi');
  expect(api.Properties!.BinaryMediaTypes).toEqual([...BINARY_MEDIA_TYPES]);
  expect(BINARY_MEDIA_TYPES).toEqual(['*/*']);
});
