import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { toId, type Functions } from './functions';
import { EVENT_SOURCE, type EventRuleSpec } from '../topology';

export interface EventsProps {
  stage: string;
}

/** Rules are added once the functions exist (the functions need the bus's name first). */
export interface EventRuleLike extends Omit<EventRuleSpec, 'function'> {
  function: string;
}

/**
 * The stack's event bus (the outbox relay puts domain events on it) and one rule per
 * EVENT_RULES entry. Delivery is retried by EventBridge and, once in the function, by Lambda's
 * async retries; what still fails lands in one dead-letter queue. The queue exists only when
 * there is a rule to feed it.
 */
export class Events extends Construct {
  readonly bus: EventBus;
  deadLetterQueue?: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: `latchkey-${props.stage}`, description: `Latchkey ${props.stage} domain events` });
  }

  addRules(rules: readonly EventRuleLike[], functions: Functions): void {
    if (rules.length === 0) return;
    const dlq = (this.deadLetterQueue ??= new DeadLetterQueue(this, 'DeadLetterQueue'));
    const configured = new Set<string>();
    for (const rule of rules) {
      const fn = functions.get(rule.function);
      new Rule(this, toId(rule.name), {
        eventBus: this.bus,
        description: `${rule.name} → ${rule.function}`,
        // Only our own events, whatever else the pattern says.
        eventPattern: { ...rule.pattern, source: [EVENT_SOURCE] } as EventPattern,
        targets: [new LambdaFunction(fn, { retryAttempts: 24, maxEventAge: Duration.hours(6), deadLetterQueue: dlq })],
      });
      if (configured.has(rule.function)) continue;
      // EventBridge hands the event over asynchronously; failures inside the function retry here.
      fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(dlq) });
      configured.add(rule.function);
    }
  }
}
