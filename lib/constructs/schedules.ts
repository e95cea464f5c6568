import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { toId, type Functions } from './functions';
import type { ScheduleSpec } from '../topology';

export interface ScheduleLike extends Omit<ScheduleSpec, 'function'> {
  function: string;
}

export interface SchedulesProps {
  stage: string;
  schedules: readonly ScheduleLike[];
  functions: Functions;
}

/** Context attributes EventBridge Scheduler fills into a target's input. */
const SCHEDULER_ATTRIBUTES = ['schedule-arn', 'scheduled-time', 'execution-id', 'attempt-number'];

/**
 * One EventBridge Scheduler schedule per SCHEDULES entry, in a group of their own. The input is
 * sent as written; Scheduler substitutes `<aws.scheduler.scheduled-time>` and friends. Failed
 * invocations are retried, then parked in a dead-letter queue.
 */
export class Schedules extends Construct {
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly schedules: Schedule[];

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    // Deleted with the stack: a retained group of that name would make the next create fail.
    this.group = new ScheduleGroup(this, 'Group', { scheduleGroupName: `latchkey-${props.stage}`, removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue');
    // One role for all schedules, assumable by Scheduler on behalf of this account only.
    const role = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'EventBridge Scheduler: invokes the sweep functions',
    });
    const targets = new Set<string>();
    this.schedules = props.schedules.map((spec) => {
      assertKnownAttributes(spec);
      targets.add(spec.function);
      return new Schedule(this, toId(spec.name), {
        scheduleGroup: this.group,
        schedule: ScheduleExpression.expression(spec.expression),
        description: spec.description,
        target: new LambdaInvoke(props.functions.get(spec.function), {
          role,
          input: ScheduleTargetInput.fromObject(spec.input),
          retryAttempts: 3,
          // A sweep that is an hour late is superseded by later runs.
          maxEventAge: Duration.hours(1),
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
    });
    Validations.of(role).acknowledge(
      ...[...targets].map((name) => ({
        id: props.functions.get(name).anyVersionNagFinding,
        reason: `Scheduler may invoke any version of ${name} (its ARN with a version suffix), as CDK's Lambda invoke grant writes it.`,
      })),
    );
  }
}

function assertKnownAttributes(spec: ScheduleLike): void {
  for (const [, name] of JSON.stringify(spec.input).matchAll(/<aws\.scheduler\.([a-z-]+)>/g)) {
    if (!SCHEDULER_ATTRIBUTES.includes(name)) throw new Error(`Schedule ${spec.name}: Scheduler has no context attribute <aws.scheduler.${name}>`);
  }
}
