/**
 * `npm run check`'s progress on a terminal: one line on stderr, rewritten in
 * place, with the stacks done of the total and the time elapsed; erased when
 * the check ends, so stdout (the report, or `--json`) is all that remains.
 * Nothing is written when stderr is not a terminal (CI logs, pipes, tests).
 */

/** What the reporter writes to: a terminal stream, or a test's stand-in. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** `check: 12/200 stacks, 34 s` */
export function progressLine(done: number, total: number, elapsedMs: number): string {
  const seconds = Math.floor(elapsedMs / 1000);
  const elapsed =
    seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `check: ${done}/${total} stacks, ${elapsed}`;
}

const eraseLine = "\r\x1b[2K";

export class Progress {
  private readonly started: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private done = 0;
  private total = 0;
  private shown = false;

  /**
   * @param stream where to draw (default stderr); nothing is drawn unless it is a TTY
   * @param now the clock (tests pass their own)
   */
  constructor(
    private readonly stream: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    // The elapsed time moves even while a slow stack runs; unref: never keeps the process up.
    if (stream.isTTY) this.timer = setInterval(() => this.draw(), 1000).unref();
  }

  /** Records that `done` of `total` stacks are done. */
  update(done: number, total: number): void {
    this.done = done;
    this.total = total;
    this.draw();
  }

  private draw(): void {
    if (!this.stream.isTTY || this.total === 0) return;
    this.stream.write(
      `${eraseLine}${progressLine(this.done, this.total, this.now() - this.started)}`,
    );
    this.shown = true;
  }

  /** Erases the line and stops the clock. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.shown) this.stream.write(eraseLine);
    this.shown = false;
  }
}
