import { makeNotifyHandler } from '../src/notifier/lambda.ts';

/** The state machine's status-change event (EventBridge) -> the signed completion callback. */
export const handler = makeNotifyHandler();
