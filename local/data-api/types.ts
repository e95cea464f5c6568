import type { ClientBase, CustomTypesConfig, FieldDef } from 'pg';

/*
 * What the stand-in needs to know about a PostgreSQL type to encode its values: how the value
 * travels (`kind`), its name for columnMetadata.typeName and its JDBC type code for
 * columnMetadata.type (the service reports java.sql.Types, as pgjdbc does).
 */

export type ValueKind = 'long' | 'double' | 'bool' | 'bytes' | 'decimal' | 'timestamp' | 'timestamptz' | 'timetz' | 'string';

export interface PgType {
  oid: number;
  name: string;
  kind: ValueKind;
  jdbcType: number;
  /** Element type of an array type. */
  element?: PgType;
}

/** Hands every value to us as PostgreSQL's text output: nothing is parsed by node-postgres. */
export const RAW_TEXT: CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as unknown as CustomTypesConfig['getTypeParser'],
};

const JDBC = { BIT: -7, BIGINT: -5, BINARY: -2, CHAR: 1, NUMERIC: 2, INTEGER: 4, SMALLINT: 5, REAL: 7, DOUBLE: 8, VARCHAR: 12 };
const JDBC_BY_NAME: Record<string, number> = {
  bool: JDBC.BIT,
  bit: JDBC.BIT,
  bytea: JDBC.BINARY,
  char: JDBC.CHAR,
  bpchar: JDBC.CHAR,
  name: JDBC.VARCHAR,
  varchar: JDBC.VARCHAR,
  text: JDBC.VARCHAR,
  int2: JDBC.SMALLINT,
  int4: JDBC.INTEGER,
  int8: JDBC.BIGINT,
  oid: JDBC.BIGINT,
  float4: JDBC.REAL,
  float8: JDBC.DOUBLE,
  money: JDBC.DOUBLE,
  numeric: JDBC.NUMERIC,
  date: 91,
  time: 92,
  timetz: 92,
  timestamp: 93,
  timestamptz: 93,
};
export const JDBC_ARRAY = 2003;
const JDBC_OTHER = 1111;

const KIND_BY_NAME: Record<string, ValueKind> = {
  int2: 'long',
  int4: 'long',
  int8: 'long',
  oid: 'long',
  float4: 'double',
  float8: 'double',
  bool: 'bool',
  bytea: 'bytes',
  numeric: 'decimal',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  timetz: 'timetz',
};

// Built-in OIDs, so ordinary queries never need a catalog lookup.
const BUILTIN_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid',
  114: 'json', 142: 'xml', 650: 'cidr', 700: 'float4', 701: 'float8', 705: 'unknown', 790: 'money', 829: 'macaddr',
  869: 'inet', 1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz',
  1186: 'interval', 1266: 'timetz', 1560: 'bit', 1562: 'varbit', 1700: 'numeric', 2249: 'record', 2278: 'void',
  2950: 'uuid', 3802: 'jsonb',
};
const BUILTIN_ARRAYS: Record<number, number> = {
  1000: 16, 1001: 17, 1002: 18, 1003: 19, 1016: 20, 1005: 21, 1007: 23, 1009: 25, 1028: 26, 199: 114, 1021: 700,
  1022: 701, 1014: 1042, 1015: 1043, 1182: 1082, 1183: 1083, 1115: 1114, 1185: 1184, 1187: 1186, 1270: 1266,
  1231: 1700, 2951: 2950, 3807: 3802,
};

function scalarType(oid: number, name: string, baseName = name): PgType {
  return { oid, name, kind: KIND_BY_NAME[baseName] ?? 'string', jdbcType: JDBC_BY_NAME[baseName] ?? JDBC_OTHER };
}

function arrayType(oid: number, name: string, element: PgType): PgType {
  return { oid, name, kind: 'string', jdbcType: JDBC_ARRAY, element };
}

interface CatalogRow {
  oid: number;
  name: string;
  elem: number;
  category: string;
  base: string;
}

