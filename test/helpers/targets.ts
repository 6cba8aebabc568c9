/**
 * Execution targets the parity and canary tests run besides `local` (issue 15). A target adds one entry:
 * its name for `--target` and the extra environment its runs need (e2b: the emulator's URLs and key).
 */
export const REMOTE_TARGETS: { name: string; env?: () => Record<string, string> }[] = [{ name: 'process' }];
