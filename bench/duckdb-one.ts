/** DuckDB's run of the comparison benchmark, in its own process: `tsx bench/duckdb-one.ts <dir>` → JSON. */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbClassificationSql } from './comparison-data';

const dir = process.argv[2]!;
const data = {
  dir,
  household: path.join(dir, 'household.csv'),
  enrollment: path.join(dir, 'enrollment.csv'),
  headcount: path.join(dir, 'headcount.csv'),
  poverty: path.join(dir, 'poverty.csv'),
};
const started = performance.now();
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(
  duckdbClassificationSql(data, '2025-09-08', '2025-08-31', 6, 15),
);
const counts = Object.fromEntries(reader.getRows().map(([outcome, n]) => [String(outcome), Number(n)]));
process.stdout.write(JSON.stringify({ ms: performance.now() - started, counts }));
