/**
 * Every job kind a fleet worker serves. A module that adds kinds (jobs.ts: registerJobKind) is imported
 * here, once, so `osiris worker --queue` knows them all.
 */
export async function loadJobKinds(): Promise<void> {
  await import('./run-job.js');
  await import('./partition-jobs.js');
}
