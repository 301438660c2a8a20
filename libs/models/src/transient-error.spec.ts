import { isTransientDbError } from './transient-error';

describe('isTransientDbError', () => {
  it('says yes to failures another attempt may not meet', () => {
    for (const code of ['40001', '40P01', '55P03', '08006', '53300', '57014', '57P01']) expect(isTransientDbError({ code })).toBe(true);
  });

  it('says no to errors about the data, and to anything that is no database error', () => {
    for (const code of ['23505', '23503', '22001', '42P01']) expect(isTransientDbError({ code })).toBe(false);
    expect(isTransientDbError(new Error('boom'))).toBe(false);
    expect(isTransientDbError(null)).toBe(false);
    expect(isTransientDbError({ code: 40001 })).toBe(false);
  });
});
