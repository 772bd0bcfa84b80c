// Writing `config` rows from Node scripts (benches), straight to the Postgres backend.
import pg from "pg";

export async function setConfig(url: string, key: string, value: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `insert into config (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value, "updatedAt" = now()`,
      [key, value],
    );
  } finally {
    await client.end();
  }
}
