import { type ApprovalTaskDeps, awaitApprovalHandler, type Provider } from '../src/lambda/handlers.ts';
import { lambdaApprovalTaskDeps } from '../src/lambda/ledger-deps.ts';

/**
 * AwaitApproval (`.waitForTaskToken`): stores a privileged request's pending approval and task token in
 * the ledger; the execution waits for an approver's decision (POST /onboardings/{id}/approval).
 */
export const make = (deps: Provider<ApprovalTaskDeps>) => ({ handler: awaitApprovalHandler(deps) });
export const { handler } = make(lambdaApprovalTaskDeps);
