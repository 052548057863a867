import { validateOffboardingHandler } from '../src/offboarding/handlers.ts';

/** ValidateOffboarding: the offboarding request's schema, no AWS access. */
export const make = () => ({ handler: validateOffboardingHandler() });
export const { handler } = make();
