export { replayFile, type ReplayResult, type InvalidLine } from './replay.ts';
export { listDeadLetters, countDeadLetters, selectForReplay, replayDeadLetters, type DeadLetterFilter, type DeadLetterRow, type DeadLetterSource, type DeadLetterReplayResult, type RowQuery } from './dead-letters.ts';
