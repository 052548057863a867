import { Command } from 'commander';
import { UsageError } from '../io.ts';
import { ApiUnavailableError, apiUrlOf, postToApi } from './approve.ts';

/**
 * `onboard restore <requestId> --by <who>`: lifts an offboarding's containment during its grace period,
 * through the HTTP API (`POST /offboardings/{requestId}/restore`), authenticated as `onboard approve` is.
 * Only once, only during the grace period: the API refuses it otherwise, naming the phase.
 */
export function restoreCommand(): Command {
  return new Command('restore')
    .description(
      'restore a leaver during the grace period of their offboarding (every credential that was active on again, the deny-all lifted), through the HTTP API',
    )
    .argument('<request-id>', 'the offboarding request id')
    .requiredOption('--by <who>', 'who asks (kept in the ledger with the restore)')
    .option('--api-url <url>', 'the HTTP API (default: $ONBOARDING_API_URL)')
    .option('--json', 'print the API answer as JSON')
    .action(async (requestId: string, flags: { by: string; apiUrl?: string; json?: boolean }) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/.test(requestId)) {
        throw new UsageError(`${requestId}: not a request id (letters, digits, - and _; at most 80)`);
      }
      const base = apiUrlOf(flags.apiUrl);
      const response = await postToApi(
        base,
        `/offboardings/${requestId}/restore`,
        JSON.stringify({ requestedBy: flags.by }),
      );
      const answer = (await response.json().catch(() => ({}))) as {
        error?: string;
        issues?: { path: string; message: string }[];
        statusUrl?: string;
      };
      if (!response.ok) {
        const errors = await import('../../errors.ts');
        const message = answer.error ?? `HTTP ${response.status}`;
        if (response.status === 400) throw new errors.InvalidRequestError(message, answer.issues ?? []);
        if (response.status === 409) throw new errors.OffboardingRefusedError(message);
        if (response.status === 401) {
          throw new ApiUnavailableError(
            `the HTTP API refused the credentials (401): ONBOARDING_WEBHOOK_SECRET / ONBOARDING_API_TOKEN must be this stack's`,
          );
        }
        if (response.status === 503) throw new ApiUnavailableError(message);
        throw new Error(`the HTTP API answered ${response.status}: ${message}`);
      }
      if (flags.json) {
        console.log(JSON.stringify(answer, null, 2));
        return;
      }
      const { dim, green } = await import('../render.ts');
      console.log(green(`${requestId}: restore requested by ${flags.by}`));
      console.log(
        dim(
          `the offboarding switches the leaver's credentials back on and lifts the deny-all; a deleted console password needs a new one. Follow it: ${answer.statusUrl ?? `GET /offboardings/${requestId}`}`,
        ),
      );
    });
}
