import { gzipFit } from './gzip-size';
import { bodyBytes, GZIP_LIST_ITEMS_BUDGET_BYTES, GZIP_LIST_ITEMS_MAX_RAW_BYTES, LIST_ITEMS_BUDGET_BYTES } from './response-budget';
import { answerMayBeGzipped } from './response-coding';

/*
 * The one pagination helper of every list route. A store reads keyset pages one statement at a
 * time (each within the Data API's 1 MiB, so a statement may hold fewer rows than asked for);
 * this helper reads as many statements as `limit` needs and keeps the items within the response
 * budget, measured as the serialized items themselves, or — when the answer will be gzipped
 * (response-coding.ts) — as their gzipped size, which holds several times more rows. When the budget or `limit` ends the page
 * before the rows do, `next` resumes after its last item.
 */

/** One statement's rows, in list order; `more`: rows follow the last one. */
export interface StatementRows<R> {
  rows: R[];
  more: boolean;
}

interface PagedListOptions<R, C, I> {
  /** Items wanted. */
  limit: number;
  /** Resume after this position (undefined: from the start). */
  start?: C;
  /** One keyset statement: up to `rows` rows after `after`; at least one when any follow. */
  read(after: C | undefined, rows: number): Promise<StatementRows<R>>;
  /** The row's position in the list. */
  cursorOf(row: R): C;
  /** The row as the response shows it (what is measured). */
  item(row: R): I;
  /** Items budget in bytes; the response budget's share for items unless a test says otherwise. */
  budgetBytes?: number;
  /** The same for a gzipped answer: the items' compressed bytes. */
  gzipBudgetBytes?: number;
}

/** Takes items while they fit the page's budget. */
interface PageMeasure {
  /** Counts `item` in and returns true, or returns false when it would pass the budget (`always`: counts it in regardless). */
  add(item: unknown, always: boolean): boolean;
}

/** Takes items while their `bytesOf` (plus one for the comma that joins them) stays within `budget`. */
function budgetMeasure(budget: number, bytesOf: (item: unknown) => number): PageMeasure {
  let used = 0;
  return {
    add: (item, always) => {
      const bytes = bytesOf(item) + 1;
      if (!always && used + bytes > budget) return false;
      used += bytes;
      return true;
    },
  };
}

interface PagedList<I, C> {
  items: I[];
  /** Where the next page starts; undefined when this page holds the rest of the list. */
  next?: C;
  /** Statements read (for the bench and tests). */
  statements: number;
}

export async function pagedList<R, C, I>(options: PagedListOptions<R, C, I>): Promise<PagedList<I, C>> {
  if (!answerMayBeGzipped()) {
    const { items, next, statements } = await collect(options, budgetMeasure(options.budgetBytes ?? LIST_ITEMS_BUDGET_BYTES, bodyBytes));
    return { items, next, statements };
  }
  // Gzipped: read up to an uncompressed ceiling (bounds a page's memory and time), then keep what
  // compresses within the budget.
  const page = await collect(options, budgetMeasure(GZIP_LIST_ITEMS_MAX_RAW_BYTES, (item) => JSON.stringify(item).length));
  const texts = page.items.map((item) => `${JSON.stringify(item)},`);
  const kept = gzipFit(texts, options.gzipBudgetBytes ?? GZIP_LIST_ITEMS_BUDGET_BYTES);
  if (kept === page.items.length) return { items: page.items, next: page.next, statements: page.statements };
  return { items: page.items.slice(0, kept), next: page.cursors[kept - 1], statements: page.statements };
}

async function collect<R, C, I>(options: PagedListOptions<R, C, I>, measure: PageMeasure): Promise<PagedList<I, C> & { cursors: C[] }> {
  const items: I[] = [];
  const cursors: C[] = [];
  let after = options.start;
  let statements = 0;
  for (;;) {
    const { rows, more } = await options.read(after, options.limit - items.length);
    statements++;
    for (const [index, row] of rows.entries()) {
      const item = options.item(row);
      // The first item always goes: no row passes the budget alone (stored documents are capped).
      if (!measure.add(item, items.length === 0)) return { items, next: after, statements, cursors };
      items.push(item);
      after = options.cursorOf(row);
      cursors.push(after);
      if (items.length === options.limit) {
        return { items, next: more || index < rows.length - 1 ? after : undefined, statements, cursors };
      }
    }
    if (!more || rows.length === 0) return { items, statements, cursors };
  }
}
