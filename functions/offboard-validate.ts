import type { RuntimeConfig } from '../src/config.ts';
import { runtimeConfigFromEnv } from '../src/config.ts';
import { once } from '../src/lambda/shared.ts';
import { type Provider, validateOffboardingHandler } from '../src/offboarding/handlers.ts';

/** ValidateOffboarding: the offboarding request's schema and callback URL, no AWS access. */
export const make = (deps: Provider<{ config: RuntimeConfig }>) => ({
  handler: validateOffboardingHandler(deps),
});
export const { handler } = make(/* @__PURE__ */ once(() => ({ config: runtimeConfigFromEnv(process.env) })));
