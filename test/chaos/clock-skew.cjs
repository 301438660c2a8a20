/* global process, require, setInterval */
'use strict';
/*
 * Preloaded (node --require) into the processes of a chaos cluster, never into production: shifts that process's
 * wall clock by CHAOS_CLOCK_OFFSET_MS, as a host whose clock runs minutes ahead or behind, plus the number of
 * milliseconds in the file CHAOS_CLOCK_OFFSET_FILE, re-read every 100 ms, so that the run can step the clock of a
 * running cluster (as NTP or a restored VM does). Date.now() and `new Date()` move; explicit dates and monotonic
 * timers (performance.now, setTimeout) do not, as on such a host.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload (node --require) cannot import
const fs = require('node:fs');

const fixed = Number(process.env.CHAOS_CLOCK_OFFSET_MS || 0);
const file = process.env.CHAOS_CLOCK_OFFSET_FILE;
let stepped = 0;
function readStep() {
  try {
    const value = Number(fs.readFileSync(file, 'utf8').trim() || 0);
    if (Number.isFinite(value)) stepped = value;
  } catch {
    // No file yet: no step.
  }
}
if (file) {
  readStep();
  setInterval(readStep, 100).unref();
}
if ((Number.isFinite(fixed) && fixed !== 0) || file) {
  const offset = () => (Number.isFinite(fixed) ? fixed : 0) + stepped;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset());
      else super(...args);
    }
    static now() {
      return realNow() + offset();
    }
  }
  globalThis.Date = SkewedDate;
}
