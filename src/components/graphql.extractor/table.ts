/**
 * The step's output table, filled one page at a time: the first page fixes the columns and their types,
 * later pages may add columns (a nested object that was null so far), give a type to a column that was
 * only null, or widen BIGINT to DOUBLE; any other change of a field's JSON type fails the step naming the
 * page, the record and the field. Only the current page is ever in memory.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { type Cell, type ColumnType, cellType, describeCell } from '../../connectors/graphql/records.js';
import { quoteIdent, unquoteIdent } from '../../runtime/dataplane.js';
import { type StepContext, StepError } from '../../runtime/driver.js';

interface Column {
  name: string;
  /** Undefined while the column has only held nulls (created as VARCHAR until a value says more). */
  type: ColumnType | undefined;
  firstPage: number;
}

/** Column changes one page asks for, applied before its rows are appended. */
interface PagePlan {
  added: Column[];
  retyped: Column[];
}

/** The type a column keeps when `incoming` arrives, or undefined when the two cannot share a column. */
function merged(current: ColumnType, incoming: ColumnType): ColumnType | undefined {
  if (current === incoming) return current;
  if (current === 'JSON') return 'JSON'; // any JSON value fits a JSON column
  if ((current === 'BIGINT' && incoming === 'DOUBLE') || (current === 'DOUBLE' && incoming === 'BIGINT'))
    return 'DOUBLE';
  return undefined;
}

function appendCell(app: DuckDBAppender, type: ColumnType | undefined, cell: Cell): void {
  if (cell === null || type === undefined) app.appendNull();
  else if (type === 'BOOLEAN') app.appendBoolean(cell as boolean);
  else if (type === 'BIGINT') app.appendBigInt(BigInt(cell as number));
  else if (type === 'DOUBLE') app.appendDouble(cell as number);
  else if (type === 'JSON') app.appendVarchar(typeof cell === 'object' ? cell.json : JSON.stringify(cell));
  else app.appendVarchar(cell as string);
}

export class PageTable {
  private readonly columns = new Map<string, Column>();
  private created = false;
  rows = 0;

  constructor(
    private readonly ctx: StepContext,
    private readonly duck: DuckDBConnection = ctx.duck,
  ) {}

  /** Appends one page of flattened records. */
  async addPage(records: Map<string, Cell>[], page: number): Promise<void> {
    if (records.length === 0) return;
    const plan = this.plan(records, page);
    await this.apply(plan);
    const order = [...this.columns.values()];
    const app = await this.duck.createAppender(unquoteIdent(this.ctx.outputTable));
    try {
      for (const record of records) {
        for (const col of order) appendCell(app, col.type, record.get(col.name) ?? null);
        app.endRow();
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
    this.rows += records.length;
  }

  /** Creates the table when no page had records (one VARCHAR column `value`, no rows). */
  async finish(): Promise<void> {
    if (this.created) return;
    await this.duck.run(`CREATE OR REPLACE TABLE ${this.ctx.outputTable} (value VARCHAR)`);
    this.created = true;
  }

  private plan(records: Map<string, Cell>[], page: number): PagePlan {
    const plan: PagePlan = { added: [], retyped: [] };
    records.forEach((record, index) => {
      for (const [name, cell] of record) {
        const incoming = cellType(cell);
        const col = this.columns.get(name);
        if (!col) {
          const added = { name, type: incoming, firstPage: page };
          this.columns.set(name, added);
          plan.added.push(added);
          continue;
        }
        if (incoming === undefined || col.type === incoming) continue;
        const next = col.type === undefined ? incoming : merged(col.type, incoming);
        if (next === undefined) throw this.mismatch(col, cell, page, index + 1);
        if (next === col.type) continue;
        if (this.created && col.type !== undefined)
          this.ctx.emit('column_widened', {
            level: 'warning',
            column: name,
            from: col.type,
            to: next,
            page,
            message: `column '${name}' widened from ${col.type} to ${next} on page ${page} (record ${index + 1})`,
          });
        col.type = next;
        if (!plan.added.includes(col) && !plan.retyped.includes(col)) plan.retyped.push(col);
      }
    });
    return plan;
  }

  private async apply(plan: PagePlan): Promise<void> {
    const table = this.ctx.outputTable;
    const typeOf = (c: Column) => c.type ?? 'VARCHAR';
    if (!this.created) {
      const defs = [...this.columns.values()].map((c) => `${quoteIdent(c.name)} ${typeOf(c)}`);
      await this.duck.run(`CREATE OR REPLACE TABLE ${table} (${defs.join(', ')})`);
      this.created = true;
      return;
    }
    for (const c of plan.added)
      await this.duck.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdent(c.name)} ${typeOf(c)}`);
    for (const c of plan.retyped)
      await this.duck.run(`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${typeOf(c)}`);
  }

  private mismatch(col: Column, cell: Cell, page: number, record: number): StepError {
    return new StepError(
      'extract.schema_mismatch',
      `step '${this.ctx.stepId}': page ${page}, record ${record}: field '${col.name}' is ${describeCell(cell)}, but it was ${col.type} since page ${col.firstPage}`,
      'a field changes JSON type with union types or JSON scalars: select each variant under its own alias, or set flatten_result: false to keep nested values as JSON',
      {
        details: {
          page,
          record,
          field: col.name,
          expected: col.type ?? 'null',
          got: cellType(cell) ?? 'null',
        },
      },
    );
  }
}
