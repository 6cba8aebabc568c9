/** What an engine's inspection of one SQL text found: its shape when it may run, else the first refusal. */

export type Inspection =
  | {
      ok: true;
      /** Leading keyword: SELECT, WITH, VALUES, SHOW, DESCRIBE or EXPLAIN. */
      keyword: string;
      /** Character offset where the statement ends (before its semicolon). */
      end: number;
      /** The outermost query has its own LIMIT / FETCH clause. */
      ownLimit: boolean;
    }
  | Refusal;

export interface Refusal {
  ok: false;
  /** What is refused: a function name, a statement kind, a clause, or the token a syntax error is at. */
  subject: string;
  /** 0-based character offset (UTF-16 code units) into the inspected text. */
  offset: number;
  /** The sentence after "… at line L, column C": why it is refused. */
  reason: string;
}

export const refuse = (subject: string, offset: number, reason: string): Refusal => ({
  ok: false,
  subject,
  offset,
  reason,
});

/** `InsertStmt` → `INSERT`, `CreateTableAsStmt` → `CREATE TABLE AS`. */
export function statementKeyword(nodeType: string): string {
  const special: Record<string, string> = {
    VariableSetStmt: 'SET',
    TransactionStmt: 'transaction control',
    CopyStmt: 'COPY',
    DoStmt: 'DO',
  };
  return (
    special[nodeType] ??
    nodeType
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}
