import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { AwsServiceError, readBody, sendJson } from './aws-http';

/**
 * Fault injection and call counting shared by the local AWS stand-ins, so tests can prove
 * retries (throttling, resuming databases) and count round trips through the real SDK clients.
 *
 * Control surface, in-process (`standIn.control`) or over HTTP on the stand-in's own port:
 *   GET    /__latchkey/stats         → { calls: { Operation: n } }
 *   POST   /__latchkey/stats/reset
 *   POST   /__latchkey/faults        body: FaultRule → { id }
 *   DELETE /__latchkey/faults        clears every rule
 */
export const FaultRuleSchema = z.object({
  /** Operation name as the service spells it (`ExecuteStatement`, `GenerateDataKey`); omitted: every operation. */
  operation: z.string().optional(),
  /** The error to answer with instead of doing the work. */
  error: z.object({ code: z.string(), message: z.string().optional(), status: z.number().int().optional() }).optional(),
  /** Delay before answering (or before failing). */
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  /** How many matching calls the rule applies to before it is used up; omitted: until cleared. */
  times: z.number().int().positive().optional(),
});
export type FaultRule = z.infer<typeof FaultRuleSchema>;

interface ActiveRule extends FaultRule {
  id: string;
  remaining: number;
}

export class StandInControl {
  private readonly calls = new Map<string, number>();
  private rules: ActiveRule[] = [];
  private nextId = 1;

  /** Counts one call of `operation`, then applies the first matching fault rule, if any. */
  async enter(operation: string): Promise<void> {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
    const rule = this.rules.find((r) => r.remaining > 0 && (r.operation === undefined || r.operation === operation));
    if (!rule) return;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    if (rule.latencyMs) await sleep(rule.latencyMs);
    if (rule.error) {
      throw new AwsServiceError(rule.error.code, rule.error.message ?? `Injected fault: ${rule.error.code}`, rule.error.status ?? 400);
    }
  }

  injectFault(rule: FaultRule): string {
    const parsed = FaultRuleSchema.parse(rule);
    const id = String(this.nextId++);
    this.rules.push({ ...parsed, id, remaining: parsed.times ?? Number.POSITIVE_INFINITY });
    return id;
  }

  clearFaults(): void {
    this.rules = [];
  }

  stats(): { calls: Record<string, number> } {
    return { calls: Object.fromEntries(this.calls) };
  }

  count(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  resetStats(): void {
    this.calls.clear();
  }

  /** Serves the /__latchkey/* control paths; returns false when the request is not one of them. */
  async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?')[0];
    if (!path.startsWith('/__latchkey/')) return false;
    if (req.method === 'GET' && path === '/__latchkey/stats') {
      sendJson(res, 200, this.stats());
    } else if (req.method === 'POST' && path === '/__latchkey/stats/reset') {
      this.resetStats();
      sendJson(res, 200, {});
    } else if (req.method === 'POST' && path === '/__latchkey/faults') {
      const parsed = FaultRuleSchema.safeParse(JSON.parse((await readBody(req, 64 * 1024)).toString('utf8') || '{}'));
      if (!parsed.success) sendJson(res, 400, { message: parsed.error.message });
      else sendJson(res, 200, { id: this.injectFault(parsed.data) });
    } else if (req.method === 'DELETE' && path === '/__latchkey/faults') {
      this.clearFaults();
      sendJson(res, 200, {});
    } else {
      sendJson(res, 404, { message: `Unknown control path ${req.method} ${path}` });
    }
    return true;
  }
}
