import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface WafProps {
  stage: string;
  /** ARN of the REST API stage to protect. */
  stageArn: string;
  /** Requests per client IP per 5 minutes. */
  rateLimit: number;
  maxRequestBodyKb: number;
}

/** WAF can inspect this much of a body; a larger one is "oversize", which we treat as too large. */
const INSPECTION_LIMITS_KB = [16, 32, 48, 64] as const;

/**
 * An optional web ACL in front of the REST API: a per-IP rate limit, a request body size cap, and
 * AWS's known-bad-inputs rules. Costs ~$8/month plus $0.60 per million requests (README).
 */
export class Waf extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: WafProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `latchkey-${props.stage}-${metricName}` });
    const inspectionLimit = INSPECTION_LIMITS_KB.find((kb) => kb >= props.maxRequestBodyKb) ?? 64;
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('acl'),
      // Beyond the default 16 KB, inspection is billed per extra 16 KB: only ask for what the cap needs.
      associationConfig: inspectionLimit > 16 ? { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: `KB_${inspectionLimit}` } } } : undefined,
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('rate-per-ip'),
        },
        {
          name: 'body-size',
          priority: 1,
          action: { block: {} },
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: props.maxRequestBodyKb * 1024,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('body-size'),
        },
        {
          name: 'aws-known-bad-inputs',
          priority: 2,
          overrideAction: { none: {} },
          statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          visibilityConfig: visibility('known-bad-inputs'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'Association', { resourceArn: props.stageArn, webAclArn: this.webAcl.attrArn });
  }
}
