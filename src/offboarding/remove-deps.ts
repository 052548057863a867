import { IAMClient } from '@aws-sdk/client-iam';
import { lambdaClientConfig } from '../aws/lambda-credentials.ts';
import { SdkLeaverGateway } from '../gateways/leaver.ts';
import { secretStoreFromEnv } from '../lambda/secrets-deps.ts';
import { once } from '../lambda/shared.ts';
import { offboardingDepsFromEnv } from './deps.ts';

/** Remove's dependencies: IAM and Secrets Manager (the leaver's credentials secret), no ledger. */
export const lambdaRemoveDeps = /* @__PURE__ */ once(() =>
  offboardingDepsFromEnv(process.env, {
    leaver: new SdkLeaverGateway(new IAMClient(lambdaClientConfig(process.env))),
    secrets: secretStoreFromEnv(process.env),
  }),
);
