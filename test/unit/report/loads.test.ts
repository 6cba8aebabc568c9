/**
 * The load evidence of docs/adr/0025 reaches the reader: the HTML report's Loads panel shows each
 * verification's compared figures and the schema changes, and the AIOP narrative cites them.
 */
import { describe, expect, it } from 'vitest';
import { buildAiopPackage } from '../../../src/observability/aiop/export.js';
import { createRedactor } from '../../../src/observability/redact.js';
import { loadRunReportData, renderRunReport } from '../../../src/observability/report/index.js';
import { fakeRun, THREE_STEPS } from './fixtures.js';

/** What postgres.writer emits (test/integration/postgres/evolve.test.ts checks the real events). */
const VERIFIED = {
  connection: '@postgres.main',
  table: 'public.evolve_orders',
  scope: 'the rows this transaction wrote (xmin)',
  rows: [3, 3],
  columns: [
    { column: 'id', check: 'sum', nulls: [0, 0], sum: ['6', '6'] },
    {
      column: 'at',
      check: 'ts',
      nulls: [0, 0],
      min: ['1704070800000000', '1704070800000000'],
      max: ['1704078000000000', '1704078000000000'],
    },
  ],
  matched: true,
  duration_ms: 4,
};

describe('load evidence in the report and AIOP', () => {
  const steps = THREE_STEPS.map((s) =>
    s.mode === 'write'
      ? {
          ...s,
          extraEvents: [
            {
              name: 'schema.column_added',
              fields: {
                connection: '@postgres.main',
                table: 'public.evolve_orders',
                column: 'note',
                type: 'text',
                applied: 'in the load transaction',
              },
            },
            { name: 'write.verified', fields: VERIFIED },
          ],
        }
      : s,
  );

  it('the report has a Loads panel with the compared figures and the schema change', () => {
    const { project, record } = fakeRun({ steps });
    const html = renderRunReport(loadRunReportData(project, record));
    const panel = html.slice(
      html.indexOf('id="loads"'),
      html.indexOf('</section>', html.indexOf('id="loads"')),
    );
    expect(panel).toContain('public.evolve_orders');
    expect(panel).toContain('verified');
    expect(panel).toContain('sum 6');
    expect(panel).toContain('min 1704070800000000');
    expect(panel).toContain('added note text');
    expect(panel).toContain('the rows this transaction wrote (xmin)');
  });

  it('the AIOP narrative states the proof and the change, citing their events', async () => {
    const { project, record } = fakeRun({ steps });
    const pkg = await buildAiopPackage(project, record, { env: {}, redactor: createRedactor() });
    expect(pkg.json).toContain(
      'verified its load of public.evolve_orders before COMMIT: 3 rows received and held',
    );
    expect(pkg.json).toContain('added column note (text) to public.evolve_orders');
    expect(pkg.json).toContain('"event": "write.verified"');
  });
});
