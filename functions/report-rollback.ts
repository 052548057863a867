import { reportRollbackHandler } from '../src/lambda/report-rollback-handler.ts';

/** ReportRollback: turns the rollback's results into the execution's final error and cause. No AWS calls. */
export const make = () => ({ handler: reportRollbackHandler() });
export const { handler } = make();
