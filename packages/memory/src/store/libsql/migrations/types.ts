/** One step of the schema. Applied in order, each in its own transaction, recorded in schema_migrations. */
export interface Migration {
  /** 1, 2, 3...: the schema version after this migration. */
  version: number;
  name: string;
  /** SQL statements, run in order inside one transaction. */
  statements: string[];
}
