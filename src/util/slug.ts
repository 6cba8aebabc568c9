/**
 * Slugs for path segments (filesystem contract): lowercase; spaces and underscores become `-`; anything
 * outside [a-z0-9-] is dropped; repeats collapse; leading/trailing `-` trimmed.
 */
export function slugify(value: string): string {
  return value
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}
