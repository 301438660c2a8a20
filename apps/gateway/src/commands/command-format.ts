/** A time in slash command tables: UTC, to the second (the column header says UTC); empty for never. */
export function utcTime(ms: number, never = ''): string {
  return ms > 0 ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : never;
}
