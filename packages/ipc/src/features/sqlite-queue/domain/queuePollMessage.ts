/**
 * Socket message type a producer sends after it queued messages while
 * connected (a frame too large for the socket, a timed-out request): the
 * consumer polls its queue at once instead of at its next `pollInterval`.
 * SQLite has no cross-process wake-up; the socket the producer already holds
 * is one. Payload `{}`; the reply's data is `{ polling: boolean }` (false
 * while the consumer is stopped or paused). A FlowTrace extension: a server
 * that does not know it answers "Unknown message type: queue:poll", which
 * producers ignore. See docs/ipc-protocol.md.
 */
export const QUEUE_POLL_MESSAGE_TYPE = 'queue:poll';

/** Reply data of a `queue:poll` request. */
export interface QueuePollReply {
  /** True when the consumer will poll now (or right after the poll in progress). */
  polling: boolean;
}
