import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

/** One statement a pg client sent: its text, and whether it went as a named prepared statement. */
export interface CountedStatement {
  text: string;
  prepared: boolean;
}

/**
 * Records the SQL statements that work sends, at pg's `Client` (every pooled connection TypeORM uses is one, so the
 * prototype sees them all). `count` keeps only the statements issued in the work's own async context (a bus request
 * in process carries it): the poll and heartbeat jobs running meanwhile are not the work's. `countAll` keeps every
 * statement while the work runs, for work that reaches the server over HTTP, whose handlers run in the server's
 * context. `install` in `beforeAll`, `restore` in `afterAll`.
 */
export class StatementCounter {
  private readonly scope = new AsyncLocalStorage<CountedStatement[]>();
  private readonly original = Client.prototype.query;
  private all?: CountedStatement[];

  install(): void {
    const scope = this.scope;
    const original = this.original as (...args: unknown[]) => unknown;
    const everything = () => this.all;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const into = scope.getStore() ?? everything();
      if (into) {
        const first = args[0] as string | { text?: string; name?: string };
        into.push({
          text: typeof first === 'string' ? first : (first?.text ?? '?'),
          prepared: typeof first === 'object' && !!first?.name,
        });
      }
      return original.apply(this, args);
    } as typeof Client.prototype.query;
  }

  restore(): void {
    Client.prototype.query = this.original;
  }

  /** Runs `work` and returns what it returned with the statements it sent, in order. */
  async count<T>(work: () => Promise<T>): Promise<{ result: T; statements: CountedStatement[] }> {
    const statements: CountedStatement[] = [];
    const result = await this.scope.run(statements, work);
    return { result, statements };
  }

  /** Runs `work` and returns what it returned with every statement sent while it ran, in order. */
  async countAll<T>(work: () => Promise<T>): Promise<{ result: T; statements: CountedStatement[] }> {
    const statements: CountedStatement[] = [];
    this.all = statements;
    try {
      return { result: await work(), statements };
    } finally {
      this.all = undefined;
    }
  }
}
