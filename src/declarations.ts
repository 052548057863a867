import { HTTP_API_CALLS } from './api/lambda.ts';
import { bindTasks, loadAsl, loadServerlessFunctions, OFFBOARDING_ASL_PATH } from './definition.ts';
import { NOTIFIER_CALLS } from './notifier/lambda.ts';
import { offboardingTaskOf } from './offboarding/tasks.ts';
import type { DeclaredCall } from './steps/calls.ts';
import { taskOf } from './steps/index.ts';

/**
 * What every deployed function declares it calls: a Task's function from its step (through the ASL's
 * state -> function binding), an entry point from its own module. The role checks and the local
 * stack's call checks read this; a function that declares nothing is an error, never "allowed nothing".
 */

export const ENTRY_POINT_CALLS: Readonly<Record<string, readonly DeclaredCall[]>> = {
  httpApi: HTTP_API_CALLS,
  notifyCompletion: NOTIFIER_CALLS,
};

export class UndeclaredFunctionError extends Error {
  override readonly name = 'UndeclaredFunction' as const;
}

export async function declaredCallsByFunction(): Promise<Record<string, readonly DeclaredCall[]>> {
  const functions = await loadServerlessFunctions();
  const bindings = await bindTasks(await loadAsl(), functions);
  const offboarding = await bindTasks(await loadAsl(OFFBOARDING_ASL_PATH), functions);
  const out: Record<string, readonly DeclaredCall[]> = {};
  for (const key of Object.keys(functions)) {
    const binding = bindings.find((b) => b.functionKey === key);
    const leaver = offboarding.find((b) => b.functionKey === key);
    const calls = binding
      ? taskOf(binding.state)?.calls
      : leaver
        ? offboardingTaskOf(leaver.state)?.calls
        : ENTRY_POINT_CALLS[key];
    if (!calls) {
      throw new UndeclaredFunctionError(
        `serverless.yml function "${key}" is neither a Task of the saga (src/steps/index.ts) or of the offboarding (src/offboarding/tasks.ts) nor a declared entry point (src/declarations.ts): declare the AWS calls it makes`,
      );
    }
    out[key] = calls;
  }
  return out;
}
