import { type RuntimeConfig, runtimeConfigFromEnv } from '../config.ts';
import { once } from './shared.ts';

/** The configuration alone, for the tasks that make no AWS call (no SDK in their bundle). */
export const lambdaConfig = /* @__PURE__ */ once((): { config: RuntimeConfig } => ({
  config: runtimeConfigFromEnv(process.env),
}));
