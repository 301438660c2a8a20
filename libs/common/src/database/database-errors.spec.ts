import { databaseErrorAdvice, describeDatabaseUrl, isTransientDatabaseError } from './database-errors';
import { logLeaseTakeovers } from './lease-takeover';

function pgError(code: string, message = 'error'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isTransientDatabaseError', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a database starting up', pgError('57P03', 'the database system is starting up')],
    ['too many connections', pgError('53300')],
    ['a dropped connection (class 08)', pgError('08006')],
    ['a connection ended without a code', new Error('Connection terminated unexpectedly')],
  ])('retries %s', (_, err) => {
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    ['a missing privilege', pgError('42501', 'permission denied for schema public')],
    ['a wrong password', pgError('28P01')],
    ['a missing database', pgError('3D000')],
    ['a failed query wrapped by TypeORM', Object.assign(new Error('QueryFailedError'), { driverError: { code: '42501' } })],
  ])('does not retry %s', (_, err) => {
    expect(isTransientDatabaseError(err)).toBe(false);
  });
});

describe('databaseErrorAdvice', () => {
  it('tells the operator what the role needs after "permission denied for schema public"', () => {
    expect(databaseErrorAdvice(pgError('42501'))).toMatch(/own the database, or have CREATE on schema public/);
    expect(databaseErrorAdvice(new Error('other'))).toBeUndefined();
  });
});

describe('describeDatabaseUrl', () => {
  it('names host, port, database and user, never the password', () => {
    expect(describeDatabaseUrl('postgres://fedchat:s3cret@db.internal:6432/chat')).toBe('db.internal:6432/chat as fedchat');
    expect(describeDatabaseUrl('postgresql://db/chat')).toBe('db:5432/chat');
    expect(describeDatabaseUrl('postgresql://postgres@localhost/fedchat?host=%2Ftmp%2Frun')).toBe('/tmp/run/fedchat as postgres');
  });
});

describe('logLeaseTakeovers', () => {
  it('logs work taken from another instance whose lease ran out, not free, released or own leases', () => {
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) };
    logLeaseTakeovers(logger, 'file transfers', 'me', [
      { key: 'a', previousOwner: '' },
      { key: 'b', previousOwner: 'me' },
    ]);
    expect(warnings).toEqual([]);
    logLeaseTakeovers(logger, 'file transfers', 'me', [
      { key: 'a', previousOwner: 'dead-replica' },
      { key: 'b', previousOwner: '' },
      { key: 'c', previousOwner: 'dead-replica' },
    ]);
    expect(warnings).toEqual(['took over 2 file transfers whose lease expired in the hands of dead-replica: a, c']);
  });
});
