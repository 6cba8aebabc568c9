/** Shared bits of the discovery / doctor integration tests. */
import { type Dirent, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../../helpers/cli.js';

/** A project folder with osiris.yaml and the given osiris_connections.yaml body (under `connections:`). */
export function projectWith(connectionsBody: string): string {
  const dir = tempDir('osiris-discovery-it-');
  writeFileSync(join(dir, 'osiris.yaml'), 'version: "2.0"\n');
  writeFileSync(join(dir, 'osiris_connections.yaml'), `version: "1.0"\nconnections:\n${connectionsBody}`);
  return dir;
}

/** Files under `dir` whose name or content contains `needle`. */
export function grepTree(dir: string, needle: string): string[] {
  const hits: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return hits;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.includes(needle) || readFileSync(path, 'utf8').includes(needle)) hits.push(path);
  }
  return hits;
}

/** A TCP server that accepts connections and never says a word: clients can only time out. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
