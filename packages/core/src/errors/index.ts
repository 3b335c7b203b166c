export { HTTP_STATUS_BY_CODE, httpStatusForCode, type ErrorCode } from './codes.js';
export {
  GatehouseError,
  isGatehouseError,
  type GatehouseErrorInit,
  type GatehouseErrorOptions,
} from './gatehouse-error.js';
export {
  AuthenticationError,
  ConfigError,
  ConflictError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  UnavailableError,
  UndecryptableSecretError,
  DirectoryUnavailableError,
  MissingDependencyError,
  ValidationError,
  type AnyGatehouseError,
  type ConfigIssue,
} from './classes.js';
