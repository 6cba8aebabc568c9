/** The E2B emulator speaks what the official e2b SDK expects (so the e2b target's tests mean something). */
import { AuthenticationError, CommandExitError, Sandbox } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2bEmulator, startE2bEmulator } from '../../helpers/e2b-emulator/index.js';

let emu: E2bEmulator;
let saved: NodeJS.ProcessEnv;
beforeAll(async () => {
  emu = await startE2bEmulator();
  saved = { ...process.env };
  Object.assign(process.env, emu.env());
});
afterAll(async () => {
  process.env = saved;
  await emu.close();
});

describe('e2b emulator through the real SDK', () => {
  it('rejects a wrong API key with E2B’s 401', async () => {
    const error = await Sandbox.create({ apiKey: 'e2b_wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String(error)).toMatch(/Invalid API key/);
    expect(emu.sandboxes).toHaveLength(0);
  });

  it('creates a sandbox, runs commands with stdin, moves files and kills it', async () => {
    const sbx = await Sandbox.create({ timeoutMs: 60_000, envs: { GREETING: 'hi' } });
    await sbx.files.write('dir/a.txt', 'hello');
    expect(await sbx.files.read('/home/user/dir/a.txt')).toBe('hello');
    const ran = await sbx.commands.run('cat dir/a.txt; echo " $GREETING $EXTRA"', { envs: { EXTRA: 'x' } });
    expect(ran.stdout).toBe('hello hi x\n');
    await expect(sbx.commands.run('exit 3')).rejects.toBeInstanceOf(CommandExitError);
    const lines: string[] = [];
    const handle = await sbx.commands.run('while read l; do echo "got $l"; done', {
      background: true,
      stdin: true,
      onStdout: (d: string) => void lines.push(d),
    });
    await sbx.commands.sendStdin(handle.pid, 'one\ntwo\n');
    await sbx.commands.closeStdin(handle.pid);
    await handle.wait();
    expect(lines.join('')).toBe('got one\ngot two\n');
    expect(emu.sandboxes[0]?.envVars).toEqual({ GREETING: 'hi' });
    await sbx.kill();
    expect(emu.sandboxes[0]?.killedBy).toBe('api');
  });
});
