/** Type lookups in pg_type: domains followed to their base type, array element types included. */
import type pg from 'pg';
import type { PgTypeInfo } from './types.js';

export interface ResolvedType {
  info: PgTypeInfo;
  /** typmod a domain imposes (e.g. a domain over numeric(10,2)); -1 when none. */
  domainTypmod: number;
}

interface Row {
  orig: string;
  oid: string;
  typname: string;
  typtype: string;
  typelem: string;
  typmod: string;
  display: string;
}

const SQL = `WITH RECURSIVE chain AS (
  SELECT t.oid AS orig, t.oid, t.typname, t.typtype, t.typelem, t.typbasetype, -1 AS typmod, 0 AS depth
  FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[])
  UNION ALL
  SELECT c.orig, b.oid, b.typname, b.typtype, b.typelem, b.typbasetype,
         CASE WHEN c.typmod = -1 THEN (SELECT d.typtypmod FROM pg_catalog.pg_type d WHERE d.oid = c.oid) ELSE c.typmod END,
         c.depth + 1
  FROM chain c JOIN pg_catalog.pg_type b ON b.oid = c.typbasetype
  WHERE c.typtype = 'd' AND c.depth < 16
)
SELECT orig::bigint::text AS orig, oid::bigint::text AS oid, typname::text, typtype::text,
       typelem::bigint::text AS typelem, typmod::text AS typmod,
       pg_catalog.format_type(oid, NULL) AS display
FROM chain WHERE typtype <> 'd'`;

async function lookup(client: pg.Client, oids: number[], into: Map<number, ResolvedType>): Promise<void> {
  const missing = [...new Set(oids)].filter((o) => o > 0 && !into.has(o));
  if (missing.length === 0) return;
  const result = await client.query<Row>({
    text: SQL,
    values: [missing.map(String)],
  });
  for (const row of result.rows) {
    into.set(Number(row.orig), {
      info: {
        oid: Number(row.oid),
        name: row.typname,
        kind: row.typtype,
        elem: Number(row.typelem),
        display: row.display,
      },
      domainTypmod: Number(row.typmod),
    });
  }
}

/** Resolves `oids` (and the element types of arrays among them). */
export async function loadTypes(client: pg.Client, oids: number[]): Promise<Map<number, ResolvedType>> {
  const out = new Map<number, ResolvedType>();
  await lookup(client, oids, out);
  const elems = [...out.values()].filter((t) => t.info.elem !== 0).map((t) => t.info.elem);
  await lookup(client, elems, out);
  return out;
}

/** The catalog entry for `oid` (unknown types come back as text-like base types). */
export function typeOf(types: Map<number, ResolvedType>, oid: number): ResolvedType {
  return (
    types.get(oid) ?? {
      info: { oid, name: 'unknown', kind: 'b', elem: 0, display: `type ${oid}` },
      domainTypmod: -1,
    }
  );
}