/** OID → PgType for one database; unknown OIDs (enums, domains, extension types) are read from pg_type once. */
export class TypeCatalog {
  private readonly types = new Map<number, PgType>();

  constructor() {
    for (const [oid, name] of Object.entries(BUILTIN_NAMES)) this.types.set(Number(oid), scalarType(Number(oid), name));
    for (const [oid, elem] of Object.entries(BUILTIN_ARRAYS)) {
      const element = this.types.get(elem)!;
      this.types.set(Number(oid), arrayType(Number(oid), `_${element.name}`, element));
    }
  }

  get(oid: number): PgType {
    return this.types.get(oid) ?? scalarType(oid, String(oid));
  }

  /** Looks up the OIDs not known yet, on the caller's connection (types created in an open transaction count). */
  async resolve(client: ClientBase, fields: readonly FieldDef[]): Promise<void> {
    let missing = [...new Set(fields.map((f) => f.dataTypeID))].filter((oid) => !this.types.has(oid));
    const rows: CatalogRow[] = [];
    // Two rounds: array types first, then element types that are not known either.
    for (let round = 0; round < 2 && missing.length > 0; round += 1) {
      const result = await client.query<[string, string, string, string, string]>({
        text: `SELECT t.oid, t.typname, t.typelem, t.typcategory, COALESCE(b.typname, '')
                 FROM pg_type t LEFT JOIN pg_type b ON b.oid = t.typbasetype
                WHERE t.oid = ANY($1::oid[])`,
        values: [`{${missing.join(',')}}`],
        rowMode: 'array',
        types: RAW_TEXT,
      });
      const found = result.rows.map(([oid, name, elem, category, base]) => ({ oid: Number(oid), name, elem: Number(elem), category, base }));
      rows.push(...found);
      missing = found.filter((r) => r.category === 'A' && r.elem !== 0 && !this.types.has(r.elem)).map((r) => r.elem);
    }
    // Scalars before arrays so elements are in place.
    for (const r of rows.filter((row) => row.category !== 'A')) this.types.set(r.oid, scalarType(r.oid, r.name, r.base || r.name));
    for (const r of rows.filter((row) => row.category === 'A')) this.types.set(r.oid, arrayType(r.oid, r.name, this.get(r.elem)));
  }
}

export interface ColumnSource {
  tableName: string;
  notNull: boolean;
  autoIncrement: boolean;
}

/**
 * Table name, NOT NULL and serial/identity for result columns that come straight from a table
 * column. Known columns come from `cache` (one catalog query per statement would double every
 * round trip); the caller clears it when DDL runs.
 */
export async function columnSources(
  client: ClientBase,
  fields: readonly FieldDef[],
  cache: Map<string, ColumnSource> = new Map(),
): Promise<Map<string, ColumnSource>> {
  const sources = new Map<string, ColumnSource>();
  const direct = fields.filter((f) => f.tableID !== 0 && f.columnID > 0 && !cache.has(`${f.tableID}.${f.columnID}`));
  for (const f of fields) {
    const known = cache.get(`${f.tableID}.${f.columnID}`);
    if (known) sources.set(`${f.tableID}.${f.columnID}`, known);
  }
  if (direct.length === 0) return sources;
  const result = await client.query<[string, string, string, string, string]>({
    text: `SELECT a.attrelid, a.attnum, c.relname, a.attnotnull,
                  (a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%')
             FROM unnest($1::oid[], $2::int2[]) AS k(rel, num)
             JOIN pg_attribute a ON a.attrelid = k.rel AND a.attnum = k.num
             JOIN pg_class c ON c.oid = a.attrelid
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum`,
    values: [`{${direct.map((f) => f.tableID).join(',')}}`, `{${direct.map((f) => f.columnID).join(',')}}`],
    rowMode: 'array',
    types: RAW_TEXT,
  });
  for (const [rel, num, table, notNull, autoInc] of result.rows) {
    const source = { tableName: table, notNull: notNull === 't', autoIncrement: autoInc === 't' };
    sources.set(`${rel}.${num}`, source);
    cache.set(`${rel}.${num}`, source);
  }
  return sources;
}
