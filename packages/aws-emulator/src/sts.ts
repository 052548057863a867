import { callerOf } from './iam/index.ts';
import type { QueryService } from './router.ts';
import type { EmulatorState } from './state.ts';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * STS, as far as a local stack needs it: GetCallerIdentity. A request signed with an access key that
 * the emulator issued is that user; anything else (the dummy credentials) is the account root.
 */
export function stsService(state: () => EmulatorState): QueryService {
  return {
    protocol: 'awsQuery',
    signingName: 'sts',
    namespace: STS_NAMESPACE,
    actions: {
      GetCallerIdentity: (_params, ctx) => {
        const s = state();
        const user = callerOf(s, ctx.accessKeyId);
        if (user) {
          return {
            UserId: user.id,
            Account: s.accountId,
            Arn: `arn:aws:iam::${s.accountId}:user${user.path}${user.name}`,
          };
        }
        return { UserId: s.accountId, Account: s.accountId, Arn: `arn:aws:iam::${s.accountId}:root` };
      },
    },
  };
}

export const STS_READ_ONLY = new Set(['GetCallerIdentity']);
