/**
 * The one data table the pages share: columns declared once (header, cell, alignment, optional
 * sort key), a caption for screen readers, an empty state, numbers right-aligned in tabular
 * figures, sortable headers (real buttons, so the keyboard reaches them, and `aria-sort` saying
 * the order), horizontal scroll when it is wider than the screen and, on phones, rows as cards
 * (each cell labelled with its column).
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Empty } from './common.js';

type SortValue = string | number | null | undefined;

export interface Column<T> {
  /** The header; also each cell's label when a phone shows rows as cards. */
  header: ComponentChildren;
  cell: (row: T) => ComponentChildren;
  /** `num`: right-aligned, tabular figures (counts, money, sequence numbers). */
  align?: 'start' | 'num';
  /** Makes the column sortable by this value (numbers numerically, text as people read it). */
  sort?: (row: T) => SortValue;
  /** The card label on phones, when the header is not plain text or is too long. */
  label?: string;
  /** More classes for the cells (`wrap`, `small`). */
  class?: string;
  /** The cell names its row (`<th scope="row">`). */
  rowHeader?: boolean;
}

/** A row's own attributes: a class (`broken`), data-* for tests and styles. */
type RowAttributes = { class?: string } & { [data: `data-${string}`]: string | number };

export interface TableProps<T> {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  /** What the table lists, read by screen readers (a visually hidden caption). */
  caption: string;
  /** Shown instead of the table when there are no rows. */
  empty: ComponentChildren;
  /** More classes for the table. */
  class?: string;
  /** Rows become cards on phones (default), instead of scrolling sideways. */
  stack?: boolean;
  rowAttributes?: (row: T) => RowAttributes;
}

type Direction = 'ascending' | 'descending';
interface Order {
  column: number;
  direction: Direction;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Missing values last whichever the direction; numbers as numbers; text by the reader's locale. */
function compare(a: SortValue, b: SortValue, direction: Direction): number {
  const aMissing = a === null || a === undefined || a === '';
  const bMissing = b === null || b === undefined || b === '';
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  const order =
    typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
  return direction === 'ascending' ? order : -order;
}

/** The rows in the chosen order; unsorted, as given (the page's own order, e.g. newest first). */
function ordered<T>(rows: readonly T[], columns: Column<T>[], order: Order | undefined): readonly T[] {
  const key = order ? columns[order.column]?.sort : undefined;
  if (!order || !key) return rows;
  // Array.prototype.sort is stable: equal values keep the page's order.
  return [...rows].sort((a, b) => compare(key(a), key(b), order.direction));
}

function labelOf<T>(column: Column<T>): string | undefined {
  return column.label ?? (typeof column.header === 'string' ? column.header : undefined);
}

export function Table<T>(props: TableProps<T>) {
  const [order, setOrder] = useState<Order | undefined>(undefined);
  if (props.rows.length === 0) return <Empty>{props.empty}</Empty>;
  const rows = ordered(props.rows, props.columns, order);
  // The first click sorts ascending, the next descending, and so on.
  const sortBy = (column: number) =>
    setOrder(
      order?.column === column
        ? { column, direction: order.direction === 'ascending' ? 'descending' : 'ascending' }
        : { column, direction: 'ascending' },
    );
  const classes = [props.stack === false ? '' : 'stack-narrow', props.class ?? ''].filter(Boolean).join(' ');
  return (
    <div class="table-wrap">
      <table class={classes || undefined}>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((column, index) => {
              const active = order?.column === index ? order.direction : undefined;
              return (
                <th
                  key={index}
                  scope="col"
                  class={column.align === 'num' ? 'num' : undefined}
                  aria-sort={column.sort ? (active ?? 'none') : undefined}
                >
                  {column.sort ? (
                    <button type="button" class="sort" onClick={() => sortBy(index)}>
                      {column.header}
                      <span class="sort-mark" aria-hidden="true">
                        {active === 'ascending' ? '▲' : active === 'descending' ? '▼' : '↕'}
                      </span>
                    </button>
                  ) : (
                    column.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={props.rowKey(row)} {...(props.rowAttributes?.(row) ?? {})}>
              {props.columns.map((column, index) => {
                const cell = {
                  class:
                    [column.align === 'num' ? 'num' : '', column.class ?? ''].filter(Boolean).join(' ') ||
                    undefined,
                };
                return column.rowHeader ? (
                  <th key={index} scope="row" {...cell}>
                    {column.cell(row)}
                  </th>
                ) : (
                  <td key={index} data-label={labelOf(column)} {...cell}>
                    {column.cell(row)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
