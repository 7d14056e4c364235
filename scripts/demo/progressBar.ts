// A one-line progress bar. On a terminal it redraws in place; elsewhere (CI logs, a test reading
// the output) it prints a line at every quarter, so the log shows progress without a flood.

export interface ProgressOutput {
  write(text: string): void;
  /** True on a terminal, where `\r` redraws the line. */
  isTTY?: boolean;
}

const WIDTH = 30;
const LOG_STEPS = 4;

export function renderProgress(label: string, done: number, total: number): string {
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * WIDTH);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(done).padStart(String(total).length)}/${total} ${Math.floor(share * 100)}%`;
}

export class ProgressBar {
  private lastStep = -1;

  constructor(
    private readonly out: ProgressOutput,
    private readonly label: string,
  ) {}

  update(done: number, total: number): void {
    if (this.out.isTTY === true) {
      this.out.write(`\r${renderProgress(this.label, done, total)}${done === total ? '\n' : ''}`);
      return;
    }
    const step = total === 0 ? LOG_STEPS : Math.floor((done / total) * LOG_STEPS);
    if (step > this.lastStep) {
      this.lastStep = step;
      this.out.write(`${renderProgress(this.label, done, total)}\n`);
    }
  }
}
