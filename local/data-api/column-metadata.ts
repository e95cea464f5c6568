import type { FieldDef } from 'pg';
import { JDBC_ARRAY, type ColumnSource, type PgType, type TypeCatalog } from './types';

/*
 * columnMetadata (includeResultMetadata: true). The service builds it from JDBC ResultSetMetaData,
 * so types are java.sql.Types codes and precision/scale follow pgjdbc's rules.
 */

export interface ColumnMetadata {
  name: string;
  label: string;
  type: number;
  typeName: string;
  nullable: number;
  precision: number;
  scale: number;
  isSigned: boolean;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isAutoIncrement: boolean;
  schemaName: string;
  tableName: string;
  arrayBaseColumnType: number;
}

const UNBOUNDED = 2_147_483_647;

/** Precision and scale as pgjdbc reports them (the service's ResultSetMetaData). */
function precisionScale(type: PgType, typmod: number): [number, number] {
  switch (type.name) {
    case 'int2':
      return [5, 0];
    case 'int4':
      return [10, 0];
    case 'int8':
      return [19, 0];
    case 'oid':
      return [10, 0];
    case 'float4':
      return [8, 8];
    case 'float8':
      return [17, 17];
    case 'bool':
      return [1, 0];
    case 'numeric':
      return typmod < 4 ? [0, 0] : [((typmod - 4) >> 16) & 0xffff, (typmod - 4) & 0xffff];
    case 'varchar':
    case 'bpchar':
      return typmod < 4 ? [UNBOUNDED, 0] : [typmod - 4, 0];
    case 'date':
      return [13, 0];
    case 'time':
      return [15, 6];
    case 'timetz':
      return [21, 6];
    case 'timestamp':
      return [29, 6];
    case 'timestamptz':
      return [35, 6];
    case 'uuid':
      return [36, 0];
    default:
      return [UNBOUNDED, 0];
  }
}

const SIGNED = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'money']);

export function columnMetadata(fields: readonly FieldDef[], catalog: TypeCatalog, sources: Map<string, ColumnSource>): ColumnMetadata[] {
  return fields.map((f) => {
    const type = catalog.get(f.dataTypeID);
    const source = sources.get(`${f.tableID}.${f.columnID}`);
    const [precision, scale] = precisionScale(type, f.dataTypeModifier);
    return {
      name: f.name,
      label: f.name,
      type: type.jdbcType,
      typeName: type.name,
      nullable: source?.notNull ? 0 : 1,
      precision,
      scale,
      isSigned: SIGNED.has(type.name),
      isCaseSensitive: type.kind === 'string' && type.jdbcType !== JDBC_ARRAY,
      isCurrency: type.name === 'money',
      isAutoIncrement: source?.autoIncrement ?? false,
      schemaName: '',
      tableName: source?.tableName ?? '',
      arrayBaseColumnType: type.element ? type.element.jdbcType : 0,
    };
  });
}
