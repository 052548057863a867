import { Command } from 'commander';
import { UsageError } from '../io.ts';

/**
 * `onboard list`: the ledger's requests, newest first, a page at a time - what GET /onboardings answers,
 * read straight from the ledger table the environment names (ONBOARDING_LEDGER_TABLE: a deployed
 * stage's LedgerTableName output, or the one `onboard serve` exports), through the same two indexes.
 */

interface ListFlags {
  status?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

/** The flags again, for the line that shows how to read the next page. */
function nextCommand(flags: ListFlags, next: string): string {
  const quote = (s: string) => (/^[\w.-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'onboard list',
    ...(flags.status ? ['--status', quote(flags.status)] : []),
    ...(flags.limit ? ['--limit', flags.limit] : []),
    '--cursor',
    next,
  ].join(' ');
}

export function listCommand(): Command {
  return new Command('list')
    .description(
      'list recent onboarding requests from the ledger, newest first: status, who, profile, when, attempts',
    )
    .option(
      '--status <status>',
      'only this status: running, succeeded, rolled-back, rollback-incomplete, aborted, timed-out',
    )
    .option('--limit <n>', 'how many per page (1 to 100)', undefined)
    .option('--cursor <next>', 'continue after the page that printed this `next`')
    .option('--json', 'print JSON: { onboardings: [...], next? }')
    .action(async (flags: ListFlags) => {
      const [{ DEFAULT_LIST_LIMIT, LedgerLister, listedOf, parseLimit, parseStatusFilter }] =
        await Promise.all([import('../../ledger/list.ts')]);
      // Checked before any call: a typo in a flag lists nothing.
      const status = flags.status !== undefined ? parseStatusFilter(flags.status, '--status') : undefined;
      const limit = flags.limit !== undefined ? parseLimit(flags.limit, '--limit') : DEFAULT_LIST_LIMIT;
      if (!process.env.ONBOARDING_LEDGER_TABLE) {
        throw new UsageError(
          'which ledger? Set ONBOARDING_LEDGER_TABLE (the LedgerTableName output of the deployed stack, or the table `onboard serve` exports, with its AWS_ENDPOINT_URL_DYNAMODB)',
        );
      }
      const [{ DynamoDBClient }, { clientConfig }, { ledgerTableFromEnv }] = await Promise.all([
        import('@aws-sdk/client-dynamodb'),
        import('../../aws/clients.ts'),
        import('../../ledger/items.ts'),
      ]);
      const client = new DynamoDBClient(clientConfig(process.env));
      try {
        const lister = new LedgerLister(client, ledgerTableFromEnv(process.env));
        const page = await lister.list({
          ...(status ? { status } : {}),
          limit,
          ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
        });
        const rows = page.items.map(listedOf);
        if (flags.json) {
          console.log(
            JSON.stringify({ onboardings: rows, ...(page.next ? { next: page.next } : {}) }, null, 2),
          );
          return;
        }
        const { dim, renderListing } = await import('../render.ts');
        if (rows.length === 0) {
          console.log(
            flags.cursor
              ? 'no more onboardings'
              : `no onboardings in the ledger${status ? ` with status ${status}` : ''}`,
          );
          return;
        }
        for (const line of renderListing(rows)) console.log(line);
        if (page.next) console.log(dim(`more: ${nextCommand(flags, page.next)}`));
      } finally {
        client.destroy();
      }
    });
}
