/**
 * popoto: a typed object mapper for Redis, byte-compatible with Python Popoto.
 * Nothing connects at import: call `connect()` first.
 */
export { connect, disconnect, getConnection } from "./connection/connection.js";
export type { ConnectOptions, RedisClient } from "./connection/connection.js";
export { CONNECTION_DEFAULTS } from "./connection/options.js";
export { connectionStatus, onConnectionStatus } from "./connection/status.js";
export type { ConnectionState, ConnectionStatus } from "./connection/status.js";
export { redactSecrets } from "./connection/redact.js";
export type { CommandEvent, CommandListener } from "./observe/command-log.js";
export {
  AuthenticationError,
  CommandTimeoutError,
  ConcurrentModificationError,
  ClusterError,
  ShardMoveError,
  ReshardRefusedError,
  ReshardBusyError,
  ReshardInProgressError,
  ConnectionError,
  CorruptDataError,
  HookError,
  InvalidCursorError,
  isPopotoError,
  KeyConflictError,
  ModelDefinitionError,
  MultipleResultsError,
  NotConnectedError,
  NotSavedError,
  NotReplicatedError,
  PermissionError,
  PopotoError,
  ProtectedError,
  QueryError,
  RedisCommandError,
  RowProblemsError,
  TlsError,
  UniqueViolationError,
  ValidationError,
  WrongTypeError,
  IndexNotBuiltError,
} from "./errors.js";
export type { ConnectionFailure, PopotoErrorCode, PostHook, RowProblem, ValidationIssue } from "./errors.js";
export { AutoKeyField } from "./fields/auto-key.js";
export type { AutoKeyFieldOptions } from "./fields/auto-key.js";
export type { AutoKeyKind } from "./keys/ids.js";
export { DatetimeField } from "./fields/datetime.js";
export type { DatetimeOptions } from "./fields/datetime.js";
export { FieldDef } from "./fields/field.js";
export type { CommonOptions, FieldConfig, FieldKind, OnDelete, ValueChecks } from "./fields/field.js";
export { GeoField } from "./fields/geo.js";
export type { GeoFieldOptions, GeoPoint } from "./fields/geo.js";
export { IndexedField, UniqueField } from "./fields/indexed.js";
export type { IndexedFieldOptions } from "./fields/indexed.js";
export { KeyField } from "./fields/key.js";
export type { KeyFieldOptions } from "./fields/key.js";
export {
  BooleanField,
  BytesField,
  DateField,
  DecimalField,
  DictField,
  Field,
  FloatField,
  IntField,
  ListField,
  SetField,
  StringField,
  TimeField,
  TupleField,
} from "./fields/plain.js";
export type { FieldOptions } from "./fields/plain.js";
export { SortedField, SortedKeyField } from "./fields/sorted.js";
export type { SortedFieldOptions } from "./fields/sorted.js";
export { TagField } from "./fields/tag.js";
export type { TagConfig, TagFieldOptions } from "./fields/tag.js";
export { UniqueKeyField } from "./fields/unique-key.js";
export type { UniqueKeyFieldOptions } from "./fields/unique-key.js";
export type { ChoiceType, FieldType, FieldTypeValues, KeyType, SortedType } from "./fields/field-type.js";
export { Reference } from "./fields/reference.js";
export type { ReferenceModelName } from "./fields/reference.js";
export { Relationship } from "./fields/relationship.js";
export type {
  Related,
  RelationshipConfig,
  RelationshipOptions,
  TargetArg,
  TargetInstance,
} from "./fields/relationship.js";
export { Model } from "./model/model.js";
export type {
  ChangeFeedStatics,
  CreateLookup,
  FieldsOf,
  InferCreate,
  InferValues,
  InstanceMembers,
  LookupName,
  ManyRelationshipName,
  ModelClass,
  ModelInstance,
  NumericFieldName,
  QueryAccessor,
  QueryInstance,
  RelationshipTo,
  FieldInfo,
  SaveOptions,
  ToDictOptions,
} from "./model/model.js";
export type { ModelEvent } from "./write/plan-write.js";
export { ChangeFeed, type ReadChangesOptions } from "./changes/feed.js";
export type { ChangeEvent, ChangeOp } from "./changes/entry.js";
export type { ConsumedChange, ConsumeOptions } from "./changes/consume.js";
export type {
  CorruptAction,
  CorruptRow,
  IndexCounts,
  IndexDifference,
  IndexReport,
  MaintenanceOptions,
  MaintenanceProgress,
  RepairOptions,
  RepairResult,
  WrongTypeKey,
} from "./maintenance/indexes.js";
export type { ResumeReport } from "./model/delete-resume.js";
export type { MigrateOptions, MigrateProgress, MigrateResult } from "./schema/migrate.js";
export type { ReshardOptions, ReshardProgress, ReshardResult } from "./shards/reshard.js";
export type { ChangeFeedOptions, ModelOptions } from "./model/meta.js";
export type {
  StandardSchemaIssue,
  StandardSchemaProps,
  StandardSchemaResult,
  StandardSchemaV1,
} from "./model/standard-schema.js";
export type { Models } from "./model/registry.js";
export type {
  ConstructInput,
  CreateInput,
  Fields,
  KeyLookup,
  GroupFieldName,
  NumericSortedFieldName,
  OrderName,
  SortedFieldName,
  StoredFields,
  UpdateInput,
  Values,
} from "./model/value-types.js";
export type {
  CheckedFilter,
  Filter,
  FilterError,
  FilterInput,
  GeoWithin,
  PathValue,
  ShallowFilter,
  ValidFilter,
} from "./query/filter-types.js";
export type {
  IncludePath,
  Included,
  Page,
  Query,
  QueryExplanation,
  RelationshipName,
  ValuesQuery,
  WhereArg,
} from "./query/query.js";
export type { FanOut, FanOutStep, MasterFanOut } from "./query/explain-fan-out.js";
export { and, not, or } from "./query/condition.js";
export { onRowProblem } from "./query/row-problems.js";
export type { RowProblemListener } from "./query/row-problems.js";
export type { LeafFilters, Q } from "./query/condition.js";
export type { BulkOptions, ProgressCallback } from "./write/bulk.js";
export { Publisher } from "./pubsub/publisher.js";
export { Subscriber } from "./pubsub/subscriber.js";
export type { SubscriberHandler, SubscriberMessage, SubscriberOptions } from "./pubsub/subscriber.js";
export { configureQueryLimits, queryLimits } from "./query/limits.js";
export type { QueryLimits } from "./query/limits.js";
export { exportInstances, importInstances } from "./transfer/api.js";
export type { ExportOptions, ImportOptions, ImportResult, TransferModel } from "./transfer/api.js";
