#!/usr/bin/env node
// The `onboard` CLI. TypeScript sources run through tsx, so there is no build step between an edit and a run.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `onboard needs Node 22 (the Lambda runtime's version) but this is Node ${process.versions.node}. ` +
      'Run it as `npx onboard ...` or `npm run onboard -- ...` so that the pinned Node 22 is used.',
  );
  // 4: an environment problem (README, exit codes), not a failed onboarding.
  process.exit(4);
}
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
