/** "Did you mean" suggestions from edit distance. */

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(above + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = above;
    }
  }
  return prev[b.length] as number;
}

/**
 * The closest candidate when it is plausibly a typo: within a third of the word's length (at least 2 edits),
 * or a candidate that starts with / contains the input. Ties break lexically so the answer is deterministic.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    const hay = name.toLowerCase();
    let score = editDistance(needle, hay);
    if (needle.length >= 3 && (hay.startsWith(needle) || hay.includes(needle))) score = Math.min(score, 1);
    if (!best || score < best.score || (score === best.score && name < best.name)) best = { name, score };
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.ceil(needle.length / 3));
  return best.score <= limit ? best.name : undefined;
}

/** "did you mean 'x'?" or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(input, candidates);
  return match === undefined ? undefined : `did you mean '${match}'?`;
}
