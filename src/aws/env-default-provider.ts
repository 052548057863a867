import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { defaultProvider as nodeDefaultProvider } from '@aws-sdk/credential-provider-node';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (serverless.yml
 * `custom.esbuild.alias`). Every SDK client's runtime configuration imports that package's
 * `defaultProvider` whether or not credentials are given, and with it the whole default chain (ini
 * files, SSO, process, web identity, the STS and SSO clients behind them). The Lambdas' clients are
 * given the environment's credentials (src/aws/lambda-credentials.ts) and never call it; one that did
 * would still get the environment's credentials, which is where a Lambda's are.
 *
 * Typed as the package's own export, so a changed signature fails the typecheck; a name the SDK
 * starts importing that is missing here fails the bundle (esbuild: no matching export); and
 * test/deploy/bundles.test.ts fails when the chain comes back into a bundle under another name.
 * It imports nothing else of this project: whatever it imports lands in every bundle.
 */
export const defaultProvider: typeof nodeDefaultProvider = (init = {}) => fromEnv(init);
