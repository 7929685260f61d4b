/** A progress bar on stderr when it is a terminal; otherwise a line per quarter. */
export function progressBar(label: string, total: number) {
  const tty = process.stderr.isTTY;
  let lastQuarter = -1;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return {
    update(done: number) {
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        const width = 30;
        const filled = Math.round(ratio * width);
        process.stderr.write(
          `\r${label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${(ratio * 100).toFixed(0).padStart(3)}%  ${mb(done)}/${mb(total)} MB`,
        );
      } else {
        const quarter = Math.floor(ratio * 4);
        if (quarter !== lastQuarter) {
          lastQuarter = quarter;
          process.stderr.write(`${label} ${(ratio * 100).toFixed(0)}%\n`);
        }
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
