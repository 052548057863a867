export type {
  OperatorSpec,
  PolicyDocument as EmulatorPolicyDocument,
  PrincipalSpec,
  RegisteredPrincipal,
} from './authz.ts';
export { awsManagedDocument } from './authz.ts';
export type { CallFilter, CallStats } from './calls.ts';
export { AwsError, PortInUseError } from './errors.ts';
export { type FaultKind, type FaultSpec, InvalidFaultError } from './faults.ts';
export { AWS_MANAGED_POLICIES, SERVICE_LINKED_ROLE_NAMES } from './iam/index.ts';
export type { CallContext, EmulatorService, JsonService, QueryService } from './router.ts';
export {
  type ArmedFault,
  type Emulator,
  type EmulatorEnv,
  type EmulatorOptions,
  ENV_NAMES,
  startEmulator,
} from './server.ts';
export { type EmulatorState, type EmulatorStateInput, InvalidStateError } from './state.ts';
