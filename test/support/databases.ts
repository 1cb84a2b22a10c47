/**
 * The databases every storage-level suite runs against: embedded SQLite always, PostgreSQL when the global setup
 * started one (always on CI). Each call gives a fresh, empty database.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  readonly available: boolean;
  /** A URL for a brand-new empty database. */
  fresh(): Promise<string>;
}

let counter = 0;

export const testDatabases: readonly TestDatabase[] = [
  {
    name: 'sqlite',
    available: true,
    fresh: () => Promise.resolve(`sqlite:${join(mkdtempSync(join(tmpdir(), 'entente-sqlite-')), 'test.db')}`),
  },
  {
    name: 'postgres',
    available: process.env.ENTENTE_TEST_PG_URL !== undefined,
    async fresh() {
      const base = process.env.ENTENTE_TEST_PG_URL;
      if (!base) throw new Error('PostgreSQL is not available');
      const name = `entente_t${process.pid}_${Date.now()}_${counter++}`;
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(base);
      url.pathname = `/${name}`;
      return url.toString();
    },
  },
];
