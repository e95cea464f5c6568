import { GzipSizer } from './gzip-size';
import { bodyBytes, GZIP_LIST_ITEMS_BUDGET_BYTES, GZIP_LIST_ITEMS_MAX_RAW_BYTES, LIST_ITEMS_BUDGET_BYTES } from './response-budget';
import { answerMayBeGzipped } from './response-coding';

/*
 * The one pagination helper of every list route. A store reads keyset pages one statement at a
 * time (each within the Data API's 1 MiB, so a statement may hold fewer rows than asked for);
 * this helper reads as many statements as `limit` needs and keeps the items within the response
 * budget, measured as the serialized items themselves, or — when the answer will be gzipped
 * (response-coding.ts) — as their exact gzipped size, which holds several times more rows. When the budget or `limit` ends the page
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
  add(item: unknown, always: boolean): Promise<boolean>;
  close(): void;
}

/** The item as the body carries it, escaped once more inside the proxy result. */
function identityMeasure(budget: number): PageMeasure {
  let used = 0;
  return {
    add: async (item, always) => {
      // Items are joined by commas: one byte each besides the item.
      const bytes = bodyBytes(item) + 1;
      if (!always && used + bytes > budget) return false;
      used += bytes;
      return true;
    },
    close: () => undefined,
  };
}

/** The items gzipped as the body will be; base64 carries them, so nothing is escaped. */
function gzipMeasure(budget: number): PageMeasure {
  const sizer = new GzipSizer(budget);
  let raw = 0;
  return {
    add: async (item, always) => {
      const text = `${JSON.stringify(item)},`;
      if (!always && raw + text.length > GZIP_LIST_ITEMS_MAX_RAW_BYTES) return false;
      if (!(await sizer.add(text, always))) return false;
      raw += text.length;
      return true;
    },
    close: () => sizer.close(),
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
  const measure = answerMayBeGzipped()
    ? gzipMeasure(options.gzipBudgetBytes ?? GZIP_LIST_ITEMS_BUDGET_BYTES)
    : identityMeasure(options.budgetBytes ?? LIST_ITEMS_BUDGET_BYTES);
  try {
    return await collect(options, measure);
  } finally {
    measure.close();
  }
}

async function collect<R, C, I>(options: PagedListOptions<R, C, I>, measure: PageMeasure): Promise<PagedList<I, C>> {
  const items: I[] = [];
  let after = options.start;
  let statements = 0;
  for (;;) {
    const { rows, more } = await options.read(after, options.limit - items.length);
    statements++;
    for (const [index, row] of rows.entries()) {
      const item = options.item(row);
      // The first item always goes: no row passes the budget alone (stored documents are capped).
      if (!(await measure.add(item, items.length === 0))) return { items, next: after, statements };
      items.push(item);
      after = options.cursorOf(row);
      if (items.length === options.limit) {
        return { items, next: more || index < rows.length - 1 ? after : undefined, statements };
      }
    }
    if (!more || rows.length === 0) return { items, statements };
  }
}
