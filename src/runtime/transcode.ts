/**
 * Re-encodes a UTF-8 text file DuckDB wrote into another encoding (DuckDB's COPY writes UTF-8 only), as a
 * stream: constant memory whatever the size. `utf-16` is little-endian with a byte-order mark (what Python's
 * `utf-16` codec writes); `latin-1` and `ascii` fail on the first character they cannot represent, naming
 * its line, instead of writing a replacement character.
 */
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export type TargetEncoding = 'utf-16' | 'latin-1' | 'ascii';

export class UnencodableCharacter extends Error {
  constructor(
    readonly encoding: TargetEncoding,
    readonly line: number,
    readonly char: string,
  ) {
    super(
      `line ${line} holds '${char}' (U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}), which ${encoding} cannot represent`,
    );
    this.name = 'UnencodableCharacter';
  }
}

const LIMIT: Record<Exclude<TargetEncoding, 'utf-16'>, RegExp> = {
  'latin-1': /[\u0100-\u{10ffff}]/u,
  ascii: /[\u0080-\u{10ffff}]/u,
};

async function* encode(source: AsyncIterable<string>, encoding: TargetEncoding): AsyncGenerator<Buffer> {
  if (encoding === 'utf-16') yield Buffer.from([0xff, 0xfe]);
  let line = 1;
  for await (const chunk of source) {
    if (encoding === 'utf-16') {
      yield Buffer.from(chunk, 'utf16le');
      continue;
    }
    const bad = LIMIT[encoding].exec(chunk);
    if (bad) {
      const before = chunk.slice(0, bad.index);
      throw new UnencodableCharacter(encoding, line + (before.match(/\n/g)?.length ?? 0), bad[0]);
    }
    line += chunk.match(/\n/g)?.length ?? 0;
    yield Buffer.from(chunk, 'latin1');
  }
}

/** Rewrites `path` (UTF-8) in `encoding`, through `path + '.enc'`; on failure `path` is left as it was. */
export async function transcodeFile(path: string, encoding: TargetEncoding): Promise<void> {
  const out = `${path}.enc`;
  try {
    await pipeline(
      createReadStream(path, { encoding: 'utf8' }),
      (source: AsyncIterable<string>) => encode(source, encoding),
      createWriteStream(out),
    );
    renameSync(out, path);
  } catch (error) {
    rmSync(out, { force: true });
    throw error;
  }
}
