/** The bounded reader: regular files only, never past the limit, never blocking. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeProblem, maxFileBytes, readBoundedText } from '../../../src/util/read-bounded.js';

const dir = mkdtempSync(join(tmpdir(), 'osiris-read-bounded-'));

describe('readBoundedText', () => {
  it('reads a regular file and drops a byte-order mark', () => {
    writeFileSync(join(dir, 'a.yaml'), '\uFEFFname: x\n');
    expect(readBoundedText(join(dir, 'a.yaml'), 100)).toEqual({ ok: true, text: 'name: x\n' });
  });

  it('reads past a size of 0 reported by fstat (/proc), up to the limit', () => {
    if (!existsSync('/proc/self/status')) return;
    const read = readBoundedText('/proc/self/status', 1024 * 1024);
    expect(read.ok && read.text.includes('Name:')).toBe(true);
    expect(readBoundedText('/proc/self/status', 10)).toEqual({
      ok: false,
      problem: { kind: 'too-large', limitBytes: 10 },
    });
  });

  it('refuses a file over the limit with its size', () => {
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(2000));
    const read = readBoundedText(join(dir, 'big.yaml'), 1000);
    expect(read).toEqual({ ok: false, problem: { kind: 'too-large', limitBytes: 1000, sizeBytes: 2000 } });
  });

  it('names what is not a regular file, without blocking on a FIFO', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(readBoundedText(join(dir, 'fifo'), 100)).toEqual({
      ok: false,
      problem: { kind: 'not-regular', what: 'a named pipe (FIFO)' },
    });
    expect(readBoundedText(dir, 100)).toEqual({ ok: false, problem: { kind: 'directory' } });
    expect(readBoundedText(join(dir, 'missing'), 100)).toEqual({ ok: false, problem: { kind: 'missing' } });
  });

  it('takes the limit from OSIRIS_MAX_FILE_MB and says how to raise it', () => {
    expect(maxFileBytes({})).toBe(10 * 1024 * 1024);
    expect(maxFileBytes({ OSIRIS_MAX_FILE_MB: '2.5' })).toBe(2.5 * 1024 * 1024);
    expect(maxFileBytes({ OSIRIS_MAX_FILE_MB: 'lots' })).toBe(10 * 1024 * 1024);
    expect(
      describeProblem({ kind: 'too-large', limitBytes: 10 * 1024 * 1024, sizeBytes: 12 * 1024 * 1024 }),
    ).toEqual({
      why: 'is 12 MiB, larger than the 10 MiB limit for input files',
      hint: 'raise the limit with the environment variable OSIRIS_MAX_FILE_MB (in MiB), e.g. OSIRIS_MAX_FILE_MB=20',
    });
  });
});
