import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS, pendingSchemaChanges, runMigrations, User } from '@fedchat/models';
import { newId } from '@fedchat/crypto';
import { createTestDatabase } from '@fedchat/testing';

async function connect(url: string): Promise<DataSource> {
  return new DataSource(dataSourceOptions(url, { poolSize: 2 })).initialize();
}

describe('database schema', () => {
  it('migrates an empty database once even when several processes start at the same time', async () => {
    const url = await createTestDatabase({ empty: true });
    const sources = await Promise.all([connect(url), connect(url), connect(url)]);
    try {
      const applied = await Promise.all(sources.map((ds) => runMigrations(ds)));
      const all = MIGRATIONS.map((m) => m.name);
      expect(applied.flat()).toEqual(all);
      const rows = await sources[0].query('SELECT name FROM typeorm_migrations');
      expect(rows.map((r: { name: string }) => r.name)).toEqual(all);
    } finally {
      await Promise.all(sources.map((ds) => ds.destroy()));
    }
  });

  it('gives test files a copy of the template migrated once per run, so apps on it find no pending migration', async () => {
    // Parallel workers copy the template at the same time.
    const [url] = await Promise.all(Array.from({ length: 4 }, () => createTestDatabase()));
    const ds = await connect(url);
    try {
      const rows = await ds.query('SELECT name FROM typeorm_migrations ORDER BY id');
      expect(rows.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      expect(await runMigrations(ds)).toEqual([]);
      expect(await pendingSchemaChanges(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('has migrations that agree with the entities (CI fails on drift)', async () => {
    const ds = await connect(await createTestDatabase({ empty: true }));
    try {
      await runMigrations(ds);
      expect(await pendingSchemaChanges(ds)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('detects drift when the database differs from the entities', async () => {
    const ds = await connect(await createTestDatabase({ empty: true }));
    try {
      await runMigrations(ds);
      await ds.query('ALTER TABLE posts DROP COLUMN is_pinned');
      const pending = await pendingSchemaChanges(ds);
      expect(pending.join('\n')).toMatch(/is_pinned/);
    } finally {
      await ds.destroy();
    }
  });

  it('round-trips Mattermost timestamps as numbers and ids as 26-char strings', async () => {
    const ds = await connect(await createTestDatabase({ empty: true }));
    try {
      await runMigrations(ds);
      const repo = ds.getRepository(User);
      const id = newId();
      const now = Date.now();
      await repo.insert(
        repo.create({
          id,
          username: 'alice',
          email: 'alice@example.com',
          password: 'x',
          create_at: now,
          update_at: now,
          props: { a: '1' },
        }),
      );
      const back = await repo.findOneByOrFail({ id });
      expect(back.create_at).toBe(now);
      expect(typeof back.create_at).toBe('number');
      expect(back.props).toEqual({ a: '1' });
      expect(back.remote_id).toBe('');
      await expect(repo.insert(repo.create({ id: newId(), username: 'alice', email: 'other@example.com', password: 'x' }))).rejects.toThrow(
        /duplicate key/,
      );
    } finally {
      await ds.destroy();
    }
  });
});
