/** Local RDS Data API stand-in: HTTP server speaking the Data API wire protocol over a real PostgreSQL. */
export { DataApiServer, MAX_REQUEST_BYTES, type DataApiServerOptions } from './server';
export { MAX_RESPONSE_BYTES } from './operations';
export { MAX_ROW_BYTES } from './result-encoding';
export { bindStatement, prepareParameters, scanSql, type BoundStatement, type SqlParameterInput, type TypeHint } from './sql-binding';
