/**
 * Text chunks in, whole lines out as an async iterable: the SDK hands stdout over in callbacks, the host reads
 * lines with `for await`. `fail` ends the iteration with an error (the host records it as a lost worker).
 */
export class LineQueue implements AsyncIterable<string> {
  private rest = '';
  private readonly lines: string[] = [];
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(text: string): void {
    this.rest += text;
    let nl = this.rest.indexOf('\n');
    while (nl >= 0) {
      const line = this.rest.slice(0, nl);
      this.rest = this.rest.slice(nl + 1);
      if (line.trim()) this.lines.push(line);
      nl = this.rest.indexOf('\n');
    }
    this.notify();
  }

  end(): void {
    if (this.rest.trim()) this.lines.push(this.rest);
    this.rest = '';
    this.ended = true;
    this.notify();
  }

  /** Ends the lines with `error`, unless they already ended (a sandbox we killed also breaks its stream). */
  fail(error: Error): void {
    if (this.ended) return;
    this.error = error;
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        yield line;
        continue;
      }
      if (this.error) throw this.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
