/* global process */
'use strict';
/*
 * Preloaded (node --require) into the processes of one chaos cluster, never into production: shifts that
 * process's wall clock by CHAOS_CLOCK_OFFSET_MS, as a host whose clock runs minutes ahead or behind. Date.now() and
 * `new Date()` move; explicit dates and monotonic timers (performance.now, setTimeout) do not, as on such a host.
 */
const offset = Number(process.env.CHAOS_CLOCK_OFFSET_MS || 0);
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset);
      else super(...args);
    }
    static now() {
      return realNow() + offset;
    }
  }
  globalThis.Date = SkewedDate;
}
