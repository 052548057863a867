import { Command } from 'commander';
import { UsageError } from '../io.ts';

/**
 * `onboard approve <requestId> --as <approver> [--deny] [--reason text]`: an approver's decision on a
 * privileged request, through the HTTP API (`POST /onboardings/{requestId}/approval`), authenticated
 * like a ticketing system's start: the HMAC signature with ONBOARDING_WEBHOOK_SECRET, or the bearer
 * token ONBOARDING_API_TOKEN. The API decides (src/approvals): one of the profile's approvers, never the
 * requester, the first decision wins; this command only carries the decision and says the outcome.
 */

interface ApproveFlags {
  as?: string;
  deny?: boolean;
  reason?: string;
  apiUrl?: string;
  json?: boolean;
}

/** The API refused the credentials or has no approval gate: the shell's problem, not the request's. */
export class ApiUnavailableError extends Error {
  override readonly name = 'ApiUnavailable' as const;
}

export function apiUrlOf(flag: string | undefined): URL {
  const raw = flag ?? process.env.ONBOARDING_API_URL;
  if (!raw) {
    throw new UsageError(
      'which HTTP API? Pass --api-url URL or set ONBOARDING_API_URL (the HttpApiUrl output of the deployed stack, or the URL `onboard serve` prints)',
    );
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--api-url ${raw}: not a URL (e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new UsageError(
      `--api-url ${raw}: use https (plain http only to a loopback address, as \`onboard serve\` listens)`,
    );
  }
  return url;
}

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\./.test(host);

/**
 * POST to the HTTP API, authenticated like a ticketing system: the HMAC signature with
 * ONBOARDING_WEBHOOK_SECRET, or the bearer token ONBOARDING_API_TOKEN.
 */
export async function postToApi(base: URL, path: string, body: string): Promise<Response> {
  const secret = process.env.ONBOARDING_WEBHOOK_SECRET;
  const token = process.env.ONBOARDING_API_TOKEN;
  if (!secret && !token) {
    throw new UsageError(
      'how to authenticate? Set ONBOARDING_WEBHOOK_SECRET (signed, as a ticketing system) or ONBOARDING_API_TOKEN (bearer): the values `onboard serve` prints, or the stack secrets (docs/deploy.md)',
    );
  }
  const target = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  const { signatureHeader, SIGNATURE_HEADER } = await import('../../api/auth.ts');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (secret) {
    headers[SIGNATURE_HEADER] = signatureHeader(secret, { method: 'POST', path: target.pathname, body });
  } else headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(target, { method: 'POST', headers, body, redirect: 'error' });
  } catch (error) {
    throw new ApiUnavailableError(
      `cannot reach ${base.origin}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message} (is \`onboard serve\` running, and ONBOARDING_API_URL its URL?)`,
    );
  }
}

export function approveCommand(): Command {
  return new Command('approve')
    .description(
      "approve (or --deny) a privileged request waiting for an approval, as one of its profile's approvers, through the HTTP API",
    )
    .argument('<request-id>', 'the request id the ticket was started with')
    .requiredOption(
      '--as <approver>',
      'who decides: one of profiles.<profile>.approvers, never the requester',
    )
    .option('--deny', 'deny the request: the execution ends Denied, nothing created')
    .option('--reason <text>', 'why (kept with the decision, shown in the status and the ticket)')
    .option('--api-url <url>', 'the HTTP API (default: $ONBOARDING_API_URL)')
    .option('--json', 'print the API answer as JSON')
    .action(async (requestId: string, flags: ApproveFlags) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/.test(requestId)) {
        throw new UsageError(`${requestId}: not a request id (letters, digits, - and _; at most 80)`);
      }
      const base = apiUrlOf(flags.apiUrl);
      const body = JSON.stringify({
        approver: flags.as,
        decision: flags.deny ? 'deny' : 'approve',
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      const response = await postToApi(base, `/onboardings/${requestId}/approval`, body);
      const answer = (await response.json().catch(() => ({}))) as {
        error?: string;
        issues?: { path: string; message: string }[];
        approval?: { status: string; decidedBy?: string; reason?: string };
        unchanged?: boolean;
        statusUrl?: string;
      };
      if (!response.ok) throw await refusal(response.status, answer, requestId);
      if (flags.json) {
        console.log(JSON.stringify(answer, null, 2));
        return;
      }
      const { dim, green, red } = await import('../render.ts');
      const decided = answer.approval?.status ?? (flags.deny ? 'denied' : 'approved');
      const paint = decided === 'approved' ? green : red;
      console.log(
        `${paint(`${requestId} ${decided}`)} by ${answer.approval?.decidedBy ?? flags.as}${answer.unchanged ? ' (already, by you: nothing changed)' : ''}`,
      );
      console.log(
        dim(
          decided === 'approved'
            ? `the onboarding goes on; follow it with: onboard status ${requestId}`
            : `the execution ends Denied, nothing created: onboard status ${requestId}`,
        ),
      );
    });
}

/** The API's refusal as the CLI's errors: the same names (and exit codes) as the domain's. */
async function refusal(
  status: number,
  answer: { error?: string; issues?: { path: string; message: string }[] },
  requestId: string,
): Promise<Error> {
  const errors = await import('../../errors.ts');
  const message = answer.error ?? `HTTP ${status}`;
  switch (status) {
    case 400:
      return new errors.InvalidRequestError(
        `${message}${answer.issues?.length ? `: ${answer.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : ''}`,
        answer.issues ?? [],
      );
    case 401:
      return new ApiUnavailableError(
        `the HTTP API refused the credentials (401): ONBOARDING_WEBHOOK_SECRET / ONBOARDING_API_TOKEN must be this stack's (the values \`onboard serve\` printed, or the stack's secrets)`,
      );
    case 403:
      return new errors.ApprovalForbiddenError(message);
    case 404:
      return new errors.ApprovalNotFoundError(
        `${message} (is ${requestId} a privileged request, started on this stack and waiting in AwaitApproval?)`,
      );
    case 409:
      return new errors.ApprovalConflictError(message);
    case 503:
      return new ApiUnavailableError(message);
    default:
      return new Error(`the HTTP API answered ${status}: ${message}`);
  }
}
