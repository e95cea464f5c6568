import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { GZIP_LEVEL } from '../../../lambdas/http/gzip-size';
import { pagedList, type StatementRows } from '../../../lambdas/http/paged-list';
import { bodyBytes } from '../../../lambdas/http/response-budget';
import { runWithResponseCoding } from '../../../lambdas/http/response-coding';

/*
 * pagedList against a list held in memory, read the way stores read (keyset statements that may
 * stop early): following `next` from page to page yields the whole list once, in order, and every
 * page stays within its budget (the first item of a page always goes).
 */

interface Row {
  seq: number;
  pad: string;
}

function statements(rows: Row[], perStatement: number) {
  let count = 0;
  const read = async (after: number | undefined, wanted: number): Promise<StatementRows<Row>> => {
    count++;
    const rest = rows.filter((r) => r.seq > (after ?? 0));
    const taken = rest.slice(0, Math.min(wanted, perStatement));
    return { rows: taken, more: rest.length > taken.length };
  };
  return { read, count: () => count };
}

test('pages hold the whole list once, in order, each within its rows and bytes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat({ max: 300 }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 25 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 50, max: 2000 }),
      async (sizes, limit, perStatement, budget) => {
        const rows = sizes.map((n, i) => ({ seq: i + 1, pad: 'x'.repeat(n) }));
        const { read } = statements(rows, perStatement);
        const seen: Row[] = [];
        let start: number | undefined;
        for (let guard = 0; guard <= rows.length + 1; guard++) {
          const page = await pagedList({ limit, start, read, cursorOf: (r) => r.seq, item: (r) => r, budgetBytes: budget });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          const bytes = page.items.reduce((sum, item) => sum + bodyBytes(item) + 1, 0);
          if (page.items.length > 1) expect(bytes).toBeLessThanOrEqual(budget);
          seen.push(...page.items);
          if (page.next === undefined) break;
          expect(page.items.length).toBeGreaterThan(0);
          expect(page.next).toBe(page.items.at(-1)?.seq);
          start = page.next;
        }
        expect(seen).toEqual(rows);
      },
    ),
    { numRuns: 300 },
  );
});

test('reads as many statements as the limit needs, and no more', async () => {
  const rows = Array.from({ length: 100 }, (_, i) => ({ seq: i + 1, pad: '' }));
  const s = statements(rows, 10);
  const page = await pagedList({ limit: 35, read: s.read, cursorOf: (r) => r.seq, item: (r) => r });
  expect(page.items).toHaveLength(35);
  expect(page.next).toBe(35);
  expect(s.count()).toBe(4);
  const rest = await pagedList({ limit: 1000, start: 35, read: s.read, cursorOf: (r) => r.seq, item: (r) => r });
  expect(rest.items.map((r) => r.seq)).toEqual(rows.slice(35).map((r) => r.seq));
  expect(rest.next).toBeUndefined();
});

test('a page that ends exactly at the last row has no next', async () => {
  const rows = Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, pad: '' }));
  const page = await pagedList({ limit: 20, read: statements(rows, 10).read, cursorOf: (r) => r.seq, item: (r) => r });
  expect(page).toMatchObject({ next: undefined, statements: 2 });
});

describe('when the answer will be gzipped', () => {
  const gzipRequest = { headers: { 'Accept-Encoding': 'gzip' } } as unknown as APIGatewayProxyEvent;

  test('pages hold the whole list once, in order, each gzipping to within its budget', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 300 }), fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n))), { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 100, max: 3000 }),
        async (pads, perStatement, budget) => {
          const rows = pads.map((pad, i) => ({ seq: i + 1, pad }));
          const { read } = statements(rows, perStatement);
          const seen: Row[] = [];
          let start: number | undefined;
          for (let guard = 0; guard <= rows.length + 1; guard++) {
            const page = await runWithResponseCoding(gzipRequest, () => pagedList({ limit: 100, start, read, cursorOf: (r) => r.seq, item: (r) => r, gzipBudgetBytes: budget }));
            if (page.items.length > 1) expect(gzipSync(page.items.map((item) => `${JSON.stringify(item)},`).join(''), { level: GZIP_LEVEL }).length).toBeLessThanOrEqual(budget);
            seen.push(...page.items);
            if (page.next === undefined) break;
            start = page.next;
          }
          expect(seen).toEqual(rows);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a page of compressible rows holds several times what the identity budget holds', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ seq: i + 1, pad: `row ${i} of the list `.repeat(10) }));
    const identity = await pagedList({ limit: 1000, read: statements(rows, 100).read, cursorOf: (r) => r.seq, item: (r) => r, budgetBytes: 20_000 });
    const gzipped = await runWithResponseCoding(gzipRequest, () => pagedList({ limit: 1000, read: statements(rows, 100).read, cursorOf: (r) => r.seq, item: (r) => r, gzipBudgetBytes: 20_000 }));
    expect(gzipped.items.length).toBeGreaterThan(4 * identity.items.length);
  });
});
