import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { errorEnvelope, GATEWAY_RESPONSE_HEADERS, WAF_RESPONSES, type WafResponseSpec } from '../gateway-responses';

export interface WafProps {
  stage: string;
  /** ARN of the REST API stage to protect. */
  stageArn: string;
  /** Requests per client IP per 5 minutes, over the whole API (server-to-server: high). */
  rateLimit: number;
  /** Largest body on the end users' connect routes, in KB. */
  maxRequestBodyKb: number;
}

/**
 * The end users' side of the API (lib/topology.ts ROUTES served by `connect`): browsers, small
 * JSON bodies, no secret key. With or without a leading stage segment (`/prod/oauth/...` on the
 * execute-api domain, `/oauth/...` on a custom domain). Everything else is the secret-key API,
 * called by customers' backends: `POST /records` takes up to 1 MiB.
 */
export const CONNECT_ROUTES_REGEX = '^(/[^/]+)?/(oauth|oauth2|api-auth|connect)(/|$)';
/** Browser requests per IP per 5 minutes on the connect routes: generous for people, low for scripts. */
export const CONNECT_RATE_LIMIT = 2000;

/** WAF can inspect this much of a body; a larger one is "oversize", which we treat as too large. */
const INSPECTION_LIMITS_KB = [16, 32, 48, 64] as const;

/**
 * An optional web ACL in front of the REST API: a per-IP rate limit sized for server-to-server
 * traffic (one customer backend behind one NAT address), a tighter one and a body size cap on the
 * end users' connect routes only, and AWS's known-bad-inputs rules. Costs ~$9/month plus $0.60
 * per million requests (README).
 */
export class Waf extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: WafProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `latchkey-${props.stage}-${metricName}` });
    const connectRoutes = { regexMatchStatement: { regexString: CONNECT_ROUTES_REGEX, fieldToMatch: { uriPath: {} }, textTransformations: [{ priority: 0, type: 'NONE' }] } };
    const bodies = { 'rate-limited': WAF_RESPONSES.rateLimited, 'body-too-large': WAF_RESPONSES.connectBodyTooLarge(props.maxRequestBodyKb) };
    const blockWith = (key: keyof typeof bodies) => ({ block: { customResponse: customResponse(key, bodies[key]) } });
    const inspectionLimit = INSPECTION_LIMITS_KB.find((kb) => kb >= props.maxRequestBodyKb) ?? 64;
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('acl'),
      customResponseBodies: Object.fromEntries(Object.entries(bodies).map(([key, spec]) => [key, { contentType: 'APPLICATION_JSON', content: errorEnvelope(spec) }])),
      // Beyond the default 16 KB, inspection is billed per extra 16 KB: only ask for what the cap needs.
      associationConfig: inspectionLimit > 16 ? { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: `KB_${inspectionLimit}` } } } : undefined,
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: blockWith('rate-limited'),
          statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('rate-per-ip'),
        },
        {
          name: 'connect-rate-per-ip',
          priority: 1,
          action: blockWith('rate-limited'),
          statement: { rateBasedStatement: { limit: CONNECT_RATE_LIMIT, aggregateKeyType: 'IP', evaluationWindowSec: 300, scopeDownStatement: connectRoutes } },
          visibilityConfig: visibility('connect-rate-per-ip'),
        },
        {
          name: 'connect-body-size',
          priority: 2,
          action: blockWith('body-too-large'),
          statement: {
            andStatement: {
              statements: [
                connectRoutes,
                {
                  sizeConstraintStatement: {
                    fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                    comparisonOperator: 'GT',
                    size: props.maxRequestBodyKb * 1024,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
              ],
            },
          },
          visibilityConfig: visibility('connect-body-size'),
        },
        {
          name: 'aws-known-bad-inputs',
          priority: 3,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          visibilityConfig: visibility('known-bad-inputs'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });
  }
}

/** A block's answer in Nango's envelope with the API's CORS headers, instead of WAF's bare 403. */
function customResponse(bodyKey: string, spec: WafResponseSpec) {
  const headers = { ...GATEWAY_RESPONSE_HEADERS, ...spec.headers };
  return { responseCode: spec.status, customResponseBodyKey: bodyKey, responseHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })) };
}
