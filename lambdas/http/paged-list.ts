import { bodyBytes, LIST_ITEMS_BUDGET_BYTES } from './response-budget';

/*
 * The one pagination helper of every list route. A store reads keyset pages one statement at a
 * time (each within the Data API's 1 MiB, so a statement may hold fewer rows than asked for);
 * this helper reads as many statements as `limit` needs and keeps the items within the response
 * budget, measured as the serialized items themselves. When the budget or `limit` ends the page
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
}

interface PagedList<I, C> {
  items: I[];
  /** Where the next page starts; undefined when this page holds the rest of the list. */
  next?: C;
  /** Statements read (for the bench and tests). */
  statements: number;
}

export async function pagedList<R, C, I>(options: PagedListOptions<R, C, I>): Promise<PagedList<I, C>> {
  const budget = options.budgetBytes ?? LIST_ITEMS_BUDGET_BYTES;
  const items: I[] = [];
  let after = options.start;
  let used = 0;
  let statements = 0;
  for (;;) {
    const { rows, more } = await options.read(after, options.limit - items.length);
    statements++;
    for (const [index, row] of rows.entries()) {
      const item = options.item(row);
      // Items are joined by commas: one byte each besides the item.
      const bytes = bodyBytes(item) + 1;
      // The first item always goes: no row passes the budget alone (stored documents are capped).
      if (items.length > 0 && used + bytes > budget) return { items, next: after, statements };
      items.push(item);
      used += bytes;
      after = options.cursorOf(row);
      if (items.length === options.limit) {
        return { items, next: more || index < rows.length - 1 ? after : undefined, statements };
      }
    }
    if (!more || rows.length === 0) return { items, statements };
  }
}
