/**
 * Tiny stand-ins for a Postgres server at the protocol level, for the cases the local server (trust auth)
 * cannot produce: one that asks for a password and rejects it (SQLSTATE 28P01), and one that accepts TCP
 * connections and never answers (timeouts).
 */
import net from 'node:net';

export interface FakeServer {
  port: number;
  /** Passwords clients sent, in order. */
  passwords: string[];
  close(): Promise<void>;
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat(
    [
      ['S', 'FATAL'],
      ['V', 'FATAL'],
      ['C', code],
      ['M', message],
    ].map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8')),
  );
  const body = Buffer.concat([fields, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Asks for a cleartext password, records it, answers "password authentication failed". */
export async function rejectingServer(): Promise<FakeServer> {
  const passwords: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let started = false;
    socket.on('data', (data) => {
      buf = Buffer.concat([buf, data]);
      if (!started) {
        if (buf.length < 4 || buf.length < buf.readInt32BE(0)) return;
        const user = /user\0([^\0]*)\0/.exec(buf.toString('utf8', 8, buf.readInt32BE(0)))?.[1] ?? '';
        buf = buf.subarray(buf.readInt32BE(0));
        started = true;
        const auth = Buffer.alloc(9);
        auth.write('R', 0);
        auth.writeInt32BE(8, 1);
        auth.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(auth);
        socket.once('password', () => {
          socket.end(errorResponse('28P01', `password authentication failed for user "${user}"`));
        });
      }
      if (started && buf.length >= 5 && buf[0] === 0x70 /* p */) {
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        passwords.push(buf.toString('utf8', 5, len).replace(/\0$/, ''));
        buf = buf.subarray(len + 1);
        socket.emit('password');
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    passwords,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never says a word. */
export async function silentServer(): Promise<FakeServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    passwords: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
