import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivedDocument, isDerived, readOmlFile } from '../../../src/oml/load.js';
import { thrown } from '../../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'osiris-oml-load-'));

describe('readOmlFile', () => {
  it('parses a file with locations, named as the user wrote it', () => {
    const path = join(dir, 'p.yaml');
    writeFileSync(path, 'oml_version: "0.1.0"\nname: demo\n');
    const doc = readOmlFile(path, 'pipelines/p.yaml');
    expect(doc.file).toBe('pipelines/p.yaml');
    expect(doc.value).toEqual({ oml_version: '0.1.0', name: 'demo' });
    expect(doc.locate(['name'], 'value')).toEqual({
      file: 'pipelines/p.yaml',
      line: 2,
      col: 7,
      path: 'name',
    });
  });

  it('defaults the display name to the path', () => {
    const path = join(dir, 'q.yaml');
    writeFileSync(path, 'a: 1\n');
    expect(readOmlFile(path).file).toBe(path);
  });

  it('strips a UTF-8 byte-order mark', () => {
    const path = join(dir, 'bom.yaml');
    writeFileSync(path, '\uFEFFname: demo\n');
    const doc = readOmlFile(path, 'bom.yaml');
    expect(doc.value).toEqual({ name: 'demo' });
    expect(doc.locate(['name'])).toMatchObject({ line: 1, col: 1 });
  });

  it('keeps YAML syntax errors in doc.errors instead of throwing', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'name: [oops\n');
    const doc = readOmlFile(path, 'bad.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.errors.map((e) => e.code)).toEqual(['YAML001']);
  });

  it('throws OML001 (exit 2) for a missing file', () => {
    const error = thrown(() => readOmlFile(join(dir, 'missing.yaml'), 'missing.yaml'));
    expect(error.exitCode).toBe(2);
    expect(error.diagnostics[0]?.code).toBe('OML001');
    expect(error.diagnostics[0]?.message).toBe('OML file missing.yaml does not exist');
    expect(error.diagnostics[0]?.location.file).toBe('missing.yaml');
  });

  it('throws OML001 for a directory', () => {
    const sub = join(dir, 'folder');
    mkdirSync(sub, { recursive: true });
    const error = thrown(() => readOmlFile(sub, 'folder'));
    expect(error.diagnostics[0]?.code).toBe('OML001');
    expect(error.diagnostics[0]?.message).toContain('is a directory');
  });
});

describe('derivedDocument', () => {
  it('keeps locations and the original, even when derived twice', () => {
    const path = join(dir, 'd.yaml');
    writeFileSync(path, 'name: demo\n');
    const original = readOmlFile(path, 'd.yaml');
    const once = derivedDocument(original, { name: 'x' });
    const twice = derivedDocument(once, { name: 'y' });
    expect(isDerived(original)).toBe(false);
    expect(twice.unresolved).toBe(original);
    expect(twice.value).toEqual({ name: 'y' });
    expect(twice.locate(['name'], 'value')).toEqual(original.locate(['name'], 'value'));
  });
});
