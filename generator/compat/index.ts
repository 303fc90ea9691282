// Avro schema resolution (reader/writer) and Confluent compatibility modes. Pure: the only
// I/O, in runCompat, goes through the injected readFile.
export { AvroSchemaError, renderJson, renderSchema } from './schema.js';
export type {
  ArrayNode,
  AvroNode,
  AvroSchemaJson,
  DecimalLogicalType,
  EnumNode,
  FieldNode,
  FixedNode,
  MapNode,
  NamedNode,
  PrimitiveKind,
  PrimitiveNode,
  RecordNode,
  UnionNode,
} from './schema.js';
export { parseSchema } from './parse.js';
export { checkReaderWriter, checkReaderWriterNodes } from './resolve.js';
export type { CompatibilityResult, Incompatibility, IncompatibilityType } from './resolve.js';
export { COMPAT_MODES, checkMode, checkModeNodes, isCompatMode } from './modes.js';
export type { CompatDirection, CompatMode, ModeConflict, ModeResult } from './modes.js';
export { runCompat } from './run.js';
export type { CompatFormat, CompatInputError, CompatInputErrorCode, RunCompatOptions, RunCompatResult } from './run.js';
