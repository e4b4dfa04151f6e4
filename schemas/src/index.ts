// @cs/schemas: event contracts (SPEC §3). The .avsc files under ../avro are the source of truth.
export * from './types.ts';
export { parseEvent, validateEvent, checkFuture, checkFields } from './validate.ts';
export type { Validated, ParseOptions, CheckMode } from './validate.ts';
export { semanticIssues, formatIssues } from './semantic.ts';
export { encodeEvent, decodeEvent, createCodec, EventValidationError } from './codec.ts';
export type { Codec, Decoded, EncodeOptions, Framing } from './codec.ts';
export { messageKey, KEY_FIELDS } from './key.ts';
export { canonicalForm, rabin64, schemaFingerprint, fingerprintBytes } from './fingerprint.ts';
export {
  catalog,
  topicSchemas,
  isTopic,
  readSchemaFiles,
  buildTopicSchemas,
  avroType,
  SCHEMA_DIR,
  REGISTRY_FILE,
  schemaSource,
} from './catalog.ts';
export type { RecordSchema, SchemaFile, SchemaVersion, TopicSchemas, AvroResolver } from './catalog.ts';
export { fieldSpecs } from './fields.ts';
export { eventJsonSchema, type JsonSchema } from './json-schema.ts';
export type { FieldSpec, FieldKind } from './fields.ts';
export { compatibilityError, backwardIncompatibilities } from './compat.ts';
export { parseIsoMillis } from './time.ts';
