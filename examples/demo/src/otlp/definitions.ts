import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The OTLP trace messages, read by protobufjs from the official `.proto` files of
 * open-telemetry/opentelemetry-proto (copied unchanged into `examples/demo/proto/`, see its README).
 * Nothing here knows the wire format: protobufjs decodes and encodes from the definitions.
 */
export interface OtlpTraceTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
}

const REQUEST = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';
const RESPONSE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse';

/** `protoDir` is the folder that holds `opentelemetry/proto/...`; its imports resolve inside it. */
export function loadOtlpTraceTypes(protoDir: URL): OtlpTraceTypes {
  const dir = fileURLToPath(protoDir);
  const root = new protobuf.Root();
  // The files import each other by their path under the proto root ("opentelemetry/proto/...").
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${dir}/${target}`);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  root.resolveAll();
  return { request: root.lookupType(REQUEST), response: root.lookupType(RESPONSE) };
}
